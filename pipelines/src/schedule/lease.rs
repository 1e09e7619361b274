//! Holding a job lease outside the scheduler (e.g. `metrodati run --backfill`):
//! taken once, renewed by a background thread on its own catalog
//! connection, released on drop.

use chrono::Utc;
use metrodati_catalog::{Catalog, CatalogError, Lease};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A held lease; dropping it releases the lease.
pub struct LeaseGuard {
    job: String,
    owner: String,
    stop: Arc<AtomicBool>,
    renewer: Option<std::thread::JoinHandle<()>>,
    catalog: Catalog,
}

impl LeaseGuard {
    /// Takes the lease of `job` on the catalog at `path` for `owner` (real
    /// clock). If someone else holds it, returns `Ok(Err(holder's lease))`.
    pub fn acquire(
        path: &Path,
        job: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Result<LeaseGuard, Option<Lease>>, CatalogError> {
        let catalog = Catalog::open(path)?;
        if !catalog.try_acquire_lease(job, owner, Utc::now(), ttl)? {
            return Ok(Err(catalog.lease(job)?));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let renewer = {
            let (stop, job, owner, path) = (
                stop.clone(),
                job.to_string(),
                owner.to_string(),
                path.to_path_buf(),
            );
            std::thread::Builder::new()
                .name(format!("lease-{job}"))
                .spawn(move || {
                    let Ok(cat) = Catalog::open(&path) else { return };
                    let step = Duration::from_millis(100);
                    let mut since = Duration::ZERO;
                    while !stop.load(Ordering::SeqCst) {
                        std::thread::sleep(step);
                        since += step;
                        if since >= ttl / 3 {
                            since = Duration::ZERO;
                            match cat.renew_lease(&job, &owner, Utc::now(), ttl) {
                                Ok(true) => {}
                                Ok(false) => {
                                    tracing::error!(job = %job, "lost the job's lease");
                                    return;
                                }
                                Err(e) => tracing::warn!(job = %job, "cannot renew the job's lease: {e}"),
                            }
                        }
                    }
                })
                .ok()
        };
        Ok(Ok(LeaseGuard {
            job: job.to_string(),
            owner: owner.to_string(),
            stop,
            renewer,
            catalog,
        }))
    }
}

impl Drop for LeaseGuard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.renewer.take() {
            let _ = h.join();
        }
        if let Err(e) = self.catalog.release_lease(&self.job, &self.owner) {
            tracing::warn!(job = %self.job, "cannot release the job's lease: {e}");
        }
    }
}
