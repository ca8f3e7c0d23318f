//! Throughput-latency curves: a run repeated per `--concurrency` value
//! gives each scenario one point per value (requests per second, p50 and
//! p99 latency, corrected under open load with the uncorrected beside it),
//! printed as a table per scenario and kept in the sweep's JSON for plots.

use super::text::align;
use super::BenchReport;
use serde::Serialize;
use std::fmt::Write;

/// One scenario's curve.
#[derive(Clone, Debug, Serialize)]
pub struct Curve {
    /// The scenario's label, e.g. "1080x1920 binary REST".
    pub scenario: String,
    pub points: Vec<CurvePoint>,
}

/// One concurrency of a curve.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CurvePoint {
    pub concurrency: usize,
    pub throughput_rps: f64,
    /// Latency as the load model counts it (from the scheduled send under
    /// open load).
    pub p50_ns: u64,
    pub p99_ns: u64,
    /// From the actual send.
    pub uncorrected_p50_ns: u64,
    pub uncorrected_p99_ns: u64,
    pub stable: Option<bool>,
}

/// One curve per scenario of the first report, a point per report.
pub fn curves(reports: &[&BenchReport]) -> Vec<Curve> {
    let Some(first) = reports.first() else {
        return Vec::new();
    };
    first
        .scenarios
        .iter()
        .map(|s| Curve {
            scenario: s.label(),
            points: reports
                .iter()
                .filter_map(|r| r.scenario(s.scenario))
                .map(|point| {
                    let load = &point.load;
                    let headline = load.latency.headline();
                    CurvePoint {
                        concurrency: load.concurrency,
                        throughput_rps: load.throughput_rps,
                        p50_ns: headline.p50_ns,
                        p99_ns: headline.p99_ns,
                        uncorrected_p50_ns: load.latency.uncorrected.p50_ns,
                        uncorrected_p99_ns: load.latency.uncorrected.p99_ns,
                        stable: load.stable,
                    }
                })
                .collect(),
        })
        .collect()
}

/// A table per curve: concurrency, requests/s, p50 and p99 in ms (and the
/// uncorrected ones where they differ in kind, under open load).
pub fn render(curves: &[Curve], open: bool) -> String {
    let mut out = String::new();
    for curve in curves {
        let _ = writeln!(out, "\nThroughput-latency curve: {}", curve.scenario);
        let mut rows = vec![super::load_figures::latency_header("concurrency", open)];
        for p in &curve.points {
            let marker = match p.stable {
                Some(false) => super::load_figures::UNSTABLE_MARKER,
                _ => "",
            };
            let uncorrected = open.then_some([p.uncorrected_p50_ns, p.uncorrected_p99_ns]);
            let mut row = vec![format!("{}{marker}", p.concurrency)];
            row.extend(super::load_figures::latency_cells(
                p.throughput_rps,
                [p.p50_ns, p.p99_ns],
                uncorrected,
            ));
            rows.push(row);
        }
        out.push_str(&align(&rows, 0));
    }
    out
}
