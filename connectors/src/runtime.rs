//! A tiny bridge from this synchronous crate to `object_store`'s async API.
//!
//! Each call builds a current-thread tokio runtime, runs one future on it and
//! drops it. When the caller is itself inside a tokio runtime (where
//! `block_on` would panic), the work runs on a short-lived scoped thread.

use std::future::Future;

use crate::error::ConnectorError;

/// Runs the future produced by `make` to completion and returns its output.
///
/// `url` only serves to label errors.
pub(crate) fn block_on<T, Fut, F>(url: &str, make: F) -> Result<T, ConnectorError>
where
    F: FnOnce() -> Fut + Send,
    Fut: Future<Output = T>,
    T: Send,
{
    let run = move || -> Result<T, ConnectorError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ConnectorError::Runtime {
                url: url.to_string(),
                message: e.to_string(),
            })?;
        Ok(rt.block_on(make()))
    };

    if tokio::runtime::Handle::try_current().is_ok() {
        // Already inside a runtime: never nest, run on a helper thread.
        std::thread::scope(|s| match s.spawn(run).join() {
            Ok(result) => result,
            Err(_) => Err(ConnectorError::Runtime {
                url: url.to_string(),
                message: "the helper thread panicked".to_string(),
            }),
        })
    } else {
        run()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_outside_and_inside_a_runtime() {
        assert_eq!(block_on("x", || async { 41 + 1 }).unwrap(), 42);

        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let v = rt.block_on(async { block_on("x", || async { 7 }).unwrap() });
        assert_eq!(v, 7);
    }
}
