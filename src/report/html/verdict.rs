//! The page's answer first: one line per size x payload saying which of
//! REST/1.1 and gRPC is faster, by how much with the 95 % interval, and
//! the request stage that makes the difference; and the factors table
//! those lines come from, as an HTML table with its units in the headers
//! (seconds per burst for the burst columns, ms per request for a stage).

use super::escape;
use crate::report::factors::{self, FactorsTable};
use crate::report::BenchReport;
use std::fmt::Write;

/// The header as the page shows it, units named: the burst columns in
/// s/burst, the stage gap in ms/request.
fn header_with_unit(cell: &str) -> String {
    match cell {
        "size" | "payload" => cell.to_string(),
        "faster [95% interval]" => "faster per burst [95 % interval]".to_string(),
        "largest stage gap" => "largest stage gap, gRPC - REST (ms/request)".to_string(),
        other => format!("{other} (s/burst)"),
    }
}

/// A column's index by its (terminal) header.
fn column(table: &FactorsTable, name: &str) -> Option<usize> {
    table.rows.first()?.iter().position(|h| h == name)
}

/// The verdict lines at the top of the page; empty when the run did not
/// measure both protocols for any size x payload.
pub fn verdicts(report: &BenchReport) -> String {
    let Some(table) = factors::table(report) else {
        return String::new();
    };
    let (Some(faster), Some(gap)) = (
        column(&table, "faster [95% interval]"),
        column(&table, "largest stage gap"),
    ) else {
        return String::new();
    };
    let mut out = String::from("<h2 id=\"verdict\">REST or gRPC?</h2>\n<ul class=\"verdict\">\n");
    for row in table.rows.iter().skip(1) {
        let _ = writeln!(
            out,
            "<li><b>{} {}</b>: {}</li>",
            escape(&row[0]),
            escape(&row[1]),
            escape(&verdict(&row[faster], &row[gap])),
        );
    }
    out.push_str(
        "</ul>\n<p class=\"note\">Per burst of concurrent requests; the interval is the 95 % \
         bootstrap interval of the ratio over the counted bursts. The stage is the request \
         stage whose mean differs most between the two (ms per request).</p>\n",
    );
    out
}

/// One size x payload's line from its `faster` and `largest stage gap`
/// cells: which protocol wins by how much, then the stage behind it.
fn verdict(faster: &str, gap: &str) -> String {
    if faster == "-" {
        return "not compared: too few counted bursts for an interval".to_string();
    }
    let Some((protocol, times)) = faster.split_once(" x") else {
        let stage = match stage_gap(gap) {
            Some((gap, _)) => format!(" (largest stage gap: {gap})"),
            None => String::new(),
        };
        return format!("{faster} between REST and gRPC per burst{stage}");
    };
    let win = match times.split_once(" (") {
        Some((times, interval)) => format!(
            "{protocol} is {times}x faster per burst (95 % interval {})",
            interval.trim_end_matches(')')
        ),
        None => format!("{protocol} is {times}x faster per burst"),
    };
    match stage_gap(gap) {
        Some((gap, true)) => format!("{win}; the difference is in {gap}"),
        Some((gap, false)) => format!("{win}; no one stage stands out ({gap}, within noise)"),
        None => win,
    }
}

/// `server.receive +35.5 ms` as `server.receive: gRPC +35.5 ms per request
/// against REST`, and whether it is clear of the noise (no `~`).
fn stage_gap(cell: &str) -> Option<(String, bool)> {
    let (gap, clear) = match cell.strip_suffix(" ~") {
        Some(gap) => (gap, false),
        None => (cell, true),
    };
    let (stage, ms) = gap.split_once(' ')?;
    Some((
        format!("{stage}: gRPC {ms} per request against REST"),
        clear,
    ))
}

/// The factors table as an HTML table, its legend under it.
pub fn factors_table(report: &BenchReport) -> String {
    let Some(table) = factors::table(report) else {
        return String::new();
    };
    let mut out = format!("<h3 id=\"factors\">{}</h3>\n", escape(factors::TITLE));
    out.push_str("<table class=\"factors\">\n<tr>");
    for (index, cell) in table.rows[0].iter().enumerate() {
        let class = if index < 2 { " class=\"name\"" } else { "" };
        let _ = write!(out, "<th{class}>{}</th>", escape(&header_with_unit(cell)));
    }
    out.push_str("</tr>\n");
    for row in table.rows.iter().skip(1) {
        out.push_str("<tr>");
        for (index, cell) in row.iter().enumerate() {
            let class = if index < 2 { " class=\"name\"" } else { "" };
            let _ = write!(out, "<td{class}>{}</td>", escape(cell));
        }
        out.push_str("</tr>\n");
    }
    let _ = writeln!(
        out,
        "</table>\n<p class=\"note\">{}</p>",
        escape(table.legend)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_as_one_line() {
        assert_eq!(
            verdict("REST x1.08 (1.03-1.1)", "server.receive +35.5 ms"),
            "REST is 1.08x faster per burst (95 % interval 1.03-1.1); the difference is in \
             server.receive: gRPC +35.5 ms per request against REST"
        );
        assert_eq!(
            verdict("no clear difference", "server.queue -4.2 ms ~"),
            "no clear difference between REST and gRPC per burst (largest stage gap: \
             server.queue: gRPC -4.2 ms per request against REST)"
        );
        assert!(verdict("gRPC x1.5 (1.2-1.9)", "transport -0.3 ms ~").ends_with("within noise)"));
        assert!(verdict("-", "-").starts_with("not compared"));
    }
}
