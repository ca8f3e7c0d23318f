//! `imgwire compare A.json B.json`: two `bench --json` reports side by
//! side. Scenarios match on size, payload and protocol; for each, B's burst
//! mean and stage means against A's, with the bootstrap interval of the
//! change over both runs' bursts, and whether the change is larger than the
//! noise. `--fail-if-slower PCT` turns a regression into exit code
//! [`EXIT_SLOWER`]; `--json PATH` writes the comparison for machines.

mod change;
mod input;
mod render;

use crate::output::OutputPath;
use anyhow::Result;
pub use change::{Change, ScenarioChange, StageChange, Verdict};
pub use input::InputError;
use serde::Serialize;
use std::path::PathBuf;

/// The exit status of `compare` when `--fail-if-slower` finds a scenario
/// slower than it allows (1 is any other error, 2 a bad command line).
pub const EXIT_SLOWER: i32 = 3;

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
    pub json: Option<OutputPath>,
}

/// `--fail-if-slower` found scenarios slower than it allows.
#[derive(Debug, thiserror::Error)]
#[error(
    "{} slower by more than {limit} % beyond the noise (--fail-if-slower {limit}): {}",
    crate::report::plural(scenarios.len(), "scenario"),
    scenarios.join(", ")
)]
pub struct SlowerThanAllowed {
    pub limit: f64,
    pub scenarios: Vec<String>,
}

/// One of the two reports, as the comparison names it.
#[derive(Clone, Debug, Serialize)]
pub struct FileInfo {
    pub path: String,
    pub run_id: String,
    pub complete: bool,
    pub bursts: usize,
    pub concurrency: usize,
    pub infer_ns: u64,
    pub server: String,
}

/// The whole comparison, as `--json` writes it (docs/json-schema.md).
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub compare_schema_version: u32,
    pub a: FileInfo,
    pub b: FileInfo,
    pub scenarios: Vec<ScenarioChange>,
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
    pub fail_if_slower_percent: Option<f64>,
    /// The scenarios that broke `--fail-if-slower` (empty without it).
    pub slower_than_allowed: Vec<String>,
}

/// Reads both reports and compares them.
pub fn compare_files(plan: &ComparePlan) -> Result<Comparison, InputError> {
    let a = input::read(&plan.a)?;
    let b = input::read(&plan.b)?;
    let (scenarios, only_in_a, only_in_b) = change::compare(&a, &b);
    let slower_than_allowed = match plan.fail_if_slower_percent {
        Some(limit) => scenarios
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
        infer_ns: r.settings.infer_ns,
        server: r.settings.server.clone(),
    };
    Ok(Comparison {
        compare_schema_version: COMPARE_SCHEMA_VERSION,
        a: info(&plan.a, &a),
        b: info(&plan.b, &b),
        scenarios,
        only_in_a,
        only_in_b,
        fail_if_slower_percent: plan.fail_if_slower_percent,
        slower_than_allowed,
    })
}

/// Runs `imgwire compare`: prints the comparison, writes its JSON if asked,
/// and fails with [`SlowerThanAllowed`] where `--fail-if-slower` says so.
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
