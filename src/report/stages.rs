//! One scenario's stage table: a few lines saying what it measured (burst
//! times, bytes, the dominant stage, the transport against the floor), then
//! mean, p50, p99 and share of wall time per stage, then its notes.

use super::text::{align, wrap};
use super::{megabytes, BenchReport, Scenario, ScenarioReport};
use crate::protocol::Protocol;
use crate::stage::Stage;
use std::fmt::Write;

/// The scenario's lines, prose wrapped to `width` (None: one line each).
pub fn render(report: &BenchReport, s: &ScenarioReport, width: Option<usize>) -> String {
    let mut out = wrap(&headline(s), width, "  ");
    out.push_str(&wrap(&details(report, s), width, "    "));
    out.push_str(&stage_rows(s));
    out.push_str(&notes(report, s, width));
    out
}

/// `1080x1920 b64 REST: 0.3725 s/burst (p50 ..., p99 ...; warm-up ...), 200 requests`
fn headline(s: &ScenarioReport) -> String {
    let mut line = format!(
        "{}: {:.4} s/burst (p50 {:.4}, p99 {:.4}",
        s.label(),
        s.burst.mean_s(),
        s.burst.p50_s(),
        s.burst.p99_s(),
    );
    if !s.warmup_burst_ns.is_empty() {
        let warmup: Vec<String> = s
            .warmup_burst_ns
            .iter()
            .map(|ns| format!("{:.4}", *ns as f64 / 1e9))
            .collect();
        let _ = write!(line, "; warm-up {}", warmup.join(", "));
    }
    let _ = write!(line, "), {} requests", s.requests);
    line
}

/// Bytes, the dominant stage and the transport against the floor.
fn details(report: &BenchReport, s: &ScenarioReport) -> String {
    let mut line = format!("  {:.3} MB/request", megabytes(s.bytes.request_body_bytes));
    if s.bytes.image_bits_per_pixel > 0.0 {
        let _ = write!(
            line,
            " ({} {:.2} bits/pixel)",
            s.encoder.name(),
            s.bytes.image_bits_per_pixel
        );
    }
    if s.bytes.wire_sent_bytes > 0 {
        let _ = write!(
            line,
            "; wire {:.3} MB sent ({:+.1}% vs the payload)",
            megabytes(s.bytes.wire_sent_bytes),
            s.bytes.wire_overhead_percent
        );
        if let Some(read) = s.bytes.server_wire_received_bytes {
            let _ = write!(line, ", the server read {:.3} MB", megabytes(read));
        }
    }
    let dominant = s.dominant_stage.map_or("none", |d| shown_name(s, d));
    let _ = write!(line, "; dominant: {dominant}");
    if let Some(ratio) = versus_floor(report, s) {
        let _ = write!(line, "; transport {ratio:.1}x the tcp floor");
    }
    line
}

/// A scenario's transport as a multiple of the tcp floor's round trip for
/// the same size and payload, where the run measured one.
fn versus_floor(report: &BenchReport, s: &ScenarioReport) -> Option<f64> {
    if s.scenario.protocol == Protocol::Tcp {
        return None;
    }
    let floor = report.scenario(Scenario {
        protocol: Protocol::Tcp,
        ..s.scenario
    })?;
    let floor_ns = floor.stage(Stage::Transport)?.mean_ns;
    let mine = s.stage(Stage::Transport)?.mean_ns;
    (floor_ns > 0).then(|| mine as f64 / floor_ns as f64)
}

/// Mean, p50, p99 and share of wall time of each stage the scenario has.
fn stage_rows(s: &ScenarioReport) -> String {
    let wall_mean = s.stage(Stage::Wall).map_or(0, |m| m.mean_ns) as f64;
    let mut rows = vec![["stage", "mean ms", "p50 ms", "p99 ms", "% wall"]
        .map(String::from)
        .to_vec()];
    for stage in Stage::ALL {
        let Some(m) = s.stage(stage) else {
            continue;
        };
        let per_frame = matches!(stage, Stage::Generate | Stage::Encode);
        let share = if per_frame || stage == Stage::Wall || wall_mean == 0.0 {
            "-".to_string()
        } else {
            format!("{:.1}", m.mean_ns as f64 / wall_mean * 100.0)
        };
        let name = if per_frame {
            format!("{} (per frame)", stage.name())
        } else {
            shown_name(s, stage).to_string()
        };
        let ms = |ns: u64| format!("{:.3}", ns as f64 / 1e6);
        rows.push(vec![name, ms(m.mean_ns), ms(m.p50_ns), ms(m.p99_ns), share]);
    }
    align(&rows, 1)
}

/// Errors, the profile's findings and timing warnings under a stage table.
fn notes(report: &BenchReport, s: &ScenarioReport, width: Option<usize>) -> String {
    let mut lines = Vec::new();
    if s.errors > 0 {
        lines.push(format!(
            "  {} errors, for example: {}",
            s.errors,
            s.error_examples.join(" | ")
        ));
    }
    if let Some(p) = &s.profile {
        let hot: Vec<String> = p
            .hottest
            .iter()
            .map(|h| format!("{} {:.0}%", h.function, h.self_share * 100.0))
            .collect();
        lines.push(format!(
            "  profile: {} client / {} server samples at {} Hz; hottest on the {} side \
             (self time): {}",
            p.client_samples,
            p.server_samples,
            p.sampling_hz,
            p.hottest_side.name(),
            hot.join(", ")
        ));
        lines.push(format!("  files: {}", p.files.join(" ")));
        lines.extend(p.warnings.iter().map(|w| format!("  warning: {w}")));
    }
    if no_server_timings(s) {
        lines.push(format!(
            "  the server reports no timings ({}): transport includes the server's time",
            match report.settings.server == super::SEED_SERVERS {
                true => "the seed's servers send no Server-Timing",
                false => "no Server-Timing came back",
            }
        ));
    }
    if s.timing_warnings > 0 {
        lines.push(format!(
            "  {} responses had unreadable Server-Timing text",
            s.timing_warnings
        ));
    }
    lines.iter().map(|l| wrap(l, width, "    ")).collect()
}

/// Whether a scenario's server sent no stage timings: a server that is not
/// imgwire's (the tcp floor's echo has no server stages by design).
pub(super) fn no_server_timings(s: &ScenarioReport) -> bool {
    s.scenario.protocol != Protocol::Tcp
        && s.stage(Stage::Transport).is_some()
        && !Stage::SERVER.iter().any(|stage| s.stage(*stage).is_some())
}

/// A stage's name as the tables show it: `transport` is `transport+server`
/// where the server's time could not be taken out of it.
pub(super) fn shown_name(s: &ScenarioReport, stage: Stage) -> &'static str {
    match stage == Stage::Transport && no_server_timings(s) {
        true => "transport+server",
        false => stage.name(),
    }
}

/// A stage's name, or `none`.
pub(super) fn stage_name(stage: Option<Stage>) -> &'static str {
    stage.map_or("none", Stage::name)
}
