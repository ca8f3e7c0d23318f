//! The comparison itself: per matched scenario, B's burst mean and each
//! request stage's mean against A's, as a ratio with its bootstrap
//! interval, and the verdict that interval allows.

use super::input::{Report, Scenario};
use crate::report::interval::{as_f64, Direction};
use crate::report::versus::Ratio;
use crate::stage::Stage;
use clap::ValueEnum;
use serde::Serialize;

/// A field scenarios are paired on (`--match`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchField {
    Size,
    Payload,
    Protocol,
}

impl MatchField {
    pub fn name(self) -> &'static str {
        match self {
            MatchField::Size => "size",
            MatchField::Payload => "payload",
            MatchField::Protocol => "protocol",
        }
    }
}

/// What the interval of a change allows one to say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// B takes longer: the whole interval is above no change.
    Slower,
    /// B takes less time: the whole interval is below no change.
    Faster,
    /// The interval holds no change.
    NoClearDifference,
    /// Too few bursts (or a mean of zero) for an interval.
    Unknown,
}

/// One mean in A and B and the change between them.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    pub a_mean_ns: u64,
    pub b_mean_ns: u64,
    /// (B / A - 1) x 100; null when A's mean is zero.
    pub change_percent: Option<f64>,
    /// The 95 % interval of that change, resampling both sides' bursts.
    pub change_ci95_percent: Option<[f64; 2]>,
    pub verdict: Verdict,
    #[serde(skip)]
    pub ratio: Option<Ratio>,
}

impl Change {
    /// B's mean against A's, with the bursts' values each resamples.
    fn between(a_mean: u64, b_mean: u64, a_values: &[u64], b_values: &[u64]) -> Change {
        let ratio = Ratio::of_means(
            b_mean as f64,
            a_mean as f64,
            &as_f64(b_values),
            &as_f64(a_values),
        );
        let verdict = match ratio.and_then(|r| r.direction()) {
            Some(Direction::Higher) => Verdict::Slower,
            Some(Direction::Lower) => Verdict::Faster,
            Some(Direction::NoClearDifference) => Verdict::NoClearDifference,
            None => Verdict::Unknown,
        };
        let percent = |r: f64| (r - 1.0) * 100.0;
        Change {
            a_mean_ns: a_mean,
            b_mean_ns: b_mean,
            change_percent: ratio.map(|r| r.percent()),
            change_ci95_percent: ratio
                .and_then(|r| r.interval)
                .map(|ci| [percent(ci.lo), percent(ci.hi)]),
            verdict,
            ratio,
        }
    }

    /// Whether B is slower by more than `percent` with the whole interval
    /// above it (a change with no interval never is).
    pub fn slower_beyond(&self, percent: f64) -> bool {
        self.change_ci95_percent.is_some_and(|[lo, _]| lo > percent)
    }
}

/// A scenario both reports measured.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioChange {
    /// `120x160 binary rest` (`... rest -> grpc` where `--match` paired
    /// two protocols); size, payload and protocol are A's.
    pub scenario: String,
    pub size: String,
    pub payload: String,
    pub protocol: String,
    /// Completed requests and errors in A and in B.
    pub requests: [usize; 2],
    pub errors: [usize; 2],
    /// Bytes per request in A and in B: the request body, and what the
    /// client wrote to its sockets (headers and framing included).
    pub request_body_bytes: [u64; 2],
    pub wire_sent_bytes: [u64; 2],
    /// The burst mean: seconds per burst.
    pub burst: Change,
    /// Each stage of the request both measured (wall included; not the
    /// pool's per-frame generate and encode), in report order.
    pub stages: Vec<StageChange>,
    /// Stages only one side measured (`server.infer` appears with
    /// `--infer-ms`), by name: not compared.
    pub stages_only_in_a: Vec<String>,
    pub stages_only_in_b: Vec<String>,
    /// Both runs' camera figures where both ran cameras (`--streams`).
    pub cameras: Option<super::CameraChange>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StageChange {
    pub stage: String,
    #[serde(flatten)]
    pub change: Change,
}

/// How two reports' scenarios paired up under `--match`.
#[derive(Debug, Default)]
pub struct Matched {
    /// The pairs both measured, in A's order.
    pub changes: Vec<ScenarioChange>,
    /// Pairs where A or B measured nothing: `label: B measured nothing (why)`.
    pub failed: Vec<String>,
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
}

/// Pairs the scenarios of A and B on the fields of `on`; an error naming
/// the scenarios that make a pairing ambiguous (two in one file with the
/// same key).
pub fn compare(a: &Report, b: &Report, on: &[MatchField]) -> Result<Matched, String> {
    for (name, report) in [("A", a), ("B", b)] {
        ambiguity(name, report, on)?;
    }
    let in_other = |s: &Scenario, other: &'_ Report| {
        let key = s.key(on);
        other.scenarios.iter().find(|o| o.key(on) == key).cloned()
    };
    let mut matched = Matched::default();
    for sa in &a.scenarios {
        let Some(sb) = in_other(sa, b) else {
            continue;
        };
        match (sa.measured(), sb.measured()) {
            (true, true) => matched.changes.push(scenario_change(sa, &sb)),
            (a_ok, _) => {
                let (side, s) = if a_ok { ("B", &sb) } else { ("A", sa) };
                let why = s.failure.as_deref().unwrap_or("no request completed");
                let label = pair_label(sa, &sb);
                matched
                    .failed
                    .push(format!("{label}: {side} measured nothing ({why})"));
            }
        }
    }
    let unmatched = |from: &Report, other: &Report| {
        from.scenarios
            .iter()
            .filter(|s| in_other(s, other).is_none())
            .map(Scenario::label)
            .collect()
    };
    matched.only_in_a = unmatched(a, b);
    matched.only_in_b = unmatched(b, a);
    Ok(matched)
}

/// The error for two scenarios of one report with the same key.
fn ambiguity(name: &str, report: &Report, on: &[MatchField]) -> Result<(), String> {
    for (at, s) in report.scenarios.iter().enumerate() {
        let same: Vec<String> = report.scenarios[at..]
            .iter()
            .filter(|o| o.key(on) == s.key(on))
            .map(Scenario::label)
            .collect();
        if same.len() > 1 {
            let fields: Vec<&str> = on.iter().map(|f| f.name()).collect();
            return Err(format!(
                "--match {} pairs scenarios on {}, but {name} has {} with '{}' ({}): match on \
                 more fields (--match size,payload,protocol), or compare reports that have one \
                 scenario each for it",
                fields.join(","),
                fields.join(" and "),
                same.len(),
                s.key(on).join(" "),
                same.join(", ")
            ));
        }
    }
    Ok(())
}

/// `48x64 binary rest`, or `48x64 binary rest -> grpc` where `--match`
/// paired scenarios that differ (`rest -> grpc` under `size,payload`).
fn pair_label(a: &Scenario, b: &Scenario) -> String {
    let mut label = a.label();
    let changed: Vec<&str> = [
        (&a.size, &b.size),
        (&a.payload, &b.payload),
        (&a.protocol, &b.protocol),
    ]
    .into_iter()
    .filter(|(x, y)| x != y)
    .map(|(_, y)| y.as_str())
    .collect();
    if !changed.is_empty() {
        label = format!("{label} -> {}", changed.join(" "));
    }
    label
}

fn scenario_change(a: &Scenario, b: &Scenario) -> ScenarioChange {
    // Generate and encode are per frame of the pool, unless both runs made
    // their frames live (`--encode live`: per request, with burst means).
    let timed_live = |stage: &Stage| {
        let live = |s: &Scenario| s.stage_burst_means_ns.contains_key(stage.name());
        live(a) && live(b)
    };
    let per_request = Stage::ALL
        .iter()
        .filter(|stage| !matches!(stage, Stage::Generate | Stage::Encode) || timed_live(stage));
    let stages = per_request
        .map(|stage| stage.name())
        .filter_map(|name| {
            let (sa, sb) = (a.stages.get(name)?, b.stages.get(name)?);
            let values = |s: &Scenario| {
                s.stage_burst_means_ns
                    .get(name)
                    .cloned()
                    .unwrap_or_default()
            };
            Some(StageChange {
                stage: name.to_string(),
                change: Change::between(sa.mean_ns, sb.mean_ns, &values(a), &values(b)),
            })
        })
        .collect();
    ScenarioChange {
        scenario: pair_label(a, b),
        size: a.size.clone(),
        payload: a.payload.clone(),
        protocol: a.protocol.clone(),
        requests: [a.requests, b.requests],
        errors: [a.errors, b.errors],
        request_body_bytes: [a.bytes.request_body_bytes, b.bytes.request_body_bytes],
        wire_sent_bytes: [a.bytes.wire_sent_bytes, b.bytes.wire_sent_bytes],
        burst: Change::between(a.burst.mean_ns, b.burst.mean_ns, &a.burst_ns, &b.burst_ns),
        stages,
        stages_only_in_a: stages_missing_from(a, b),
        stages_only_in_b: stages_missing_from(b, a),
        cameras: super::CameraChange::between(a.cameras, b.cameras),
    }
}

/// The names of the stages `from` has and `other` lacks.
fn stages_missing_from(from: &Scenario, other: &Scenario) -> Vec<String> {
    let missing = from
        .stages
        .keys()
        .filter(|name| !other.stages.contains_key(*name));
    missing.cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change_within(lo: f64, hi: f64) -> Change {
        Change {
            a_mean_ns: 100,
            b_mean_ns: 120,
            change_percent: Some(20.0),
            change_ci95_percent: Some([lo, hi]),
            verdict: Verdict::Slower,
            ratio: None,
        }
    }

    #[test]
    fn a_limit_fails_only_an_interval_wholly_above_it() {
        assert!(change_within(12.0, 30.0).slower_beyond(10.0));
        assert!(!change_within(8.0, 30.0).slower_beyond(10.0));
        assert!(!change_within(10.0, 30.0).slower_beyond(10.0));
        let no_interval = Change {
            change_ci95_percent: None,
            ..change_within(50.0, 60.0)
        };
        assert!(!no_interval.slower_beyond(0.0));
    }

    #[test]
    fn identical_bursts_make_no_clear_difference_and_ten_times_slower_is_slower() {
        let bursts = [90, 100, 110, 95, 105];
        let same = Change::between(100, 100, &bursts, &bursts);
        assert_eq!(same.verdict, Verdict::NoClearDifference);
        let slower: Vec<u64> = bursts.iter().map(|b| b * 10).collect();
        let change = Change::between(100, 1_000, &bursts, &slower);
        assert_eq!(change.verdict, Verdict::Slower);
        assert!(change.slower_beyond(500.0));
        assert_eq!(
            Change::between(100, 100, &[100], &[100]).verdict,
            Verdict::Unknown
        );
    }
}
