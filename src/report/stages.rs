//! One scenario's stage table: a few lines saying what it measured (burst
//! times with the mean's 95 % interval, throughput, bytes, the dominant
//! stage, the transport against the floor), then mean, its interval, p50,
//! p99, p99.9 and share of wall time per stage, then, for a server that
//! is not imgwire's, the server's own stages from its statistics (means
//! only), then its notes.

use super::server_stats::ServerStats;
use super::text::{align, plural, wrap};
use super::versus::seconds_with_interval;
use super::{megabytes, BenchReport, ScenarioReport};
use crate::protocol::Protocol;
use crate::stage::Stage;
use std::fmt::Write;

/// The scenario's lines, prose wrapped to `width` (None: one line each).
pub fn render(report: &BenchReport, s: &ScenarioReport, width: Option<usize>) -> String {
    if !s.measured() {
        return wrap(&format!("{}: {}", s.label(), s.failure_text()), width, "  ");
    }
    let mut out = wrap(&headline(s), width, "  ");
    out.push_str(&wrap(&details(report, s), width, "    "));
    let wall_mean = s.stage(Stage::Wall).map_or(0, |m| m.mean_ns);
    let mut rows = request_rows(s, wall_mean);
    let per_request = rows.len();
    if let Some(stats) = &s.server_stats {
        rows.extend(server_stats_rows(stats, wall_mean));
    }
    // One alignment for both kinds of row, so their columns line up.
    let aligned = align(&rows, 1);
    let (request_lines, stats_lines) = split_after_lines(&aligned, per_request);
    out.push_str(request_lines);
    if let Some(join) = &s.server_trace {
        out.push_str(&wrap(
            &format!("  server.* per request: {}", join.describe()),
            width,
            "    ",
        ));
    }
    if no_server_timings(s) {
        out.push_str(&wrap(&no_timings_line(s, "below"), width, "    "));
    }
    if let Some(stats) = &s.server_stats {
        out.push_str(&wrap(&server_stats_heading(s, stats), width, "    "));
        out.push_str(stats_lines);
    }
    out.push_str(&notes(s, width));
    out
}

/// `1080x1920 b64 REST: 0.3725 [0.3701-0.3750] s/burst (p50 ..., p99 ...;
/// warm-up ...), 200 requests, 537.0 requests/s, 146.1 MB/s`
pub(super) fn headline(s: &ScenarioReport) -> String {
    let mut line = format!(
        "{}: {} s/burst (p50 {:.4}, p99 {:.4}",
        s.label(),
        seconds_with_interval(s.burst.mean_s(), s.burst.mean_ci95_s(), 4),
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
    let _ = write!(
        line,
        "), {} requests, {:.1} requests/s, {:.1} MB/s",
        s.requests, s.throughput.requests_per_s, s.throughput.request_body_megabytes_per_s
    );
    line
}

/// Bytes, the dominant stage and the transport against the floor.
pub(super) fn details(report: &BenchReport, s: &ScenarioReport) -> String {
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
    let dominant = dominant_name(s);
    let _ = write!(line, "; dominant: {dominant}");
    if let Some(times) = super::floor::multiple(report, s) {
        let _ = write!(line, "; {}", super::floor::describe(times));
    }
    line
}

/// The header and, per stage the scenario has, its mean, the mean's 95 %
/// interval, p50, p99, p99.9 and share of wall time.
pub(super) fn request_rows(s: &ScenarioReport, wall_mean: u64) -> Vec<Vec<String>> {
    let header = [
        "stage",
        "mean ms",
        "95% interval",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "% wall",
    ];
    let mut rows = vec![header.map(String::from).to_vec()];
    for stage in Stage::ALL {
        let Some(m) = s.stage(stage) else {
            continue;
        };
        let per_frame = !s.per_request(stage);
        let share = match per_frame || stage == Stage::Wall {
            true => "-".to_string(),
            false => share_of_wall(m.mean_ns, wall_mean),
        };
        let name = if per_frame {
            format!("{} (per frame)", stage.name())
        } else {
            shown_name(s, stage).to_string()
        };
        let interval = m
            .mean_ci95_ns
            .map_or("-".into(), |[lo, hi]| format!("{}-{}", ms(lo), ms(hi)));
        rows.push(vec![
            name,
            ms(m.mean_ns),
            interval,
            ms(m.p50_ns),
            ms(m.p99_ns),
            ms(m.p999_ns),
            share,
        ]);
    }
    rows
}

/// The server's own stages, indented under their heading: a mean each and
/// its share of wall time; no interval or percentiles, since the server
/// gives means.
pub(super) fn server_stats_rows(stats: &ServerStats, wall_mean: u64) -> Vec<Vec<String>> {
    stats
        .mean_ns
        .iter()
        .map(|(stage, &mean)| {
            let mut row = vec![format!("  {}", stage.name()), ms(mean)];
            row.extend(["-"; 4].map(String::from));
            row.push(share_of_wall(mean, wall_mean));
            row
        })
        .collect()
}

/// Milliseconds as the stage table shows them.
fn ms(ns: u64) -> String {
    format!("{:.3}", ns as f64 / 1e6)
}

/// `mean` as a percentage of the mean wall time, or `-` without one.
fn share_of_wall(mean: u64, wall_mean: u64) -> String {
    match wall_mean {
        0 => "-".into(),
        wall => format!("{:.1}", mean as f64 / wall as f64 * 100.0),
    }
}

/// `text` cut after its first `lines` lines, and the rest.
fn split_after_lines(text: &str, lines: usize) -> (&str, &str) {
    let at = text
        .match_indices('\n')
        .nth(lines.saturating_sub(1))
        .map_or(text.len(), |(i, _)| i + 1);
    text.split_at(at)
}

/// What the pages (Markdown, HTML) say under a stage table besides its
/// notes: the camera run's counts, and how the server's own trace was
/// joined (the terminal says the first in its load paragraph).
pub(super) fn extra_lines(s: &ScenarioReport) -> Vec<String> {
    let cameras = s.load.cameras.map(|c| format!("cameras: {}", c.line()));
    let joined =
        (s.server_trace.as_ref()).map(|j| format!("server.* per request: {}", j.describe()));
    cameras.into_iter().chain(joined).collect()
}

/// Why the round trip is `transport+server`, and where the server's own
/// split is, if anywhere: `split_is` says where the output shows the
/// server's statistics (`below`, under the stage table).
pub(super) fn no_timings_line(s: &ScenarioReport, split_is: &str) -> String {
    let mut line = match s.timing_warnings {
        0 => String::from(
            "  the server sends no Server-Timing: transport includes the server's time",
        ),
        _ => String::from(
            "  no response's Server-Timing could be taken (warning below): transport includes \
             the server's time",
        ),
    };
    match &s.server_stats {
        Some(stats) if !stats.mean_ns.is_empty() => {
            let _ = write!(
                line,
                "; its own split is shown {split_is}, from its statistics"
            );
        }
        Some(_) => {
            let _ = write!(line, "; its statistics give no split ({split_is})");
        }
        None => {}
    }
    line
}

/// The line over the server's own stages: their label, how many requests
/// the server counted, and where they were read; or why there are none.
pub(super) fn server_stats_heading(s: &ScenarioReport, stats: &ServerStats) -> String {
    let (label, source) = (stats.label, &stats.source);
    if let Some(problem) = &stats.problem {
        return format!("  no figures {label}: {problem}; source: {source}");
    }
    let counted = plural(stats.requests as usize, "request");
    let sent = match stats.requests == s.requests as u64 {
        true => String::new(),
        false => format!(" (imgwire sent {})", s.requests),
    };
    match stats.mean_ns.is_empty() {
        true => format!(
            "  no stage times {label}: the server counted {counted}{sent} but timed none of them; \
             source: {source}"
        ),
        false => format!(
            "  the server's own stages, {label} over the {counted} it counted{sent}; \
             source: {source}"
        ),
    }
}

/// Errors, the profile's findings and timing warnings under a stage table.
fn notes(s: &ScenarioReport, width: Option<usize>) -> String {
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
        lines.push(format!("  note: {}", p.cpu_only_note()));
        lines.extend(p.warnings.iter().map(|w| format!("  warning: {w}")));
    }
    if s.timing_warnings > 0 {
        lines.push(format!("  warning: {}", timing_warning_text(s)));
    }
    lines.iter().map(|l| wrap(l, width, "    ")).collect()
}

/// How many responses' `Server-Timing` was left out of the server stages,
/// and why (for example): `3 of 40 responses' Server-Timing left out of the
/// server stages (not averaged): the server's stages (...) do not fit ...`.
pub(super) fn timing_warning_text(s: &ScenarioReport) -> String {
    let mut text = format!(
        "{} of {} responses' Server-Timing left out of the server stages (not averaged)",
        s.timing_warnings, s.requests
    );
    if let Some(example) = s.timing_warning_examples.first() {
        text.push_str(": ");
        text.push_str(example);
    }
    text
}

/// Whether a scenario's server sent no stage timings: a server that is not
/// imgwire's (the tcp floor has no server stages by design).
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

/// The dominant stage as the tables name it, or `none`.
pub(super) fn dominant_name(s: &ScenarioReport) -> &'static str {
    s.dominant_stage.map_or("none", |d| shown_name(s, d))
}
