//! The one computation of throughput, for every load model and every
//! output: the counted bursts' or windows' completed requests (and request
//! body bytes) over the wall time they stand for, their `span`s. A burst's
//! span is its duration (so the seed's bursts give requests per second of
//! burst time); a closed or open run's windows' spans add up to the run's,
//! so its throughput is its requests over its elapsed time.

use super::records::BurstResult;
use super::Throughput;
use crate::report::interval::bootstrap_ratio_of_sums_ci;

/// Requests, images and request body megabytes per second of `counted`'s
/// spans, with the interval of requests per second (resampling the bursts
/// or windows, each with its requests and span paired).
pub fn throughput(counted: &[BurstResult], carries_image: bool) -> Throughput {
    let seconds: Vec<f64> = counted.iter().map(|b| b.span.as_secs_f64()).collect();
    let total_s: f64 = seconds.iter().sum();
    if total_s <= 0.0 {
        return Throughput::default();
    }
    let requests: Vec<f64> = counted.iter().map(|b| b.records.len() as f64).collect();
    let request_bytes: usize = counted
        .iter()
        .flat_map(|b| &b.records)
        .map(|r| r.request_bytes)
        .sum();
    let requests_per_s = requests.iter().sum::<f64>() / total_s;
    Throughput {
        requests_per_s,
        requests_per_s_ci95: bootstrap_ratio_of_sums_ci(&requests, &seconds)
            .map(|ci| [ci.lo, ci.hi]),
        images_per_s: match carries_image {
            true => requests_per_s,
            false => 0.0,
        },
        request_body_megabytes_per_s: request_bytes as f64 / 1e6 / total_s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::records::RequestRecord;
    use std::time::Duration;

    fn unit(requests: usize, elapsed_ms: u64, span_ms: u64) -> BurstResult {
        let record = RequestRecord {
            request_bytes: 1_000_000,
            ..RequestRecord::default()
        };
        BurstResult {
            started: Duration::ZERO,
            elapsed: Duration::from_millis(elapsed_ms),
            span: Duration::from_millis(span_ms),
            records: vec![record; requests],
            errors: Vec::new(),
        }
    }

    /// Windows whose value (mean latency, 2 ms) is far shorter than their
    /// length (500 ms): throughput reads the length.
    #[test]
    fn requests_over_the_spans_not_over_the_window_values() {
        let t = throughput(&[unit(10, 2, 500), unit(30, 2, 500)], true);
        assert!((t.requests_per_s - 40.0).abs() < 1e-9, "{t:?}");
        assert!((t.request_body_megabytes_per_s - 40.0).abs() < 1e-9);
        assert_eq!(t.images_per_s, t.requests_per_s);
        let [lo, hi] = t.requests_per_s_ci95.expect("two windows");
        assert!(lo <= 40.0 && 40.0 <= hi, "{lo}-{hi}");
        assert_eq!(throughput(&[], false), Throughput::default());
    }
}
