//! `--export-markdown PATH`: one Markdown table of every scenario (seconds
//! per burst with its 95 % interval, p99, requests/s, bytes, the dominant
//! stage), `n/a` rows for the cells the
//! target cannot take with their reasons under it, and, for a server that
//! is not imgwire's, a table of its own stages from its statistics; to
//! paste into a pull request.

use super::server_stats::by_reason;
use super::stages::dominant_name;
use super::text::unique;
use super::versus::seconds_with_interval;
use super::{megabytes, BenchReport, Exporter, ScenarioReport};
use crate::stage::Stage;
use anyhow::Result;
use std::fmt::Write;

pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn render(&self, report: &BenchReport) -> Result<Vec<u8>> {
        let s = &report.settings;
        let mut out = format!(
            "imgwire {}: {} concurrent requests x {} counted bursts, encoder {}, compression {}\n\n",
            report.imgwire_version,
            s.concurrency,
            s.bursts,
            s.encoder.name(),
            s.compression.name()
        );
        out.push_str(&scenario_table(report)?);
        out.push_str(&super::load::markdown_table(report));
        out.push_str(&server_stats_table(report)?);
        Ok(out.into_bytes())
    }
}

/// A row per scenario, a row per cell the target cannot take, and each
/// distinct reason for those under the table.
fn scenario_table(report: &BenchReport) -> Result<String> {
    let mut out = String::from(
        "| size | payload | protocol | s/burst [95% interval] | p99 s/burst | requests/s | MB/request | wire MB sent | dominant stage | errors |\n\
         | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |\n",
    );
    for r in &report.scenarios {
        writeln!(
            out,
            "| {} | {} | {} | {}{} | {:.4} | {:.1} | {:.3} | {:.3} | {} | {} |",
            r.scenario.size,
            r.scenario.payload.name(),
            r.scenario.protocol.label(),
            seconds_with_interval(r.burst.mean_s(), r.burst.mean_ci95_s(), 4),
            super::load::marker(&r.load),
            r.burst.p99_s(),
            r.throughput.requests_per_s,
            megabytes(r.bytes.request_body_bytes),
            megabytes(r.bytes.wire_sent_bytes),
            dominant_name(r),
            r.errors
        )?;
    }
    for cell in &report.not_applicable {
        writeln!(
            out,
            "| all sizes | {} | {} | n/a | - | - | - | - | - | - |",
            cell.payload.name(),
            cell.protocol.label()
        )?;
    }
    let reasons = by_reason(&report.not_applicable);
    if !reasons.is_empty() {
        out.push('\n');
    }
    for (reason, cells) in reasons {
        writeln!(out, "- n/a: {} ({})", escape(reason), cells.join(", "))?;
    }
    if report
        .scenarios
        .iter()
        .any(|r| r.load.stable == Some(false))
    {
        let marker = super::load::UNSTABLE_MARKER;
        writeln!(
            out,
            "\n{marker}: unstable, the warm-up never agreed within --stability"
        )?;
    }
    Ok(out)
}

/// The server's own stages for every scenario that has them, in ms, under
/// their label and source; a scenario whose reading failed says why.
fn server_stats_table(report: &BenchReport) -> Result<String> {
    let with_stats: Vec<&ScenarioReport> = report
        .scenarios
        .iter()
        .filter(|r| r.server_stats.is_some())
        .collect();
    let all = || with_stats.iter().filter_map(|r| r.server_stats.as_ref());
    let Some(first) = all().next() else {
        return Ok(String::new());
    };
    let mut stages: Vec<Stage> = unique(all().flat_map(|st| st.mean_ns.keys().copied()));
    stages.sort();
    let sources = unique(all().map(|st| st.source.as_str()));
    let mut out = format!(
        "\nThe server's own stages, {}; source: {}\n\n\
         | size | payload | protocol | requests counted |",
        first.label,
        escape(&sources.join("; "))
    );
    for stage in &stages {
        write!(out, " {} ms |", stage.name())?;
    }
    out.push_str("\n| --- | --- | --- | ---: |");
    out.push_str(&" ---: |".repeat(stages.len()));
    out.push('\n');
    let mut problems = String::new();
    for r in with_stats {
        let Some(stats) = &r.server_stats else {
            continue;
        };
        let counted = match stats.problem {
            Some(_) => "-".to_string(),
            None => stats.requests.to_string(),
        };
        write!(
            out,
            "| {} | {} | {} | {counted} |",
            r.scenario.size,
            r.scenario.payload.name(),
            r.scenario.protocol.label()
        )?;
        for stage in &stages {
            let mean = stats.mean_ns.get(stage);
            let shown = mean.map_or("-".into(), |ns| format!("{:.3}", *ns as f64 / 1e6));
            write!(out, " {shown} |")?;
        }
        out.push('\n');
        if let Some(problem) = &stats.problem {
            writeln!(problems, "- {}: no figures: {}", r.label(), escape(problem))?;
        }
    }
    if !problems.is_empty() {
        out.push('\n');
        out.push_str(&problems);
    }
    Ok(out)
}

/// Text a table cell or line can hold: `|` escaped, line breaks as spaces.
fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}
