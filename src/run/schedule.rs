//! The fixed schedule a `--start-at` run follows, so that shards on
//! different machines run the same scenario at the same time: scenario k
//! owns the slot `start + k x slot`, whose warm-up may last at most its
//! cap, and whose counted run starts at a planned offset into the slot.
//! Only where those windows fall depends on the machines' clocks (kept by
//! NTP); every duration is still taken on one machine's monotonic clock.

use crate::report::slot_timing::SlotTiming;
use crate::run::plan::{BenchPlan, LoadStop};
use std::time::{Duration, SystemTime};

/// The slot length beyond warm-up and the counted run: set-up between
/// scenarios (byte counters, statistics reads, connections) and the
/// replies still in flight when a closed or open run stops.
fn slack(counted: Duration) -> Duration {
    Duration::from_secs(1) + counted / 10
}

/// The schedule of a run: where every scenario's slot and counted run fall.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Schedule {
    pub start: SystemTime,
    /// One scenario's slot: warm-up cap, counted run, slack.
    pub slot: Duration,
    /// The most the warm-up may take: `--warmup` + `--warmup-max` windows
    /// (none with `--warmup 0`).
    pub warmup: Duration,
    /// One warm-up window (the counted run over `--bursts`).
    pub warmup_window: Duration,
}

/// One scenario's slot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slot {
    pub start: SystemTime,
    pub counted_start: SystemTime,
    pub end: SystemTime,
    pub warmup_window: Duration,
}

impl Schedule {
    /// The schedule of a run with `--start-at` and a timed closed or open
    /// load; None otherwise (a run of `--requests` has no fixed length, so
    /// its shards start together but run their scenarios back to back).
    pub fn of(plan: &BenchPlan) -> Option<Schedule> {
        let start = plan.start_at?;
        let Some(LoadStop::Duration(counted)) = plan.load.stop else {
            return None;
        };
        let windows = u32::try_from(plan.load.bursts.max(1)).unwrap_or(u32::MAX);
        let warmup_window = counted / windows;
        // `--warmup 0` runs no warm-up at all, so --warmup-max adds none.
        let warmup_windows = match plan.load.warmup_bursts {
            0 => 0,
            first => first + plan.load.warmup_max,
        };
        let warmup = warmup_window * u32::try_from(warmup_windows).unwrap_or(u32::MAX);
        Some(Schedule {
            start,
            slot: warmup + counted + slack(counted),
            warmup,
            warmup_window,
        })
    }

    /// Scenario `index`'s slot (counting from 0).
    pub fn slot(&self, index: usize) -> Slot {
        let start = self.start + self.slot * u32::try_from(index).unwrap_or(u32::MAX);
        Slot {
            start,
            counted_start: start + self.warmup,
            end: start + self.slot,
            warmup_window: self.warmup_window,
        }
    }
}

impl Slot {
    /// Waits until `at` on this machine's clock (at once when past).
    pub async fn wait_for(at: SystemTime) {
        if let Ok(wait) = at.duration_since(SystemTime::now()) {
            tokio::time::sleep(wait).await;
        }
    }

    /// Whether one more warm-up window fits before the counted start.
    pub fn warmup_window_fits(&self) -> bool {
        SystemTime::now() + self.warmup_window <= self.counted_start
    }

    /// The timing of a counted run that started at `started` (this
    /// machine's clock) and whose scenario ended at `ended`.
    pub fn timing(&self, started: SystemTime, ended: SystemTime) -> SlotTiming {
        let after = |later: SystemTime, planned: SystemTime| {
            later
                .duration_since(planned)
                .map_or(0.0, |d| d.as_secs_f64())
        };
        SlotTiming {
            planned_counted_start_unix_s: unix_s(self.counted_start),
            counted_start_unix_s: unix_s(started),
            late_s: after(started, self.counted_start),
            overran_s: after(ended, self.end),
        }
    }
}

/// A wall-clock time in Unix seconds.
pub fn unix_s(at: SystemTime) -> f64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::test_plan;

    fn schedule(args: &[&str]) -> Option<Schedule> {
        let mut plan = test_plan(args);
        plan.start_at = Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000));
        Schedule::of(&plan)
    }

    #[test]
    fn slots_follow_each_other_and_hold_warmup_counted_run_and_slack() {
        let closed = ["--load", "closed", "--duration", "10", "-n", "5"];
        let s = schedule(&[&closed[..], &["--warmup", "2", "--warmup-max", "3"]].concat()).unwrap();
        // Five warm-up windows of 10 s / 5 at most, 10 s counted, 1 s + 10 %.
        assert_eq!(s.warmup, Duration::from_secs(10));
        assert_eq!(s.slot, Duration::from_secs(10 + 10 + 2));
        let third = s.slot(2);
        let at = |secs: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        assert_eq!(third.start, at(1_000 + 44));
        assert_eq!(third.counted_start, at(1_000 + 54));
        assert_eq!(third.end, at(1_000 + 66));
        assert_eq!(third.warmup_window, Duration::from_secs(2));
    }

    #[test]
    fn only_a_timed_closed_or_open_run_has_slots() {
        assert!(schedule(&["--load", "closed", "--requests", "100"]).is_none());
        assert!(schedule(&["--load", "closed"]).is_some(), "10 s by default");
        assert!(schedule(&[]).is_none(), "bursts have no fixed length");
        assert!(Schedule::of(&test_plan(&["--load", "closed"])).is_none());
    }

    #[test]
    fn a_sweep_has_no_single_schedule_and_is_refused_naming_start_at() {
        let mut plan = test_plan(&["--load", "closed", "-c", "2,4"]);
        plan.start_at = Some(SystemTime::now());
        let refusal = plan.check().unwrap_err();
        assert_eq!(refusal.flag, "--start-at", "{refusal}");
    }

    #[test]
    fn a_late_start_and_an_overrun_are_measured_against_the_slot() {
        let s = schedule(&["--load", "closed", "--duration", "4", "--warmup", "0"]).unwrap();
        let slot = s.slot(0);
        let on_time = slot.timing(slot.counted_start, slot.end);
        assert_eq!((on_time.late_s, on_time.overran_s), (0.0, 0.0));
        assert_eq!(on_time.note(), None);
        let late = slot.timing(
            slot.counted_start + Duration::from_millis(300),
            slot.end + Duration::from_millis(1_250),
        );
        assert!((late.late_s - 0.3).abs() < 1e-9);
        assert_eq!(
            late.note().as_deref(),
            Some("started 0.30 s late; overran its slot by 1.25 s")
        );
        assert_eq!(late.planned_counted_start_unix_s, 1_000.0);
    }
}
