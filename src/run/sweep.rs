//! `imgwire bench --sweep FACTOR`: the same matrix run once per value of one
//! transport factor, everything else fixed, folded into one table. Each
//! value is a plan of its own: `--csv`, `--html` and `--trace` get one file
//! per value, `--flamegraph` and `--charts` one folder per value, and
//! `--json` one file holding every value, rewritten as each scenario finishes.
//! `--sweep tls` also shows what TLS adds to each burst, and each client's
//! time to open a connection.

use crate::output::OutputPath;
use crate::protocol::Protocol;
use crate::report::versus::{seconds_plus_minus, time_change, Ratio};
use crate::report::{align_within, format_bytes, wrap, BenchReport, ScenarioReport};
use crate::run::bench::measure;
use crate::run::plan::outputs::Shape;
use crate::run::plan::{BenchPlan, SweepFactor, TransportKnob};
use crate::wire::gzip::Compression;
use anyhow::{Context, Result};
use serde::Serialize;

/// One value a factor takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepValue {
    /// The library's own default (no setting sent).
    LibraryDefault,
    Bytes(u32),
    Count(u32),
    Compression(Compression),
    /// A switch: TLS or TCP_NODELAY, on or off.
    On(bool),
}

impl SweepValue {
    /// How tables name it: `default`, `256 KiB`, `20`, `gzip`.
    pub fn label(self) -> String {
        match self {
            SweepValue::LibraryDefault => "default".into(),
            SweepValue::Bytes(bytes) => format_bytes(bytes.into()),
            SweepValue::Count(n) => n.to_string(),
            SweepValue::Compression(c) => c.name().into(),
            SweepValue::On(on) => if on { "on" } else { "off" }.into(),
        }
    }

    /// How file names carry it: the label without spaces.
    fn slug(self) -> String {
        self.label().replace(' ', "")
    }
}

/// The values a sweep of `factor` runs, in order.
pub fn values(plan: &BenchPlan, factor: SweepFactor) -> Vec<SweepValue> {
    use SweepValue::{Bytes, Count, LibraryDefault};
    match factor {
        SweepFactor::Window => vec![
            LibraryDefault,
            Bytes(256 << 10),
            Bytes(1 << 20),
            Bytes(4 << 20),
            Bytes(16 << 20),
        ],
        SweepFactor::Frame => vec![
            LibraryDefault,
            Bytes(64 << 10),
            Bytes(256 << 10),
            Bytes(1 << 20),
        ],
        SweepFactor::Channels => [1, 2, 4, 8, 20].map(Count).to_vec(),
        SweepFactor::Compression => vec![
            SweepValue::Compression(Compression::None),
            SweepValue::Compression(Compression::Gzip),
        ],
        SweepFactor::Pool => [1, 2, 5, 10, 20].map(Count).to_vec(),
        SweepFactor::Tls => vec![SweepValue::On(false), SweepValue::On(true)],
        SweepFactor::Nodelay => vec![SweepValue::On(true), SweepValue::On(false)],
        SweepFactor::Concurrency => {
            let levels = plan.load.concurrency_levels.iter();
            levels
                .map(|&c| Count(u32::try_from(c).unwrap_or(u32::MAX)))
                .collect()
        }
    }
}

/// The plan of one point: `base` with the factor set to `value` (on client
/// and server alike, `BenchPlan::set_knob`) and outputs of its own
/// (`OutputPlan::for_sweep_point`). TLS on: the built-in servers get a
/// certificate made now, and the client trusts it.
pub fn point_plan(base: &BenchPlan, factor: SweepFactor, value: SweepValue) -> Result<BenchPlan> {
    let mut plan = base.clone();
    match (factor, value) {
        (SweepFactor::Tls, SweepValue::On(on)) => {
            plan.server.tls = None;
            if on {
                let (tls, certificate) = crate::server::ServerTls::self_signed()?;
                plan.server.tls = Some(tls);
                plan.client.tls.pinned = vec![certificate];
            }
        }
        (SweepFactor::Concurrency, SweepValue::Count(n)) => {
            crate::run::load::set_concurrency(&mut plan, n as usize);
        }
        _ => plan.set_knob(knob(factor, value)),
    }
    plan.sweep = None;
    let suffix = format!("{}-{}", factor.name(), value.slug());
    plan.outputs = base.outputs.for_sweep_point(&suffix);
    Ok(plan)
}

/// The transport knob a factor's value sets.
fn knob(factor: SweepFactor, value: SweepValue) -> TransportKnob {
    let bytes = match value {
        SweepValue::Bytes(b) => Some(b),
        _ => None,
    };
    match (factor, value) {
        (SweepFactor::Window, _) => TransportKnob::StreamWindow(bytes),
        (SweepFactor::Frame, _) => TransportKnob::MaxFrame(bytes),
        (SweepFactor::Channels, SweepValue::Count(n)) => TransportKnob::GrpcChannels(n as usize),
        (SweepFactor::Pool, SweepValue::Count(n)) => TransportKnob::RestPool(n as usize),
        (SweepFactor::Compression, SweepValue::Compression(c)) => TransportKnob::Compression(c),
        (SweepFactor::Nodelay, SweepValue::On(on)) => TransportKnob::TcpNodelay(on),
        (factor, value) => unreachable!("{factor:?} never takes {value:?}"),
    }
}

/// Rows: each protocol; columns: the factor's values; cells: the client's
/// mean time to open a connection (TCP connect plus any TLS handshake) and
/// how many it opened over the run.
fn connect_table(points: &[(String, BenchReport)], width: Option<usize>) -> String {
    let Some((_, first)) = points.first() else {
        return String::new();
    };
    let header =
        std::iter::once("connect".to_string()).chain(points.iter().map(|(v, _)| v.clone()));
    let mut rows = vec![header.collect::<Vec<_>>()];
    for protocol in first.connects.iter().map(|c| c.protocol) {
        let cells = points.iter().map(|(_, report)| {
            report
                .connects
                .iter()
                .find(|c| c.protocol == protocol)
                .map_or("-".to_string(), |c| {
                    format!("{:.3} ms x{}", c.mean_ms(), c.connections)
                })
        });
        rows.push(
            std::iter::once(protocol.label().to_string())
                .chain(cells)
                .collect(),
        );
    }
    if rows.len() == 1 {
        return String::new();
    }
    let heading = "Time to open a connection (TCP connect + TLS handshake), mean ms x connections \
                   opened";
    format!(
        "\n{}{}",
        wrap(heading, width, "  "),
        align_within(&rows, 1, width)
    )
}

/// One value's run.
#[derive(Serialize)]
struct SweepPoint<'a> {
    value: String,
    report: &'a BenchReport,
}

/// Runs the sweep, prints its table, writes `--json` as `{sweep, points}`;
/// returns the last point's report.
pub fn run(plan: &BenchPlan, factor: SweepFactor) -> Result<BenchReport> {
    plan.check()?;
    let mut done: Vec<(String, BenchReport)> = Vec::new();
    for value in values(plan, factor) {
        let label = value.label();
        if !plan.outputs.quiet {
            eprintln!("sweep {} = {label}", factor.name());
        }
        let point = point_plan(plan, factor, value)?;
        let mut progress = |partial: &BenchReport| {
            write_json(plan.outputs.json(), factor, &done, Some((&label, partial)))
        };
        let report = measure(&point, &mut progress)
            .with_context(|| format!("the sweep stopped at {} = {label}", factor.name()))?;
        done.push((label, report));
    }
    write_json(plan.outputs.json(), factor, &done, None)?;
    let mut tables = render(factor, &done, plan);
    if factor == SweepFactor::Concurrency {
        tables.push_str(&crate::run::load::render_curves(&done));
    }
    match plan.outputs.takes_stdout() {
        true => eprint!("{tables}"),
        false => print!("{tables}"),
    }
    done.pop()
        .map(|(_, report)| report)
        .context("a sweep has at least one value")
}

/// Rewrites the sweep's JSON with the points done and the one under way.
fn write_json(
    path: Option<&OutputPath>,
    factor: SweepFactor,
    done: &[(String, BenchReport)],
    current: Option<(&String, &BenchReport)>,
) -> Result<()> {
    let Some(path) = path else {
        return Ok(());
    };
    // Stdout takes one document, once the sweep is over.
    if path.is_stdout() && current.is_some() {
        return Ok(());
    }
    let points: Vec<SweepPoint> = done
        .iter()
        .map(|(value, report)| (value, report))
        .chain(current)
        .map(|(value, report)| SweepPoint {
            value: value.clone(),
            report,
        })
        .collect();
    let mut body = serde_json::json!({ "sweep": factor, "points": points });
    if factor == SweepFactor::Concurrency {
        let reports: Vec<&BenchReport> = points.iter().map(|p| p.report).collect();
        body["curves"] = serde_json::to_value(crate::report::curve::curves(&reports))?;
    }
    let mut bytes = serde_json::to_vec_pretty(&body)?;
    bytes.push(b'\n');
    path.write(&bytes)
}

/// Rows: each scenario; columns: the factor's values (seconds per burst,
/// each with its interval); for an on/off factor, the change the second
/// value makes with its interval; under `--sweep tls`, each client's time
/// to connect.
fn render(factor: SweepFactor, points: &[(String, BenchReport)], plan: &BenchPlan) -> String {
    let Some((_, first)) = points.first() else {
        return String::new();
    };
    let tls = factor == SweepFactor::Tls;
    let change_column = match factor {
        SweepFactor::Tls => Some("TLS adds"),
        SweepFactor::Nodelay => Some("Nagle adds (off vs on)"),
        _ => None,
    };
    let width = crate::report::width(plan.outputs.wide);
    let heading = format!(
        "Sweep of {}: seconds per burst (mean ± the wider half of its 95 % interval), \
         everything else fixed",
        factor.name()
    );
    let mut out = format!("\n{}", wrap(&heading, width, "  "));
    let header = std::iter::once("scenario".to_string())
        .chain(points.iter().map(|(v, _)| v.clone()))
        .chain(change_column.map(String::from));
    let mut rows = vec![header.collect::<Vec<_>>()];
    for (index, scenario) in first.scenarios.iter().enumerate() {
        let at_each: Vec<Option<&ScenarioReport>> = points
            .iter()
            .map(|(_, report)| report.scenarios.get(index))
            .collect();
        let cells = at_each.iter().map(|at| {
            at.map_or("-".to_string(), |s| {
                seconds_plus_minus(s.burst.mean_s(), s.burst.mean_ci95_s())
            })
        });
        let change = change_column.map(|_| match (scenario.scenario.protocol, &at_each[..]) {
            (Protocol::Tcp, _) if tls => "- (no TLS)".to_string(),
            (_, [Some(first), Some(second)]) => {
                Ratio::of_bursts(second, first).map_or("-".to_string(), time_change)
            }
            _ => "-".to_string(),
        });
        rows.push(
            std::iter::once(scenario.label())
                .chain(cells)
                .chain(change)
                .collect(),
        );
    }
    out.push_str(&align_within(&rows, 1, width));
    if tls {
        out.push_str(&connect_table(points, width));
        out.push_str(&wrap(
            "  the tcp floor has no TLS: its rows are plain in both columns; TLS adds: the mean \
             burst on against off, with the 95 % interval of that change",
            width,
            "    ",
        ));
    }
    out.push_str(&per_value_notes(factor, plan, width));
    out
}

/// Where a sweep's per-value files and folders went, one line per flag.
fn per_value_notes(factor: SweepFactor, plan: &BenchPlan, width: Option<usize>) -> String {
    let mut out = String::new();
    let example = plan
        .outputs
        .for_sweep_point(&format!("{}-VALUE", factor.name()));
    for output in example.files.iter().filter(|o| !o.by_command) {
        let what = match output.kind.shape {
            Shape::File if output.path.is_stdout() => continue,
            Shape::File => "file",
            Shape::Folder => "folder",
        };
        let path = output.path.path.display();
        let line = format!("  {}: one {what} per value, {path}", output.kind.flag);
        out.push_str(&wrap(&line, width, "    "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::cli::test_plan as plan;

    #[test]
    fn tls_on_gives_the_servers_a_certificate_the_client_trusts() {
        let base = plan(&["--tls-ca", "ca.pem"]);
        let values = values(&base, SweepFactor::Tls);
        assert_eq!(
            values.iter().map(|v| v.label()).collect::<Vec<_>>(),
            ["off", "on"]
        );
        let off = point_plan(&base, SweepFactor::Tls, values[0]).unwrap();
        assert!(off.server.tls.is_none() && off.client.tls.pinned.is_empty());
        let on = point_plan(&base, SweepFactor::Tls, values[1]).unwrap();
        assert!(on.server.tls.is_some());
        assert_eq!(on.client.tls.pinned.len(), 1);
        assert_eq!(on.client.tls.ca_file, base.client.tls.ca_file);
    }

    #[test]
    fn nodelay_off_leaves_nagle_on_at_both_ends() {
        let base = plan(&[]);
        let values = values(&base, SweepFactor::Nodelay);
        let labels: Vec<String> = values.iter().map(|v| v.label()).collect();
        assert_eq!(labels, ["on", "off"]);
        let on = point_plan(&base, SweepFactor::Nodelay, values[0]).unwrap();
        assert!(on.client.h2.tcp_nodelay() && on.server.h2.tcp_nodelay());
        let off = point_plan(&base, SweepFactor::Nodelay, values[1]).unwrap();
        assert!(!off.client.h2.tcp_nodelay() && !off.server.h2.tcp_nodelay());
    }

    #[test]
    fn tls_against_remote_urls_is_refused_before_anything_runs() {
        let mut remote = plan(&["--protocols", "rest", "--rest-url", "http://127.0.0.1:9"]);
        remote.sweep = Some(SweepFactor::Tls);
        let err = run(&remote, SweepFactor::Tls).unwrap_err().to_string();
        assert!(err.contains("--sweep tls"), "{err}");
    }
}
