//! Warm-up until stable: the last few bursts or windows must agree within
//! a percentage of their mean, as perf_analyzer judges its windows.

/// How many of the last warm-up bursts or windows must agree.
pub const AGREEING: usize = crate::report::load_figures::WARMUP_AGREEING;

/// Whether the last `AGREEING` values are each within `percent` of their
/// mean (false while there are fewer).
pub fn agree(values: &[u64], percent: f64) -> bool {
    let Some(last) = values.len().checked_sub(AGREEING).map(|at| &values[at..]) else {
        return false;
    };
    let mean = last.iter().map(|&v| v as f64).sum::<f64>() / AGREEING as f64;
    let allowed = mean * percent / 100.0;
    last.iter().all(|&v| (v as f64 - mean).abs() <= allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_three_must_agree_within_the_percentage() {
        assert!(!agree(&[100, 100], 10.0), "too few to judge");
        assert!(agree(&[500, 100, 105, 95], 10.0), "the first is left out");
        assert!(!agree(&[100, 100, 130], 10.0));
        assert!(agree(&[100, 100, 130], 20.0));
        assert!(!agree(&[100, 101, 100], 0.1));
    }
}
