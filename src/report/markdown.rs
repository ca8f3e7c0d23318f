//! `--export-markdown PATH`: one Markdown table of every scenario (seconds
//! per burst with its 95 % interval, p99, requests/s, bytes, the dominant
//! stage), `n/a` rows for the cells the
//! target cannot take with their reasons under it, and, for a server that
//! is not imgwire's, a table of its own stages from its statistics; then
//! the run's settings (the terminal header's lines) and each scenario's
//! stage table with its notes, so the file holds what the terminal showed;
//! to paste into a pull request.

use super::server_stats::by_reason;
use super::stages::{
    details, dominant_name, extra_lines, headline, no_server_timings, no_timings_line,
    request_rows, timing_warning_text,
};
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
        out.push_str(&super::load_figures::markdown_table(report));
        out.push_str(&super::merged::markdown(report.merged.as_ref()));
        out.push_str(&server_stats_table(report)?);
        out.push_str(&client_lines(report));
        out.push_str(&settings(report));
        out.push_str(&stage_tables(report)?);
        Ok(out.into_bytes())
    }
}

/// The client's CPU and schedule lines, one paragraph each.
fn client_lines(report: &BenchReport) -> String {
    let text = super::client_load::render(report, None);
    let lines: Vec<String> = (text.lines().map(str::trim))
        .filter(|l| !l.is_empty())
        .map(|l| format!("\n{}\n", escape(l)))
        .collect();
    lines.concat()
}

/// The terminal header's lines, one bullet each.
fn settings(report: &BenchReport) -> String {
    let mut out = String::from("\n## Settings\n\n");
    let header = super::header::render(report, None);
    for line in header.lines().map(str::trim).filter(|l| !l.is_empty()) {
        out.push_str(&format!("- {}\n", escape(line)));
    }
    out
}

/// Each scenario's stage table (ms per request) under its headline, with
/// the notes the terminal prints under it.
fn stage_tables(report: &BenchReport) -> Result<String> {
    let mut out = String::from("\n## Stages per scenario (ms per request)\n");
    for s in &report.scenarios {
        if !s.measured() {
            let (label, why) = (escape(&s.label()), escape(&s.failure_text()));
            write!(out, "\n### {label}\n\n{why}\n")?;
            continue;
        }
        write!(out, "\n### {}\n\n", escape(&headline(s)))?;
        let details = details(report, s);
        for line in details.lines().map(str::trim).filter(|l| !l.is_empty()) {
            writeln!(out, "{}  ", escape(line))?;
        }
        let wall_mean = s.stage(Stage::Wall).map_or(0, |m| m.mean_ns);
        out.push('\n');
        out.push_str(&table(&request_rows(s, wall_mean)));
        for line in extra_lines(s) {
            write!(out, "\n{}\n", escape(&sentence(&line)))?;
        }
        if no_server_timings(s) {
            let line = no_timings_line(s, "above, in the server's own stages");
            write!(out, "\n{}\n", escape(&sentence(&line)))?;
        }
        if let Some(profile) = &s.profile {
            let hot: Vec<String> = profile
                .hottest
                .iter()
                .map(|h| format!("{} {:.0}%", h.function, h.self_share * 100.0))
                .collect();
            writeln!(
                out,
                "\nProfile: hottest on the {} side (self time): {}; files: {}.  \n{}",
                profile.hottest_side.name(),
                escape(&hot.join(", ")),
                escape(&profile.files.join(" ")),
                escape(&profile.cpu_only_note())
            )?;
        }
        if s.timing_warnings > 0 {
            let warning = format!("warning: {}", timing_warning_text(s));
            write!(out, "\n{}\n", escape(&sentence(&warning)))?;
        }
    }
    Ok(out)
}

/// A note as a paragraph: trimmed, its first letter a capital, a full stop
/// at its end.
fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// Rows as a Markdown table: the first row the header, the first column
/// left-aligned and the others right-aligned.
fn table(rows: &[Vec<String>]) -> String {
    let Some(header) = rows.first() else {
        return String::new();
    };
    let line = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| escape(c.trim())).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    let mut out = line(header);
    let rule: Vec<&str> = (0..header.len())
        .map(|i| if i == 0 { "---" } else { "---:" })
        .collect();
    out.push_str(&format!("| {} |\n", rule.join(" | ")));
    for row in &rows[1..] {
        out.push_str(&line(row));
    }
    out
}

/// A row per scenario, a row per cell the target cannot take, and each
/// distinct reason for those under the table.
fn scenario_table(report: &BenchReport) -> Result<String> {
    let mut out = String::from(
        "| size | payload | protocol | s/burst [95% interval] | p99 s/burst | requests/s | MB/request | wire MB sent | dominant stage | errors |\n\
         | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |\n",
    );
    for r in &report.scenarios {
        if !r.measured() {
            let (size, payload, protocol) = (
                r.scenario.size,
                r.scenario.payload.name(),
                r.scenario.protocol.label(),
            );
            let why = escape(&r.failure_text());
            writeln!(
                out,
                "| {size} | {payload} | {protocol} | {why} | | | | | | {} |",
                r.errors
            )?;
            continue;
        }
        writeln!(
            out,
            "| {} | {} | {} | {}{} | {:.4} | {:.1} | {:.3} | {:.3} | {} | {} |",
            r.scenario.size,
            r.scenario.payload.name(),
            r.scenario.protocol.label(),
            seconds_with_interval(r.burst.mean_s(), r.burst.mean_ci95_s(), 4),
            super::load_figures::marker(&r.load),
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
        let marker = super::load_figures::UNSTABLE_MARKER;
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
