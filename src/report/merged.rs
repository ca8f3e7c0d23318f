//! A merged report's own section (`imgwire merge`): the shards it was made
//! of, the warnings the merge went on with, and each shard's figures per
//! scenario with why one stands out; and the per-shard table the terminal
//! shows after the merged tables.

use serde::{Deserialize, Serialize};

/// Only in a merged report: the shards it was made of.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergedSection {
    /// The run's shard count, and the indexes given and not given.
    pub shard_count: usize,
    pub present: Vec<usize>,
    pub missing: Vec<usize>,
    /// Lines of the input that were not a report (log lines, progress).
    pub skipped_lines: usize,
    /// What the merge went on with but says (missing shards, a late start).
    pub warnings: Vec<String>,
    /// Each shard's figures per scenario, marked where it stands out.
    pub shards: Vec<ShardRow>,
}

/// One shard's figures for one scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardRow {
    pub index: usize,
    /// `--shard`, or the launcher's variable that named it.
    pub source: String,
    pub hostname: String,
    /// The file (or stdin line) it was read from.
    pub origin: String,
    pub scenario: String,
    pub requests: usize,
    pub errors: usize,
    /// Workers (closed) or connections (open) of the shard.
    pub concurrency: usize,
    pub requests_per_s: f64,
    /// The load model's p99 (from the due time under open load).
    pub p99_ns: u64,
    /// The client's CPU time over its cores' wall time, where measured.
    pub client_cpu_share: Option<f64>,
    pub client_saturated: Option<bool>,
    /// How late the counted run began after its planned start, and how
    /// long it ran past its slot, where the shard ran on a schedule.
    pub late_s: Option<f64>,
    pub overran_s: Option<f64>,
    /// Why the row stands out (empty when it does not).
    pub marks: Vec<String>,
}

/// The table: one line per scenario and shard, marks after.
pub fn render(rows: &[ShardRow], width: Option<usize>) -> String {
    let mut table = vec![[
        "scenario",
        "shard",
        "host",
        "requests",
        "errors",
        "req/s",
        "p99 ms",
        "client CPU",
        "late s",
    ]
    .map(String::from)
    .to_vec()];
    let percent = |share: Option<f64>| share.map_or("-".into(), |s| format!("{:.0} %", s * 100.0));
    for row in rows {
        let mark = if row.marks.is_empty() { "" } else { " *" };
        table.push(vec![
            row.scenario.clone(),
            format!("{}{mark}", row.index),
            row.hostname.clone(),
            row.requests.to_string(),
            row.errors.to_string(),
            format!("{:.1}", row.requests_per_s),
            format!("{:.3}", row.p99_ns as f64 / 1e6),
            percent(row.client_cpu_share),
            row.late_s.map_or("-".into(), |s| format!("{s:.2}")),
        ]);
    }
    let mut out = String::from("\nShards (*: stands out from the others)\n");
    out.push_str(&super::align_within(&table, 3, width));
    for row in rows.iter().filter(|r| !r.marks.is_empty()) {
        let line = format!(
            "* shard {} {}: {}",
            row.index,
            row.scenario,
            row.marks.join("; ")
        );
        out.push_str(&super::wrap(&line, width, "  "));
        out.push('\n');
    }
    out
}

/// Markdown: the shards merged and the per-shard table (empty for a report
/// that is not a merge).
pub fn markdown(section: Option<&MergedSection>) -> String {
    let Some(section) = section else {
        return String::new();
    };
    let present: Vec<String> = section.present.iter().map(ToString::to_string).collect();
    let mut out = format!(
        "\nMerged from {} of {} shards ({}); *: stands out from the others\n\n\
         | scenario | shard | host | requests | errors | req/s | p99 ms | client CPU | late s | stands out |\n\
         | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n",
        section.present.len(),
        section.shard_count,
        present.join(", ")
    );
    for row in &section.shards {
        let mark = if row.marks.is_empty() { "" } else { " *" };
        out.push_str(&format!(
            "| {} | {}{mark} | {} | {} | {} | {:.1} | {:.3} | {} | {} | {} |\n",
            row.scenario,
            row.index,
            row.hostname,
            row.requests,
            row.errors,
            row.requests_per_s,
            row.p99_ns as f64 / 1e6,
            row.client_cpu_share
                .map_or("-".into(), |s| format!("{:.0} %", s * 100.0)),
            row.late_s.map_or("-".into(), |s| format!("{s:.2}")),
            row.marks.join("; ")
        ));
    }
    for warning in &section.warnings {
        out.push_str(&format!("\nwarning: {warning}\n"));
    }
    out
}
