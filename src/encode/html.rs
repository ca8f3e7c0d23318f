//! `--export-html`: `imgwire encode` as one self-contained page (inline
//! CSS and SVG, nothing fetched), the tables of the Markdown export as HTML
//! tables and, per size measured on links, a chart of each setting's cost
//! of a frame end to end against the link's speed: where two lines cross,
//! the cheaper encoder changes.

use super::cells::{gpu_label, size_grid};
use super::markdown::{titled_grids, unavailable};
use super::render_link::{setting_label, several_decoders};
use super::results::{EncodeReport, Row};
use crate::report::html::charts::{draw, Chart, ChartError, Drawn, FONT};
use crate::report::html::escape;
use crate::report::html::page::{table, CONTENT_POLICY, STYLE};
use crate::report::plural;
use plotters::prelude::*;
use std::fmt::Write;

/// The whole page.
pub fn page(report: &EncodeReport) -> Result<String, ChartError> {
    let m = &report.machine;
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n{CONTENT_POLICY}\
         <title>imgwire encode</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>imgwire {} encode</h1>\n<ul class=\"settings\">\n",
        escape(report.imgwire_version)
    );
    let facts = [
        format!(
            "cpu: {}, {}; gpu: {}",
            m.cpu_model,
            plural(m.cpu_cores, "core"),
            gpu_label(m)
        ),
        format!("frames: {}", report.settings.frames),
        format!("quality: {}", report.settings.quality_method),
    ];
    for fact in facts {
        let _ = writeln!(out, "<li>{}</li>", escape(&fact));
    }
    out.push_str("</ul>\n");
    for size in &report.settings.sizes {
        let rows: Vec<&Row> = report.rows.iter().filter(|r| &r.size == size).collect();
        let _ = write!(
            out,
            "<h2>{}</h2>\n{}",
            escape(size),
            table(&size_grid(&rows), 2, "encode")
        );
        if let Some(chart) = cost_chart(report, size)? {
            let _ = writeln!(
                out,
                "<figure class=\"chart\" aria-label=\"{}\">\n{}\n</figure>",
                escape(&chart.title),
                chart.svg.trim()
            );
        }
        for (title, grid) in titled_grids(report, size) {
            let _ = write!(
                out,
                "<h3>{}</h3>\n{}",
                escape(&title),
                table(&grid, 3, "encode")
            );
        }
        for line in unavailable(report, size).lines() {
            let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(line.trim()));
        }
    }
    for note in &report.notes {
        let _ = writeln!(out, "<p class=\"note\">note: {}</p>", escape(note));
    }
    out.push_str("</body>\n</html>\n");
    Ok(out)
}

/// One line of the chart: a setting's cost on each link, fastest link last.
struct CostLine {
    label: String,
    /// (bits/s, end-to-end ms) per link.
    points: Vec<(f64, f64)>,
}

/// The lines of `size`: one per encoder setting and decoder, on the links
/// with a speed (an unlimited link has no place on the axis).
fn cost_lines(report: &EncodeReport, size: &str) -> Vec<CostLine> {
    let several = several_decoders(report);
    let mut lines: Vec<CostLine> = Vec::new();
    for cost in report.link_costs.iter().filter(|c| c.size == size) {
        let Some(bps) = cost.link.bits_per_second.filter(|b| *b > 0.0) else {
            continue;
        };
        let label = setting_label(cost, several);
        let point = (bps, cost.end_to_end_ns as f64 / 1e6);
        match lines.iter_mut().find(|l| l.label == label) {
            Some(line) => line.points.push(point),
            None => lines.push(CostLine {
                label,
                points: vec![point],
            }),
        }
    }
    for line in &mut lines {
        line.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    lines.retain(|l| l.points.len() > 1);
    lines
}

/// Each setting's cost of a frame over the link speeds (log-log), or
/// nothing where fewer than two speeds were projected.
fn cost_chart(report: &EncodeReport, size: &str) -> Result<Option<Chart>, ChartError> {
    let lines = cost_lines(report, size);
    if lines.is_empty() {
        return Ok(None);
    }
    let title = format!("{size}: cost of a frame end to end by link speed");
    let slug = format!("encode-cost-{size}");
    draw(slug, title.clone(), |root| draw_lines(root, &title, &lines)).map(Some)
}

fn draw_lines(
    root: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    title: &str,
    lines: &[CostLine],
) -> Drawn {
    let all = || lines.iter().flat_map(|l| l.points.iter());
    let (x_min, x_max) = all().fold((f64::MAX, 0f64), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
    let (y_min, y_max) = all().fold((f64::MAX, 0f64), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 16))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(
            (x_min / 1e6..x_max / 1e6).log_scale(),
            (y_min.max(1e-3) * 0.8..y_max * 1.25).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc("link")
        .x_label_formatter(&|mbit| match *mbit >= 1000.0 {
            true => format!("{} Gbit/s", mbit / 1000.0),
            false => format!("{mbit} Mbit/s"),
        })
        .y_desc("ms per frame: encode + transfer + rtt + decode")
        .label_style((FONT, 12))
        .draw()?;
    for (index, line) in lines.iter().enumerate() {
        let colour = Palette99::pick(index).to_rgba();
        let points = line.points.iter().map(|(bps, ms)| (bps / 1e6, *ms));
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))?
            .label(line.label.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 12))
        .draw()?;
    Ok(())
}
