//! Duration samples and their summary (count, mean, percentiles), in
//! nanoseconds with the unit in every field name; the unit conversions
//! every report shares.

use super::interval::Interval;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Significant decimal digits the histograms keep: a percentile is within
/// 0.1 % of the exact sample (exact below 2048 ns).
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// A summary of one set of samples.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub count: usize,
    /// The exact mean of the samples.
    pub mean_ns: u64,
    /// The 95 % interval of the mean, by bootstrap over the bursts (or, for
    /// the pool's per-frame stages, over the frames); null with fewer than
    /// two of them.
    pub mean_ci95_ns: Option<[u64; 2]>,
    pub p50_ns: u64,
    pub p90_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
    /// The exact largest sample.
    pub max_ns: u64,
}

impl Summary {
    /// The same summary with the interval of its mean.
    pub fn with_mean_ci(self, interval: Option<Interval>) -> Summary {
        Summary {
            mean_ci95_ns: interval.map(|ci| ci.as_ns()),
            ..self
        }
    }
}

/// Summarises `samples`: the exact count, mean and max, percentiles from
/// an HDR histogram at [`SIGNIFICANT_DIGITS`] (so a long run's millions of
/// samples cost a few kilobytes), no interval (the caller knows the bursts);
/// all zero when empty.
pub fn summarize(samples: &[u64]) -> Summary {
    let Some(&max_ns) = samples.iter().max() else {
        return Summary::default();
    };
    let total: u128 = samples.iter().map(|&v| u128::from(v)).sum();
    of_histogram(&histogram(samples), samples.len(), total, max_ns)
}

/// The summary of `count` samples adding up to `total_ns`, the largest
/// `max_ns`, whose percentiles `histogram` holds (a shard's, or several
/// shards' added); `count` must not be 0.
pub fn of_histogram(
    histogram: &Histogram<u64>,
    count: usize,
    total_ns: u128,
    max_ns: u64,
) -> Summary {
    // A bucket reports its highest value: never above the largest sample.
    let quantile = |q: f64| histogram.value_at_quantile(q).min(max_ns);
    Summary {
        count,
        mean_ns: (total_ns / count.max(1) as u128) as u64,
        mean_ci95_ns: None,
        p50_ns: quantile(0.50),
        p90_ns: quantile(0.90),
        p99_ns: quantile(0.99),
        p999_ns: quantile(0.999),
        max_ns,
    }
}

/// The percentiles a latency CDF is drawn through: dense where tails are.
pub const CDF_PERCENTS: [f64; 19] = [
    0.0, 1.0, 5.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 95.0, 98.0, 99.0, 99.5,
    99.9, 99.99, 100.0,
];

/// One point of a latency CDF: the share of samples (in percent) at or
/// under `ns`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CdfPoint {
    pub percent: f64,
    pub ns: u64,
}

/// `samples` at each of [`CDF_PERCENTS`], from the same histogram the
/// summary's percentiles come from (the 0th is the smallest sample, the
/// 100th the largest); empty when there are none.
pub fn cdf(samples: &[u64]) -> Vec<CdfPoint> {
    let (Some(&min_ns), Some(&max_ns)) = (samples.iter().min(), samples.iter().max()) else {
        return Vec::new();
    };
    let histogram = histogram(samples);
    CDF_PERCENTS
        .iter()
        .map(|&percent| {
            let ns = match percent {
                p if p <= 0.0 => min_ns,
                p => histogram.value_at_quantile(p / 100.0).clamp(min_ns, max_ns),
            };
            CdfPoint { percent, ns }
        })
        .collect()
}

/// An HDR histogram of `samples` at [`SIGNIFICANT_DIGITS`] (empty for no
/// samples): what every percentile here and every merge reads.
pub fn histogram(samples: &[u64]) -> Histogram<u64> {
    let mut histogram = Histogram::<u64>::new(SIGNIFICANT_DIGITS)
        .expect("3 significant digits is within the histogram's range");
    for &sample in samples {
        // The histogram grows to hold any u64; should it ever refuse, the
        // sample still counts, at the largest value it can hold.
        if histogram.record(sample).is_err() {
            histogram.saturating_record(sample);
        }
    }
    histogram
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
    fn small_samples_give_exact_nearest_rank_percentiles() {
        let samples: Vec<u64> = (1..=1000).rev().collect();
        let s = summarize(&samples);
        assert_eq!(
            (s.count, s.mean_ns, s.p50_ns, s.p90_ns, s.p99_ns, s.p999_ns, s.max_ns),
            (1000, 500, 500, 900, 990, 999, 1000)
        );
        assert_eq!(s.mean_ci95_ns, None);
        assert_eq!(summarize(&[7]).p99_ns, 7);
        assert_eq!(summarize(&[]), Summary::default());
    }

    #[test]
    fn large_samples_stay_within_a_thousandth() {
        let samples: Vec<u64> = (1..=100_000u64).map(|i| i * 1_000 + 7).collect();
        let s = summarize(&samples);
        let close = |got: u64, exact: u64| got.abs_diff(exact) * 1_000 <= exact;
        assert!(close(s.p50_ns, 50_000_007), "{}", s.p50_ns);
        assert!(close(s.p999_ns, 99_900_007), "{}", s.p999_ns);
        assert_eq!(s.max_ns, 100_000_007);
    }

    #[test]
    fn a_cdf_rises_from_the_smallest_to_the_largest_sample() {
        let samples: Vec<u64> = (1..=1000).rev().collect();
        let points = cdf(&samples);
        assert_eq!(points.len(), CDF_PERCENTS.len());
        assert_eq!(
            points[0],
            CdfPoint {
                percent: 0.0,
                ns: 1
            }
        );
        assert_eq!(points.last().map(|p| p.ns), Some(1000));
        let median = points.iter().find(|p| p.percent == 50.0).unwrap();
        assert_eq!(median.ns, summarize(&samples).p50_ns);
        assert!(points.windows(2).all(|w| w[0].ns <= w[1].ns));
        assert!(cdf(&[]).is_empty());
    }
}
