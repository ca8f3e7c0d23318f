//! 95 % confidence intervals by bootstrap: resample a slice of independent
//! per-unit values (one per burst, or one per time window of a load model)
//! with replacement, take the statistic of each resample, and keep the
//! middle of those statistics (the percentile bootstrap). With few values
//! (ten bursts) the plain percentile interval is too narrow, so the share
//! kept grows with the small-sample correction of the expanded percentile
//! bootstrap (Hesterberg): the tails cut are those of a normal quantile
//! of sqrt(n / (n - 1)) x Student's t(n - 1) instead of 1.96. The draws
//! come from a fixed seed, so the same values always give the same
//! interval and a report reproduces byte for byte.

/// How many resamples an interval takes by default.
pub const RESAMPLES: usize = 2_000;
/// The share of resampled statistics an interval keeps.
pub const LEVEL: f64 = 0.95;
/// The default seed of the resampling (any fixed number would do).
pub const SEED: u64 = 0x1a2b_3c4d_5e6f_7081;

/// A closed interval `[lo, hi]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    pub fn contains(&self, value: f64) -> bool {
        self.lo <= value && value <= self.hi
    }

    /// Its bounds rounded to whole nanoseconds, as JSON carries them.
    pub fn as_ns(&self) -> [u64; 2] {
        [self.lo.round() as u64, self.hi.round() as u64]
    }

    /// The same interval with every bound passed through `f` (monotonic).
    pub fn map(&self, f: impl Fn(f64) -> f64) -> Interval {
        Interval {
            lo: f(self.lo),
            hi: f(self.hi),
        }
    }
}

/// Where a ratio's interval lies against 1 (no change).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Entirely below 1.
    Lower,
    /// Entirely above 1.
    Higher,
    /// Holds 1: the data cannot tell the two apart.
    NoClearDifference,
}

/// Which way a ratio's interval points; an interval that touches 1 spans it.
pub fn direction(ratio: Interval) -> Direction {
    if ratio.hi < 1.0 {
        Direction::Lower
    } else if ratio.lo > 1.0 {
        Direction::Higher
    } else {
        Direction::NoClearDifference
    }
}

/// The resampling: how many resamples and from which seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bootstrap {
    pub resamples: usize,
    pub seed: u64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Bootstrap {
            resamples: RESAMPLES,
            seed: SEED,
        }
    }
}

impl Bootstrap {
    /// The 95 % interval of the mean of `values`; None for fewer than two
    /// values (one value has no spread to resample) or a non-finite one.
    pub fn mean_ci(&self, values: &[f64]) -> Option<Interval> {
        if values.len() < 2 || values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let mut draws = Draws::new(self.seed);
        let means = (0..self.resamples).map(|_| draws.resampled_mean(values));
        Some(middle(means.collect(), values.len()))
    }

    /// The 95 % interval of mean(`numerator`) / mean(`denominator`), each
    /// side resampled on its own (two independent sets of bursts); None
    /// when either side has fewer than two values or a mean of zero.
    pub fn ratio_ci(&self, numerator: &[f64], denominator: &[f64]) -> Option<Interval> {
        let usable = |v: &[f64]| v.len() >= 2 && v.iter().all(|x| x.is_finite());
        if !usable(numerator) || !usable(denominator) || mean(denominator)? == 0.0 {
            return None;
        }
        let mut draws = Draws::new(self.seed);
        let ratios = (0..self.resamples).filter_map(|_| {
            let top = draws.resampled_mean(numerator);
            let bottom = draws.resampled_mean(denominator);
            (bottom != 0.0).then(|| top / bottom)
        });
        let ratios: Vec<f64> = ratios.collect();
        let fewest = numerator.len().min(denominator.len());
        (!ratios.is_empty()).then(|| middle(ratios, fewest))
    }
}

impl Bootstrap {
    /// The 95 % interval of sum(`numerator`) / sum(`denominator`) over
    /// paired units (unit i gave numerator[i] and denominator[i]: a burst's
    /// or a window's requests and its seconds), the pairs resampled
    /// together; None for fewer than two pairs, slices of unequal length or
    /// a non-finite value.
    pub fn ratio_of_sums_ci(&self, numerator: &[f64], denominator: &[f64]) -> Option<Interval> {
        let pairs = numerator.len();
        let finite = numerator.iter().chain(denominator).all(|v| v.is_finite());
        if pairs < 2 || denominator.len() != pairs || !finite {
            return None;
        }
        let mut draws = Draws::new(self.seed);
        let ratios = (0..self.resamples).filter_map(|_| {
            let (mut top, mut bottom) = (0.0, 0.0);
            for _ in 0..pairs {
                let i = draws.index(pairs);
                top += numerator[i];
                bottom += denominator[i];
            }
            (bottom != 0.0).then(|| top / bottom)
        });
        let ratios: Vec<f64> = ratios.collect();
        (!ratios.is_empty()).then(|| middle(ratios, pairs))
    }
}

/// [`Bootstrap::mean_ci`] with the default resampling.
pub fn bootstrap_mean_ci(values: &[f64]) -> Option<Interval> {
    Bootstrap::default().mean_ci(values)
}

/// [`Bootstrap::ratio_ci`] with the default resampling.
pub fn bootstrap_ratio_ci(numerator: &[f64], denominator: &[f64]) -> Option<Interval> {
    Bootstrap::default().ratio_ci(numerator, denominator)
}

/// [`Bootstrap::ratio_of_sums_ci`] with the default resampling.
pub fn bootstrap_ratio_of_sums_ci(numerator: &[f64], denominator: &[f64]) -> Option<Interval> {
    Bootstrap::default().ratio_of_sums_ci(numerator, denominator)
}

/// The arithmetic mean, None for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Whole nanoseconds as the floats the bootstrap takes.
pub fn as_f64(ns: &[u64]) -> Vec<f64> {
    ns.iter().map(|&v| v as f64).collect()
}

/// The interval holding the middle of `statistics`, resampled from `n`
/// values: [`LEVEL`] widened for small `n` (see the module's doc).
fn middle(mut statistics: Vec<f64>, n: usize) -> Interval {
    statistics.sort_unstable_by(f64::total_cmp);
    let last = statistics.len() - 1;
    let cut = (tail_share(n) * last as f64).round() as usize;
    Interval {
        lo: statistics[cut],
        hi: statistics[last - cut],
    }
}

/// The share of resampled statistics cut from each tail for `n` values
/// (n >= 2): 1 - Phi(sqrt(n / (n - 1)) x t(0.975, n - 1)); 0.025 as n grows.
fn tail_share(n: usize) -> f64 {
    let n = n.max(2) as f64;
    let z = (n / (n - 1.0)).sqrt() * student_t_975(n - 1.0);
    1.0 - normal_cdf(z)
}

/// Student's t quantile at 0.975 for `df` degrees of freedom: a table to
/// 30, then 1.96 + 2.4 / df (within 0.003 of the exact value past 30).
fn student_t_975(df: f64) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df as usize {
        d @ 1..=30 => TABLE[d - 1],
        _ => 1.96 + 2.4 / df,
    }
}

/// The standard normal distribution function, by the Abramowitz-Stegun
/// 7.1.26 approximation of erf (error below 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    match z >= 0.0 {
        true => 0.5 * (1.0 + erf),
        false => 0.5 * (1.0 - erf),
    }
}

/// A small, fast, seeded generator (SplitMix64): good enough to pick
/// indices, and the same on every platform.
struct Draws {
    state: u64,
}

impl Draws {
    fn new(seed: u64) -> Self {
        Draws { state: seed }
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// An index below `n` (n > 0), by multiply-shift (no modulo bias worth
    /// the name for the slice lengths a report has).
    fn index(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    /// The mean of one resample of `values` with replacement.
    fn resampled_mean(&mut self, values: &[f64]) -> f64 {
        let total: f64 = (0..values.len())
            .map(|_| values[self.index(values.len())])
            .sum();
        total / values.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values spread around 100 with a fixed pattern, `n` of them.
    fn spread(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| 100.0 + ((i * 37) % 21) as f64 - 10.0)
            .collect()
    }

    #[test]
    fn the_interval_holds_the_mean_and_shrinks_with_more_values() {
        let few = spread(10);
        let many = spread(1_000);
        let ci_few = bootstrap_mean_ci(&few).unwrap();
        let ci_many = bootstrap_mean_ci(&many).unwrap();
        assert!(ci_few.contains(mean(&few).unwrap()), "{ci_few:?}");
        assert!(ci_many.contains(mean(&many).unwrap()), "{ci_many:?}");
        assert!(ci_few.lo < ci_few.hi);
        assert!(ci_many.hi - ci_many.lo < (ci_few.hi - ci_few.lo) / 4.0);
    }

    #[test]
    fn the_same_seed_gives_the_same_interval_and_another_seed_another() {
        let values = spread(12);
        assert_eq!(bootstrap_mean_ci(&values), bootstrap_mean_ci(&values));
        let other = Bootstrap {
            seed: 7,
            ..Bootstrap::default()
        };
        assert_ne!(other.mean_ci(&values), bootstrap_mean_ci(&values));
    }

    #[test]
    fn identical_values_give_a_point_and_too_few_give_none() {
        let ci = bootstrap_mean_ci(&[5.0; 8]).unwrap();
        assert_eq!((ci.lo, ci.hi), (5.0, 5.0));
        assert_eq!(bootstrap_mean_ci(&[5.0]), None);
        assert_eq!(bootstrap_mean_ci(&[]), None);
        assert_eq!(bootstrap_mean_ci(&[1.0, f64::NAN]), None);
    }

    #[test]
    fn a_ratio_spans_one_only_when_the_sides_overlap() {
        let base = spread(10);
        let slower: Vec<f64> = base.iter().map(|v| v * 1.5).collect();
        let ratio = bootstrap_ratio_ci(&slower, &base).unwrap();
        assert!(ratio.contains(1.5), "{ratio:?}");
        assert_eq!(direction(ratio), Direction::Higher);
        assert_eq!(
            direction(bootstrap_ratio_ci(&base, &slower).unwrap()),
            Direction::Lower
        );
        let same = bootstrap_ratio_ci(&base, &spread(10)).unwrap();
        assert_eq!(direction(same), Direction::NoClearDifference);
        assert_eq!(bootstrap_ratio_ci(&base, &[0.0, 0.0]), None);
    }

    #[test]
    fn a_rate_over_paired_units_holds_the_overall_rate() {
        let requests = [20.0, 20.0, 19.0, 20.0, 18.0, 20.0];
        let seconds: Vec<f64> = spread(6).iter().map(|v| v / 1000.0).collect();
        let rate = requests.iter().sum::<f64>() / seconds.iter().sum::<f64>();
        let ci = bootstrap_ratio_of_sums_ci(&requests, &seconds).unwrap();
        assert!(ci.contains(rate) && ci.lo < ci.hi, "{ci:?} {rate}");
        assert_eq!(bootstrap_ratio_of_sums_ci(&requests, &seconds[..5]), None);
    }

    #[test]
    fn few_values_cut_less_of_the_tails() {
        assert!(tail_share(2) < 0.001);
        assert!(
            (0.004..0.01).contains(&tail_share(10)),
            "{}",
            tail_share(10)
        );
        assert!((0.02..0.025).contains(&tail_share(1_000)));
        assert!((normal_cdf(1.96) - 0.975).abs() < 1e-4);
        assert!((normal_cdf(-1.0) - 0.158_655).abs() < 1e-5);
    }

    #[test]
    fn an_interval_touching_one_spans_it() {
        let touching = Interval { lo: 1.0, hi: 1.2 };
        assert_eq!(direction(touching), Direction::NoClearDifference);
        assert_eq!(direction(Interval { lo: 0.8, hi: 0.99 }), Direction::Lower);
    }
}
