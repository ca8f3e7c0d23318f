//! The fixed bucket bounds of every latency histogram imgwire exports:
//! exponential from 50 µs by a ratio of 1.25 up to about 33 s (61 bounds,
//! each rounded to three significant digits, then `+Inf`). A quantile that
//! `histogram_quantile` reads from them lands in the bucket of the true one,
//! so it is off by at most a quarter of it; memory is fixed per series.

use std::sync::OnceLock;

/// The first (smallest) bound, in seconds.
pub const FIRST_BOUND_S: f64 = 50e-6;
/// Each bound is this many times the one before.
pub const RATIO: f64 = 1.25;
/// How many finite bounds (the last about 32.6 s).
pub const BOUNDS: usize = 61;

/// The finite bounds in seconds, ascending.
pub fn bounds() -> &'static [f64] {
    static BOUNDS_S: OnceLock<Vec<f64>> = OnceLock::new();
    BOUNDS_S.get_or_init(|| {
        (0..BOUNDS)
            .map(|i| three_digits(FIRST_BOUND_S * RATIO.powi(i as i32)))
            .collect()
    })
}

/// The index of the bucket `seconds` is counted in (the first bound not
/// below it); `BOUNDS` for the `+Inf` bucket.
pub fn bucket_of(seconds: f64) -> usize {
    bounds().partition_point(|&bound| bound < seconds)
}

fn three_digits(x: f64) -> f64 {
    let scale = 10f64.powi(2 - x.log10().floor() as i32);
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounds_rise_by_about_a_quarter_from_50_us_past_30_s() {
        let b = bounds();
        assert_eq!(b.len(), BOUNDS);
        assert_eq!(b[0], 50e-6);
        assert!(b[BOUNDS - 1] > 30.0, "{}", b[BOUNDS - 1]);
        for pair in b.windows(2) {
            let ratio = pair[1] / pair[0];
            assert!((1.24..1.26).contains(&ratio), "{pair:?}");
        }
        assert_eq!(bucket_of(0.0), 0);
        assert_eq!(bucket_of(50e-6), 0);
        assert_eq!(bucket_of(50.1e-6), 1);
        assert_eq!(bucket_of(1e9), BOUNDS);
    }
}
