//! The throughput-latency chart: for each scenario, requests per second
//! against latency as the load rises, p50 solid and p99 dashed, each point
//! named by its concurrency. Drawn from plain points, so any run that
//! measures a scenario at several loads can feed it.

use super::charts::{
    draw, draw_labelled_line, draw_legend, line_axes, ms, Chart, ChartError, FONT,
};
use crate::report::text::unique;
use crate::report::BenchReport;
use crate::stage::Stage;
use plotters::prelude::*;

/// One load level of a scenario.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoadPoint {
    /// Requests in flight at once.
    pub concurrency: usize,
    pub requests_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// A scenario's points, in rising concurrency.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadCurve {
    /// The scenario, e.g. `360x640 binary REST`.
    pub label: String,
    pub points: Vec<LoadPoint>,
}

/// The curves of runs of the same matrix at several concurrencies: per
/// scenario, the run's requests/s (`report::throughput`, the figure every
/// output prints), and the end-to-end p50 and p99. Scenarios that measured
/// nothing (failed, or no request completed) are left out.
pub fn load_curves(runs: &[(usize, &BenchReport)]) -> Vec<LoadCurve> {
    let all = || {
        runs.iter()
            .flat_map(|(c, r)| r.scenarios.iter().map(move |s| (*c, s)))
    };
    let labels = unique(all().map(|(_, s)| s.label()));
    let curves = labels.into_iter().map(|label| {
        let mut points: Vec<LoadPoint> = all()
            .filter(|(_, s)| s.label() == label && s.measured())
            .filter_map(|(concurrency, s)| {
                let wall = s.stage(Stage::Wall)?;
                Some(LoadPoint {
                    concurrency,
                    requests_per_s: s.throughput.requests_per_s,
                    p50_ms: ms(wall.p50_ns),
                    p99_ms: ms(wall.p99_ns),
                })
            })
            .collect();
        points.sort_by_key(|p| p.concurrency);
        LoadCurve { label, points }
    });
    curves.filter(|c| !c.points.is_empty()).collect()
}

/// A curve's colour: a fixed cycle, so the same scenario order gives the
/// same colours.
fn curve_color(index: usize) -> RGBColor {
    const CYCLE: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
    ];
    CYCLE[index % CYCLE.len()]
}

/// Requests/s across, latency up: per curve a solid p50 line and a dashed
/// p99 line, points named `cN` by their concurrency.
pub fn throughput_latency(curves: &[LoadCurve]) -> Result<Chart, ChartError> {
    let title = "Throughput against latency (p50 solid, p99 dashed)".to_string();
    let points = || curves.iter().flat_map(|c| &c.points);
    let x_max = points().map(|p| p.requests_per_s).fold(0.0, f64::max);
    let y_max = points().map(|p| p.p99_ms.max(p.p50_ms)).fold(0.0, f64::max);
    let (x_max, y_max) = (x_max.max(1e-3) * 1.1, y_max.max(1e-3) * 1.1);
    draw("throughput-latency".into(), title.clone(), |root| {
        let y_axis = (y_max, "ms, end to end");
        let mut chart = line_axes(root, &title, (x_max, "requests/s"), y_axis)?;
        for (index, curve) in curves.iter().enumerate() {
            let color = curve_color(index);
            let p50 = curve.points.iter().map(|p| (p.requests_per_s, p.p50_ms));
            let p99 = curve.points.iter().map(|p| (p.requests_per_s, p.p99_ms));
            draw_labelled_line(&mut chart, p50.clone(), color, &curve.label)?;
            chart.draw_series(DashedLineSeries::new(p99, 6, 4, color.stroke_width(1)))?;
            chart.draw_series(p50.map(|p| Circle::new(p, 3, color.filled())))?;
            let names = curve.points.iter().map(|p| {
                let at = (p.requests_per_s, p.p50_ms);
                Text::new(format!("c{}", p.concurrency), at, (FONT, 14))
            });
            chart.draw_series(names)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_names_each_point_by_its_concurrency() {
        let curve = |label: &str, scale: f64| LoadCurve {
            label: label.into(),
            points: [1, 2, 4]
                .map(|c| LoadPoint {
                    concurrency: c,
                    requests_per_s: 100.0 * c as f64 * scale,
                    p50_ms: 2.0 * c as f64,
                    p99_ms: 3.0 * c as f64,
                })
                .to_vec(),
        };
        let chart = throughput_latency(&[curve("a REST", 1.0), curve("a gRPC", 0.8)]).unwrap();
        assert_eq!(chart.slug, "throughput-latency");
        assert!(chart.svg.starts_with("<svg"), "{}", &chart.svg[..80]);
        // plotters writes each text on a line of its own.
        for text in ["c1", "c4", "a REST", "a gRPC", "requests/s"] {
            let line = format!("\n{text}\n");
            assert!(chart.svg.contains(&line), "no {text} in the chart");
        }
    }
}
