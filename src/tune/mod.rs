//! `imgwire tune`: searches the transport settings of one protocol for one
//! workload (size, payload, concurrency, link) and says which configuration
//! is fastest, by how much, and the flags that reproduce it.
//!
//! The search turns one knob at a time from where it stands (coordinate
//! descent), keeping a new value only when the bootstrap interval of its
//! burst time over the best so far lies wholly below 1: noise never moves
//! the search. Before each knob the best is measured again and its fresh
//! bursts are what that knob's values are judged against, so a slow drift
//! of the machine is not taken for a setting's effect. A frame larger than
//! a quarter of the stream window is tried with a window of four frames
//! (`Configuration::candidate`): the two pay only together. A second pass runs when the first changed anything, and the
//! search stops at its time budget. The best and the starting configuration
//! are then measured again, in turns, and the gain reported is over those
//! fresh bursts, so it is not the lucky draw that made the best win.

mod command;
mod render;
pub(crate) mod space;

use crate::protocol::Protocol;
use crate::report::interval::{as_f64, direction, Direction};
use crate::report::versus::Ratio;
use crate::run::plan::outputs::PlannedOutput;
use crate::run::plan::{BenchPlan, PlanError};
use anyhow::{bail, Context, Result};
use serde::Serialize;
use space::{knobs, Configuration, Knob};
use std::time::{Duration, Instant};

/// What `tune` was asked besides the bench flags.
#[derive(Clone, Debug)]
pub struct TuneOptions {
    /// The search stops starting trials after this long.
    pub budget: Duration,
    /// Measurements of the start and the best, each, to confirm the gain.
    pub confirm_rounds: usize,
    /// The bench flags of the `tune` command line, as typed, that the
    /// reproduce line carries (the workload); None where tune runs from a
    /// plan alone (the line then writes concurrency, target and link).
    pub given_flags: Option<Vec<String>>,
}

/// One measured configuration.
#[derive(Clone, Debug, Serialize)]
pub struct Trial {
    /// `window 4 MiB` (the knob turned), or `start`.
    pub changed: String,
    pub configuration: String,
    /// Each counted burst's duration.
    pub burst_ns: Vec<u64>,
    /// Its burst time over the best's before it, where both ran.
    #[serde(skip)]
    pub versus_best: Option<Ratio>,
    /// Whether it became the best.
    pub kept: bool,
    /// Whether it is the best measured again, as the reference for the
    /// next knob's values (`versus_best` is then its drift since its last).
    pub reference: bool,
    /// Why it has no figures (a failed run), if so.
    pub failed: Option<String>,
}

/// The search and its outcome.
#[derive(Clone, Debug, Serialize)]
pub struct TuneResult {
    /// `gRPC, 1080x1920 binary, 20 concurrent`.
    pub workload: String,
    pub protocol: Protocol,
    /// Knobs set on the client only, because the server is not imgwire's
    /// own built-in one (its settings hold whatever the client sets).
    pub server_knobs_not_changed: Vec<Knob>,
    pub trials: Vec<Trial>,
    pub start: String,
    pub best: String,
    /// The bench flags of the best configuration.
    pub best_flags: Vec<String>,
    /// The confirmation's bursts: the start's and the best's.
    pub confirm_start_burst_ns: Vec<u64>,
    pub confirm_best_burst_ns: Vec<u64>,
    /// Seconds the whole search took (confirmation included), the budget
    /// it had for trials, and whether that budget cut it short.
    pub elapsed_s: f64,
    pub budget_s: f64,
    pub stopped_by_budget: bool,
    /// The command that reproduces the best configuration.
    pub reproduce: String,
    /// The plan the best configuration's trials ran (what `reproduce`
    /// resolves to, less the outputs).
    #[serde(skip)]
    pub best_plan: BenchPlan,
}

impl TuneResult {
    /// The best's confirmed burst time over the start's.
    pub fn gain(&self) -> Option<Ratio> {
        let (best, start) = (
            as_f64(&self.confirm_best_burst_ns),
            as_f64(&self.confirm_start_burst_ns),
        );
        let mean = |v: &[f64]| crate::report::interval::mean(v);
        Ratio::of_means(mean(&best)?, mean(&start)?, &best, &start)
    }
}

/// Runs the search for `plan`'s one scenario, prints its table (and writes
/// `--export-json` as the search's result) and returns it.
pub fn run(plan: &BenchPlan, options: &TuneOptions) -> Result<TuneResult> {
    plan.check()?;
    let protocol = one_scenario(plan)?;
    let base = quiet(plan);
    let started = Instant::now();
    let start = Configuration::starting(protocol, &base);
    let mut search = Search {
        base: &base,
        trials: Vec::new(),
        best: start.clone(),
        best_bursts: Vec::new(),
    };
    search.best_bursts = search.measure(&start, "start")?;
    let mut stopped_by_budget = false;
    'passes: for pass in 0..2 {
        let mut improved = false;
        for (index, &knob) in knobs(protocol).iter().enumerate() {
            if pass + index > 0 {
                if started.elapsed() >= options.budget {
                    stopped_by_budget = true;
                    break 'passes;
                }
                search.measure_best_again(knob)?;
            }
            for setting in knob.values(base.load.concurrency) {
                let candidate = search.best.candidate(setting);
                if candidate == search.best {
                    continue;
                }
                if started.elapsed() >= options.budget {
                    stopped_by_budget = true;
                    break 'passes;
                }
                let mut label = format!("{} {}", knob.name(), setting.label());
                let also = candidate.changes_from(&search.best.with(setting));
                if !also.is_empty() {
                    label = format!("{label} (with {also})");
                }
                improved |= search.try_candidate(candidate, label);
            }
        }
        if !improved {
            break;
        }
    }
    let files = plan.outputs.per_run_files();
    let (confirm_start, confirm_best) = search.confirm(&start, options.confirm_rounds, files)?;
    let result = TuneResult {
        workload: workload(plan, protocol),
        protocol,
        server_knobs_not_changed: knobs(protocol)
            .iter()
            .copied()
            .filter(|k| k.on_server_too() && !plan.uses_builtin_servers())
            .collect(),
        start: start.describe(),
        best: search.best.describe(),
        best_flags: search.best.flags(),
        reproduce: render::reproduce(plan, protocol, &search.best, options.given_flags.clone()),
        best_plan: search.best.plan(&base),
        trials: search.trials,
        confirm_start_burst_ns: confirm_start,
        confirm_best_burst_ns: confirm_best,
        elapsed_s: started.elapsed().as_secs_f64(),
        budget_s: options.budget.as_secs_f64(),
        stopped_by_budget,
    };
    print!("{}", render::table(&result));
    if let Some(path) = plan.outputs.json() {
        let mut bytes = serde_json::to_vec_pretty(&result)?;
        bytes.push(b'\n');
        path.write(&bytes)?;
    }
    Ok(result)
}

/// Where the search stands.
struct Search<'a> {
    base: &'a BenchPlan,
    trials: Vec<Trial>,
    best: Configuration,
    best_bursts: Vec<u64>,
}

impl Search<'_> {
    /// Measures `configuration` once and records the trial; its bursts.
    fn measure(&mut self, configuration: &Configuration, changed: &str) -> Result<Vec<u64>> {
        let bursts = measure_bursts(&configuration.plan(self.base));
        let (burst_ns, failed) = match bursts {
            Ok(bursts) => (bursts, None),
            Err(e) => (Vec::new(), Some(format!("{e:#}"))),
        };
        let versus_best = (!self.best_bursts.is_empty() && !burst_ns.is_empty())
            .then(|| ratio(&burst_ns, &self.best_bursts))
            .flatten();
        let trial = Trial {
            changed: changed.to_string(),
            configuration: configuration.describe(),
            burst_ns: burst_ns.clone(),
            versus_best,
            kept: false,
            reference: false,
            failed: failed.clone(),
        };
        if !self.base.outputs.quiet {
            eprintln!("{}", render::trial_line(&trial));
        }
        self.trials.push(trial);
        match failed {
            Some(why) if self.best_bursts.is_empty() => {
                bail!("tune could not measure its starting configuration: {why}")
            }
            _ => Ok(burst_ns),
        }
    }

    /// Measures the best again, just before `knob`'s values are tried, and
    /// makes those bursts the reference they are judged against: a machine
    /// that drifts over the search (heat, other work) then moves the
    /// reference with the candidates, and a lucky early draw of the best
    /// does not stop every later candidate from winning.
    fn measure_best_again(&mut self, knob: Knob) -> Result<()> {
        let best = self.best.clone();
        let label = format!("(best again: {} next)", knob.name());
        let bursts = self.measure(&best, &label)?;
        if let Some(trial) = self.trials.last_mut() {
            trial.reference = true;
        }
        if !bursts.is_empty() {
            self.best_bursts = bursts;
        }
        Ok(())
    }

    /// Measures a candidate; keeps it when it is clearly faster than the
    /// best so far. Whether it was kept.
    fn try_candidate(&mut self, candidate: Configuration, label: String) -> bool {
        let Ok(bursts) = self.measure(&candidate, &label) else {
            return false;
        };
        let trial = self.trials.last_mut();
        let better = trial
            .as_ref()
            .and_then(|t| t.versus_best)
            .and_then(|r| r.interval)
            .is_some_and(|ci| direction(ci) == Direction::Lower);
        if better {
            if let Some(trial) = trial {
                trial.kept = true;
            }
            self.best = candidate;
            self.best_bursts = bursts;
        }
        better
    }

    /// The start and the best measured again in turns (the best alone when
    /// they are the same configuration); their bursts. The best's last
    /// measurement writes `files`, the outputs given to tune besides its
    /// own `--export-json`: they describe the best configuration.
    fn confirm(
        &mut self,
        start: &Configuration,
        rounds: usize,
        files: Vec<PlannedOutput>,
    ) -> Result<(Vec<u64>, Vec<u64>)> {
        let (mut start_bursts, mut best_bursts) = (Vec::new(), Vec::new());
        let same = self.best == *start;
        let rounds = rounds.max(1);
        for round in 1..=rounds {
            let mut start_plan = start.plan(self.base);
            let mut best_plan = self.best.plan(self.base);
            if round == rounds {
                let last = if same {
                    &mut start_plan
                } else {
                    &mut best_plan
                };
                last.outputs.files = files.clone();
            }
            let fresh = measure_bursts(&start_plan)
                .context("tune could not measure the starting configuration again")?;
            start_bursts.extend(fresh);
            if !same {
                let fresh = measure_bursts(&best_plan)
                    .context("tune could not measure the best configuration again")?;
                best_bursts.extend(fresh);
            }
        }
        if same {
            best_bursts = start_bursts.clone();
        }
        Ok((start_bursts, best_bursts))
    }
}

/// The ratio of two sets of bursts' means, with its interval.
fn ratio(numerator: &[u64], denominator: &[u64]) -> Option<Ratio> {
    let (top, bottom) = (as_f64(numerator), as_f64(denominator));
    let mean = crate::report::interval::mean;
    Ratio::of_means(mean(&top)?, mean(&bottom)?, &top, &bottom)
}

/// Runs one configuration's plan; its counted bursts, or why there are
/// none (a run error, or requests that failed).
fn measure_bursts(plan: &BenchPlan) -> Result<Vec<u64>> {
    let report = crate::run::bench::measure(plan, &mut |_| Ok(()))?;
    let scenario = report
        .scenarios
        .first()
        .context("the run measured no scenario")?;
    if scenario.errors > 0 {
        let example = scenario.error_examples.first().cloned().unwrap_or_default();
        bail!("{} of its requests failed: {example}", scenario.errors);
    }
    Ok(scenario.burst_ns.clone())
}

/// The one protocol of a one-scenario plan; a refusal naming the flag that
/// has more than one value otherwise (`TuneArgs::plan` makes it).
pub fn one_scenario(plan: &BenchPlan) -> Result<Protocol, PlanError> {
    let matrix = &plan.matrix;
    let counts = [
        ("--sizes", matrix.sizes.len()),
        ("--payloads", matrix.payloads.len()),
        ("--protocols", matrix.protocols.len()),
    ];
    for (flag, count) in counts {
        if count != 1 {
            return Err(PlanError::new(
                flag,
                format!("tune searches one workload: give {flag} one value (it has {count})"),
            ));
        }
    }
    let protocol = matrix.protocols[0];
    if knobs(protocol).is_empty() {
        return Err(PlanError::new(
            "--protocols",
            format!(
                "tune has no knobs to turn for {} (give --protocols grpc, rest-h2 or rest)",
                protocol.label()
            ),
        ));
    }
    if plan.sweep.is_some() {
        return Err(PlanError::new(
            "--sweep",
            "tune runs its own search: leave out --sweep",
        ));
    }
    Ok(protocol)
}

/// The plan each trial starts from: no tables, no files of its own.
pub fn quiet(plan: &BenchPlan) -> BenchPlan {
    let mut base = plan.clone();
    base.outputs = plan.outputs.without_files();
    base
}

/// `gRPC, 1080x1920 binary, 20 concurrent, built-in servers`.
fn workload(plan: &BenchPlan, protocol: Protocol) -> String {
    let link = plan
        .targets
        .link
        .map_or(String::new(), |_| ", over the emulated --link".into());
    let server = if plan.uses_builtin_servers() {
        "built-in servers"
    } else {
        "a remote server"
    };
    format!(
        "{}, {} {}, {} concurrent, {server}{link}",
        protocol.label(),
        plan.matrix.sizes[0],
        plan.matrix.payloads[0].name(),
        plan.load.concurrency
    )
}
