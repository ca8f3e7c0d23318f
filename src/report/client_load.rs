//! What the report says about the client itself: how much of its cores it
//! used over the counted runs, how that split between encoding frames and
//! transport under `--encode live`, a note where it was saturated (the client,
//! not the server, may then be the limit, and shards are the way out), and
//! scenarios that missed their `--start-at` slot.

use super::text::{plural, wrap};
use super::{BenchReport, ScenarioReport};
use crate::client_cpu::{ClientCpu, SATURATED_SHARE};

/// The client's lines under the tables (empty where no scenario measured
/// the client's CPU and none missed its slot).
pub fn render(report: &BenchReport, width: Option<usize>) -> String {
    let lines: Vec<String> = [
        usage_line(report),
        encode_split_line(report),
        saturation_note(report),
    ]
    .into_iter()
    .flatten()
    .chain(schedule_notes(report))
    .collect();
    let mut out = String::new();
    if !lines.is_empty() {
        out.push('\n');
    }
    for line in lines {
        out.push_str(&wrap(&line, width, "  "));
    }
    out
}

/// The measured scenarios' client CPU, with their labels.
fn measured(report: &BenchReport) -> Vec<(&ScenarioReport, ClientCpu)> {
    (report.scenarios.iter())
        .filter(|s| s.measured())
        .filter_map(|s| s.client_cpu.map(|cpu| (s, cpu)))
        .collect()
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// A share's range over the scenarios: `35%`, or `35-62%`.
fn range(shares: impl Iterator<Item = f64>) -> Option<String> {
    let shares: Vec<f64> = shares.collect();
    let low = shares.iter().copied().reduce(f64::min)?;
    let high = shares.iter().copied().reduce(f64::max)?;
    Some(match (low * 100.0).round() == (high * 100.0).round() {
        true => percent(low),
        false => format!("{:.0}-{}", low * 100.0, percent(high)),
    })
}

/// `Client CPU: 35-62% of 2 cores over the counted runs (the built-in
/// server, in the same process: 20-40%)`.
fn usage_line(report: &BenchReport) -> Option<String> {
    let cpus = measured(report);
    let cores = cpus.first()?.1.cores;
    let client = range(cpus.iter().map(|(_, c)| c.share_of_cores()))?;
    let server_share =
        |c: &ClientCpu| c.in_process_server_cpu_s / c.wall_s.max(1e-9) / c.cores as f64;
    let server = match cpus.iter().any(|(_, c)| c.in_process_server_cpu_s > 0.0) {
        true => range(cpus.iter().map(|(_, c)| server_share(c)))
            .map(|r| format!(" (the built-in server, in the same process: {r})")),
        false => None,
    };
    Some(format!(
        "Client CPU: {client} of {} over the counted runs{}",
        plural(cores, "core"),
        server.unwrap_or_default()
    ))
}

/// `Client CPU split: encoding frames 70-80%, transport 20-30% of the
/// client's CPU (--encode live's encoder threads, the rest)`, where frames
/// were encoded live (with a pool, all of it is transport).
fn encode_split_line(report: &BenchReport) -> Option<String> {
    let cpus: Vec<ClientCpu> = measured(report).into_iter().map(|(_, c)| c).collect();
    if !cpus.iter().any(|c| c.encode_cpu_s > 0.0) {
        return None;
    }
    let share =
        |part: fn(&ClientCpu) -> f64| range(cpus.iter().map(|c| part(c) / c.cpu_s.max(1e-9)));
    Some(format!(
        "Client CPU split: encoding frames {}, transport {} of the client's CPU (the --encode \
         live encoder threads; the rest)",
        share(|c| c.encode_cpu_s)?,
        share(ClientCpu::transport_cpu_s)?,
    ))
}

/// The note where the client was saturated, or shared a saturated machine
/// with the built-in server.
fn saturation_note(report: &BenchReport) -> Option<String> {
    let cpus = measured(report);
    let saturated: Vec<String> = (cpus.iter())
        .filter(|(_, c)| c.saturated())
        .map(|(s, _)| s.label())
        .collect();
    if !saturated.is_empty() {
        return Some(format!(
            "Note: the client used more than {} of its cores in {} ({}): the client, not the \
             server, may be what limits these figures; split the load over machines with \
             --shard (docs/scale-out.md)",
            percent(SATURATED_SHARE),
            plural(saturated.len(), "scenario"),
            saturated.join(", ")
        ));
    }
    let crowded: Vec<String> = (cpus.iter())
        .filter(|(_, c)| machine_share(c) > SATURATED_SHARE)
        .map(|(s, _)| s.label())
        .collect();
    (!crowded.is_empty()).then(|| {
        format!(
            "Note: the client and the built-in server together used more than {} of the cores \
             in {} ({}): they compete for them, so neither side's figures are its own limit; run \
             `imgwire serve` on another machine and point --rest-url/--grpc-url at it",
            percent(SATURATED_SHARE),
            plural(crowded.len(), "scenario"),
            crowded.join(", ")
        )
    })
}

/// The client's and the in-process server's CPU together, per core.
fn machine_share(cpu: &ClientCpu) -> f64 {
    let total = ClientCpu {
        cpu_s: cpu.cpu_s + cpu.in_process_server_cpu_s,
        ..*cpu
    };
    total.share_of_cores()
}

/// `Schedule: 1080x1920 binary REST started 0.30 s late` per scenario
/// that missed its `--start-at` slot.
fn schedule_notes(report: &BenchReport) -> Vec<String> {
    (report.scenarios.iter())
        .filter_map(|s| {
            let note = s.schedule.as_ref()?.note()?;
            Some(format!(
                "Schedule: {} {note} (its windows do not line up with other shards' by that much)",
                s.label()
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu(client: f64, server: f64) -> ClientCpu {
        ClientCpu {
            cpu_s: client,
            in_process_server_cpu_s: server,
            encode_cpu_s: 0.0,
            wall_s: 1.0,
            cores: 2,
        }
    }

    #[test]
    fn ranges_read_low_to_high_and_collapse_when_equal() {
        assert_eq!(range([0.35, 0.62, 0.5].into_iter()).unwrap(), "35-62%");
        assert_eq!(range([0.4, 0.4].into_iter()).unwrap(), "40%");
        assert_eq!(range(std::iter::empty()), None);
    }

    #[test]
    fn the_machine_share_adds_the_in_process_server() {
        assert!((machine_share(&cpu(1.0, 0.9)) - 0.95).abs() < 1e-12);
        assert!(!cpu(1.0, 0.9).saturated(), "the client alone used half");
    }
}
