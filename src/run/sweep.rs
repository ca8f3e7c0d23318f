//! `imgwire bench --sweep FACTOR`: the same matrix run once per value of one
//! transport factor, everything else fixed, folded into one table. Each
//! value is a plan of its own: `--csv` and `--trace` get one file per value,
//! `--flamegraph` one folder per value, and `--json` one file holding every
//! value, rewritten as each scenario finishes.

use crate::output::OutputPath;
use crate::report::{align_columns, format_bytes, BenchReport};
use crate::run::bench::measure;
use crate::run::plan::{BenchPlan, SweepFactor, Tables};
use crate::wire::gzip::Compression;
use anyhow::{Context, Result};
use serde::Serialize;
use std::fmt::Write;

/// One value a factor takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepValue {
    /// The library's own default (no setting sent).
    LibraryDefault,
    Bytes(u32),
    Count(u32),
    Compression(Compression),
}

impl SweepValue {
    /// How tables name it: `default`, `256 KiB`, `20`, `gzip`.
    pub fn label(self) -> String {
        match self {
            SweepValue::LibraryDefault => "default".into(),
            SweepValue::Bytes(bytes) => format_bytes(bytes.into()),
            SweepValue::Count(n) => n.to_string(),
            SweepValue::Compression(c) => c.name().into(),
        }
    }

    /// How file names carry it: the label without spaces.
    fn slug(self) -> String {
        self.label().replace(' ', "")
    }
}

/// The values a sweep of `factor` runs, in order.
pub fn values(plan: &BenchPlan, factor: SweepFactor) -> Vec<SweepValue> {
    use SweepValue::{Bytes, Count, LibraryDefault};
    match factor {
        SweepFactor::Window => vec![
            LibraryDefault,
            Bytes(256 << 10),
            Bytes(1 << 20),
            Bytes(4 << 20),
            Bytes(16 << 20),
        ],
        SweepFactor::Frame => vec![
            LibraryDefault,
            Bytes(64 << 10),
            Bytes(256 << 10),
            Bytes(1 << 20),
        ],
        SweepFactor::Channels => [1, 2, 4, 8, 20].map(Count).to_vec(),
        SweepFactor::Compression => vec![
            SweepValue::Compression(Compression::None),
            SweepValue::Compression(Compression::Gzip),
        ],
        SweepFactor::Pool => [1, 2, 5, 10, 20].map(Count).to_vec(),
        SweepFactor::Concurrency => {
            let levels = plan.load.concurrency_levels.iter();
            levels
                .map(|&c| Count(u32::try_from(c).unwrap_or(u32::MAX)))
                .collect()
        }
    }
}

/// The plan of one point: `base` with the factor set to `value` (on client
/// and server alike) and outputs of its own.
pub fn point_plan(base: &BenchPlan, factor: SweepFactor, value: SweepValue) -> BenchPlan {
    let mut plan = base.clone();
    let bytes = match value {
        SweepValue::Bytes(b) => Some(b),
        _ => None,
    };
    match (factor, value) {
        (SweepFactor::Window, _) => {
            let connection = bytes.map(|v| v.saturating_mul(4));
            for h2 in [&mut plan.client.h2, &mut plan.server.h2] {
                h2.stream_window_bytes = bytes;
                h2.connection_window_bytes = connection;
            }
        }
        (SweepFactor::Frame, _) => {
            plan.client.h2.max_frame_bytes = bytes;
            plan.server.h2.max_frame_bytes = bytes;
        }
        (SweepFactor::Channels, SweepValue::Count(n)) => plan.client.grpc_channels = n as usize,
        (SweepFactor::Pool, SweepValue::Count(n)) => plan.client.rest_pool = n as usize,
        (SweepFactor::Compression, SweepValue::Compression(c)) => plan.client.compression = c,
        (SweepFactor::Concurrency, SweepValue::Count(n)) => {
            crate::run::load::set_concurrency(&mut plan, n as usize);
        }
        (factor, value) => unreachable!("{factor:?} never takes {value:?}"),
    }
    let suffix = format!("{}-{}", factor.name(), value.slug());
    plan.sweep = None;
    plan.outputs.tables = Tables::None;
    plan.outputs.json = None;
    plan.outputs.csv = base.outputs.csv.as_ref().map(|p| p.with_suffix(&suffix));
    plan.outputs.markdown = base
        .outputs
        .markdown
        .as_ref()
        .map(|p| p.with_suffix(&suffix));
    plan.outputs.trace = base.outputs.trace.as_ref().map(|p| p.with_suffix(&suffix));
    if let Some(flamegraph) = &mut plan.outputs.flamegraph {
        flamegraph.dir = flamegraph.dir.join(&suffix);
    }
    if let Some(dir) = &mut plan.outputs.save_requests {
        *dir = dir.join(&suffix);
    }
    plan
}

/// One value's run.
#[derive(Serialize)]
struct SweepPoint<'a> {
    value: String,
    report: &'a BenchReport,
}

/// Runs the sweep, prints its table, writes `--json` as `{sweep, points}`;
/// returns the last point's report.
pub fn run(plan: &BenchPlan, factor: SweepFactor) -> Result<BenchReport> {
    plan.check()?;
    crate::run::load::check(plan)?;
    let mut done: Vec<(String, BenchReport)> = Vec::new();
    for value in values(plan, factor) {
        let label = value.label();
        eprintln!("sweep {} = {label}", factor.name());
        let point = point_plan(plan, factor, value);
        let mut progress = |partial: &BenchReport| {
            write_json(
                plan.outputs.json.as_ref(),
                factor,
                &done,
                Some((&label, partial)),
            )
        };
        let report = measure(&point, &mut progress)
            .with_context(|| format!("the sweep stopped at {} = {label}", factor.name()))?;
        done.push((label, report));
    }
    write_json(plan.outputs.json.as_ref(), factor, &done, None)?;
    print!("{}", render(factor, &done, plan));
    if factor == SweepFactor::Concurrency {
        print!("{}", crate::run::load::render_curves(&done));
    }
    done.pop()
        .map(|(_, report)| report)
        .context("a sweep has at least one value")
}

/// Rewrites the sweep's JSON with the points done and the one under way.
fn write_json(
    path: Option<&OutputPath>,
    factor: SweepFactor,
    done: &[(String, BenchReport)],
    current: Option<(&String, &BenchReport)>,
) -> Result<()> {
    let Some(path) = path else {
        return Ok(());
    };
    let points: Vec<SweepPoint> = done
        .iter()
        .map(|(value, report)| (value, report))
        .chain(current)
        .map(|(value, report)| SweepPoint {
            value: value.clone(),
            report,
        })
        .collect();
    let mut body = serde_json::json!({ "sweep": factor, "points": points });
    if factor == SweepFactor::Concurrency {
        let reports: Vec<&BenchReport> = points.iter().map(|p| p.report).collect();
        body["curves"] = serde_json::to_value(crate::report::curve::curves(&reports))?;
    }
    let mut bytes = serde_json::to_vec_pretty(&body)?;
    bytes.push(b'\n');
    path.write(&bytes)
}

/// Rows: each scenario; columns: the factor's values (seconds per burst).
fn render(factor: SweepFactor, points: &[(String, BenchReport)], plan: &BenchPlan) -> String {
    let Some((_, first)) = points.first() else {
        return String::new();
    };
    let mut out = format!(
        "\nSweep of {}: seconds per burst (mean), everything else fixed\n",
        factor.name()
    );
    let header =
        std::iter::once("scenario".to_string()).chain(points.iter().map(|(v, _)| v.clone()));
    let mut rows = vec![header.collect::<Vec<_>>()];
    for (index, scenario) in first.scenarios.iter().enumerate() {
        let cells = points.iter().map(|(_, report)| {
            report
                .scenarios
                .get(index)
                .map_or("-".to_string(), |s| format!("{:.4}", s.burst.mean_s()))
        });
        rows.push(std::iter::once(scenario.label()).chain(cells).collect());
    }
    out.push_str(&align_columns(&rows, 1));
    let per_value = [
        &plan.outputs.csv,
        &plan.outputs.markdown,
        &plan.outputs.trace,
    ];
    for path in per_value.into_iter().flatten() {
        let example = path.with_suffix(&format!("{}-VALUE", factor.name()));
        let _ = writeln!(
            out,
            "  {}: one file per value, {}",
            path.flag,
            example.path.display()
        );
    }
    let folders = [
        (
            "--flamegraph",
            plan.outputs.flamegraph.as_ref().map(|f| &f.dir),
        ),
        ("--save-requests", plan.outputs.save_requests.as_ref()),
    ];
    for (flag, dir) in folders {
        if let Some(dir) = dir {
            let dir = dir.join(format!("{}-VALUE", factor.name()));
            let _ = writeln!(out, "  {flag}: one folder per value, {}", dir.display());
        }
    }
    out
}
