//! How many decodes run at once, the most that ever did, and how many
//! outlived their request (the client left, a deadline passed): what
//! `GET /stats` shows under `decodes`, so the bound the decode slots set
//! can be checked from outside.

use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// The server's decodes, counted as they start and end.
#[derive(Debug)]
pub struct DecodeGauge {
    slots: usize,
    running: AtomicUsize,
    peak: AtomicUsize,
    finished: AtomicU64,
    orphaned: AtomicU64,
}

/// What `GET /stats` shows of the decodes.
#[derive(Debug, Serialize)]
pub struct DecodeSnapshot {
    /// Decodes that may run at once (one per server thread).
    pub slots: usize,
    /// Decodes running now.
    pub running: usize,
    /// The most that ever ran at once; never over `slots`.
    pub peak: usize,
    /// Decodes that have returned.
    pub finished: u64,
    /// Of those, how many returned after their request had ended (the
    /// client closed or reset it, or a deadline answered it); each held
    /// its slot to the end.
    pub orphaned: u64,
}

impl DecodeGauge {
    pub fn new(slots: usize) -> Self {
        DecodeGauge {
            slots,
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            finished: AtomicU64::new(0),
            orphaned: AtomicU64::new(0),
        }
    }

    /// A request about to wait for its decode; dropped unanswered, it
    /// marks its decode orphaned.
    pub fn request_waiting(&self) -> RequestWaiting {
        RequestWaiting {
            left: Arc::default(),
            answered: false,
        }
    }

    /// One decode starts, for the request `watched` watches; `finish` it
    /// when the decoder has returned.
    pub fn start(&self, watched: &Watched) -> Running<'_> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        Running {
            gauge: self,
            left: Arc::clone(&watched.0),
        }
    }

    pub fn snapshot(&self) -> DecodeSnapshot {
        DecodeSnapshot {
            slots: self.slots,
            running: self.running.load(Ordering::SeqCst),
            peak: self.peak.load(Ordering::SeqCst),
            finished: self.finished.load(Ordering::SeqCst),
            orphaned: self.orphaned.load(Ordering::SeqCst),
        }
    }
}

/// A request waiting for its decode.
#[derive(Debug)]
pub struct RequestWaiting {
    left: Arc<AtomicBool>,
    answered: bool,
}

/// Whether a request has left, as its decode sees it.
#[derive(Debug)]
pub struct Watched(Arc<AtomicBool>);

impl RequestWaiting {
    /// What the decode keeps to learn whether this request left.
    pub fn watch(&self) -> Watched {
        Watched(Arc::clone(&self.left))
    }

    /// The decode's result reached the request.
    pub fn answered(mut self) {
        self.answered = true;
    }
}

impl Drop for RequestWaiting {
    fn drop(&mut self) {
        if !self.answered {
            self.left.store(true, Ordering::SeqCst);
        }
    }
}

/// A decode running.
#[derive(Debug)]
pub struct Running<'a> {
    gauge: &'a DecodeGauge,
    left: Arc<AtomicBool>,
}

impl Running<'_> {
    /// The decoder returned (dropping it says the same, so a decode that
    /// panicked is counted as ended too).
    pub fn finish(self) {}
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.gauge.running.fetch_sub(1, Ordering::SeqCst);
        self.gauge.finished.fetch_add(1, Ordering::SeqCst);
        if self.left.load(Ordering::SeqCst) {
            self.gauge.orphaned.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_running_peak_and_orphans() {
        let gauge = DecodeGauge::new(2);
        let kept = gauge.request_waiting();
        let left = gauge.request_waiting();
        let first = gauge.start(&kept.watch());
        let second = gauge.start(&left.watch());
        drop(left);
        assert_eq!(gauge.snapshot().running, 2);
        second.finish();
        first.finish();
        kept.answered();
        let snapshot = gauge.snapshot();
        assert_eq!(
            (
                snapshot.running,
                snapshot.peak,
                snapshot.finished,
                snapshot.orphaned
            ),
            (0, 2, 2, 1)
        );
    }
}
