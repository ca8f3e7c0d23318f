//! Terminal tables: the run's header, the seed post's layout (seconds per
//! burst per size x protocol x payload, `n/a` where the target cannot take
//! a cell, with the reason under the table), where gRPC and REST part, then
//! one stage table per scenario. Prose fits the width asked for.

use super::server_stats::{by_reason, cannot_take};
use super::text::{align_within, unique, wrap};
use super::versus::{seconds_plus_minus, times_faster_brief, Ratio};
use super::{megabytes, BenchReport, Scenario};
use crate::frame::Size;
use crate::protocol::Protocol;
use crate::wire::PayloadKind;
use clap::ValueEnum;
use std::fmt::Write;

/// The terminal width every line fits, unless `--wide`.
pub use super::text::WIDTH;

/// How the tables are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct View {
    /// Leave out the per-scenario stage tables.
    pub brief: bool,
    /// Wrap prose to this many columns (None: one line each, `--wide`).
    pub width: Option<usize>,
}

/// Renders the whole report.
pub fn render(report: &BenchReport, view: View) -> String {
    let mut out = super::header::render(report, view.width);
    out.push_str(&seed_table(report, view.width));
    out.push_str(&super::factors::render(report, view.width));
    out.push_str(&super::load_lines::render(report, view.width));
    out.push_str(&super::client_load::render(report, view.width));
    if !view.brief {
        for scenario in &report.scenarios {
            out.push('\n');
            out.push_str(&super::stages::render(report, scenario, view.width));
        }
    }
    out
}

/// What the seed's table says above its cells.
pub(super) const SEED_CAPTION: &str = "Seconds per burst (mean of the counted bursts) ± the \
     wider half of its 95 % interval (bootstrap over the bursts); request body MB in brackets; \
     xN: how many times faster than the other protocol, where the 95 % interval of that ratio \
     excludes 1; ~: no clear difference (the interval holds 1)";

/// The line under the caption when the run measured the tcp floor.
pub(super) const FLOOR_NOTE: &str = "(TCP is the floor: the same body, length-prefixed over \
     plain TCP, one way, and the smallest answer back; no decoding, no HTTP)";

/// The seed's table: rows REST and gRPC per size, a column per payload with
/// seconds per burst, payload MB, and `xN` on the faster protocol.
fn seed_table(report: &BenchReport, width: Option<usize>) -> String {
    let rows = seed_rows(report);
    let mut out = wrap(SEED_CAPTION, width, "");
    if seed_protocols(report).contains(&Protocol::Tcp) {
        out.push_str(&wrap(FLOOR_NOTE, width, " "));
    }
    out.push_str(&align_within(&rows, 2, width));
    for (reason, cells) in by_reason(&report.not_applicable) {
        let line = format!("  n/a: {reason} ({})", cells.join(", "));
        out.push_str(&wrap(&line, width, "    "));
    }
    out
}

/// The protocols of the seed's table, measured or not applicable.
pub(super) fn seed_protocols(report: &BenchReport) -> Vec<Protocol> {
    with_missing(
        unique(report.scenarios.iter().map(|s| s.scenario.protocol)),
        report.not_applicable.iter().map(|c| c.protocol),
        Protocol::value_variants(),
    )
}

/// The seed's table as cells: a header row, then a row per size x
/// protocol (the size on its first row only), a cell per payload.
pub(super) fn seed_rows(report: &BenchReport) -> Vec<Vec<String>> {
    let scenarios = || report.scenarios.iter().map(|s| s.scenario);
    let cannot = &report.not_applicable;
    let payloads: Vec<PayloadKind> = with_missing(
        unique(scenarios().map(|s| s.payload)),
        cannot.iter().map(|c| c.payload),
        PayloadKind::value_variants(),
    );
    let protocols = seed_protocols(report);
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
    rows
}

/// `seen` with the items of `extra` it lacks, each placed before the first
/// item of `seen` that `canonical` orders after it: a payload no scenario
/// measured keeps its place among the columns.
fn with_missing<T: Copy + PartialEq>(
    mut seen: Vec<T>,
    extra: impl Iterator<Item = T>,
    canonical: &[T],
) -> Vec<T> {
    let rank = |item: &T| canonical.iter().position(|c| c == item);
    for item in unique(extra) {
        if seen.contains(&item) {
            continue;
        }
        let at = seen
            .iter()
            .position(|s| rank(s) > rank(&item))
            .unwrap_or(seen.len());
        seen.insert(at, item);
    }
    seen
}

/// A cell of the seed's table: seconds per burst, `n/a` where the target
/// cannot take it, `-` where the run did not measure it.
fn seed_cell(report: &BenchReport, wanted: Scenario) -> String {
    let Some(cell) = report.scenario(wanted) else {
        let cannot = cannot_take(&report.not_applicable, wanted.payload, wanted.protocol);
        return if cannot { "n/a" } else { "-" }.into();
    };
    if !cell.measured() {
        return "failed".into();
    }
    let mut text = format!(
        "{}{} ({:.3})",
        seconds_plus_minus(cell.burst.mean_s(), cell.burst.mean_ci95_s()),
        super::load_figures::marker(&cell.load),
        megabytes(cell.bytes.request_body_bytes)
    );
    // The tcp floor is a reference, not a contender: xN compares the others.
    let fastest_other = report
        .scenarios
        .iter()
        .filter(|s| s.scenario.size == wanted.size && s.scenario.payload == wanted.payload)
        .filter(|s| s.scenario.protocol != wanted.protocol && s.scenario.protocol != Protocol::Tcp)
        .filter(|s| s.measured())
        .min_by(|a, b| a.burst.mean_s().total_cmp(&b.burst.mean_s()));
    let contender = wanted.protocol != Protocol::Tcp && cell.requests > 0;
    let mine = cell.burst.mean_s();
    if let Some(other) =
        fastest_other.filter(|o| contender && mine > 0.0 && mine < o.burst.mean_s())
    {
        if let Some(ratio) = Ratio::of_bursts(other, cell) {
            let _ = write!(text, " {}", times_faster_brief(ratio));
        }
    }
    if cell.errors > 0 {
        let _ = write!(text, " [{} errors]", cell.errors);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_no_scenario_measured_keeps_its_place() {
        let all = [1, 2, 3, 4];
        assert_eq!(with_missing(vec![2, 3], [1].into_iter(), &all), [1, 2, 3]);
        assert_eq!(
            with_missing(vec![3, 1], [2, 4].into_iter(), &all),
            [2, 3, 1, 4]
        );
        assert_eq!(with_missing(vec![1, 2], [2].into_iter(), &all), [1, 2]);
    }
}
