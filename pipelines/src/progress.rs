//! Progress reporting, independent of how it is shown (the binary draws
//! progress bars on a terminal and plain log lines otherwise).

/// Receives progress of long work. Implementations must be cheap to call.
pub trait Progress: Sync {
    /// A new phase with a known total (rows, files or comuni).
    fn start(&self, label: &str, total: u64);
    /// `n` more units done.
    fn inc(&self, n: u64);
    /// A short status line.
    fn message(&self, msg: &str);
    /// The phase is over.
    fn finish(&self);
}

/// Discards progress (tests, library use).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: &str, _: u64) {}
    fn inc(&self, _: u64) {}
    fn message(&self, _: &str) {}
    fn finish(&self) {}
}
