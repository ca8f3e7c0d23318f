//! What a scenario's load produced beyond its stages: the load model, the
//! per-burst or per-window values the statistics read, throughput, latency
//! from the actual send and (open load) from the scheduled send, and
//! whether its warm-up reached a stable state.

use super::summary::Summary;
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

/// How requests are offered (`--load`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoadModel {
    /// The seed's: bursts of --concurrency requests, each burst after the
    /// last one's replies.
    #[default]
    Bursts,
    /// --concurrency workers, each sending as soon as its last reply came.
    Closed,
    /// --rate requests per second on a fixed schedule, over --concurrency
    /// connections; latency counts from the scheduled send.
    Open,
}

impl LoadModel {
    pub fn name(self) -> &'static str {
        match self {
            LoadModel::Bursts => "bursts",
            LoadModel::Closed => "closed",
            LoadModel::Open => "open",
        }
    }

    /// What one value of `window_values_ns` is under this model.
    pub fn unit(self) -> &'static str {
        match self {
            LoadModel::Bursts => "burst",
            LoadModel::Closed | LoadModel::Open => "window",
        }
    }
}

/// How many of the last warm-up bursts or windows must agree within
/// `stability_percent` for the warm-up to end (`run::load::stability`).
pub const WARMUP_AGREEING: usize = 3;

/// The run's load settings, beside `concurrency`, `bursts` and
/// `warmup_bursts` (flattened into `settings`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LoadSettings {
    pub load_model: LoadModel,
    /// Requests per second of an open load (null otherwise).
    pub rate_per_s: Option<f64>,
    /// How long a closed or open run lasted, or how many requests it sent
    /// (null under bursts, and the one not given).
    pub duration_s: Option<f64>,
    pub requests_per_run: Option<usize>,
    /// Warm-up runs until its last 3 bursts/windows agree within this.
    pub stability_percent: f64,
    /// Warm-up bursts/windows beyond `warmup_bursts` at most.
    pub warmup_max: usize,
}

/// A scenario's load figures (flattened into the scenario).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LoadFigures {
    /// Concurrent requests (bursts) or workers (closed, open).
    pub concurrency: usize,
    /// Whether the warm-up's last 3 bursts/windows agreed within
    /// `stability_percent` (false: the cap was reached first; null: no
    /// warm-up was run, `--warmup 0`).
    pub stable: Option<bool>,
    /// Warm-up bursts/windows run beyond `--warmup` to reach stability.
    pub warmup_extra: usize,
    /// The length of one window under closed and open load (null under
    /// bursts).
    pub window_ns: Option<u64>,
    /// One value per counted burst (its duration) or window (the mean
    /// latency of the requests that finished in it): what the statistics
    /// over bursts/windows read.
    pub window_values_ns: Vec<u64>,
    /// Requests completed per second of the counted run: the same figure
    /// as the scenario's `throughput.requests_per_s` (one computation).
    pub throughput_rps: f64,
    pub latency: Latency,
    /// Every counted window (or burst) by index, the empty ones included:
    /// what a merge aligns across shards and adds up.
    #[serde(default)]
    pub windows: Vec<WindowCount>,
    /// The histogram of the latency from the due time (open load), for
    /// the scenario's `histograms` (not written here).
    #[serde(skip)]
    pub latency_corrected_histogram: Option<String>,
    /// What the cameras counted (`--streams`; null otherwise).
    #[serde(default)]
    pub cameras: Option<super::cameras::CameraFigures>,
}

/// One counted window (or burst) as a merge adds it: its place in the run,
/// its length, and what finished in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowCount {
    pub index: usize,
    /// The window's length (a burst's duration).
    pub span_ns: u64,
    /// Requests that completed in it, and those that failed.
    pub requests: usize,
    pub errors: usize,
    /// The sum of its completed requests' latencies as the load model
    /// counts them (from the due time under open load): with `requests`,
    /// the window's mean latency.
    pub latency_sum_ns: u64,
}

/// Per-request latency, serialization to response parsed.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Latency {
    /// From the actual send.
    pub uncorrected: Summary,
    /// From the scheduled send (open load; null otherwise): corrects
    /// coordinated omission, since a request sent late because earlier
    /// ones were slow counts its wait.
    pub corrected: Option<Summary>,
}

impl Latency {
    /// The latency the model's figures are read from: corrected where there
    /// is one.
    pub fn headline(&self) -> &Summary {
        self.corrected.as_ref().unwrap_or(&self.uncorrected)
    }
}

/// The marker an unstable scenario carries in tables and Markdown.
/// The header of a latency table: `first`, req/s, p50 and p99 in ms, and
/// under open load the uncorrected p50 and p99 beside them.
pub fn latency_header(first: &str, open: bool) -> Vec<String> {
    let mut header = vec![first.to_string()];
    header.extend(["req/s", "p50 ms", "p99 ms"].map(String::from));
    if open {
        header.extend(["p50 ms uncorr.", "p99 ms uncorr."].map(String::from));
    }
    header
}

/// A latency table's cells after its first: req/s, p50 and p99 in ms, and
/// the uncorrected p50 and p99 where given (open load).
pub fn latency_cells(rps: f64, p50_p99_ns: [u64; 2], uncorrected: Option<[u64; 2]>) -> Vec<String> {
    let ms = |ns: u64| format!("{:.3}", ns as f64 / 1e6);
    let mut cells = vec![format!("{rps:.1}")];
    cells.extend(p50_p99_ns.map(ms));
    cells.extend(uncorrected.into_iter().flatten().map(ms));
    cells
}

pub const UNSTABLE_MARKER: &str = "~";

/// `~` after a figure of a scenario whose warm-up never became stable.
pub fn marker(figures: &LoadFigures) -> &'static str {
    match figures.stable {
        Some(false) => UNSTABLE_MARKER,
        _ => "",
    }
}

/// The CSV `stable` column: `true`, `false`, or empty when not judged.
pub fn csv_stable(figures: &LoadFigures) -> String {
    figures.stable.map_or(String::new(), |s| s.to_string())
}

/// CSV `kind`s of the per-request latency rows a closed or open run adds.
pub const LATENCY_UNCORRECTED: &str = "latency_uncorrected";
pub const LATENCY_CORRECTED: &str = "latency_corrected";

/// The latency summaries a closed or open scenario adds to CSV, each with
/// its `kind`: from the actual send, and (open load) from the due time.
pub fn latency_rows(figures: &LoadFigures, model: LoadModel) -> Vec<(&'static str, Summary)> {
    if model == LoadModel::Bursts {
        return Vec::new();
    }
    let latency = &figures.latency;
    let corrected = latency.corrected.map(|c| (LATENCY_CORRECTED, c));
    std::iter::once((LATENCY_UNCORRECTED, latency.uncorrected))
        .chain(corrected)
        .collect()
}

/// Markdown: a closed or open run's requests/s and latency per scenario,
/// corrected and uncorrected under open load (empty under bursts).
pub fn markdown_table(report: &super::BenchReport) -> String {
    let model = report.settings.load.load_model;
    if model == LoadModel::Bursts {
        return String::new();
    }
    let ms = |ns: u64| format!("{:.3}", ns as f64 / 1e6);
    let mut out = format!(
        "\nLoad {}: latency per request in ms (corrected: from the scheduled send)\n\n\
         | scenario | req/s | p50 | p99 | p50 uncorrected | p99 uncorrected |\n\
         | --- | ---: | ---: | ---: | ---: | ---: |\n",
        model.name()
    );
    for s in &report.scenarios {
        if !s.measured() {
            out.push_str(&format!("| {} | failed | | | | |\n", s.label()));
            continue;
        }
        let (l, u) = (s.load.latency.headline(), &s.load.latency.uncorrected);
        out.push_str(&format!(
            "| {}{} | {:.1} | {} | {} | {} | {} |\n",
            s.label(),
            marker(&s.load),
            s.load.throughput_rps,
            ms(l.p50_ns),
            ms(l.p99_ns),
            ms(u.p50_ns),
            ms(u.p99_ns)
        ));
    }
    out
}
