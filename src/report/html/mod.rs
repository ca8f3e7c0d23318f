//! `--html PATH`: the report as one self-contained page to look at rather
//! than read (inline CSS and SVG, no script, nothing fetched: it opens
//! offline): a verdict line per size x payload (REST or gRPC, by how
//! much, and the stage that makes the difference), the run's settings, the seed's table, each size x payload's
//! stacked stage bars and latency CDF, the throughput-latency curve where a
//! run has several loads, each scenario's stage table and links to its
//! flamegraphs. `--charts DIR` writes the charts alone, one .svg each.

pub mod camera_chart;
pub(crate) mod charts;
pub(crate) mod load_chart;
pub(crate) mod page;
mod verdict;

use super::{BenchReport, Exporter};
use crate::output::OutputPath;
use anyhow::Result;
pub use charts::{latency_points, Chart, ChartError};
pub use load_chart::{load_curves, LoadCurve, LoadPoint};
use std::path::{Component, Path, PathBuf};

/// Renders the HTML page; links to files (the flamegraphs) are relative to
/// `links_from`, the folder the page is written to.
#[derive(Clone, Debug, Default)]
pub struct HtmlExporter {
    pub links_from: PathBuf,
    /// Scenarios measured at several concurrencies, for the
    /// throughput-latency chart (left out when empty).
    pub load_curves: Vec<LoadCurve>,
}

impl HtmlExporter {
    /// The exporter for a page written to `output`: links from its folder
    /// (the working directory for stdout).
    pub fn for_output(output: &OutputPath) -> Self {
        let folder = match output.is_stdout() {
            true => None,
            false => output.path.parent(),
        };
        HtmlExporter {
            links_from: folder.map(Path::to_path_buf).unwrap_or_default(),
            load_curves: Vec::new(),
        }
    }

    /// Every chart of the page, in page order.
    pub fn charts(&self, report: &BenchReport) -> Result<Vec<Chart>, ChartError> {
        let mut charts = charts::report_charts(report)?;
        if !self.load_curves.is_empty() {
            charts.push(load_chart::throughput_latency(&self.load_curves)?);
        }
        Ok(charts)
    }
}

impl Exporter for HtmlExporter {
    fn render(&self, report: &BenchReport) -> Result<Vec<u8>> {
        let charts = self.charts(report)?;
        Ok(page::render(report, &charts, &self.links_from).into_bytes())
    }
}

/// Writes the page to `html` and the charts to `charts_dir`, as the other
/// exports are written: a page on stdout only once the run is over (`last`).
pub fn write(
    html: Option<&OutputPath>,
    charts_dir: Option<&Path>,
    report: &BenchReport,
    last: bool,
) -> Result<()> {
    if let Some(path) = html.filter(|p| p.is_stdout() == last) {
        super::export(&HtmlExporter::for_output(path), report, path)?;
    }
    if let Some(dir) = charts_dir.filter(|_| !last) {
        for chart in HtmlExporter::default().charts(report)? {
            let file = dir.join(format!("{}.svg", chart.slug));
            OutputPath::new(file, "--charts").write(chart.svg.as_bytes())?;
        }
    }
    Ok(())
}

/// `target` as a link from the folder `from`: relative where both are on
/// the same root (`../fg/a.svg`), with `/` between components.
pub fn relative_link(from: &Path, target: &Path) -> String {
    let (from, target) = (absolute(from), absolute(target));
    let common = from
        .iter()
        .zip(target.iter())
        .take_while(|(a, b)| a == b)
        .count();
    let ups = std::iter::repeat_n("..".to_string(), from.len() - common);
    let downs = target[common..].iter().cloned();
    ups.chain(downs).collect::<Vec<_>>().join("/")
}

/// A path's components from the root, `.` and `..` resolved by name (the
/// files may not exist yet, so nothing is read from disk).
fn absolute(path: &Path) -> Vec<String> {
    let base = match path.is_absolute() {
        true => PathBuf::new(),
        false => std::env::current_dir().unwrap_or_default(),
    };
    let mut parts: Vec<String> = Vec::new();
    for component in base.join(path).components() {
        match component {
            Component::Normal(name) => parts.push(name.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop();
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    parts
}

/// Text as HTML holds it, in an element or a quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_relative_to_the_page_folder() {
        let link = |from: &str, to: &str| relative_link(Path::new(from), Path::new(to));
        assert_eq!(link("/r/out", "/r/out/fg/a.svg"), "fg/a.svg");
        assert_eq!(link("/r/out", "/r/fg/a.svg"), "../fg/a.svg");
        assert_eq!(link("/r/out/x", "/r/fg/./a.svg"), "../../fg/a.svg");
        assert_eq!(link("", "fg/a.svg"), "fg/a.svg");
        assert_eq!(link("out", "out/../fg/a.svg"), "../fg/a.svg");
    }

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(
            escape("<a href=\"x\">R&D's</a>"),
            "&lt;a href=&quot;x&quot;&gt;R&amp;D&#39;s&lt;/a&gt;"
        );
    }
}
