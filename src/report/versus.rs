//! How a mean and its comparisons read in every report, one formatter for
//! all: a mean with its 95 % interval (`0.0123 [0.0120-0.0126]`), a factor
//! with its interval (`x1.20 (1.10-1.30)`), a change in percent (`slower
//! +23 % (+15..+31)`), and `no clear difference` wherever the interval of
//! the ratio holds 1.

use super::interval::{as_f64, bootstrap_ratio_ci, direction, Direction, Interval};
use super::ScenarioReport;
use crate::stage::Stage;

/// What a table says when the interval of a ratio holds 1.
pub const NO_CLEAR_DIFFERENCE: &str = "no clear difference";

/// A ratio of two means, with its interval where there were enough values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ratio {
    pub value: f64,
    pub interval: Option<Interval>,
}

impl Ratio {
    /// mean(`numerator`) / mean(`denominator`) with the bootstrap interval
    /// of both resampled; None where the denominator's mean is not above 0.
    pub fn of_means(
        numerator_mean: f64,
        denominator_mean: f64,
        numerator: &[f64],
        denominator: &[f64],
    ) -> Option<Ratio> {
        (denominator_mean > 0.0 && numerator_mean.is_finite()).then(|| Ratio {
            value: numerator_mean / denominator_mean,
            interval: bootstrap_ratio_ci(numerator, denominator),
        })
    }

    /// Burst mean of `numerator` over that of `denominator`, resampling
    /// their counted bursts.
    pub fn of_bursts(numerator: &ScenarioReport, denominator: &ScenarioReport) -> Option<Ratio> {
        Ratio::of_means(
            numerator.burst.mean_ns as f64,
            denominator.burst.mean_ns as f64,
            &as_f64(&numerator.burst_ns),
            &as_f64(&denominator.burst_ns),
        )
    }

    /// A stage's mean in `numerator` over that in `denominator`, resampling
    /// the stage's per-burst means; None where either lacks the stage.
    pub fn of_stage(
        numerator: &ScenarioReport,
        denominator: &ScenarioReport,
        stage: Stage,
    ) -> Option<Ratio> {
        let means = |r: &ScenarioReport| {
            let summary = r.stage(stage)?;
            let bursts = r
                .stage_burst_means_ns
                .get(&stage)
                .map_or(Vec::new(), |v| as_f64(v));
            Some((summary.mean_ns as f64, bursts))
        };
        let (top, top_bursts) = means(numerator)?;
        let (bottom, bottom_bursts) = means(denominator)?;
        Ratio::of_means(top, bottom, &top_bursts, &bottom_bursts)
    }

    /// Where the interval lies against 1; None without an interval.
    pub fn direction(&self) -> Option<Direction> {
        self.interval.map(direction)
    }

    /// The change as a percentage: ratio 1.23 is +23 %.
    pub fn percent(&self) -> f64 {
        (self.value - 1.0) * 100.0
    }
}

/// `x1.2 (1.1-1.3)`: how many times faster, for a ratio above 1 (slower
/// time over faster time); `no clear difference` when its interval holds
/// 1; a bare `x1.2` without an interval.
pub fn times_faster(ratio: Ratio) -> String {
    match ratio.interval {
        None => format!("x{}", factor(ratio.value)),
        Some(ci) if direction(ci) == Direction::NoClearDifference => NO_CLEAR_DIFFERENCE.into(),
        Some(ci) => format!(
            "x{} ({}-{})",
            factor(ratio.value),
            factor(ci.lo),
            factor(ci.hi)
        ),
    }
}

/// The seed table's short form, where width is scarce: `x1.4` where the
/// ratio's interval excludes 1 (or there is no interval), `~` where it
/// holds 1 (no clear difference).
pub fn times_faster_brief(ratio: Ratio) -> String {
    match ratio.direction() {
        Some(Direction::NoClearDifference) => "~".into(),
        _ => format!("x{}", factor(ratio.value)),
    }
}

/// The change of a time B against A (ratio B/A): `slower +23 % (+15..+31)`,
/// `faster -12 % (-18..-5)`, `no clear difference (+2 %, -3..+8)`, or the
/// bare change when there are too few values for an interval.
pub fn time_change(ratio: Ratio) -> String {
    let Some(ci) = ratio.interval else {
        let pct = |r: f64| percent((r - 1.0) * 100.0, (r - 1.0) * 100.0);
        return format!("{} % (too few bursts for an interval)", pct(ratio.value));
    };
    let widest = [ratio.value, ci.lo, ci.hi]
        .map(|r| ((r - 1.0) * 100.0).abs())
        .into_iter()
        .fold(0.0, f64::max);
    let pct = |r: f64| percent((r - 1.0) * 100.0, widest);
    let bounds = format!("{}..{}", pct(ci.lo), pct(ci.hi));
    match direction(ci) {
        Direction::Higher => format!("slower {} % ({bounds})", pct(ratio.value)),
        Direction::Lower => format!("faster {} % ({bounds})", pct(ratio.value)),
        Direction::NoClearDifference => {
            format!("{NO_CLEAR_DIFFERENCE} ({} %, {bounds})", pct(ratio.value))
        }
    }
}

/// A mean in seconds with its interval, `decimals` places each:
/// `0.0123 [0.0120-0.0126]`, or the bare mean without an interval.
pub fn seconds_with_interval(mean_s: f64, interval_s: Option<[f64; 2]>, decimals: usize) -> String {
    match interval_s {
        Some([lo, hi]) => format!("{mean_s:.decimals$} [{lo:.decimals$}-{hi:.decimals$}]"),
        None => format!("{mean_s:.decimals$}"),
    }
}

/// The seed table's short form of a mean in seconds and its interval:
/// `0.0101 ±4%`, the larger of the interval's two half-widths as a whole
/// percentage of the mean (`±<1%` below one), or the bare mean.
pub fn seconds_plus_minus(mean_s: f64, interval_s: Option<[f64; 2]>) -> String {
    let Some([lo, hi]) = interval_s.filter(|_| mean_s > 0.0) else {
        return format!("{mean_s:.4}");
    };
    let half = (mean_s - lo).max(hi - mean_s) / mean_s * 100.0;
    match half < 1.0 {
        true => format!("{mean_s:.4} ±<1%"),
        false => format!("{mean_s:.4} ±{half:.0}%"),
    }
}

/// A factor: two decimals below 1.1 (where 1.04 and 1.0 differ), one above.
fn factor(value: f64) -> String {
    match value < 1.1 {
        true => format!("{value:.2}"),
        false => format!("{value:.1}"),
    }
}

/// A signed percentage: one decimal when `widest` (the largest of the
/// numbers shown together) is below 10, none otherwise.
fn percent(value: f64, widest: f64) -> String {
    match widest.abs() < 10.0 {
        true => format!("{value:+.1}"),
        false => format!("{value:+.0}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratio(value: f64, lo: f64, hi: f64) -> Ratio {
        Ratio {
            value,
            interval: Some(Interval { lo, hi }),
        }
    }

    #[test]
    fn a_factor_shows_its_interval_unless_it_holds_one() {
        assert_eq!(times_faster(ratio(1.2, 1.1, 1.3)), "x1.2 (1.1-1.3)");
        assert_eq!(times_faster(ratio(1.2, 1.04, 1.3)), "x1.2 (1.04-1.3)");
        assert_eq!(times_faster_brief(ratio(1.2, 1.1, 1.3)), "x1.2");
        assert_eq!(times_faster_brief(ratio(1.02, 0.97, 1.08)), "~");
        assert_eq!(times_faster(ratio(3.21, 2.9, 3.5)), "x3.2 (2.9-3.5)");
        assert_eq!(times_faster(ratio(1.02, 0.97, 1.08)), NO_CLEAR_DIFFERENCE);
        let bare = Ratio {
            value: 1.5,
            interval: None,
        };
        assert_eq!(times_faster(bare), "x1.5");
    }

    #[test]
    fn a_mean_shows_its_widest_half_interval_in_percent() {
        assert_eq!(
            seconds_plus_minus(0.0100, Some([0.0096, 0.0105])),
            "0.0100 ±5%"
        );
        assert_eq!(
            seconds_plus_minus(0.0100, Some([0.00999, 0.01002])),
            "0.0100 ±<1%"
        );
        assert_eq!(seconds_plus_minus(0.0100, None), "0.0100");
    }

    #[test]
    fn a_change_says_which_way_when_its_interval_excludes_one() {
        assert_eq!(
            time_change(ratio(1.23, 1.15, 1.31)),
            "slower +23 % (+15..+31)"
        );
        assert_eq!(
            time_change(ratio(0.88, 0.82, 0.95)),
            "faster -12 % (-18..-5)"
        );
        assert_eq!(
            time_change(ratio(1.02, 0.97, 1.08)),
            "no clear difference (+2.0 %, -3.0..+8.0)"
        );
    }
}
