//! What one request of a closed, open or camera run leaves behind (its
//! record, how late it went out, when it ended), and the wait for a due
//! time that does not count the timer's ticks as lateness.

use crate::report::records::RequestRecord;
use std::time::{Duration, Instant};

/// One request of a closed or open run.
pub struct Sample {
    /// The record, or the request's error.
    pub outcome: Result<RequestRecord, String>,
    /// How long after its due time the request was sent (open load; zero
    /// under closed load).
    pub late: Duration,
    /// When its reply came (or it failed), since the run began.
    pub done: Duration,
}

/// The timer's granularity: a sleep ends up to this much after its time.
const TIMER_TICK: Duration = Duration::from_millis(1);

/// Sleeps to within a timer tick of `at`, then yields until it comes, so
/// the timer's millisecond ticks do not count as lateness.
pub(super) async fn wait_until(at: Instant) {
    if let Some(coarse) = at.checked_sub(TIMER_TICK) {
        tokio::time::sleep_until(coarse.into()).await;
    }
    while Instant::now() < at {
        tokio::task::yield_now().await;
    }
}
