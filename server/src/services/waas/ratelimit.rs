//! Per-comune request limit (the rate limit declared on the PDND e-service),
//! answered with the spec's `429TooManyRequests`: problem+json with
//! `Retry-After`, `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
//! `X-RateLimit-Reset`.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::RateLimit;
use crate::problem::Problem;

/// A fixed window: at most `limit.requests` per `limit.per`.
#[derive(Debug)]
pub struct FixedWindow {
    limit: RateLimit,
    state: Mutex<(Instant, u32)>,
}

/// A refused request: seconds until the window resets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exceeded {
    pub reset_secs: u64,
}

impl FixedWindow {
    pub fn new(limit: RateLimit) -> FixedWindow {
        FixedWindow {
            limit,
            state: Mutex::new((Instant::now(), 0)),
        }
    }

    /// Counts one request at `now`.
    pub fn check_at(&self, now: Instant) -> Result<(), Exceeded> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if now.duration_since(s.0) >= self.limit.per {
            *s = (now, 0);
        }
        if s.1 < self.limit.requests {
            s.1 += 1;
            Ok(())
        } else {
            let left = self.limit.per.saturating_sub(now.duration_since(s.0));
            Err(Exceeded {
                reset_secs: left.as_secs() + u64::from(left.subsec_nanos() > 0),
            })
        }
    }

    pub fn limit(&self) -> RateLimit {
        self.limit
    }
}

/// The 429 response.
pub fn too_many(limit: RateLimit, e: Exceeded) -> Problem {
    // The spec caps these headers at 3600 s.
    let reset = e.reset_secs.clamp(1, 3600);
    Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!(
            "At most {} requests every {} s; retry after {reset} s.",
            limit.requests,
            limit.per.as_secs()
        ),
    )
    .header(header::RETRY_AFTER, reset)
    .header(HeaderName::from_static("x-ratelimit-limit"), limit.requests)
    .header(HeaderName::from_static("x-ratelimit-remaining"), 0u32)
    .header(HeaderName::from_static("x-ratelimit-reset"), reset)
}

/// Middleware (inside the voucher check, so only authenticated requests count).
pub async fn limit_requests(State(w): State<Arc<FixedWindow>>, req: Request, next: Next) -> Response {
    match w.check_at(Instant::now()) {
        Ok(()) => next.run(req).await,
        Err(e) => too_many(w.limit(), e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_window_counts_and_resets() {
        let w = FixedWindow::new(RateLimit {
            requests: 2,
            per: Duration::from_secs(60),
        });
        let t0 = Instant::now();
        assert!(w.check_at(t0).is_ok());
        assert!(w.check_at(t0 + Duration::from_secs(1)).is_ok());
        assert_eq!(
            w.check_at(t0 + Duration::from_millis(10_500)),
            Err(Exceeded { reset_secs: 50 })
        );
        assert!(w.check_at(t0 + Duration::from_secs(60)).is_ok());
        let p = too_many(w.limit(), Exceeded { reset_secs: 50 });
        assert_eq!(p.status, 429);
        let names: Vec<&str> = p.headers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "retry-after",
                "x-ratelimit-limit",
                "x-ratelimit-remaining",
                "x-ratelimit-reset"
            ]
        );
    }
}
