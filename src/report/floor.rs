//! Each protocol's wire time as a multiple of the floor's: the `tcp`
//! scenario of the same size and payload moves the same request body one
//! way and the smallest answer back over plain TCP, so its round trip is
//! what no protocol can beat on this link. A protocol's wire time is its
//! round trip less the server's queue, decode and model (transport plus
//! `server.receive`, `server.deserialize` and `server.respond`): the
//! server's receiving of the body is moving bytes, as it is for the floor.

use super::text::{align_within, wrap};
use super::{BenchReport, Scenario, ScenarioReport};
use crate::protocol::Protocol;
use crate::stage::Stage;
use clap::ValueEnum;
use std::fmt::Write;

/// A protocol's mean wire time over the floor's, for the same size and
/// payload: the one "x floor" figure every output shows (None for the
/// floor itself, and where either has no wire time).
pub fn multiple(report: &BenchReport, cell: &ScenarioReport) -> Option<f64> {
    if cell.scenario.protocol == Protocol::Tcp {
        return None;
    }
    let floor = report.scenario(Scenario {
        protocol: Protocol::Tcp,
        ..cell.scenario
    })?;
    let (mine, floor) = (wire_time_ns(cell)?, wire_time_ns(floor)?);
    (floor > 0).then(|| mine as f64 / floor as f64)
}

/// The stages that move or frame bytes, as opposed to the server's work.
const WIRE_STAGES: [Stage; 4] = [
    Stage::Transport,
    Stage::ServerReceive,
    Stage::ServerDeserialize,
    Stage::ServerRespond,
];

/// How a scenario's line names the multiple: `wire time 11.28x floor`.
pub fn describe(times: f64) -> String {
    format!("wire time {} floor", format_times(times))
}

/// `11.28x`, as the floor table's cells and the scenario lines write it.
pub fn format_times(times: f64) -> String {
    format!("{times:.2}x")
}

/// The mean round trip less the server's queue, decode and model.
fn wire_time_ns(s: &ScenarioReport) -> Option<u64> {
    s.stage(Stage::Transport).filter(|_| s.measured())?;
    let means = WIRE_STAGES.iter().filter_map(|&stage| s.stage(stage));
    Some(means.map(|m| m.mean_ns).sum())
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
        if floor.scenario.protocol != Protocol::Tcp || !floor.measured() {
            continue;
        }
        let floor_ms = wire_time_ns(floor).unwrap_or(0) as f64 / 1e6;
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
            row.push(times.map_or("-".into(), format_times));
        }
        rows.push(row);
    }
    if rows.len() == 1 || others.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n");
    out.push_str(&wrap(
        "Wire time as a multiple of the floor's (mean round trip less the server's queue, \
         decode and model; the floor: the same body one way over plain TCP, the smallest answer \
         back)",
        width,
        "",
    ));
    let _ = write!(out, "{}", align_within(&rows, 2, width));
    out
}
