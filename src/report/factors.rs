//! Why REST/1.1 and gRPC differ, one factor at a time: REST/2 carries the
//! same bodies as REST/1.1 over HTTP/2, so REST/2 - REST/1.1 is the HTTP
//! version and gRPC - REST/2 is gRPC's own framing and protobuf. The stage
//! that differs most says where the gap sits.

use super::stages::shown_name;
use super::text::{align_within, wrap};
use super::versus::{times_faster, Ratio, NO_CLEAR_DIFFERENCE};
use super::{BenchReport, Scenario, ScenarioReport};
use crate::protocol::Protocol;
use crate::stage::Stage;

/// The table as the terminal prints it: a title, the rows aligned, the
/// legend; empty when the run did not measure both REST/1.1 and gRPC.
pub fn render(report: &BenchReport, width: Option<usize>) -> String {
    let Some(table) = table(report) else {
        return String::new();
    };
    let mut out = String::from("\n");
    out.push_str(&wrap(TITLE, width, ""));
    out.push_str(&align_within(&table.rows, 2, width));
    out.push_str(&wrap(&format!("  ({})", table.legend), width, "   "));
    out
}

/// The table's title.
pub const TITLE: &str =
    "Where gRPC and REST/1.1 part (seconds per burst; each column changes one factor)";

/// The rows (the header first) and the legend, for any output to lay out.
pub struct FactorsTable {
    pub rows: Vec<Vec<String>>,
    pub legend: &'static str,
}

/// One row per size x payload where the run measured both REST/1.1 and
/// gRPC; None when it did not.
pub fn table(report: &BenchReport) -> Option<FactorsTable> {
    let find = |cell: &ScenarioReport, protocol: Protocol| {
        report
            .scenario(Scenario {
                protocol,
                ..cell.scenario
            })
            .filter(|s| s.requests > 0)
    };
    let mut rows = vec![[
        "size",
        "payload",
        "REST/1.1",
        "+HTTP/2",
        "+gRPC framing",
        "gRPC-REST/1.1",
        "faster [95% interval]",
        "largest stage gap",
    ]
    .map(String::from)
    .to_vec()];
    let mut split = true;
    for s in &report.scenarios {
        if s.scenario.protocol != Protocol::Rest || !s.measured() {
            continue;
        }
        let Some(grpc) = find(s, Protocol::Grpc).filter(|g| g.measured()) else {
            continue;
        };
        let h2 = find(s, Protocol::RestH2);
        split &= h2.is_some();
        let mean = |r: &ScenarioReport| r.burst.mean_s();
        let delta = |d: f64| signed(d, 4);
        rows.push(vec![
            s.scenario.size.to_string(),
            s.scenario.payload.name().to_string(),
            format!("{:.4}", mean(s)),
            h2.map_or("-".into(), |h| delta(mean(h) - mean(s))),
            h2.map_or("-".into(), |h| delta(mean(grpc) - mean(h))),
            delta(mean(grpc) - mean(s)),
            faster_of(s, grpc),
            largest_stage_gap(s, grpc),
        ]);
    }
    if rows.len() == 1 {
        return None;
    }
    if !rows.iter().skip(1).any(|r| r[3] != "-") {
        // No REST/2 anywhere: the two split columns would be empty.
        for row in &mut rows {
            row.drain(3..5);
        }
    }
    let legend = if split {
        "+HTTP/2 is REST/2 - REST/1.1, the same bodies over HTTP/2; +gRPC framing is gRPC - \
         REST/2; faster: which of the two, how many times, and the 95 % interval of that ratio \
         (bootstrap over the bursts); the largest stage gap is the request stage whose mean \
         differs most, ~ where the interval of its ratio holds 1"
    } else {
        "faster: which of the two, how many times, and the 95 % interval of that ratio \
         (bootstrap over the bursts); the largest stage gap is the request stage whose mean \
         differs most, ~ where the interval of its ratio holds 1; add rest-h2 to --protocols to \
         split the gap into HTTP/2 and gRPC's own framing"
    };
    Some(FactorsTable { rows, legend })
}

/// Which of REST/1.1 and gRPC is faster per burst, by how many times with
/// the ratio's interval, or `no clear difference`.
fn faster_of(rest: &ScenarioReport, grpc: &ScenarioReport) -> String {
    let (slow, fast) = match grpc.burst.mean_ns < rest.burst.mean_ns {
        true => (rest, grpc),
        false => (grpc, rest),
    };
    match Ratio::of_bursts(slow, fast).map(times_faster) {
        Some(text) if text == NO_CLEAR_DIFFERENCE => text,
        Some(text) => format!("{} {text}", fast.scenario.protocol.label()),
        None => "-".into(),
    }
}

/// The request stage whose mean differs most between gRPC and REST/1.1,
/// marked `~` where the interval of its ratio holds 1.
fn largest_stage_gap(rest: &ScenarioReport, grpc: &ScenarioReport) -> String {
    let gap = |stage: &Stage| {
        let mean = |r: &ScenarioReport| r.stage(*stage).map_or(0, |m| m.mean_ns) as f64;
        (*stage, mean(grpc) - mean(rest))
    };
    let Some((stage, ns)) = Stage::IN_REQUEST
        .iter()
        .map(gap)
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
    else {
        return "-".into();
    };
    let mut text = format!("{} {} ms", shown_name(rest, stage), signed(ns / 1e6, 1));
    let ratio = Ratio::of_stage(grpc, rest, stage);
    if ratio.and_then(|r| r.direction()) == Some(super::interval::Direction::NoClearDifference) {
        text.push_str(" ~");
    }
    text
}

/// A signed difference to `decimals` places; one that would round to zero
/// is shown as below the last place (`+<0.0001`), never as a measured zero.
fn signed(value: f64, decimals: usize) -> String {
    let last_place = 10f64.powi(-(decimals as i32));
    if value.abs() >= last_place / 2.0 {
        return format!("{value:+.decimals$}");
    }
    let sign = if value < 0.0 { '-' } else { '+' };
    format!("{sign}<{last_place:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::signed;

    #[test]
    fn a_difference_below_the_last_place_is_never_printed_as_zero() {
        assert_eq!(signed(0.00003, 4), "+<0.0001");
        assert_eq!(signed(-0.00003, 4), "-<0.0001");
        assert_eq!(signed(0.0, 1), "+<0.1");
        assert_eq!(signed(0.00012, 4), "+0.0001");
        assert_eq!(signed(-2.25, 1), "-2.2");
    }
}
