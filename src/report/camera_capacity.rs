//! The camera capacity table: every (encoder, streams) point of a capacity
//! sweep judged by one rule (kept up, or why not), and per scenario and
//! encoder the most streams that kept up, as the terminal prints them and
//! the sweep's JSON keeps them.

use super::cameras::CameraFigures;
use super::{align_within, wrap, BenchReport, ScenarioReport};
use serde::Serialize;

/// Frames that may be dropped (of those offered) or late (of those sent:
/// ready more than a frame interval after their capture) in a point that
/// keeps up, in percent each: a busy client's rare hiccup is not a camera
/// that cannot keep up.
pub const MOST_MISSED_PERCENT: f64 = 1.0;

/// What keeping up means: no frame failed, at most `most_dropped_percent`
/// of the offered frames dropped and `most_late_percent` of the sent ones
/// late, and (with `--slo-ms`) the capture-to-result p99 within the bound.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct KeepUpRule {
    pub slo_ms: Option<f64>,
    pub most_dropped_percent: f64,
    pub most_late_percent: f64,
}

impl KeepUpRule {
    pub fn new(slo_ms: Option<f64>) -> KeepUpRule {
        KeepUpRule {
            slo_ms,
            most_dropped_percent: MOST_MISSED_PERCENT,
            most_late_percent: MOST_MISSED_PERCENT,
        }
    }

    /// `none failed, at most 1 % dropped and 1 % late, capture-to-result
    /// p99 within 50 ms (--slo-ms)`.
    pub fn describe(&self) -> String {
        let mut rule = format!(
            "none failed, at most {} % dropped and {} % late",
            self.most_dropped_percent, self.most_late_percent
        );
        if let Some(slo) = self.slo_ms {
            rule.push_str(&format!(
                ", capture-to-result p99 within {slo} ms (--slo-ms)"
            ));
        }
        rule
    }

    /// Why a scenario's run did not keep up (empty: it did).
    pub fn why_not(&self, s: &ScenarioReport) -> Vec<String> {
        if !s.measured() {
            return vec![s.failure_text()];
        }
        let Some(cameras) = &s.load.cameras else {
            return vec!["not a camera run".into()];
        };
        let mut why = self.frames_why_not(cameras);
        let p99_ms = p99_ms(s);
        if let Some(slo) = self.slo_ms.filter(|&slo| p99_ms > slo) {
            why.push(format!("p99 > {slo} ms"));
        }
        why
    }
}

impl KeepUpRule {
    /// What a camera run's counts break of the rule (empty: nothing):
    /// frames failed, the share dropped and the share late.
    pub fn frames_why_not(&self, c: &CameraFigures) -> Vec<String> {
        let mut why = Vec::new();
        let failed = c.frames_sent.saturating_sub(c.frames_completed);
        if failed > 0 {
            why.push(format!("{failed} failed"));
        }
        let percent = |part: usize, of: usize| 100.0 * part as f64 / of.max(1) as f64;
        let dropped = percent(c.frames_dropped, c.frames_offered);
        if dropped > self.most_dropped_percent {
            why.push(format!("{dropped:.1}% dropped"));
        }
        let late = percent(c.frames_late, c.frames_sent);
        if late > self.most_late_percent {
            why.push(format!("{late:.1}% late"));
        }
        why
    }
}

/// The capture-to-result p99 of a camera run, in ms (corrected: from each
/// frame's due time).
pub fn p99_ms(s: &ScenarioReport) -> f64 {
    s.load.latency.headline().p99_ns as f64 / 1e6
}

/// One scenario at one encoder and stream count.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CapacityPoint {
    pub scenario: String,
    pub encoder: String,
    pub streams: usize,
    /// streams x fps.
    pub offered_frames_per_s: f64,
    /// Whether the run measured anything: where not (it failed), the
    /// figures below are 0 and shown as `-`.
    pub measured: bool,
    pub sustained_frames_per_s: f64,
    pub p99_ms: f64,
    /// The client's CPU over the run as a share of its cores, and the part
    /// of it its encoder threads used, in percent (null where not measured).
    pub client_cpu_percent: Option<f64>,
    pub encode_share_percent: Option<f64>,
    pub keeps_up: bool,
    /// Why it did not keep up (empty when it did).
    pub why_not: Vec<String>,
}

/// Per scenario and encoder, the most streams that kept up.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Capacity {
    pub scenario: String,
    pub encoder: String,
    /// The last stream count before the first that did not keep up (0: not
    /// even the fewest kept up).
    pub most_streams: usize,
    /// The first stream count that did not keep up (null: every count
    /// tried kept up, so the capacity may be higher).
    pub first_failing_streams: Option<usize>,
}

/// One point run: the encoder's name, the stream count, the run's report.
pub type PointRun<'a> = (&'a str, usize, &'a BenchReport);

/// Every scenario of every point run, judged.
pub fn judge(runs: &[PointRun], rule: &KeepUpRule, fps: f64) -> Vec<CapacityPoint> {
    let mut points = Vec::new();
    for &(encoder, streams, report) in runs {
        for s in &report.scenarios {
            let why_not = rule.why_not(s);
            let cameras = s.load.cameras.unwrap_or_default();
            points.push(CapacityPoint {
                scenario: s.label(),
                encoder: encoder.to_string(),
                streams,
                offered_frames_per_s: streams as f64 * fps,
                measured: s.measured(),
                sustained_frames_per_s: cameras.sustained_frames_per_s,
                p99_ms: p99_ms(s),
                client_cpu_percent: s.client_cpu.map(|c| 100.0 * c.share_of_cores()),
                encode_share_percent: (s.client_cpu)
                    .filter(|c| c.cpu_s > 0.0)
                    .map(|c| 100.0 * c.encode_cpu_s / c.cpu_s),
                keeps_up: why_not.is_empty(),
                why_not,
            });
        }
    }
    points
}

/// Per scenario and encoder (in the order first met), from its points in
/// rising stream count.
pub fn capacities(points: &[CapacityPoint]) -> Vec<Capacity> {
    let keys = super::unique(points.iter().map(|p| (&p.scenario, &p.encoder)));
    keys.into_iter()
        .map(|(scenario, encoder)| {
            let mut tried: Vec<&CapacityPoint> = (points.iter())
                .filter(|p| (&p.scenario, &p.encoder) == (scenario, encoder))
                .collect();
            tried.sort_by_key(|p| p.streams);
            let first_failing = tried.iter().position(|p| !p.keeps_up);
            let kept = &tried[..first_failing.unwrap_or(tried.len())];
            Capacity {
                scenario: scenario.clone(),
                encoder: encoder.clone(),
                most_streams: kept.last().map_or(0, |p| p.streams),
                first_failing_streams: first_failing.map(|i| tried[i].streams),
            }
        })
        .collect()
}

impl Capacity {
    /// `4 (8 did not keep up)`, `8 or more (the most tried)`, `0 (1 did not
    /// keep up)`.
    pub fn text(&self) -> String {
        match self.first_failing_streams {
            Some(failing) => format!("{} ({failing} did not keep up)", self.most_streams),
            None => format!("{} or more (the most tried)", self.most_streams),
        }
    }
}

/// Per scenario, a row per point (encoder by encoder, streams rising) and
/// the line of most cameras per encoder.
pub fn render(
    points: &[CapacityPoint],
    rule: &KeepUpRule,
    fps: f64,
    width: Option<usize>,
) -> String {
    let capacities = capacities(points);
    let mut out = String::new();
    for scenario in super::unique(points.iter().map(|p| &p.scenario)) {
        let heading = format!(
            "Cameras at {fps} fps, {scenario}: keeps up = {}",
            rule.describe()
        );
        out.push_str(&format!("\n{}", wrap(&heading, width, "  ")));
        let rows = point_rows(points, scenario);
        out.push_str(&align_within(&rows, 2, width));
        for line in why_not_lines(points, scenario) {
            out.push_str(&wrap(&format!("  {line}"), width, "    "));
        }
        let line = format!("  {}", most_line(&capacities, scenario));
        out.push_str(&wrap(&line, width, "    "));
    }
    out
}

/// The table of a scenario's points: a header, then a row per point (the
/// reasons a point did not keep up are `why_not_lines`).
pub fn point_rows(points: &[CapacityPoint], scenario: &str) -> Vec<Vec<String>> {
    let header = [
        "encoder",
        "streams",
        "offered/s",
        "sustained/s",
        "p99 ms",
        "client CPU",
        "encoding",
        "keeps up",
    ];
    let mut rows = vec![header.map(String::from).to_vec()];
    let percent = |p: Option<f64>| p.map_or("-".to_string(), |p| format!("{p:.0}%"));
    for p in points.iter().filter(|p| p.scenario == scenario) {
        rows.push(vec![
            p.encoder.clone(),
            p.streams.to_string(),
            format!("{:.1}", p.offered_frames_per_s),
            shown(p.measured, p.sustained_frames_per_s),
            shown(p.measured, p.p99_ms),
            percent(p.client_cpu_percent),
            percent(p.encode_share_percent),
            if p.keeps_up { "yes" } else { "no" }.to_string(),
        ]);
    }
    rows
}

/// A measured figure to one decimal, `-` where the run measured nothing.
fn shown(measured: bool, value: f64) -> String {
    match measured {
        true => format!("{value:.1}"),
        false => "-".into(),
    }
}

/// `turbojpeg, 6 streams: 15.3% dropped, p99 > 100 ms`: one line per point
/// that did not keep up.
pub fn why_not_lines(points: &[CapacityPoint], scenario: &str) -> Vec<String> {
    (points.iter())
        .filter(|p| p.scenario == scenario && !p.keeps_up)
        .map(|p| {
            let streams = super::plural(p.streams, "stream");
            format!("{}, {streams}: {}", p.encoder, p.why_not.join(", "))
        })
        .collect()
}

/// `most cameras that keep up: turbojpeg 4 (8 did not keep up); none 0 (1
/// did not keep up)`.
pub fn most_line(capacities: &[Capacity], scenario: &str) -> String {
    let most: Vec<String> = (capacities.iter())
        .filter(|c| c.scenario == scenario)
        .map(|c| format!("{} {}", c.encoder, c.text()))
        .collect();
    format!("most cameras that keep up: {}", most.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(encoder: &str, streams: usize, keeps_up: bool) -> CapacityPoint {
        CapacityPoint {
            scenario: "1080x1920 binary REST".into(),
            encoder: encoder.into(),
            streams,
            offered_frames_per_s: streams as f64 * 30.0,
            measured: true,
            sustained_frames_per_s: streams as f64 * 30.0,
            p99_ms: 10.0,
            client_cpu_percent: None,
            encode_share_percent: None,
            keeps_up,
            why_not: match keeps_up {
                true => Vec::new(),
                false => vec!["3 % dropped".into()],
            },
        }
    }

    #[test]
    fn capacity_is_the_last_count_before_the_first_that_fell_behind() {
        let points = [
            point("turbojpeg", 1, true),
            point("turbojpeg", 4, false),
            point("turbojpeg", 2, true),
            // A later count that kept up by chance does not raise it.
            point("turbojpeg", 8, true),
            point("none", 1, false),
            point("raw-ok", 1, true),
            point("raw-ok", 2, true),
        ];
        let found = capacities(&points);
        let text: Vec<(String, String)> = (found.iter())
            .map(|c| (c.encoder.clone(), c.text()))
            .collect();
        assert_eq!(
            text,
            [
                ("turbojpeg".into(), "2 (4 did not keep up)".into()),
                ("none".into(), "0 (1 did not keep up)".into()),
                ("raw-ok".into(), "2 or more (the most tried)".into()),
            ]
        );
    }

    #[test]
    fn the_rule_names_the_slo_only_when_given() {
        assert!(!KeepUpRule::new(None).describe().contains("p99"));
        let rule = KeepUpRule::new(Some(50.0)).describe();
        assert!(rule.contains("p99 within 50 ms (--slo-ms)"), "{rule}");
    }
}
