//! The lines above the tables: what ran (load, frames, encoder, servers,
//! transport settings, the emulated link), stated as it actually ran.

use super::text::{format_bytes, plural, wrap};
use super::{BenchReport, Settings};
use crate::encoders::EncoderKind;
use std::fmt::Write;

/// The run's settings, each line wrapped to `width` (None: one line each).
pub fn render(report: &BenchReport, width: Option<usize>) -> String {
    let s = &report.settings;
    let mut out = String::from("\n");
    let warmup = warmup_words(report);
    let cameras = super::load_lines::cameras_of(report);
    let load = match cameras {
        Some(c) => format!(
            "imgwire {}: cameras, {} x {} fps, at most {} in flight per stream, cut into {} \
             ({warmup})",
            report.imgwire_version,
            plural(c.streams, "stream"),
            c.fps,
            plural(c.max_in_flight, "frame"),
            plural(s.bursts, "counted window"),
        ),
        None => format!(
            "imgwire {}: {} concurrent requests x {} ({warmup})",
            report.imgwire_version,
            s.concurrency,
            plural(s.bursts, "counted burst"),
        ),
    };
    out.push_str(&wrap(&load, width, "  "));
    out.push_str(&wrap(&format!("frames: {}", s.frames), width, "  "));
    let servers = format!(
        "encoder: {}; server decoder: {}; server: {}",
        encoder_words(s),
        s.server_decoder
            .map_or("the remote server's own", |d| d.name()),
        s.server
    );
    out.push_str(&wrap(&servers, width, "  "));
    if let Some(shard) = &s.shard {
        let line = format!(
            "{}: this process ran its share of the load above",
            crate::shard::words(shard.index, shard.count, &shard.source)
        );
        out.push_str(&wrap(&line, width, "  "));
    }
    if let Some(chosen) = &s.protocols_chosen {
        out.push_str(&wrap(&format!("protocols: {chosen}"), width, "  "));
    }
    out.push_str(&wrap(&transport_line(s), width, "  "));
    if let Some(link) = &s.link {
        let bandwidth = link.bits_per_second.map_or("unlimited".to_string(), |b| {
            format!("{:.0} Mbit/s", b / 1e6)
        });
        let line = format!(
            "link: {bandwidth} each way, {:.1} ms round trip ({})",
            link.rtt.as_secs_f64() * 1e3,
            s.link_shaping.as_deref().unwrap_or("emulated"),
        );
        out.push_str(&wrap(&line, width, "  "));
    }
    if let Some(c) = &report.relay_cost {
        let interval = c
            .added_percent_ci95
            .map_or(String::new(), |[lo, hi]| format!(" [{lo:+.0}..{hi:+.0}]"));
        let line = format!(
            "  the relay alone, with no limits, took a {} burst from {:.4} to {:.4} s \
             ({:+.0}%{interval}, {} each way): figures below include that cost",
            c.scenario,
            c.direct_burst_mean_ns as f64 / 1e9,
            c.relayed_burst_mean_ns as f64 / 1e9,
            c.added_percent,
            plural(c.bursts, "burst")
        );
        out.push_str(&wrap(&line, width, "    "));
    }
    out.push('\n');
    out
}

/// How many warm-up bursts ran before the counted ones: `--warmup` of
/// them, and more while the last ones disagreed (`--warmup-max`), so the
/// fewest and the most any scenario ran.
fn warmup_words(report: &BenchReport) -> String {
    let s = &report.settings;
    let first = s.warmup_bursts;
    if first == 0 {
        return "no warm-up".into();
    }
    let ran = || report.scenarios.iter().map(|c| first + c.load.warmup_extra);
    let (fewest, most) = (ran().min().unwrap_or(first), ran().max().unwrap_or(first));
    let count = match fewest == most {
        true => plural(most, "warm-up burst"),
        false => format!("{fewest} to {most} warm-up bursts"),
    };
    let until = match s.load.warmup_max {
        0 => String::new(),
        _ => format!(
            ", until the last {} agreed within {} %",
            super::load_figures::WARMUP_AGREEING,
            s.load.stability_percent
        ),
    };
    format!("after {count} each{until}, timed apart: see each scenario's warm-up figure")
}

/// The encoder as it ran: quality and subsampling only where they apply.
fn encoder_words(s: &Settings) -> String {
    match (s.encoder, s.quality, s.subsampling) {
        (EncoderKind::None, ..) => "none (raw RGB bytes, no compression)".into(),
        (encoder, Some(quality), Some(subsampling)) => {
            format!("{} q{quality} {}", encoder.name(), subsampling.label())
        }
        (encoder, ..) => encoder.name().into(),
    }
}

/// The transport knobs in force, each with its flag's words.
fn transport_line(s: &Settings) -> String {
    let bytes = |b: Option<u32>| b.map_or("default".to_string(), |b| format_bytes(b.into()));
    let mut line = format!(
        "transport: REST/1.1 pool {}, gRPC channels {}, HTTP/2 windows {} stream / {} connection",
        s.rest_pool,
        s.grpc_channels,
        bytes(s.h2.stream_window_bytes),
        bytes(s.h2.connection_window_bytes),
    );
    if s.h2.adaptive_window {
        line.push_str(" (adaptive)");
    }
    let _ = write!(
        line,
        ", max frame {}, compression {}",
        bytes(s.h2.max_frame_bytes),
        s.compression.name()
    );
    if s.h2.nagle {
        line.push_str(", TCP_NODELAY off (Nagle on)");
    }
    line
}
