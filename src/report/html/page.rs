//! The HTML page around the charts: its style, the run's settings (the
//! terminal header's lines), the seed's table and the per-scenario stage
//! tables built from the same cells the terminal aligns, and the links to
//! each scenario's flamegraphs.

use super::{escape, relative_link, verdict, Chart};
use crate::profile::ProfileSummary;
use crate::protocol::Protocol;
use crate::report::server_stats::by_reason;
use crate::report::stages::{
    details, extra_lines, headline, no_server_timings, no_timings_line, request_rows,
    server_stats_heading, server_stats_rows, timing_warning_text,
};
use crate::report::table::{seed_protocols, seed_rows, FLOOR_NOTE, SEED_CAPTION};
use crate::report::{header, merged, BenchReport, ScenarioReport};
use crate::stage::Stage;
use std::fmt::Write;
use std::path::Path;

pub(crate) const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;\
margin:2rem auto;max-width:1600px;padding:0 1rem;color:#222;line-height:1.4}\
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}\
h3{margin:1.6rem 0 .3rem;font-size:1.05rem}\
.run{color:#666;margin-top:0}.settings li{margin:.15rem 0}\
table{border-collapse:collapse;margin:.6rem 0;font-variant-numeric:tabular-nums}\
th,td{padding:.25rem .7rem;border-bottom:1px solid #e4e4e4;text-align:right}\
th{background:#f5f5f5}td.name,th.name{text-align:left}\
td.faster{font-weight:600;color:#1a7f37}.note{color:#555;font-size:.92rem;margin:.2rem 0}\
.charts{display:flex;flex-wrap:wrap;gap:1rem}\
figure.chart{margin:0;border:1px solid #e4e4e4;border-radius:6px;padding:.4rem;\
flex:1 1 560px;max-width:760px}figure.chart svg{width:100%;height:auto;display:block}\
ul.verdict{font-size:1.05rem;padding-left:1.2rem}ul.verdict li{margin:.2rem 0}\
.incomplete{color:#b35900;font-weight:600}";

/// The page fetches nothing: no scripts, fonts, images or styles from
/// anywhere, only its inline style (the charts are inline SVG elements).
pub(crate) const CONTENT_POLICY: &str = "<meta http-equiv=\"Content-Security-Policy\" \
content=\"default-src 'none'; style-src 'unsafe-inline'\">\n";

/// The whole page, charts inline.
pub fn render(report: &BenchReport, charts: &[Chart], links_from: &Path) -> String {
    let mut out =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    // Nothing may load: a browser blocks (and logs) any fetch the page tries.
    out.push_str(CONTENT_POLICY);
    let _ = writeln!(
        out,
        "<title>imgwire bench {}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        escape(&report.run_id)
    );
    let _ = writeln!(out, "<h1>imgwire bench</h1>\n{}", run_line(report));
    out.push_str(&verdict::verdicts(report));
    out.push_str(&settings(report));
    out.push_str(&seed_table(report));
    out.push_str(&shard_section(report));
    out.push_str(&chart_section(charts));
    out.push_str("<h2 id=\"scenarios\">Scenarios</h2>\n");
    for scenario in &report.scenarios {
        out.push_str(&scenario_section(report, scenario, links_from));
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// The run's id, version and whether it finished.
fn run_line(report: &BenchReport) -> String {
    let state = match report.complete {
        true => String::new(),
        false => {
            " <span class=\"incomplete\">(incomplete: the run had not finished)</span>".to_string()
        }
    };
    format!(
        "<p class=\"run\">run {} &middot; imgwire {}{state}</p>",
        escape(&report.run_id),
        escape(report.imgwire_version)
    )
}

/// The terminal header's lines, one list item each.
fn settings(report: &BenchReport) -> String {
    let text = header::render(report, None);
    lines_as(
        &text,
        "<h2 id=\"settings\">Run settings</h2>\n<ul class=\"settings\">",
        "li",
        "</ul>",
    )
}

/// Each non-empty line of `text`, trimmed and escaped, in a `tag` element
/// between `open` and `close`.
fn lines_as(text: &str, open: &str, tag: &str, close: &str) -> String {
    let mut out = format!("{open}\n");
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let _ = writeln!(out, "<{tag}>{}</{tag}>", escape(line));
    }
    let _ = writeln!(out, "{close}");
    out
}

/// The seed's table: the terminal's cells in a table, the faster
/// protocol's cells marked, the n/a reasons and where gRPC and REST part
/// under it.
fn seed_table(report: &BenchReport) -> String {
    let mut out = format!(
        "<h2 id=\"seed\">Seconds per burst</h2>\n<p class=\"note\">{}</p>\n",
        escape(SEED_CAPTION)
    );
    if seed_protocols(report).contains(&Protocol::Tcp) {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(FLOOR_NOTE));
    }
    out.push_str(&table(&seed_rows(report), 2, "seed-table"));
    for (reason, cells) in by_reason(&report.not_applicable) {
        let line = format!("n/a: {reason} ({})", cells.join(", "));
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(&line));
    }
    out.push_str(&verdict::factors_table(report));
    out
}

/// A merged report's shards: the per-shard table, why a shard stands
/// out, and the merge's warnings (nothing for a report that is no merge).
fn shard_section(report: &BenchReport) -> String {
    let Some(section) = &report.merged else {
        return String::new();
    };
    let mut out = format!(
        "<h2 id=\"shards\">Shards</h2>\n<p class=\"note\">{}</p>\n",
        escape(&merged::caption(section))
    );
    out.push_str(&table(&merged::rows(&section.shards), 3, "shard-table"));
    let notes = merged::mark_lines(&section.shards).into_iter();
    let warnings = section.warnings.iter().map(|w| format!("warning: {w}"));
    for line in notes.chain(warnings) {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(&line));
    }
    out
}

/// Rows as a table: the first row the header, the first `name_columns`
/// columns left-aligned; a cell with `xN` in it is the faster protocol's.
pub(crate) fn table(rows: &[Vec<String>], name_columns: usize, class: &str) -> String {
    let mut out = format!("<table class=\"{class}\">\n");
    for (r, row) in rows.iter().enumerate() {
        out.push_str("<tr>");
        for (c, cell) in row.iter().enumerate() {
            let tag = if r == 0 { "th" } else { "td" };
            let class = match (c < name_columns, r > 0 && faster(cell)) {
                (true, _) => " class=\"name\"",
                (false, true) => " class=\"faster\"",
                (false, false) => "",
            };
            let _ = write!(out, "<{tag}{class}>{}</{tag}>", escape(cell.trim()));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    out
}

/// Whether a seed cell carries the `xN` of the faster protocol.
fn faster(cell: &str) -> bool {
    cell.split(' ').any(|word| {
        word.strip_prefix('x')
            .is_some_and(|n| !n.is_empty() && n.parse::<f64>().is_ok())
    })
}

/// Every chart in a figure named by its title (the SVG shows it too).
fn chart_section(charts: &[Chart]) -> String {
    if charts.is_empty() {
        return String::new();
    }
    let mut out = String::from("<h2 id=\"charts\">Charts</h2>\n<div class=\"charts\">\n");
    for chart in charts {
        let _ = writeln!(
            out,
            "<figure class=\"chart\" id=\"chart-{}\" aria-label=\"{}\">\n{}\n</figure>",
            escape(&chart.slug),
            escape(&chart.title),
            chart.svg.trim()
        );
    }
    out.push_str("</div>\n");
    out
}

/// A scenario: its headline and details, its stage table (the server's own
/// stages under it where it gave them), its notes and flamegraph links.
fn scenario_section(report: &BenchReport, s: &ScenarioReport, links_from: &Path) -> String {
    if !s.measured() {
        return format!(
            "<section class=\"scenario\" id=\"scenario-{}\">\n<h3>{}</h3>\n<p class=\"note\">{}</p>\n</section>\n",
            escape(&s.scenario.file_stem()),
            escape(&s.label()),
            escape(&s.failure_text())
        );
    }
    let mut out = format!(
        "<section class=\"scenario\" id=\"scenario-{}\">\n<h3>{}</h3>\n<p class=\"note\">{}</p>\n",
        escape(&s.scenario.file_stem()),
        escape(&headline(s)),
        escape(details(report, s).trim())
    );
    let wall_mean = s.stage(Stage::Wall).map_or(0, |m| m.mean_ns);
    out.push_str(&table(&request_rows(s, wall_mean), 1, "stage-table"));
    for line in extra_lines(s) {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(&line));
    }
    if no_server_timings(s) {
        let line = no_timings_line(s, "below");
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(line.trim()));
    }
    if let Some(stats) = &s.server_stats {
        let heading = server_stats_heading(s, stats);
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(heading.trim()));
        let mut rows = vec![["server stage", "mean ms", "p50 ms", "p99 ms", "% wall"]
            .map(String::from)
            .to_vec()];
        rows.extend(server_stats_rows(stats, wall_mean));
        out.push_str(&table(&rows, 1, "stage-table"));
    }
    if s.errors > 0 {
        let line = format!(
            "{} errors, for example: {}",
            s.errors,
            s.error_examples.join(" | ")
        );
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(&line));
    }
    if s.timing_warnings > 0 {
        let line = format!("warning: {}", timing_warning_text(s));
        let _ = writeln!(out, "<p class=\"note warning\">{}</p>", escape(&line));
    }
    out.push_str(&profile_links(s, links_from));
    out.push_str("</section>\n");
    out
}

/// The scenario's flamegraphs and profiles as links from the page's folder,
/// with the hottest functions found.
fn profile_links(s: &ScenarioReport, links_from: &Path) -> String {
    let Some(profile) = &s.profile else {
        return String::new();
    };
    let mut out = String::from("<p class=\"note profile\">profile: ");
    for file in &profile.files {
        let href = url_path(&relative_link(links_from, Path::new(file)));
        let name = Path::new(file)
            .file_name()
            .map_or(file.clone(), |n| n.to_string_lossy().into_owned());
        let _ = write!(out, "<a href=\"{}\">{}</a> ", escape(&href), escape(&name));
    }
    let hot: Vec<String> = profile
        .hottest
        .iter()
        .map(|h| format!("{} {:.0}%", h.function, h.self_share * 100.0))
        .collect();
    let _ = writeln!(
        out,
        "&middot; hottest on the {} side (self time): {}</p>",
        profile.hottest_side.name(),
        escape(&hot.join(", "))
    );
    for warning in &profile.warnings {
        let _ = writeln!(out, "<p class=\"note\">warning: {}</p>", escape(warning));
    }
    out.push_str(&cpu_only_note(profile, links_from));
    out
}

/// What the flamegraphs cannot show (the waits), with a link to the trace
/// that shows them where the run wrote one.
fn cpu_only_note(profile: &ProfileSummary, links_from: &Path) -> String {
    let mut note = escape(&profile.cpu_only_note());
    if let Some(trace) = &profile.trace {
        let href = url_path(&relative_link(links_from, Path::new(trace)));
        let link = format!("<a href=\"{}\">{}</a>", escape(&href), escape(trace));
        note = note.replacen(&escape(trace), &link, 1);
    }
    format!("<p class=\"note cpu-only\">{note}</p>\n")
}

/// A relative path as a URL path: the characters a URL gives meaning to
/// percent-encoded.
fn url_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            ' ' => out.push_str("%20"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            c => out.push(c),
        }
    }
    out
}
