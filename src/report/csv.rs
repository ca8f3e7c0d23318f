//! `--export-csv PATH`: one row per scenario x stage, for spreadsheets and
//! pandas; for a server that is not imgwire's, one more row per stage its
//! statistics give (or one saying why they gave none), and one row per cell
//! the target cannot take. Every row carries the run and its settings, so
//! files from many runs concatenate; durations are integer nanoseconds,
//! stages come in request order; `kind` says what a row is. A camera run's
//! rows end with its camera figures (empty for any other load).

use super::server_stats::{NotApplicable, ServerStats};
use super::stages::no_server_timings;
use super::text::csv_field;
use super::{BenchReport, Exporter, ScenarioReport};
use crate::stage::Stage;
use anyhow::Result;

pub struct CsvExporter;

pub const HEADER: &str = "run_id,size,payload,protocol,encoder,quality,subsampling,content,\
concurrency,bursts,compression,server_decoder,stage,count,mean_ns,mean_ci95_lo_ns,mean_ci95_hi_ns,\
p50_ns,p90_ns,p99_ns,p999_ns,max_ns,wall_percent,burst_mean_ns,burst_mean_ci95_lo_ns,\
burst_mean_ci95_hi_ns,requests_per_s,requests_per_s_ci95_lo,requests_per_s_ci95_hi,images_per_s,request_body_megabytes_per_s,requests,errors,\
request_body_bytes,wire_sent_bytes,kind,note,stable,camera_streams,camera_fps,\
camera_max_in_flight,camera_duration_s,frames_offered,frames_sent,frames_late,frames_dropped,\
frames_completed,sustained_frames_per_s";

/// The stage's columns of a row, `stage` to `wall_percent`.
const FIGURES: usize = 11;
/// The scenario's columns of a row, `burst_mean_ns` to `wire_sent_bytes`.
const TOTALS: usize = 12;
/// The camera columns, `camera_streams` to `sustained_frames_per_s`.
const CAMERAS: usize = 10;

/// `kind` of a stage imgwire timed (its clocks, or the server's Server-Timing).
pub const MEASURED: &str = "measured";
/// `kind` of a stage's mean from the server's own statistics.
pub const SERVER_STATS: &str = "server_stats";
/// `kind` of the row saying why the server's statistics gave no figures.
pub const SERVER_STATS_FAILED: &str = "server_stats_failed";
/// `kind` of the one row of a scenario that failed: no figures, its
/// requests and errors, and why in `note`.
pub const FAILED: &str = "failed";
/// `kind` of a cell the target cannot take (not measured).
pub const NOT_APPLICABLE: &str = "n/a";

impl Exporter for CsvExporter {
    fn render(&self, report: &BenchReport) -> Result<Vec<u8>> {
        let mut out = String::from(HEADER);
        out.push('\n');
        let mut push = |row: Vec<String>| {
            out.push_str(&row.join(","));
            out.push('\n');
        };
        for s in &report.scenarios {
            if !s.measured() {
                push(row(report, s, empty(), FAILED, &s.failure_text()));
                continue;
            }
            measured_rows(report, s).into_iter().for_each(&mut push);
            let model = report.settings.load.load_model;
            for (kind, m) in super::load_figures::latency_rows(&s.load, model) {
                let figures = [
                    m.count as u64,
                    m.mean_ns,
                    m.p50_ns,
                    m.p90_ns,
                    m.p99_ns,
                    m.max_ns,
                ];
                let mut fields = empty();
                fields[0] = "latency".into();
                for (field, value) in fields[1..7].iter_mut().zip(figures) {
                    *field = value.to_string();
                }
                push(row(report, s, fields, kind, ""));
            }
            if let Some(stats) = &s.server_stats {
                server_stats_rows(report, s, stats)
                    .into_iter()
                    .for_each(&mut push);
            }
        }
        for cell in &report.not_applicable {
            push(not_applicable_row(report, cell));
        }
        Ok(out.into_bytes())
    }
}

/// A row per stage imgwire timed.
fn measured_rows(report: &BenchReport, s: &ScenarioReport) -> Vec<Vec<String>> {
    let wall = wall_mean(s);
    let mut rows = Vec::new();
    for stage in Stage::ALL {
        let Some(m) = s.stage(stage) else {
            continue;
        };
        let in_request = s.per_request(stage) && stage != Stage::Wall;
        let note = match stage == Stage::Transport {
            true => transport_note(s),
            false => String::new(),
        };
        let [ci_lo, ci_hi] = interval_fields(m.mean_ci95_ns);
        let figures = [
            stage.name().to_string(),
            m.count.to_string(),
            m.mean_ns.to_string(),
            ci_lo,
            ci_hi,
            m.p50_ns.to_string(),
            m.p90_ns.to_string(),
            m.p99_ns.to_string(),
            m.p999_ns.to_string(),
            m.max_ns.to_string(),
            wall_percent(m.mean_ns, wall, in_request),
        ];
        rows.push(row(report, s, figures, MEASURED, &note));
    }
    rows
}

/// The transport row's note: whether it holds the server's time, and how
/// many responses' `Server-Timing` was left out (and why).
fn transport_note(s: &ScenarioReport) -> String {
    let mut notes = Vec::new();
    if no_server_timings(s) && s.timing_warnings == 0 {
        notes.push("transport+server: the server sends no Server-Timing".to_string());
    } else if no_server_timings(s) {
        notes.push("transport+server: no response's Server-Timing could be taken".into());
    }
    if s.timing_warnings > 0 {
        notes.push(format!(
            "warning: {}",
            super::stages::timing_warning_text(s)
        ));
    }
    notes.join("; ")
}

/// A row per stage of the server's statistics (a mean, no percentiles), or
/// one row with no stage saying why there are none (the requests the
/// server counted, where it counted but timed nothing).
fn server_stats_rows(
    report: &BenchReport,
    s: &ScenarioReport,
    stats: &ServerStats,
) -> Vec<Vec<String>> {
    if let Some(problem) = &stats.problem {
        let note = format!("{problem}; source: {}", stats.source);
        return vec![row(report, s, empty(), SERVER_STATS_FAILED, &note)];
    }
    let note = format!("{}; source: {}", stats.label, stats.source);
    if stats.mean_ns.is_empty() {
        let mut figures = empty();
        figures[1] = stats.requests.to_string();
        let note = format!("the server counted requests but timed no stage; {note}");
        return vec![row(report, s, figures, SERVER_STATS, &note)];
    }
    let wall = wall_mean(s);
    let rows = stats.mean_ns.iter().map(|(stage, &mean)| {
        let mut figures = empty();
        figures[0] = stage.name().into();
        figures[1] = stats.requests.to_string();
        figures[2] = mean.to_string();
        figures[FIGURES - 1] = wall_percent(mean, wall, true);
        row(report, s, figures, SERVER_STATS, &note)
    });
    rows.collect()
}

/// The stage's fields (stage, count, mean, its interval, percentiles, max,
/// wall_percent), empty.
fn empty() -> [String; FIGURES] {
    Default::default()
}

/// An interval's bounds, or two empty fields without one.
fn interval_fields(interval: Option<[u64; 2]>) -> [String; 2] {
    interval.map_or_else(Default::default, |ci| ci.map(|ns| ns.to_string()))
}

fn wall_mean(s: &ScenarioReport) -> u64 {
    s.stage(Stage::Wall).map_or(0, |m| m.mean_ns)
}

/// A mean as a percentage of the mean wall time, for stages in a request.
fn wall_percent(mean: u64, wall: u64, in_request: bool) -> String {
    match in_request && wall > 0 {
        true => format!("{:.2}", mean as f64 / wall as f64 * 100.0),
        false => String::new(),
    }
}

/// A scenario's row: its settings, the stage's figures, the scenario's
/// totals, the row's kind and note.
fn row(
    report: &BenchReport,
    s: &ScenarioReport,
    figures: [String; FIGURES],
    kind: &str,
    note: &str,
) -> Vec<String> {
    let [burst_lo, burst_hi] = interval_fields(s.burst.mean_ci95_ns);
    let rate = |per_s: f64| format!("{per_s:.3}");
    let [rate_lo, rate_hi] = s
        .throughput
        .requests_per_s_ci95
        .map_or_else(Default::default, |ci| ci.map(rate));
    let mut totals: [String; TOTALS] = [
        s.burst.mean_ns.to_string(),
        burst_lo,
        burst_hi,
        rate(s.throughput.requests_per_s),
        rate_lo,
        rate_hi,
        rate(s.throughput.images_per_s),
        rate(s.throughput.request_body_megabytes_per_s),
        s.requests.to_string(),
        s.errors.to_string(),
        s.bytes.request_body_bytes.to_string(),
        s.bytes.wire_sent_bytes.to_string(),
    ];
    if !s.measured() {
        // Only the counts: a failed scenario's figures are zeros, not values.
        for (at, field) in totals.iter_mut().enumerate() {
            if !(8..=9).contains(&at) {
                field.clear();
            }
        }
    }
    let end = [
        kind.to_string(),
        csv_field(note),
        super::load_figures::csv_stable(&s.load),
    ];
    let settings = settings_fields(report, Some(s), s.scenario.payload, s.scenario.protocol);
    let row = settings.into_iter().chain(figures).chain(totals);
    row.chain(end).chain(camera_fields(s)).collect()
}

/// The camera figures of a camera run's scenario (`--streams`), every
/// field empty for any other load.
fn camera_fields(s: &ScenarioReport) -> [String; CAMERAS] {
    let Some(c) = &s.load.cameras else {
        return Default::default();
    };
    [
        c.streams.to_string(),
        c.fps.to_string(),
        c.max_in_flight.to_string(),
        c.duration_s.to_string(),
        c.frames_offered.to_string(),
        c.frames_sent.to_string(),
        c.frames_late.to_string(),
        c.frames_dropped.to_string(),
        c.frames_completed.to_string(),
        format!("{:.3}", c.sustained_frames_per_s),
    ]
}

/// A cell the target cannot take: no size (it holds for every size), no
/// figures, its reason as the note.
fn not_applicable_row(report: &BenchReport, cell: &NotApplicable) -> Vec<String> {
    let settings = settings_fields(report, None, cell.payload, cell.protocol);
    let totals: [String; TOTALS] = Default::default();
    let end = [
        NOT_APPLICABLE.to_string(),
        csv_field(&cell.reason),
        String::new(),
    ];
    let cameras: [String; CAMERAS] = Default::default();
    settings
        .into_iter()
        .chain(empty())
        .chain(totals)
        .chain(end)
        .chain(cameras)
        .collect()
}

/// The columns every row of a cell shares, up to the stage; the size,
/// encoder, quality, subsampling and content are empty without a scenario.
fn settings_fields(
    report: &BenchReport,
    s: Option<&ScenarioReport>,
    payload: crate::wire::PayloadKind,
    protocol: crate::protocol::Protocol,
) -> Vec<String> {
    let settings = &report.settings;
    // Quality and subsampling mean nothing for a request without an image.
    let image = s.is_some_and(|s| s.encoder != crate::encoders::EncoderKind::None);
    vec![
        csv_field(&report.run_id),
        s.map_or(String::new(), |s| s.scenario.size.to_string()),
        payload.name().into(),
        protocol.name().into(),
        s.map_or(String::new(), |s| s.encoder.name().into()),
        settings
            .quality
            .filter(|_| image)
            .map_or(String::new(), |q| q.to_string()),
        settings
            .subsampling
            .filter(|_| image)
            .map_or(String::new(), |sub| subsampling_name(sub).to_string()),
        s.map_or(String::new(), |s| csv_field(&s.content)),
        settings.concurrency.to_string(),
        settings.bursts.to_string(),
        settings.compression.name().into(),
        // Empty where the JSON has null: a remote server's decoder is not known.
        settings
            .server_decoder
            .map_or(String::new(), |d| d.name().to_string()),
    ]
}

/// Chroma subsampling as `--subsampling` and the JSON spell it (`420`);
/// the terminal tables say `4:2:0`.
pub fn subsampling_name(subsampling: crate::encoders::Subsampling) -> &'static str {
    use crate::encoders::Subsampling;
    match subsampling {
        Subsampling::S420 => "420",
        Subsampling::S422 => "422",
        Subsampling::S444 => "444",
    }
}
