//! Each protocol's transport as a multiple of the floor's: the `tcp`
//! scenario of the same size and payload moves the same request body one
//! way and the smallest answer back over plain TCP, so its transport time
//! is what no protocol can beat on this link.

use super::text::{align, wrap};
use super::{BenchReport, Scenario, ScenarioReport};
use crate::protocol::Protocol;
use crate::stage::Stage;
use clap::ValueEnum;
use std::fmt::Write;

/// A protocol's mean transport over the floor's (None where either has no
/// transport figure).
pub fn multiple(report: &BenchReport, cell: &ScenarioReport) -> Option<f64> {
    let floor = report.scenario(Scenario {
        protocol: Protocol::Tcp,
        ..cell.scenario
    })?;
    let transport = |s: &ScenarioReport| {
        s.stage(Stage::Transport)
            .filter(|_| s.requests > 0)
            .map(|m| m.mean_ns)
    };
    let (mine, floor) = (transport(cell)?, transport(floor)?);
    (floor > 0).then(|| mine as f64 / floor as f64)
}

/// One row per size x payload with a floor: the floor's mean transport and
/// every other protocol's as a multiple of it; empty without a floor.
pub fn render(report: &BenchReport, width: Option<usize>) -> String {
    let others: Vec<Protocol> = Protocol::value_variants()
        .iter()
        .copied()
        .filter(|p| *p != Protocol::Tcp)
        .filter(|p| report.scenarios.iter().any(|s| s.scenario.protocol == *p))
        .collect();
    let mut header = vec!["size".to_string(), "payload".into(), "floor ms".into()];
    header.extend(others.iter().map(|p| format!("{} x floor", p.label())));
    let mut rows = vec![header];
    for floor in report.scenarios.iter() {
        if floor.scenario.protocol != Protocol::Tcp || floor.requests == 0 {
            continue;
        }
        let floor_ms = floor
            .stage(Stage::Transport)
            .map_or(0.0, |m| m.mean_ns as f64 / 1e6);
        let mut row = vec![
            floor.scenario.size.to_string(),
            floor.scenario.payload.name().to_string(),
            format!("{floor_ms:.3}"),
        ];
        for &protocol in &others {
            let cell = report.scenario(Scenario {
                protocol,
                ..floor.scenario
            });
            let times = cell.and_then(|c| multiple(report, c));
            row.push(times.map_or("-".into(), |x| format!("{x:.2}x")));
        }
        rows.push(row);
    }
    if rows.len() == 1 || others.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n");
    out.push_str(&wrap(
        "Transport as a multiple of the floor (mean transport stage over the tcp floor's: the \
         same body one way over plain TCP, the smallest answer back)",
        width,
        "",
    ));
    let _ = write!(out, "{}", align(&rows, 2));
    out
}
