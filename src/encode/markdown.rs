//! `--export-markdown`: `imgwire encode`'s tables as GitHub Markdown: the
//! header's facts, then per size the encode, server decode, end-to-end and
//! crossover tables, each under the sentence that says how to read it, the
//! encoders and decoders that could not run, and the notes.

use super::cells::{gpu_label, size_grid};
use super::render_link::{
    crossover_grid, decode_grid, decode_title, decode_unavailable, link_grid, link_title,
    CROSSOVER_TITLE,
};
use super::results::{EncodeReport, Row};
use crate::report::plural;
use std::fmt::Write;

/// The whole report as Markdown.
pub fn markdown(report: &EncodeReport) -> String {
    let m = &report.machine;
    let mut out = format!(
        "# imgwire {} encode\n\ncpu: {}, {}; gpu: {}\n\nframes: {}\n\nquality: {}\n",
        report.imgwire_version,
        m.cpu_model,
        plural(m.cpu_cores, "core"),
        gpu_label(m),
        report.settings.frames,
        report.settings.quality_method,
    );
    for size in &report.settings.sizes {
        let rows: Vec<&Row> = report.rows.iter().filter(|r| &r.size == size).collect();
        let _ = write!(out, "\n## {size}\n\n{}", markdown_table(&size_grid(&rows)));
        for (title, grid) in titled_grids(report, size) {
            let _ = write!(out, "\n{title}\n\n{}", markdown_table(&grid));
        }
        let unavailable = unavailable(report, size);
        if !unavailable.is_empty() {
            out += "\n";
            for line in unavailable.lines() {
                let _ = writeln!(out, "- {}", line.trim());
            }
        }
    }
    for note in &report.notes {
        let _ = write!(out, "\nnote: {note}\n");
    }
    out
}

/// A size's tables after the encoders' own, each under the sentence that
/// says how to read it: server decode, end to end on each link, crossover
/// (those with no rows left out).
pub(crate) fn titled_grids(report: &EncodeReport, size: &str) -> Vec<(String, Vec<Vec<String>>)> {
    let sections = [
        (decode_title(report), decode_grid(report, size)),
        (link_title(report), link_grid(report, size)),
        (CROSSOVER_TITLE.to_string(), crossover_grid(report, size)),
    ];
    sections
        .into_iter()
        .filter(|(_, grid)| grid.len() > 1)
        .collect()
}

/// The decoders and encoders of a size that could not run, a line each.
pub(crate) fn unavailable(report: &EncodeReport, size: &str) -> String {
    let rows: Vec<&Row> = report.rows.iter().filter(|r| r.size == size).collect();
    decode_unavailable(report, size, None) + &unavailable_encoders(&rows)
}

/// `nvjpeg: n/a: REASON` for each encoder that could not run, once each.
fn unavailable_encoders(rows: &[&Row]) -> String {
    let mut out = String::new();
    for row in rows {
        if let Some(error) = &row.error {
            let line = format!("{}: n/a: {error}\n", row.encoder.name());
            if !out.contains(&line) {
                out += &line;
            }
        }
    }
    out
}

/// A GitHub table: the first row the heading, `|` in a cell escaped.
fn markdown_table(grid: &[Vec<String>]) -> String {
    let line = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    let Some((heading, rows)) = grid.split_first() else {
        return String::new();
    };
    let mut out = line(heading);
    out += &format!("|{}\n", "---|".repeat(heading.len()));
    for row in rows {
        out += &line(row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_github_tables_with_pipes_escaped() {
        let grid = vec![
            vec!["link".to_string(), "choice".to_string()],
            vec!["1 Gbit/s".to_string(), "a|b".to_string()],
        ];
        assert_eq!(
            markdown_table(&grid),
            "| link | choice |\n|---|---|\n| 1 Gbit/s | a\\|b |\n"
        );
        assert_eq!(markdown_table(&[]), "");
    }
}
