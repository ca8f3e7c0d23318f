//! Terminal tables: first the seed post's layout (seconds per burst per
//! size x protocol x payload), then one stage table per scenario.

use super::text::{align, format_bytes, unique};
use super::{BenchReport, Scenario, ScenarioReport};
use crate::frame::Size;
use crate::protocol::Protocol;
use crate::stage::Stage;
use crate::wire::PayloadKind;
use std::fmt::Write;

/// Renders the whole report; `brief` leaves out the per-scenario stages.
pub fn render(report: &BenchReport, brief: bool) -> String {
    let mut out = String::new();
    out.push_str(&settings_line(report));
    out.push_str(&seed_table(report));
    out.push_str(&super::factors::render(report));
    if !brief {
        for scenario in &report.scenarios {
            out.push('\n');
            out.push_str(&stage_table(report, scenario));
        }
    }
    out
}

fn settings_line(report: &BenchReport) -> String {
    let s = &report.settings;
    let decoder = s.server_decoder.map_or("remote server's own", |d| d.name());
    format!(
        "\nimgwire {}: {} concurrent requests x {} bursts ({} warm-up bursts reported apart)\n\
         frames: {}\nencoder: {} q{} {}; server decoder: {}; server: {}\n{}\n",
        report.imgwire_version,
        s.concurrency,
        s.bursts,
        s.warmup_bursts,
        s.frames,
        s.encoder.name(),
        s.quality,
        s.subsampling.label(),
        decoder,
        s.server,
        transport_line(s)
    ) + &s.link.map_or(String::new(), |l| {
        format!(
            "link: {} each way, {:.1} ms round trip ({}){}\n\n",
            l.bits_per_second
                .map_or("unlimited".to_string(), |b| format!(
                    "{:.0} Mbit/s",
                    b / 1e6
                )),
            l.rtt.as_secs_f64() * 1e3,
            s.link_shaping.as_deref().unwrap_or("emulated"),
            report.relay_cost.as_ref().map_or(String::new(), |c| format!(
                "\n  the relay alone, with no limits, took a {} burst from {:.4} to {:.4} s ({:+.0}%, {} bursts each way): \
                 figures below include that cost",
                c.scenario,
                c.direct_seconds_per_burst,
                c.relayed_seconds_per_burst,
                c.added_percent,
                c.bursts
            ))
        )
    })
}

/// The transport knobs in force, each with its flag's words.
fn transport_line(s: &super::Settings) -> String {
    let bytes = |b: Option<u32>| b.map_or("default".to_string(), |b| format_bytes(b.into()));
    format!(
        "transport: REST/1.1 pool {}, gRPC channels {}, HTTP/2 windows {} stream / {} connection{}, max frame {}, compression {}\n",
        s.rest_pool,
        s.grpc_channels,
        bytes(s.h2.stream_window_bytes),
        bytes(s.h2.connection_window_bytes),
        if s.h2.adaptive_window { " (adaptive)" } else { "" },
        bytes(s.h2.max_frame_bytes),
        s.compression.name()
    )
}

/// The seed's table: rows REST and gRPC per size, a column per payload with
/// seconds per burst, payload MB, and `xN` on the faster protocol.
fn seed_table(report: &BenchReport) -> String {
    let scenarios = || report.scenarios.iter().map(|s| s.scenario);
    let payloads: Vec<PayloadKind> = unique(scenarios().map(|s| s.payload));
    let protocols: Vec<Protocol> = unique(scenarios().map(|s| s.protocol));
    let sizes: Vec<Size> = unique(scenarios().map(|s| s.size));
    let mut rows = vec![std::iter::once("size".to_string())
        .chain(std::iter::once("protocol".to_string()))
        .chain(
            payloads
                .iter()
                .map(|p| format!("{} s/burst (MB)", p.name())),
        )
        .collect::<Vec<_>>()];
    for size in &sizes {
        for (i, &protocol) in protocols.iter().enumerate() {
            let mut row = vec![
                if i == 0 {
                    size.to_string()
                } else {
                    String::new()
                },
                protocol.label().to_string(),
            ];
            for &payload in &payloads {
                row.push(seed_cell(
                    report,
                    Scenario {
                        size: *size,
                        payload,
                        protocol,
                    },
                ));
            }
            rows.push(row);
        }
    }
    let mut out = String::from(
        "Seconds per burst (mean of the counted bursts); request body MB in brackets; xN: how many times faster than the other protocol\n\
         (TCP is the floor: the same body, length-prefixed over plain TCP and echoed back; no decoding, no HTTP)\n",
    );
    out.push_str(&align(&rows, 2));
    out
}

fn seed_cell(report: &BenchReport, wanted: Scenario) -> String {
    let Some(cell) = report.scenario(wanted) else {
        return "-".into();
    };
    let mut text = format!(
        "{:.4} ({:.3})",
        cell.seconds_per_burst.mean,
        cell.bytes.request_body_bytes / 1e6
    );
    // The tcp floor is a reference, not a contender: xN compares the others.
    let fastest_other = report
        .scenarios
        .iter()
        .map(|s| (s.scenario, s))
        .filter(|(s, _)| s.size == wanted.size && s.payload == wanted.payload)
        .filter(|(s, _)| s.protocol != wanted.protocol && s.protocol != Protocol::Tcp)
        .map(|(_, s)| s)
        .filter(|s| s.requests > 0)
        .map(|s| s.seconds_per_burst.mean)
        .fold(f64::INFINITY, f64::min);
    let mine = cell.seconds_per_burst.mean;
    let contender = wanted.protocol != Protocol::Tcp && cell.requests > 0;
    if contender && fastest_other.is_finite() && mine > 0.0 && mine < fastest_other {
        let _ = write!(text, " x{:.1}", fastest_other / mine);
    }
    if cell.errors > 0 {
        let _ = write!(text, " [{} errors]", cell.errors);
    }
    text
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

/// One scenario's stages: mean, p50, p99 and share of the request's wall time.
fn stage_table(report: &BenchReport, s: &ScenarioReport) -> String {
    let mut out = format!(
        "{}: {:.4} s/burst (p50 {:.4}, p99 {:.4}), {} requests, {:.3} MB/request",
        s.label(),
        s.seconds_per_burst.mean,
        s.seconds_per_burst.p50,
        s.seconds_per_burst.p99,
        s.requests,
        s.bytes.request_body_bytes / 1e6,
    );
    if s.bytes.image_bits_per_pixel > 0.0 {
        let _ = write!(
            out,
            " ({} {:.2} bits/pixel)",
            s.encoder.name(),
            s.bytes.image_bits_per_pixel
        );
    }
    if s.bytes.wire_sent_bytes > 0.0 {
        let _ = write!(
            out,
            ", wire {:.3} MB sent ({:+.1}% vs the payload",
            s.bytes.wire_sent_bytes / 1e6,
            s.bytes.wire_overhead_percent
        );
        if let Some(read) = s.bytes.server_wire_received_bytes {
            let _ = write!(out, "; the server read {:.3} MB", read / 1e6);
        }
        out.push(')');
    }
    let _ = write!(out, ", dominant: {}", stage_name(s.dominant_stage));
    if let Some(ratio) = versus_floor(report, s) {
        let _ = write!(out, ", transport {ratio:.1}x the tcp floor");
    }
    out.push('\n');
    out.push_str(&stage_rows(s));
    out.push_str(&scenario_notes(s));
    out
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
            stage.name().to_string()
        };
        let ms = |ns: u64| format!("{:.3}", ns as f64 / 1e6);
        rows.push(vec![name, ms(m.mean_ns), ms(m.p50_ns), ms(m.p99_ns), share]);
    }
    align(&rows, 1)
}

/// Errors, the profile's findings and timing warnings under a stage table.
fn scenario_notes(s: &ScenarioReport) -> String {
    let mut out = String::new();
    if s.errors > 0 {
        let _ = writeln!(
            out,
            "  {} errors, for example: {}",
            s.errors,
            s.error_examples.join(" | ")
        );
    }
    if let Some(p) = &s.profile {
        let hot: Vec<String> = p
            .hottest
            .iter()
            .map(|h| format!("{} {:.0}%", h.function, h.self_share * 100.0))
            .collect();
        let _ = writeln!(
            out,
            "  profile: {} client / {} server samples at {} Hz; hottest on the {} side ({}): {}",
            p.client_samples,
            p.server_samples,
            p.sampling_hz,
            p.hottest_side.name(),
            stage_name(s.dominant_stage),
            hot.join(", ")
        );
        let _ = writeln!(out, "  files: {}", p.files.join(" "));
        for warning in &p.warnings {
            let _ = writeln!(out, "  warning: {warning}");
        }
    }
    if s.timing_warnings > 0 {
        let _ = writeln!(
            out,
            "  {} responses had unreadable Server-Timing text",
            s.timing_warnings
        );
    }
    out
}

/// A stage's name, or `none`.
pub(super) fn stage_name(stage: Option<Stage>) -> &'static str {
    stage.map_or("none", Stage::name)
}
