//! The camera capacity page (`--export-html` of a capacity sweep): the
//! capacity table, and per scenario two charts against the stream count,
//! one line per encoder: the frames a second sustained beside those offered
//! (streams x fps, dashed), and the capture-to-result p99 with the
//! `--slo-ms` line. A point that did not keep up is a hollow circle.

use super::charts::{draw, draw_labelled_line, draw_legend, line_axes, Chart, ChartError, FONT};
use super::escape;
use super::page::{table, CONTENT_POLICY, STYLE};
use crate::report::camera_capacity::{
    capacities, most_line, point_rows, why_not_lines, CapacityPoint, KeepUpRule,
};
use crate::report::text::unique;
use plotters::prelude::*;
use std::fmt::Write;

/// What the page shows: the judged points, the rule, the frame rate, and
/// links (label, href) to each point's own page.
pub struct CapacityPage<'a> {
    pub points: &'a [CapacityPoint],
    pub rule: KeepUpRule,
    pub fps: f64,
    pub links: Vec<(String, String)>,
}

/// The whole page.
pub fn page(p: &CapacityPage) -> Result<String, ChartError> {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n{CONTENT_POLICY}\
         <title>imgwire cameras</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>imgwire {} camera capacity</h1>\n<p class=\"run\">cameras at {} fps; keeps up = \
         {}</p>\n",
        escape(env!("CARGO_PKG_VERSION")),
        p.fps,
        escape(&p.rule.describe())
    );
    let found = capacities(p.points);
    for scenario in unique(p.points.iter().map(|point| &point.scenario)) {
        let _ = write!(
            out,
            "<h2>{}</h2>\n<p><strong>{}</strong></p>\n{}",
            escape(scenario),
            escape(&most_line(&found, scenario)),
            table(&point_rows(p.points, scenario), 2, "cameras")
        );
        for line in why_not_lines(p.points, scenario) {
            let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(&line));
        }
        out.push_str("<div class=\"charts\">\n");
        for chart in scenario_charts(p, scenario)? {
            let _ = writeln!(
                out,
                "<figure class=\"chart\" aria-label=\"{}\">\n{}\n</figure>",
                escape(&chart.title),
                chart.svg.trim()
            );
        }
        out.push_str("</div>\n");
    }
    if !p.links.is_empty() {
        out.push_str("<h2>Each point's own report</h2>\n<ul>\n");
        for (label, href) in &p.links {
            let _ = writeln!(
                out,
                "<li><a href=\"{}\">{}</a></li>",
                escape(href),
                escape(label)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</body>\n</html>\n");
    Ok(out)
}

/// An encoder's points of one scenario, streams rising.
struct EncoderLine<'a> {
    encoder: &'a str,
    points: Vec<&'a CapacityPoint>,
}

fn encoder_lines<'a>(points: &'a [CapacityPoint], scenario: &str) -> Vec<EncoderLine<'a>> {
    let of_scenario = || points.iter().filter(move |p| p.scenario == scenario);
    unique(of_scenario().map(|p| p.encoder.as_str()))
        .into_iter()
        .map(|encoder| {
            // A point that measured nothing has no place on the charts.
            let mut points: Vec<&CapacityPoint> = (of_scenario())
                .filter(|p| p.encoder == encoder && p.measured)
                .collect();
            points.sort_by_key(|p| p.streams);
            EncoderLine { encoder, points }
        })
        .collect()
}

/// The frames/s chart and the p99 chart of one scenario.
pub fn scenario_charts(p: &CapacityPage, scenario: &str) -> Result<Vec<Chart>, ChartError> {
    let lines = encoder_lines(p.points, scenario);
    let slug = scenario.replace(' ', "-");
    let most_streams = (lines.iter().flat_map(|l| &l.points))
        .map(|point| point.streams)
        .max()
        .unwrap_or(1) as f64;
    let frames = draw(
        format!("cameras-frames-{slug}"),
        format!("{scenario}: frames/s sustained against streams"),
        |root| {
            let y_max = (lines.iter().flat_map(|l| &l.points))
                .map(|point| point.offered_frames_per_s.max(point.sustained_frames_per_s))
                .fold(1.0, f64::max);
            let title = "frames/s sustained (offered dashed)";
            let mut chart = line_axes(
                root,
                title,
                (most_streams * 1.05, "streams"),
                (y_max * 1.1, "frames/s"),
            )?;
            let offered = [(0.0, 0.0), (most_streams, most_streams * p.fps)];
            let grey = RGBColor(120, 120, 120);
            chart
                .draw_series(DashedLineSeries::new(offered, 6, 4, grey.stroke_width(1)))?
                .label("offered: streams x fps")
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], grey));
            draw_points(&mut chart, &lines, |point| point.sustained_frames_per_s)?;
            draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)
        },
    )?;
    let latency = draw(
        format!("cameras-p99-{slug}"),
        format!("{scenario}: capture-to-result p99 against streams"),
        |root| {
            let p99_max = (lines.iter().flat_map(|l| &l.points))
                .map(|point| point.p99_ms)
                .fold(p.rule.slo_ms.unwrap_or(1.0), f64::max);
            let title = "capture-to-result p99 (SLO red)";
            let mut chart = line_axes(
                root,
                title,
                (most_streams * 1.05, "streams"),
                (p99_max * 1.1, "ms"),
            )?;
            if let Some(slo) = p.rule.slo_ms {
                let bound = [(0.0, slo), (most_streams * 1.05, slo)];
                chart
                    .draw_series(DashedLineSeries::new(bound, 8, 4, RED.stroke_width(2)))?
                    .label(format!("SLO {slo} ms"))
                    .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], RED));
            }
            draw_points(&mut chart, &lines, |point| point.p99_ms)?;
            draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)
        },
    )?;
    Ok(vec![frames, latency])
}

/// Each encoder's line of `value` against streams, its points filled where
/// they kept up and hollow where not, each named by its stream count.
fn draw_points<'a, 'b: 'a>(
    chart: &mut super::charts::LineChart<'a, 'b>,
    lines: &[EncoderLine],
    value: impl Fn(&CapacityPoint) -> f64,
) -> super::charts::Drawn {
    for (index, line) in lines.iter().enumerate() {
        let colour = Palette99::pick(index).to_rgba();
        let colour = RGBColor(colour.0, colour.1, colour.2);
        let at = |point: &&CapacityPoint| (point.streams as f64, value(point));
        draw_labelled_line(chart, line.points.iter().map(at), colour, line.encoder)?;
        let marks = line.points.iter().map(|point| {
            let style = match point.keeps_up {
                true => colour.filled(),
                false => colour.stroke_width(2),
            };
            Circle::new(at(point), 5, style)
        });
        chart.draw_series(marks)?;
        let names = (line.points.iter())
            .map(|point| Text::new(point.streams.to_string(), at(point), (FONT, 13)));
        chart.draw_series(names)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_draws_each_encoder_and_the_slo_line() {
        let point = |encoder: &str, streams: usize, p99_ms: f64| CapacityPoint {
            scenario: "1080x1920 binary REST".into(),
            encoder: encoder.into(),
            streams,
            offered_frames_per_s: 30.0 * streams as f64,
            measured: true,
            sustained_frames_per_s: 30.0 * streams as f64,
            p99_ms,
            client_cpu_percent: Some(80.0),
            encode_share_percent: Some(60.0),
            keeps_up: p99_ms <= 50.0,
            why_not: Vec::new(),
        };
        let points = [
            point("turbojpeg", 1, 10.0),
            point("turbojpeg", 2, 80.0),
            point("none", 1, 400.0),
        ];
        let page = page(&CapacityPage {
            points: &points,
            rule: KeepUpRule::new(Some(50.0)),
            fps: 30.0,
            links: vec![("turbojpeg, 1 stream".into(), "run-1.html".into())],
        })
        .unwrap();
        for text in ["\nturbojpeg\n", "\nnone\n", "\nSLO 50 ms\n", "run-1.html"] {
            assert!(page.contains(text), "no {text:?} in the page");
        }
        assert!(page.contains("turbojpeg 1 (2 did not keep up)"), "{page}");
        assert_eq!(page.matches("<svg").count(), 2);
    }
}
