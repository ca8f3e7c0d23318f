//! The HTML report's charts, drawn by plotters as SVG text: per size x
//! payload, the stages of a request stacked in one bar per protocol (REST
//! beside gRPC), and each protocol's end-to-end latency as a CDF. Colours
//! and sizes every chart shares live here too.

use crate::frame::Size;
use crate::protocol::Protocol;
use crate::report::text::unique;
use crate::report::{BenchReport, ScenarioReport};
use crate::stage::Stage;
use crate::wire::PayloadKind;
use plotters::coord::ranged1d::SegmentValue;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// One chart: its file stem (`stages-360x640-binary`), its title and SVG.
#[derive(Clone, Debug)]
pub struct Chart {
    pub slug: String,
    pub title: String,
    pub svg: String,
}

/// A chart plotters could not draw.
#[derive(Debug, thiserror::Error)]
#[error("could not draw the chart '{title}': {message}")]
pub struct ChartError {
    pub title: String,
    pub message: String,
}

/// What the drawing code returns; plotters' errors box into it with `?`.
pub(crate) type Drawn = Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub(crate) const WIDTH: u32 = 760;
pub(crate) const HEIGHT: u32 = 380;
pub(crate) const FONT: &str = "sans-serif";

/// Draws a chart of `WIDTH` x `HEIGHT` with `draw` into a `Chart`.
pub(crate) fn draw(
    slug: String,
    title: String,
    draw: impl FnOnce(&DrawingArea<SVGBackend, plotters::coord::Shift>) -> Drawn,
) -> Result<Chart, ChartError> {
    let mut svg = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(Into::into)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(Into::into))
    };
    match drawn {
        Ok(()) => Ok(Chart { slug, title, svg }),
        Err(e) => Err(ChartError {
            title,
            message: e.to_string(),
        }),
    }
}

/// The scenarios of one size x payload, in the order the run measured them.
pub struct Group<'a> {
    pub size: Size,
    pub payload: PayloadKind,
    pub scenarios: Vec<&'a ScenarioReport>,
}

impl Group<'_> {
    /// `360x640-binary`
    pub fn slug(&self) -> String {
        format!("{}-{}", self.size, self.payload.name())
    }

    /// `360x640 binary`
    pub fn label(&self) -> String {
        format!("{} {}", self.size, self.payload.name())
    }
}

/// The report's scenarios that completed requests, grouped by size x payload.
pub fn groups(report: &BenchReport) -> Vec<Group<'_>> {
    let measured = || report.scenarios.iter().filter(|s| s.requests > 0);
    unique(measured().map(|s| (s.scenario.size, s.scenario.payload)))
        .into_iter()
        .map(|(size, payload)| Group {
            size,
            payload,
            scenarios: measured()
                .filter(|s| s.scenario.size == size && s.scenario.payload == payload)
                .collect(),
        })
        .collect()
}

/// The stages a bar stacks, bottom to top: a live frame's making and
/// encoding (`--encode live`; per frame of the pool, they are left out),
/// a request's, in order, then the time no stage claims.
const STACKED: [Stage; 12] = {
    let mut stacked = [Stage::Residual; 12];
    (stacked[0], stacked[1]) = (Stage::Generate, Stage::Encode);
    let mut i = 0;
    while i < Stage::IN_REQUEST.len() {
        stacked[i + 2] = Stage::IN_REQUEST[i];
        i += 1;
    }
    stacked
};

/// Each stage's colour: the client's in blues, the wire grey, the
/// server's warm.
pub(super) fn stage_color(stage: Stage) -> RGBColor {
    match stage {
        Stage::Generate => RGBColor(158, 218, 229),
        Stage::Encode => RGBColor(57, 59, 121),
        Stage::Serialize => RGBColor(31, 119, 180),
        Stage::Transport => RGBColor(127, 127, 127),
        Stage::ServerReceive => RGBColor(255, 187, 120),
        Stage::ServerDeserialize => RGBColor(255, 127, 14),
        Stage::ServerQueue => RGBColor(188, 189, 34),
        Stage::ServerDecode => RGBColor(214, 39, 40),
        Stage::ServerInfer => RGBColor(148, 103, 189),
        Stage::ServerRespond => RGBColor(140, 86, 75),
        Stage::Response => RGBColor(23, 190, 207),
        _ => RGBColor(199, 199, 199),
    }
}

/// Each protocol's line colour.
pub(super) fn protocol_color(protocol: Protocol) -> RGBColor {
    match protocol {
        Protocol::Rest => RGBColor(31, 119, 180),
        Protocol::RestH2 => RGBColor(44, 160, 44),
        Protocol::Grpc => RGBColor(255, 127, 14),
        Protocol::Tcp => RGBColor(127, 127, 127),
    }
}

/// Milliseconds of a nanosecond figure.
pub(super) fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// A stacked bar's segments: (stage, from ms, to ms), bottom up.
fn segments(s: &ScenarioReport) -> Vec<(Stage, f64, f64)> {
    let mut top = 0.0;
    STACKED
        .iter()
        .filter(|&&stage| s.per_request(stage))
        .filter_map(|&stage| s.stage(stage).map(|m| (stage, ms(m.mean_ns))))
        .map(|(stage, mean)| {
            let from = top;
            top += mean;
            (stage, from, top)
        })
        .collect()
}

/// The stacked stage bars of one size x payload: a bar per protocol, the
/// request's stage means stacked in request order, a legend at the right.
pub fn stage_bars(group: &Group) -> Result<Chart, ChartError> {
    let title = format!("Stages of a request: {} (mean ms)", group.label());
    let bars: Vec<Vec<(Stage, f64, f64)>> = group.scenarios.iter().map(|s| segments(s)).collect();
    let labels: Vec<String> = group
        .scenarios
        .iter()
        .map(|s| s.scenario.protocol.label().to_string())
        .collect();
    let top = bars.iter().filter_map(|b| b.last()).map(|b| b.2);
    let y_max = top.fold(0.0, f64::max).max(1e-3) * 1.08;
    let shown: Vec<Stage> = STACKED
        .into_iter()
        .filter(|stage| bars.iter().flatten().any(|(s, ..)| s == stage))
        .collect();
    let slug = format!("stages-{}", group.slug());
    draw(slug, title.clone(), |root| {
        let (plot, legend) = root.split_horizontally(WIDTH - 170);
        let mut chart = ChartBuilder::on(&plot)
            .caption(&title, (FONT, 22))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d((0..bars.len() as i32 - 1).into_segmented(), 0.0..y_max)?;
        let name = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 16))
            .x_label_formatter(&name)
            .y_desc("ms per request")
            .draw()?;
        let rectangles = bars.iter().enumerate().flat_map(|(i, bar)| {
            bar.iter().map(move |&(stage, from, to)| {
                let (left, right) = (
                    SegmentValue::Exact(i as i32),
                    SegmentValue::Exact(i as i32 + 1),
                );
                let mut rect =
                    Rectangle::new([(left, from), (right, to)], stage_color(stage).filled());
                rect.set_margin(0, 0, 18, 18);
                rect
            })
        });
        chart.draw_series(rectangles)?;
        draw_stage_legend(&legend, &shown)
    })
}

/// A colour swatch and name per stage, top down in the order they stack
/// bottom up, so the legend reads like the bars.
fn draw_stage_legend(
    area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    shown: &[Stage],
) -> Drawn {
    for (row, stage) in shown.iter().rev().enumerate() {
        let y = 50 + row as i32 * 22;
        area.draw(&Rectangle::new(
            [(6, y), (20, y + 14)],
            stage_color(*stage).filled(),
        ))?;
        area.draw(&Text::new(stage.name(), (26, y + 1), (FONT, 16)))?;
    }
    Ok(())
}

/// End-to-end latency of a scenario as CDF points: (percentile, ms), from
/// its latency histogram at fixed percentiles, rising. Empty when nothing
/// completed.
pub fn latency_points(s: &ScenarioReport) -> Vec<(f64, f64)> {
    s.latency_cdf
        .iter()
        .map(|point| (point.percent, ms(point.ns)))
        .collect()
}

/// The end-to-end latency CDFs of one size x payload: a line per protocol,
/// milliseconds across, the share of requests at or under them up.
pub fn latency_cdf(group: &Group) -> Result<Chart, ChartError> {
    let title = format!("End-to-end latency: {} (CDF)", group.label());
    let lines: Vec<(Protocol, Vec<(f64, f64)>)> = group
        .scenarios
        .iter()
        .map(|s| (s.scenario.protocol, latency_points(s)))
        .filter(|(_, points)| !points.is_empty())
        .collect();
    let x_max = lines.iter().flat_map(|(_, p)| p).map(|p| p.1);
    let x_max = x_max.fold(0.0, f64::max).max(1e-3) * 1.05;
    let slug = format!("latency-{}", group.slug());
    draw(slug, title.clone(), |root| {
        let x_axis = (x_max, "ms, request sent to response read");
        let mut chart = line_axes(root, &title, x_axis, (100.0, "% of requests at or under"))?;
        for (protocol, points) in &lines {
            let color = protocol_color(*protocol);
            let curve = points.iter().map(|&(pct, ms)| (ms, pct));
            draw_labelled_line(&mut chart, curve.clone(), color, protocol.label())?;
            chart.draw_series(curve.map(|p| Circle::new(p, 3, color.filled())))?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// A line chart's axes, as every line chart of the report has them: its
/// title, both axes from 0 to their maximum, a light grid, the axes named.
pub(super) fn line_axes<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
    (x_max, x_desc): (f64, &str),
    (y_max, y_desc): (f64, &str),
) -> Result<LineChart<'a, 'b>, Box<dyn std::error::Error + Send + Sync>> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 22))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 16))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()?;
    Ok(chart)
}

/// A line chart of the report, drawn into an SVG.
pub(super) type LineChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A solid line through `points` with its entry in the legend.
pub(super) fn draw_labelled_line<'a, 'b: 'a>(
    chart: &mut LineChart<'a, 'b>,
    points: impl Iterator<Item = (f64, f64)>,
    color: RGBColor,
    label: &str,
) -> Drawn {
    chart
        .draw_series(LineSeries::new(points, color.stroke_width(2)))?
        .label(label)
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
    Ok(())
}

/// The legend box of a line chart, at `position`.
pub(super) fn draw_legend<'a, 'b: 'a>(
    chart: &mut LineChart<'a, 'b>,
    position: SeriesLabelPosition,
) -> Drawn {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .label_font((FONT, 16))
        .draw()?;
    Ok(())
}

/// Every chart of the report: per size x payload its stage bars, then its
/// latency CDF.
pub fn report_charts(report: &BenchReport) -> Result<Vec<Chart>, ChartError> {
    let mut charts = Vec::new();
    for group in groups(report) {
        charts.push(stage_bars(&group)?);
        charts.push(latency_cdf(&group)?);
    }
    Ok(charts)
}
