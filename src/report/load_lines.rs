//! The terminal's view of the load: how closed and open runs were cut into
//! windows, their throughput and latency (from the due send beside the
//! actual one under open load), and which scenarios never became stable.

use super::cameras::CameraFigures;
use super::load_figures::{LoadModel, UNSTABLE_MARKER};
use super::text::{align_within, wrap};
use super::{BenchReport, ScenarioReport};
use std::fmt::Write;

/// The load's lines: nothing for a stable burst run.
pub fn render(report: &BenchReport, width: Option<usize>) -> String {
    let mut out = String::new();
    if report.settings.load.load_model != LoadModel::Bursts {
        out.push_str(&latency_table(report, width));
    }
    out.push_str(&unstable_legend(report, width));
    out.push_str(&super::floor::render(report, width));
    out
}

/// Milliseconds of a summary's p50 and p99.
/// Requests per second and latency per scenario; under open load the
/// corrected latency first and the uncorrected beside it.
fn latency_table(report: &BenchReport, width: Option<usize>) -> String {
    let settings = &report.settings;
    let open = settings.load.load_model == LoadModel::Open;
    let mut rows = vec![super::load_figures::latency_header("scenario", open)];
    for s in &report.scenarios {
        let latency = &s.load.latency;
        let headline = latency.headline();
        let uncorrected = &latency.uncorrected;
        let mut row = vec![format!(
            "{}{}",
            s.label(),
            super::load_figures::marker(&s.load)
        )];
        if !s.measured() {
            row.push("failed".into());
            rows.push(row);
            continue;
        }
        row.extend(super::load_figures::latency_cells(
            s.load.throughput_rps,
            [headline.p50_ns, headline.p99_ns],
            open.then_some([uncorrected.p50_ns, uncorrected.p99_ns]),
        ));
        rows.push(row);
    }
    let mut out = String::from("\n");
    out.push_str(&wrap(&describe(report), width, ""));
    let _ = write!(out, "{}", align_within(&rows, 1, width));
    for s in &report.scenarios {
        if let Some(cameras) = &s.load.cameras {
            let line = format!("cameras: {} ({})", cameras.line(), s.label());
            out.push_str(&wrap(&line, width, "  "));
        }
    }
    out
}

/// What the closed or open run was and how it was cut into windows.
fn describe(report: &BenchReport) -> String {
    let settings = &report.settings;
    let load = &settings.load;
    let length = match (load.duration_s, load.requests_per_run) {
        (_, Some(n)) => format!("{n} requests"),
        (Some(s), None) => format!("{s} s"),
        (None, None) => "?".into(),
    };
    let cameras = cameras_of(report);
    let pace = match load.rate_per_s {
        _ if cameras.is_some() => cameras.map(|c| c.describe()).unwrap_or_default(),
        Some(rate) => format!(
            "{rate} requests/s over {} connections; latency from the scheduled send \
             (coordinated omission corrected), uncorrected (from the actual send) beside it",
            settings.concurrency
        ),
        None => format!(
            "{} workers, each sending when its last reply came",
            settings.concurrency
        ),
    };
    let window = report
        .scenarios
        .first()
        .and_then(|s| s.load.window_ns)
        .map_or(String::new(), |ns| format!(" of {:.3} s", ns as f64 / 1e9));
    format!(
        "Load {}: {pace}, {length} per scenario, cut into {} windows{window} (the s/burst \
         figures above are each window's mean latency)",
        load.load_model.name(),
        settings.bursts
    )
}

/// The scenarios marked unstable, and what the mark means.
fn unstable_legend(report: &BenchReport, width: Option<usize>) -> String {
    let unstable: Vec<String> = report
        .scenarios
        .iter()
        .filter(|s| s.load.stable == Some(false))
        .map(ScenarioReport::label)
        .collect();
    if unstable.is_empty() {
        return String::new();
    }
    let settings = &report.settings;
    let unit = settings.load.load_model.unit();
    let text = format!(
        "{UNSTABLE_MARKER} unstable: the last 3 warm-up {unit}s never agreed within {}% \
         (--stability) in {} + {} {unit}s (--warmup, --warmup-max): {}",
        settings.load.stability_percent,
        settings.warmup_bursts,
        settings.load.warmup_max,
        unstable.join(", ")
    );
    wrap(&text, width, "  ")
}

/// The cameras of a camera run (an open load whose scenarios counted
/// frames); None for any other run.
pub(super) fn cameras_of(report: &BenchReport) -> Option<CameraFigures> {
    if report.settings.load.load_model != LoadModel::Open {
        return None;
    }
    report.scenarios.iter().find_map(|s| s.load.cameras)
}
