//! `imgwire bench --sweep FACTOR`: the same matrix run once per value of one
//! transport factor, everything else fixed, folded into one table. This is
//! the data behind "why is gRPC slower for big images here, and what fixes
//! it".

use crate::cli::BenchArgs;
use crate::report::BenchReport;
use crate::run::bench::measure;
use crate::wire::gzip::Compression;
use anyhow::{Context, Result};
use clap::ValueEnum;
use serde::Serialize;
use std::fmt::Write;

/// The factors a sweep can vary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SweepFactor {
    /// HTTP/2 stream and connection windows (connection = 4 x stream).
    Window,
    /// HTTP/2 maximum frame size.
    Frame,
    /// gRPC channels (connections).
    Channels,
    /// Request compression: none, then gzip.
    Compression,
    /// REST/1.1 connection pool size.
    Pool,
}

impl SweepFactor {
    /// The values swept, `None` meaning the library's default.
    fn values(self) -> Vec<Option<u32>> {
        match self {
            SweepFactor::Window => vec![
                None,
                Some(256 << 10),
                Some(1 << 20),
                Some(4 << 20),
                Some(16 << 20),
            ],
            SweepFactor::Frame => vec![None, Some(64 << 10), Some(256 << 10), Some(1 << 20)],
            SweepFactor::Channels => vec![Some(1), Some(2), Some(4), Some(8), Some(20)],
            SweepFactor::Compression => vec![Some(0), Some(1)],
            SweepFactor::Pool => vec![Some(1), Some(2), Some(5), Some(10), Some(20)],
        }
    }

    fn apply(self, args: &mut BenchArgs, value: Option<u32>) {
        match self {
            SweepFactor::Window => {
                args.server.h2_stream_window = value;
                args.server.h2_connection_window = value.map(|v| v.saturating_mul(4));
            }
            SweepFactor::Frame => args.server.h2_max_frame = value,
            SweepFactor::Channels => args.grpc_channels = value.unwrap_or(1),
            SweepFactor::Compression => args.compression = compression(value),
            SweepFactor::Pool => args.rest_pool = value,
        }
    }

    fn label(self, value: Option<u32>) -> String {
        match (self, value) {
            (_, None) => "default".into(),
            (SweepFactor::Compression, value) => compression(value).name().into(),
            (SweepFactor::Channels | SweepFactor::Pool, Some(n)) => n.to_string(),
            (_, Some(bytes)) if bytes >= 1 << 20 => format!("{} MiB", bytes >> 20),
            (_, Some(bytes)) => format!("{} KiB", bytes >> 10),
        }
    }
}

/// A compression sweep's values: 0 is none, 1 is gzip.
fn compression(value: Option<u32>) -> Compression {
    match value {
        Some(1) => Compression::Gzip,
        _ => Compression::None,
    }
}

/// One value's run.
#[derive(Serialize)]
struct SweepPoint {
    value: String,
    report: BenchReport,
}

/// Runs the sweep, prints its table, writes `--json` as `{factor, points}`.
pub fn run(args: &BenchArgs, factor: SweepFactor) -> Result<BenchReport> {
    let mut points = Vec::new();
    for value in factor.values() {
        let mut point_args = args.clone();
        point_args.sweep = None;
        point_args.json = None;
        point_args.csv = None;
        point_args.trace = None;
        factor.apply(&mut point_args, value);
        let label = factor.label(value);
        eprintln!("sweep {factor:?} = {label}");
        let report =
            measure(&point_args, false).with_context(|| format!("the sweep stopped at {label}"))?;
        points.push(SweepPoint {
            value: label,
            report,
        });
    }
    print!("{}", render(factor, &points));
    if let Some(path) = &args.json {
        let body = serde_json::json!({ "sweep": factor, "points": points });
        std::fs::write(path, serde_json::to_vec_pretty(&body)?)
            .with_context(|| format!("could not write '{}' (check --json)", path.display()))?;
    }
    let last = points
        .pop()
        .map(|p| p.report)
        .context("a sweep has at least one value")?;
    Ok(last)
}

/// Rows: the factor's values; columns: each scenario's seconds per burst.
fn render(factor: SweepFactor, points: &[SweepPoint]) -> String {
    let Some(first) = points.first() else {
        return String::new();
    };
    let mut out =
        format!("\nSweep of {factor:?}: seconds per burst (mean), everything else fixed\n");
    let _ = write!(out, "  {:<10}", format!("{factor:?}").to_lowercase());
    for s in &first.report.scenarios {
        let _ = write!(out, "  {:>24}", s.label());
    }
    out.push('\n');
    for point in points {
        let _ = write!(out, "  {:<10}", point.value);
        for s in &point.report.scenarios {
            let _ = write!(out, "  {:>24.4}", s.seconds_per_burst.mean);
        }
        out.push('\n');
    }
    out
}
