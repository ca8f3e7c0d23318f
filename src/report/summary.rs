//! Duration samples and their summary (count, mean, percentiles), in
//! nanoseconds with the unit in every field name; the unit conversions
//! every report shares.

use serde::Serialize;
use std::time::Duration;

/// A summary of one set of samples.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub count: usize,
    pub mean_ns: u64,
    pub p50_ns: u64,
    pub p90_ns: u64,
    pub p99_ns: u64,
    pub max_ns: u64,
}

/// Summarises `samples` (nearest-rank percentiles; all zero when empty).
pub fn summarize(samples: &[u64]) -> Summary {
    if samples.is_empty() {
        return Summary::default();
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let total: u128 = sorted.iter().map(|&v| u128::from(v)).sum();
    Summary {
        count: sorted.len(),
        mean_ns: (total / sorted.len() as u128) as u64,
        p50_ns: percentile(&sorted, 50.0),
        p90_ns: percentile(&sorted, 90.0),
        p99_ns: percentile(&sorted, 99.0),
        max_ns: *sorted.last().unwrap_or(&0),
    }
}

/// Nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[u64], pct: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((pct / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Whole nanoseconds of a duration (saturating, past 584 years).
pub fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// Seconds of a duration, for reports.
pub fn seconds(duration: Duration) -> f64 {
    nanos(duration) as f64 / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<u64> = (1..=100).rev().collect();
        let s = summarize(&samples);
        assert_eq!(
            (s.count, s.mean_ns, s.p50_ns, s.p90_ns, s.p99_ns, s.max_ns),
            (100, 50, 50, 90, 99, 100)
        );
        assert_eq!(summarize(&[7]).p99_ns, 7);
        assert_eq!(summarize(&[]), Summary::default());
    }
}
