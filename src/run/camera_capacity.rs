//! The camera capacity sweep (`--streams` with several values, several
//! `--encoder`, or `--slo-ms`): the cameras run once per encoder and stream
//! count, rising; each point is judged by one rule (`KeepUpRule`), and an
//! encoder's sweep stops at the first count where no scenario kept up (more
//! streams would only fall further behind). The table says, per scenario
//! and encoder, the most streams that kept up. `--export-json` holds every
//! point and the verdicts, rewritten as each point finishes;
//! `--export-html` is the capacity page (table and charts), each point's
//! own files beside it with `-ENCODER-streams-N` in their names.

use crate::encoders::EncoderKind;
use crate::output::OutputPath;
use crate::report::camera_capacity::{capacities, judge, render, KeepUpRule, PointRun};
use crate::report::html::camera_chart::{page, CapacityPage};
use crate::report::BenchReport;
use crate::run::bench::measure;
use crate::run::plan::{BenchPlan, CameraPlan, CapacityPlan};
use anyhow::{Context, Result};
use serde::Serialize;

/// One point done: its encoder, stream count and report.
struct Done {
    encoder: EncoderKind,
    streams: usize,
    report: BenchReport,
}

/// Runs the sweep, prints the capacity table, writes `--export-json` and
/// `--export-html`; returns the last point's report.
pub fn run(plan: &BenchPlan) -> Result<BenchReport> {
    plan.check()?;
    let capacity = plan
        .capacity
        .clone()
        .context("a capacity sweep has a plan")?;
    let cameras = plan.load.cameras.context("a capacity sweep has cameras")?;
    let rule = KeepUpRule::new(capacity.slo.map(|slo| slo.as_secs_f64() * 1e3));
    let mut done: Vec<Done> = Vec::new();
    for &encoder in &capacity.encoders {
        for &streams in &capacity.streams {
            let label = point_label(&capacity, encoder, streams);
            if !plan.outputs.quiet {
                eprintln!("cameras: {label}");
            }
            let point = point_plan(plan, &capacity, encoder, streams);
            let mut progress = |partial: &BenchReport| {
                let current = (encoder.name(), streams, partial);
                write_json(plan, &rule, &done, Some(current))
            };
            let report = measure(&point, &mut progress)
                .with_context(|| format!("the capacity sweep stopped at {label}"))?;
            let kept_up = (report.scenarios.iter()).any(|s| rule.why_not(s).is_empty());
            done.push(Done {
                encoder,
                streams,
                report,
            });
            if !kept_up {
                break;
            }
        }
    }
    write_json(plan, &rule, &done, None)?;
    write_html(plan, &capacity, &rule, cameras, &done)?;
    let width = crate::report::width(plan.outputs.wide);
    print!(
        "{}",
        render(&judge(&runs(&done), &rule), &rule, cameras.fps, width)
    );
    done.pop()
        .map(|d| d.report)
        .context("a capacity sweep has at least one point")
}

fn runs(done: &[Done]) -> Vec<PointRun<'_>> {
    (done.iter())
        .map(|d| (d.encoder.name(), d.streams, &d.report))
        .collect()
}

/// `turbojpeg, 4 streams`.
fn point_label(capacity: &CapacityPlan, encoder: EncoderKind, streams: usize) -> String {
    let streams = crate::report::plural(streams, "stream");
    match capacity.encoders.len() {
        1 => streams,
        _ => format!("{}, {streams}", encoder.name()),
    }
}

/// The plan of one point: the cameras at `streams`, frames encoded by
/// `encoder`, the load and pools following, and outputs of its own
/// (`-ENCODER-streams-N`; the JSON and a page on stdout are the sweep's).
fn point_plan(
    base: &BenchPlan,
    capacity: &CapacityPlan,
    encoder: EncoderKind,
    streams: usize,
) -> BenchPlan {
    let mut plan = base.clone();
    plan.capacity = None;
    plan.frames.encoder = encoder;
    let cameras = CameraPlan {
        streams,
        all_streams: streams,
        ..base.load.cameras.expect("a capacity sweep has cameras")
    };
    plan.load.cameras = Some(cameras);
    plan.load.rate_per_s = Some(cameras.frames_per_s());
    crate::run::load::set_concurrency(&mut plan, cameras.connections());
    let suffix = match capacity.encoders.len() {
        1 => format!("streams-{streams}"),
        _ => format!("{}-streams-{streams}", encoder.name()),
    };
    plan.outputs = base.outputs.for_sweep_point(&suffix);
    let page_on_stdout = base.outputs.html().is_some_and(OutputPath::is_stdout);
    for output in &mut plan.outputs.files {
        if output.path.is_stdout() && page_on_stdout {
            output.by_command = true;
        }
    }
    plan
}

/// The sweep's JSON: the rule, each point's report, the verdicts.
#[derive(Serialize)]
struct SweepJson<'a> {
    sweep: &'static str,
    fps: f64,
    keep_up: KeepUpRule,
    points: Vec<PointJson<'a>>,
    judged: Vec<crate::report::camera_capacity::CapacityPoint>,
    capacity: Vec<crate::report::camera_capacity::Capacity>,
}

#[derive(Serialize)]
struct PointJson<'a> {
    encoder: &'a str,
    streams: usize,
    report: &'a BenchReport,
}

/// Rewrites `--export-json` with the points done and the one under way.
fn write_json(
    plan: &BenchPlan,
    rule: &KeepUpRule,
    done: &[Done],
    current: Option<PointRun>,
) -> Result<()> {
    let Some(path) = plan.outputs.json() else {
        return Ok(());
    };
    let all: Vec<PointRun> = runs(done).into_iter().chain(current).collect();
    let judged = judge(&all, rule);
    let body = SweepJson {
        sweep: "streams",
        fps: plan.load.cameras.map_or(0.0, |c| c.fps),
        keep_up: *rule,
        points: (all.iter())
            .map(|&(encoder, streams, report)| PointJson {
                encoder,
                streams,
                report,
            })
            .collect(),
        capacity: capacities(&judged),
        judged,
    };
    let mut bytes = serde_json::to_vec_pretty(&body)?;
    bytes.push(b'\n');
    path.write(&bytes)
}

/// Writes the capacity page to `--export-html`, linking each point's page.
fn write_html(
    plan: &BenchPlan,
    capacity: &CapacityPlan,
    rule: &KeepUpRule,
    cameras: CameraPlan,
    done: &[Done],
) -> Result<()> {
    let Some(path) = plan.outputs.html() else {
        return Ok(());
    };
    let folder = path.path.parent().unwrap_or(std::path::Path::new(""));
    let links = match path.is_stdout() {
        true => Vec::new(),
        false => (done.iter())
            .map(|d| {
                let point = point_plan(plan, capacity, d.encoder, d.streams);
                let page = point.outputs.html().map(|p| p.path.clone());
                let href = crate::report::html::relative_link(folder, &page.unwrap_or_default());
                (point_label(capacity, d.encoder, d.streams), href)
            })
            .collect(),
    };
    let points = judge(&runs(done), rule);
    let html = page(&CapacityPage {
        points: &points,
        rule: *rule,
        fps: cameras.fps,
        links,
    })?;
    path.write(html.as_bytes())
}
