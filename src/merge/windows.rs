//! The shards' counted windows aligned by index and added up: per window
//! the requests, errors and latency of every shard, and from them the
//! merged run's window values (each window's mean latency), its
//! throughput's interval (bootstrap over the merged windows) and the burst
//! figures the tables read.

use crate::report::interval::{as_f64, bootstrap_mean_ci, bootstrap_ratio_of_sums_ci};
use crate::report::load_figures::WindowCount;
use crate::report::summary::summarize;
use crate::report::BurstTimes;

/// Window `k` of every shard added: requests, errors and latency summed,
/// the span the shards' mean (their clocks ran the same schedule).
pub fn align(parts: &[&[WindowCount]]) -> Vec<WindowCount> {
    let count = parts
        .iter()
        .flat_map(|windows| windows.iter().map(|w| w.index + 1))
        .max()
        .unwrap_or(0);
    (0..count)
        .map(|index| {
            let same: Vec<&WindowCount> = parts
                .iter()
                .flat_map(|windows| windows.iter().filter(|w| w.index == index))
                .collect();
            let spans: u128 = same.iter().map(|w| u128::from(w.span_ns)).sum();
            WindowCount {
                index,
                span_ns: (spans / same.len().max(1) as u128) as u64,
                requests: same.iter().map(|w| w.requests).sum(),
                errors: same.iter().map(|w| w.errors).sum(),
                latency_sum_ns: same.iter().map(|w| w.latency_sum_ns).sum(),
            }
        })
        .collect()
}

/// Each merged window's value as a shard's report has it: the mean latency
/// of its requests, its length where only errors finished in it; windows
/// in which nothing finished left out.
pub fn values_ns(windows: &[WindowCount]) -> Vec<u64> {
    windows
        .iter()
        .filter_map(|w| match (w.requests, w.errors) {
            (0, 0) => None,
            (0, _) => Some(w.span_ns),
            (n, _) => Some(w.latency_sum_ns / n as u64),
        })
        .collect()
}

/// The interval of requests per second over the merged windows, each
/// window's requests and length resampled together (null below two).
pub fn throughput_ci(windows: &[WindowCount]) -> Option<[f64; 2]> {
    let requests: Vec<f64> = windows.iter().map(|w| w.requests as f64).collect();
    let seconds: Vec<f64> = windows.iter().map(|w| w.span_ns as f64 / 1e9).collect();
    bootstrap_ratio_of_sums_ci(&requests, &seconds).map(|ci| [ci.lo, ci.hi])
}

/// The burst figures of the merged windows' values.
pub fn burst_times(values: &[u64]) -> BurstTimes {
    let Some(&min_ns) = values.iter().min() else {
        return BurstTimes::default();
    };
    let s = summarize(values);
    BurstTimes {
        count: s.count,
        mean_ns: s.mean_ns,
        mean_ci95_ns: bootstrap_mean_ci(&as_f64(values)).map(|ci| ci.as_ns()),
        p50_ns: s.p50_ns,
        p99_ns: s.p99_ns,
        min_ns,
        max_ns: s.max_ns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(index: usize, span_ns: u64, requests: usize, latency_sum_ns: u64) -> WindowCount {
        WindowCount {
            index,
            span_ns,
            requests,
            errors: 0,
            latency_sum_ns,
        }
    }

    #[test]
    fn windows_add_up_by_index_and_empty_ones_keep_their_place() {
        let a = [
            window(0, 100, 4, 40),
            window(1, 100, 0, 0),
            window(2, 100, 2, 30),
        ];
        let b = [
            window(0, 110, 6, 120),
            window(1, 90, 2, 10),
            window(2, 100, 0, 0),
        ];
        let merged = align(&[&a, &b]);
        assert_eq!(merged.len(), 3);
        assert_eq!(merged[0], window(0, 105, 10, 160));
        assert_eq!(merged[1], window(1, 95, 2, 10));
        assert_eq!(values_ns(&merged), [16, 5, 15]);
        let empty = [window(0, 100, 0, 0)];
        assert!(values_ns(&align(&[&empty, &empty])).is_empty());
        let [lo, hi] = throughput_ci(&merged).unwrap();
        assert!(lo <= hi && hi.is_finite(), "{lo} {hi}");
        let burst = burst_times(&[10, 20, 30]);
        assert_eq!(
            (burst.count, burst.mean_ns, burst.min_ns, burst.max_ns),
            (3, 20, 10, 30)
        );
    }
}
