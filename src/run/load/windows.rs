//! Folding a closed or open run into fixed time windows that play the part
//! of bursts in the report: each window holds the requests whose replies
//! came in it, and its value (its `elapsed`) is their mean latency. And
//! the figures the load adds to a scenario: latency from the actual and
//! the due send.

use super::workers::{LoadRun, Sample};
use crate::report::histogram::encode;
use crate::report::load_figures::{Latency, WindowCount};
use crate::report::records::{BurstResult, RequestRecord};
use crate::report::summary::{histogram, nanos, summarize};
use crate::stage::Stage;
use std::time::Duration;

/// A run cut into windows, and its figures.
pub struct Folded {
    pub windows: Vec<BurstResult>,
    pub window: Duration,
    pub latency: Latency,
    /// Every window by index, the empty ones too (`windows` leaves them
    /// out): what a merge aligns across shards.
    pub counts: Vec<WindowCount>,
    /// The latency from the due time as a histogram (open load).
    pub corrected_histogram: Option<String>,
}

/// What one window gathers.
#[derive(Default)]
struct Window {
    records: Vec<RequestRecord>,
    /// Each record's latency as the model counts it (from the due time
    /// under open load).
    latencies: Vec<u64>,
    errors: Vec<String>,
}

/// Cuts `run` into `count` equal windows of its span; windows in which no
/// request finished are left out.
pub fn fold(run: LoadRun, count: usize) -> Folded {
    let count = count.max(1);
    let span = run.span.max(Duration::from_nanos(1));
    let window = span / u32::try_from(count).unwrap_or(u32::MAX);
    let window_ns = nanos(window).max(1);
    let mut buckets: Vec<Window> = (0..count).map(|_| Window::default()).collect();
    let (mut uncorrected, mut corrected) = (Vec::new(), Vec::new());
    for Sample {
        outcome,
        late,
        done,
    } in run.samples
    {
        let bucket = &mut buckets[((nanos(done) / window_ns) as usize).min(count - 1)];
        match outcome {
            Ok(record) => {
                let wall = nanos(record.stage(Stage::Wall));
                let counted = wall.saturating_add(nanos(late));
                uncorrected.push(wall);
                corrected.push(counted);
                bucket.latencies.push(counted);
                bucket.records.push(record);
            }
            Err(error) => bucket.errors.push(error),
        }
    }
    Folded {
        counts: counts(&buckets, window, span),
        corrected_histogram: run.scheduled.then(|| encode(&histogram(&corrected))),
        windows: kept_windows(buckets, run.started, window, span),
        window,
        latency: Latency {
            uncorrected: summarize(&uncorrected),
            corrected: run.scheduled.then(|| summarize(&corrected)),
        },
    }
}

/// Every window's length (the last one's up to the run's end) and counts.
fn counts(buckets: &[Window], window: Duration, span: Duration) -> Vec<WindowCount> {
    let last = buckets.len().saturating_sub(1);
    (buckets.iter().enumerate())
        .map(|(index, b)| WindowCount {
            index,
            span_ns: nanos(match index == last {
                true => span.saturating_sub(window * index as u32),
                false => window,
            }),
            requests: b.records.len(),
            errors: b.errors.len(),
            latency_sum_ns: b.latencies.iter().sum(),
        })
        .collect()
}

/// Counted bursts as a merge reads windows: each burst's duration, its
/// requests and errors, and its requests' wall latency summed.
pub fn burst_counts(bursts: &[BurstResult]) -> Vec<WindowCount> {
    (bursts.iter().enumerate())
        .map(|(index, b)| WindowCount {
            index,
            span_ns: nanos(b.span),
            requests: b.records.len(),
            errors: b.errors.len(),
            latency_sum_ns: b.records.iter().map(|r| nanos(r.stage(Stage::Wall))).sum(),
        })
        .collect()
}

/// The windows in which a request finished or failed, each with its span:
/// its length plus the empty windows' after it (or, for the first, before
/// it), so that the spans add up to the run's.
fn kept_windows(
    buckets: Vec<Window>,
    started: Duration,
    window: Duration,
    span: Duration,
) -> Vec<BurstResult> {
    let last = buckets.len().saturating_sub(1);
    let mut kept: Vec<BurstResult> = Vec::new();
    let mut before_first = Duration::ZERO;
    for (at, b) in buckets.into_iter().enumerate() {
        let length = match at == last {
            true => span.saturating_sub(window * at as u32),
            false => window,
        };
        if b.records.is_empty() && b.errors.is_empty() {
            match kept.last_mut() {
                Some(previous) => previous.span += length,
                None => before_first += length,
            }
            continue;
        }
        kept.push(BurstResult {
            started: started + window * at as u32,
            elapsed: match b.latencies.is_empty() {
                true => window,
                false => Duration::from_nanos(summarize(&b.latencies).mean_ns),
            },
            span: length + std::mem::take(&mut before_first),
            records: b.records,
            errors: b.errors,
        });
    }
    kept
}

/// A whole run as one window (a warm-up window).
pub fn single(run: LoadRun) -> BurstResult {
    let (started, span) = (run.started, run.span);
    let mut folded = fold(run, 1);
    folded.windows.pop().unwrap_or(BurstResult {
        started,
        elapsed: span,
        span,
        records: Vec::new(),
        errors: Vec::new(),
    })
}

/// The latency of counted bursts, from the send (a burst sends all its
/// requests at once, so nothing is due earlier).
pub fn burst_latency(bursts: &[BurstResult]) -> Latency {
    let walls: Vec<u64> = bursts
        .iter()
        .flat_map(|b| &b.records)
        .map(|r| nanos(r.stage(Stage::Wall)))
        .collect();
    Latency {
        uncorrected: summarize(&walls),
        corrected: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(done_ms: u64, wall_ms: u64, late_ms: u64) -> Sample {
        let record = RequestRecord {
            stages: vec![(Stage::Wall, Duration::from_millis(wall_ms))],
            ..RequestRecord::default()
        };
        Sample {
            outcome: Ok(record),
            late: Duration::from_millis(late_ms),
            done: Duration::from_millis(done_ms),
        }
    }

    #[test]
    fn requests_fall_in_the_window_their_reply_came_in() {
        let run = LoadRun {
            samples: vec![sample(10, 4, 0), sample(20, 6, 10), sample(99, 8, 30)],
            started: Duration::from_secs(1),
            span: Duration::from_millis(100),
            scheduled: true,
            cameras: None,
        };
        let folded = fold(run, 4);
        assert_eq!(folded.window, Duration::from_millis(25));
        assert_eq!(folded.windows.len(), 2, "two windows had no reply");
        assert_eq!(folded.windows[0].records.len(), 2);
        assert_eq!(folded.windows[0].elapsed, Duration::from_millis(10));
        assert_eq!(folded.windows[1].started, Duration::from_millis(1075));
        assert_eq!(folded.windows[1].elapsed, Duration::from_millis(38));
        assert_eq!(folded.latency.uncorrected.max_ns, 8_000_000);
        assert_eq!(folded.latency.corrected.unwrap().max_ns, 38_000_000);
        let spans: Vec<Duration> = folded.windows.iter().map(|w| w.span).collect();
        assert_eq!(
            spans,
            [Duration::from_millis(75), Duration::from_millis(25)],
            "the empty windows fold into the one before them"
        );
        let counts: Vec<(usize, u64, usize, u64)> = (folded.counts.iter())
            .map(|c| {
                (
                    c.index,
                    c.span_ns / 1_000_000,
                    c.requests,
                    c.latency_sum_ns / 1_000_000,
                )
            })
            .collect();
        assert_eq!(
            counts,
            [(0, 25, 2, 20), (1, 25, 0, 0), (2, 25, 0, 0), (3, 25, 1, 38)],
            "every window by index, the empty ones kept, latency from the due time"
        );
        let corrected = crate::report::histogram::decode(&folded.corrected_histogram.unwrap());
        assert_eq!(corrected.unwrap().len(), 3);
    }
}
