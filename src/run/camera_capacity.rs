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
use crate::report::camera_capacity::{
    capacities, judge, render, CapacityPoint, KeepUpRule, PointRun,
};
use crate::report::html::camera_chart::{page, CapacityPage};
use crate::report::BenchReport;
use crate::run::bench::measure_to_end;
use crate::run::plan::{BenchPlan, CameraPlan, CapacityPlan};
use anyhow::{bail, Context, Result};
use serde::Serialize;

/// One point done: its encoder, stream count and report, its label and
/// where its own `--export-html` page went.
struct Done {
    encoder: EncoderKind,
    streams: usize,
    report: BenchReport,
    label: String,
    page: Option<std::path::PathBuf>,
}

/// Runs the sweep, prints the capacity table (on stderr where an export
/// takes stdout), writes `--export-json` and `--export-html`; returns the
/// last point's report. A point whose frames failed, or that stopped, is
/// judged (it did not keep up) and the sweep goes on; the sweep fails only
/// where no point measured anything, or a point could not start, and then
/// after writing what the points before it measured.
pub fn run(plan: &BenchPlan) -> Result<BenchReport> {
    plan.check()?;
    let capacity = plan
        .capacity
        .clone()
        .context("a capacity sweep has a plan")?;
    let cameras = plan.load.cameras.context("a capacity sweep has cameras")?;
    probe_gpus(plan, &capacity)?;
    let rule = KeepUpRule::new(capacity.slo.map(|slo| slo.as_secs_f64() * 1e3));
    let mut done: Vec<Done> = Vec::new();
    let stopped = run_points(plan, &capacity, &rule, &mut done);
    write_json(plan, &rule, &done, None)?;
    let judged = judge(&runs(&done), &rule, cameras.fps);
    write_html(plan, &rule, cameras, &done, &judged)?;
    let width = crate::report::width(plan.outputs.wide);
    let table = render(&judged, &rule, cameras.fps, width);
    match plan.outputs.takes_stdout() {
        true => eprint!("{table}"),
        false => print!("{table}"),
    }
    stopped?;
    let measured = (done.iter()).any(|d| d.report.scenarios.iter().any(|s| s.measured()));
    if !measured {
        let why = (done.iter().flat_map(|d| &d.report.scenarios))
            .find_map(|s| s.failure.clone())
            .unwrap_or_else(|| "no frame was answered".into());
        bail!("no point of the capacity sweep measured anything: {why}");
    }
    done.pop()
        .map(|d| d.report)
        .context("a capacity sweep has at least one point")
}

/// Before any point: every encoder and `--frames-on gpu` the sweep will
/// use can run here (one line naming the flag otherwise), so a GPU encoder
/// late in `--encoder` does not stop the sweep halfway.
fn probe_gpus(plan: &BenchPlan, capacity: &CapacityPlan) -> Result<()> {
    if capacity.encoders.contains(&EncoderKind::Nvjpeg) {
        crate::gpu::probe(crate::gpu::GpuUse::Encoder)?;
    }
    if plan.frames.frames_on == crate::run::plan::FramesOn::Gpu {
        crate::gpu::probe(crate::gpu::GpuUse::Frames)?;
    }
    Ok(())
}

/// Runs the points, encoder by encoder, counts rising, into `done`; an
/// encoder's sweep ends at the first count where no scenario kept up. A
/// point that stopped (every request of a burst failed) is said on stderr
/// and judged; one that could not start ends the sweep with its error.
fn run_points(
    plan: &BenchPlan,
    capacity: &CapacityPlan,
    rule: &KeepUpRule,
    done: &mut Vec<Done>,
) -> Result<()> {
    for &encoder in &capacity.encoders {
        for &streams in &capacity.streams {
            let label = point_label(capacity, encoder, streams);
            if !plan.outputs.quiet {
                eprintln!("cameras: {label}");
            }
            let point = point_plan(plan, capacity, encoder, streams);
            let mut progress = |partial: &BenchReport| {
                let current = (encoder.name(), streams, partial);
                write_json(plan, rule, done, Some(current))
            };
            let (report, stopped) = measure_to_end(&point, &mut progress)
                .with_context(|| format!("the capacity sweep stopped at {label}"))?;
            if let Err(why) = stopped {
                eprintln!("imgwire: {label} did not keep up: {why:#}");
            }
            let kept_up = (report.scenarios.iter()).any(|s| rule.why_not(s).is_empty());
            let page = point.outputs.html().map(|p| p.path.clone());
            done.push(Done {
                encoder,
                streams,
                report,
                label,
                page,
            });
            if !kept_up {
                break;
            }
        }
    }
    Ok(())
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
    // What goes to stdout is the sweep's (its JSON or page), written once.
    for output in &mut plan.outputs.files {
        if output.path.is_stdout() {
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
    judged: Vec<CapacityPoint>,
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
    // Stdout takes one document, once the sweep is over.
    if path.is_stdout() && current.is_some() {
        return Ok(());
    }
    let all: Vec<PointRun> = runs(done).into_iter().chain(current).collect();
    let fps = plan.load.cameras.map_or(0.0, |c| c.fps);
    let judged = judge(&all, rule, fps);
    let body = SweepJson {
        sweep: "streams",
        fps,
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
    rule: &KeepUpRule,
    cameras: CameraPlan,
    done: &[Done],
    judged: &[CapacityPoint],
) -> Result<()> {
    let Some(path) = plan.outputs.html() else {
        return Ok(());
    };
    let folder = path.path.parent().unwrap_or(std::path::Path::new(""));
    let links = match path.is_stdout() {
        true => Vec::new(),
        false => (done.iter())
            .filter_map(|d| {
                let href = crate::report::html::relative_link(folder, d.page.as_ref()?);
                Some((d.label.clone(), href))
            })
            .collect(),
    };
    let html = page(&CapacityPage {
        points: judged,
        rule: *rule,
        fps: cameras.fps,
        links,
    })?;
    path.write(html.as_bytes())
}
