//! How a scenario kept its `--start-at` slot (JSON `schedule`): when its
//! counted run was due and began, how late, and how far past the slot it
//! ran; the schedule itself is `run::schedule`'s.

use serde::Serialize;

/// How a scenario kept its slot (JSON `schedule`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SlotTiming {
    /// When its counted run was planned to start, and started, in Unix
    /// seconds of this machine's clock.
    pub planned_counted_start_unix_s: f64,
    pub counted_start_unix_s: f64,
    /// How late the counted run started (0 when on time): the windows of
    /// this shard are that much after the others'.
    pub late_s: f64,
    /// How far past its slot's end the scenario ran (0 when it fit): the
    /// next scenario then starts late.
    pub overran_s: f64,
}

/// Beyond this a start counts as late, or an end as an overrun, in notes
/// and the merge (well under a window; a clock read is microseconds).
pub const ON_TIME_S: f64 = 0.05;

impl SlotTiming {
    /// `started 0.3 s late; overran its slot by 1.2 s` (None when on time).
    pub fn note(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.late_s > ON_TIME_S {
            parts.push(format!("started {:.2} s late", self.late_s));
        }
        if self.overran_s > ON_TIME_S {
            parts.push(format!("overran its slot by {:.2} s", self.overran_s));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}
