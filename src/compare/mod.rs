//! `imgwire compare A.json B.json`: two `bench --export-json` reports side
//! by side. Scenarios match on size, payload and protocol (or the fields
//! `--match` names); for each, B's burst mean and stage means against A's,
//! with the bootstrap interval of the change over both runs' bursts, and
//! whether the change is larger than the noise, and two camera runs'
//! frame counts and sustained rates; every setting that differs
//! is named, runs that do not compare are warned about. `--fail-if-slower
//! PCT` turns a regression into exit code [`EXIT_SLOWER`], and a comparison
//! it could not make into [`EXIT_NOT_COMPARED`]; `--export-json PATH`
//! writes the comparison for machines.

mod cameras;
mod change;
mod context;
mod input;
mod render;

use crate::output::OutputPath;
use anyhow::Result;
pub use cameras::CameraChange;
pub use change::{Change, MatchField, ScenarioChange, StageChange, Verdict};
pub use context::Difference;
pub use input::InputError;
use serde::Serialize;
use std::path::PathBuf;

/// The exit status of `compare` when `--fail-if-slower` finds a scenario
/// slower than it allows (1 is any other error, 2 a bad command line).
pub const EXIT_SLOWER: i32 = 3;

/// The exit status of `compare --fail-if-slower` when it could not compare
/// (no scenario matched, B incomplete, a matched scenario that measured
/// nothing): a gate that cannot look must not pass.
pub const EXIT_NOT_COMPARED: i32 = 4;

/// Bumped whenever a field of the comparison's JSON changes meaning.
pub const COMPARE_SCHEMA_VERSION: u32 = 1;

/// What `compare` was asked to do.
#[derive(Clone, Debug, PartialEq)]
pub struct ComparePlan {
    pub a: PathBuf,
    pub b: PathBuf,
    /// Fail when a scenario's burst mean is slower by more than this many
    /// percent with its whole interval above it.
    pub fail_if_slower_percent: Option<f64>,
    /// The fields scenarios are paired on (`--match`).
    pub match_on: Vec<MatchField>,
    pub json: Option<OutputPath>,
}

/// `--fail-if-slower` found scenarios slower than it allows.
#[derive(Debug, thiserror::Error)]
#[error("{}", error_lines(&format!(
    "{} slower by more than {limit} % beyond the noise (--fail-if-slower {limit})",
    crate::report::plural(scenarios.len(), "scenario"),
), scenarios))]
pub struct SlowerThanAllowed {
    pub limit: f64,
    pub scenarios: Vec<String>,
}

/// `--fail-if-slower` could not compare, so it cannot pass.
#[derive(Debug, thiserror::Error)]
#[error("{}", error_lines(&format!(
    "--fail-if-slower {limit}: could not compare, so the check fails (exit status {})",
    EXIT_NOT_COMPARED
), reasons))]
pub struct NotCompared {
    pub limit: f64,
    pub reasons: Vec<String>,
}

/// An error's text as lines that, after the binary's `error: `, fit the
/// output's width: `lead:`, then each item on a line of its own, indented
/// (an item too long wraps under itself), so no name is ever cut in two.
fn error_lines(lead: &str, items: &[String]) -> String {
    let width = Some(crate::report::WIDTH - "error: ".len());
    let mut out = crate::report::wrap(&format!("{lead}:"), width, "  ");
    for item in items {
        out.push_str(&crate::report::wrap(&format!("  {item}"), width, "    "));
    }
    out.trim_end().to_string()
}

/// One of the two reports, as the comparison names it.
#[derive(Clone, Debug, Serialize)]
pub struct FileInfo {
    pub path: String,
    pub run_id: String,
    pub complete: bool,
    pub bursts: usize,
    pub concurrency: usize,
    /// The load in words (`10 bursts x 20 requests`, `closed load, 4
    /// workers for 10 s`, `cameras: 4 streams x 30 fps for 5 s`).
    pub load: String,
    /// `bursts`, `closed` or `open`: under the last two a "burst" is a
    /// window of the run, its figure the window's mean latency.
    pub load_model: String,
    pub infer_ns: u64,
    pub server: String,
    pub machine: Option<crate::report::machine::Machine>,
    pub build: String,
}

/// The whole comparison, as `--export-json` writes it (docs/json-schema.md).
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub compare_schema_version: u32,
    pub a: FileInfo,
    pub b: FileInfo,
    /// The fields scenarios were paired on.
    pub match_on: Vec<MatchField>,
    /// Every setting (and machine field, and the build) B has another value of.
    pub differences: Vec<Difference>,
    /// Why the two runs' times may not compare at all.
    pub warnings: Vec<String>,
    pub scenarios: Vec<ScenarioChange>,
    /// Pairs where A or B measured nothing, with why: not compared.
    pub failed: Vec<String>,
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
    /// Set when every compared scenario moved the same way, clearly.
    pub drift: Option<String>,
    /// Why the comparison could not be made, where it could not (no
    /// scenario compared, B incomplete, a pair that measured nothing).
    pub not_compared: Vec<String>,
    pub fail_if_slower_percent: Option<f64>,
    /// The scenarios that broke `--fail-if-slower` (empty without it).
    pub slower_than_allowed: Vec<String>,
}

/// Reads both reports and compares them.
pub fn compare_files(plan: &ComparePlan) -> Result<Comparison> {
    let a = input::read(&plan.a)?;
    let b = input::read(&plan.b)?;
    let matched = change::compare(&a, &b, &plan.match_on).map_err(anyhow::Error::msg)?;
    let slower_than_allowed = match plan.fail_if_slower_percent {
        Some(limit) => matched
            .changes
            .iter()
            .filter(|s| s.burst.slower_beyond(limit))
            .map(|s| s.scenario.clone())
            .collect(),
        None => Vec::new(),
    };
    let info = |path: &PathBuf, r: &input::Report| FileInfo {
        path: path.display().to_string(),
        run_id: r.run_id.clone(),
        complete: r.complete,
        bursts: r.settings.bursts,
        concurrency: r.settings.concurrency,
        load: r.load_words(),
        load_model: (r.settings.load_model.clone()).unwrap_or_else(|| "bursts".into()),
        infer_ns: r.settings.infer_ns,
        server: r.settings.server.clone(),
        machine: r.machine.clone(),
        build: r.build.clone().unwrap_or(r.imgwire_version.clone()),
    };
    let differences = context::differences(&a, &b);
    Ok(Comparison {
        compare_schema_version: COMPARE_SCHEMA_VERSION,
        a: info(&plan.a, &a),
        b: info(&plan.b, &b),
        match_on: plan.match_on.clone(),
        warnings: context::warnings(&a, &b),
        drift: context::drift_note(&matched.changes, &differences),
        differences,
        not_compared: not_compared(&b, &matched),
        scenarios: matched.changes,
        failed: matched.failed,
        only_in_a: matched.only_in_a,
        only_in_b: matched.only_in_b,
        fail_if_slower_percent: plan.fail_if_slower_percent,
        slower_than_allowed,
    })
}

/// Why a gate on this comparison could not judge B.
fn not_compared(b: &input::Report, matched: &change::Matched) -> Vec<String> {
    let mut reasons = Vec::new();
    if matched.changes.is_empty() && matched.failed.is_empty() {
        reasons.push("no scenario of B matched one of A".to_string());
    }
    if !b.complete {
        reasons.push("B is incomplete (complete: false)".into());
    }
    reasons.extend(matched.failed.iter().cloned());
    reasons
}

/// Runs `imgwire compare`: prints the comparison, writes its JSON if asked,
/// and fails with [`SlowerThanAllowed`] or [`NotCompared`] where
/// `--fail-if-slower` says so.
pub fn run(plan: &ComparePlan) -> Result<Comparison> {
    let comparison = compare_files(plan)?;
    let text = render::render(&comparison);
    let to_stdout = plan.json.as_ref().is_some_and(OutputPath::is_stdout);
    match to_stdout {
        true => eprint!("{text}"),
        false => print!("{text}"),
    }
    if let Some(json) = &plan.json {
        let mut bytes = serde_json::to_vec_pretty(&comparison)?;
        bytes.push(b'\n');
        json.write(&bytes)?;
    }
    if let Some(limit) = plan.fail_if_slower_percent {
        if !comparison.not_compared.is_empty() {
            return Err(NotCompared {
                limit,
                reasons: comparison.not_compared.clone(),
            }
            .into());
        }
        if !comparison.slower_than_allowed.is_empty() {
            return Err(SlowerThanAllowed {
                limit,
                scenarios: comparison.slower_than_allowed.clone(),
            }
            .into());
        }
    }
    Ok(comparison)
}
