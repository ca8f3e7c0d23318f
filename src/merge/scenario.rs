//! One scenario of every shard made into one: counts summed, percentiles
//! from the summed histograms (never averaged), means weighted by their
//! counts, maxima the largest, throughput the shards' sum, and the window
//! figures from the windows aligned by index; a camera run's counts
//! summed over the shards' streams.

use super::windows;
use crate::report::cameras::CameraFigures;
use crate::report::histogram::{add, decode, encode, LATENCY, LATENCY_CORRECTED};
use crate::report::interval::{as_f64, bootstrap_mean_ci};
use crate::report::load_figures::{Latency, LoadFigures};
use crate::report::summary::{histogram as empty_of, CdfPoint, Summary, CDF_PERCENTS};
use crate::report::{ByteCounts, ScenarioReport, Throughput};
use crate::stage::Stage;
use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use std::collections::BTreeMap;

/// Error and timing-warning examples a merged scenario keeps, each once.
const EXAMPLES: usize = 5;

/// The shards' reports of one scenario (the same in each), made into one.
pub fn merge(parts: &[&ScenarioReport]) -> Result<ScenarioReport> {
    let first = parts[0];
    let histograms = summed_histograms(parts)?;
    let stages = stage_summaries(parts, &histograms);
    let windows = windows::align(
        &parts
            .iter()
            .map(|p| &p.load.windows[..])
            .collect::<Vec<_>>(),
    );
    let values = windows::values_ns(&windows);
    let requests: usize = parts.iter().map(|p| p.requests).sum();
    let throughput = throughput(parts, &windows);
    let latency = Latency {
        uncorrected: summary(&histograms, LATENCY, parts, |p| {
            Some(p.load.latency.uncorrected)
        }),
        corrected: parts
            .iter()
            .all(|p| p.load.latency.corrected.is_some())
            .then(|| {
                summary(&histograms, LATENCY_CORRECTED, parts, |p| {
                    p.load.latency.corrected
                })
            }),
    };
    let mut merged = ScenarioReport {
        requests,
        errors: parts.iter().map(|p| p.errors).sum(),
        error_examples: examples(parts.iter().flat_map(|p| &p.error_examples)),
        failure: None,
        timing_warnings: parts.iter().map(|p| p.timing_warnings).sum(),
        timing_warning_examples: examples(parts.iter().flat_map(|p| &p.timing_warning_examples)),
        burst: windows::burst_times(&values),
        burst_ns: values.clone(),
        warmup_burst_ns: Vec::new(),
        throughput,
        stage_burst_means_ns: stage_window_means(parts),
        latency_cdf: cdf(histograms.get(LATENCY), parts),
        residual_share: crate::run::scenario_fold::residual_share(&stages),
        dominant_stage: crate::run::scenario_fold::dominant_stage(
            &stages,
            &first.stage_burst_means_ns,
        ),
        bytes: bytes(parts),
        stages,
        histograms: histograms
            .iter()
            .map(|(k, h)| (k.clone(), encode(h)))
            .collect(),
        server_stats: None,
        server_trace: None,
        profile: None,
        load: LoadFigures {
            concurrency: parts.iter().map(|p| p.load.concurrency).sum(),
            stable: stable(parts),
            warmup_extra: parts.iter().map(|p| p.load.warmup_extra).max().unwrap_or(0),
            window_ns: first.load.window_ns,
            window_values_ns: values,
            throughput_rps: throughput.requests_per_s,
            latency,
            windows,
            latency_corrected_histogram: None,
            cameras: cameras(parts),
        },
        ..first.clone()
    };
    if requests == 0 {
        merged.failure = Some(
            parts
                .iter()
                .find_map(|p| p.failure.clone())
                .unwrap_or_else(|| "no request completed in any shard".into()),
        );
    }
    Ok(merged)
}

/// Every histogram any shard has, the shards' added up.
fn summed_histograms(parts: &[&ScenarioReport]) -> Result<BTreeMap<String, Histogram<u64>>> {
    let mut summed: BTreeMap<String, Histogram<u64>> = BTreeMap::new();
    for part in parts {
        for (name, text) in &part.histograms {
            let histogram = decode(text).with_context(|| format!("histogram {name}"))?;
            let total = summed.entry(name.clone()).or_insert_with(|| empty_of(&[]));
            add(total, &histogram).with_context(|| format!("histogram {name}"))?;
        }
    }
    Ok(summed)
}

/// A summary of the shards' `of`: count summed, mean weighted by count,
/// max the largest, percentiles from the summed histogram `name`.
fn summary(
    histograms: &BTreeMap<String, Histogram<u64>>,
    name: &str,
    parts: &[&ScenarioReport],
    of: impl Fn(&ScenarioReport) -> Option<Summary>,
) -> Summary {
    let summaries: Vec<Summary> = parts.iter().filter_map(|p| of(p)).collect();
    of_parts(histograms.get(name), &summaries)
}

/// The summary of `parts` whose samples `histogram` holds.
pub fn of_parts(histogram: Option<&Histogram<u64>>, parts: &[Summary]) -> Summary {
    let count: usize = parts.iter().map(|s| s.count).sum();
    let (Some(histogram), true) = (histogram, count > 0) else {
        return Summary::default();
    };
    let total: u128 = parts
        .iter()
        .map(|s| s.count as u128 * u128::from(s.mean_ns))
        .sum();
    let max_ns = parts.iter().map(|s| s.max_ns).max().unwrap_or(0);
    crate::report::summary::of_histogram(histogram, count, total, max_ns)
}

/// Each stage any shard has: its merged summary, the interval of its mean
/// by bootstrap over every shard's windows' means (none for the pool's
/// per-frame stages, whose frames a merge does not have).
fn stage_summaries(
    parts: &[&ScenarioReport],
    histograms: &BTreeMap<String, Histogram<u64>>,
) -> BTreeMap<Stage, Summary> {
    let window_means = stage_window_means(parts);
    let stages: Vec<Stage> =
        crate::report::unique(parts.iter().flat_map(|p| p.stages.keys().copied()));
    stages
        .into_iter()
        .map(|stage| {
            let summaries: Vec<Summary> = parts
                .iter()
                .filter_map(|p| p.stage(stage).copied())
                .collect();
            let merged = of_parts(histograms.get(stage.name()), &summaries);
            let interval = window_means
                .get(&stage)
                .and_then(|means| bootstrap_mean_ci(&as_f64(means)));
            (stage, merged.with_mean_ci(interval))
        })
        .collect()
}

/// Per stage, every shard's per-window means, shard after shard: the
/// windows a stage's interval resamples.
fn stage_window_means(parts: &[&ScenarioReport]) -> BTreeMap<Stage, Vec<u64>> {
    let mut means: BTreeMap<Stage, Vec<u64>> = BTreeMap::new();
    for (stage, values) in parts.iter().flat_map(|p| &p.stage_burst_means_ns) {
        means.entry(*stage).or_default().extend(values);
    }
    means
}

/// Throughput: the shards' rates added (each over its own elapsed time);
/// the interval over the merged windows.
fn throughput(
    parts: &[&ScenarioReport],
    merged: &[crate::report::load_figures::WindowCount],
) -> Throughput {
    let sum = |f: fn(&Throughput) -> f64| parts.iter().map(|p| f(&p.throughput)).sum::<f64>();
    Throughput {
        requests_per_s: sum(|t| t.requests_per_s),
        requests_per_s_ci95: windows::throughput_ci(merged),
        images_per_s: sum(|t| t.images_per_s),
        request_body_megabytes_per_s: sum(|t| t.request_body_megabytes_per_s),
    }
}

/// The wall latency's CDF from the summed histogram, from the smallest
/// sample of any shard to the largest.
fn cdf(histogram: Option<&Histogram<u64>>, parts: &[&ScenarioReport]) -> Vec<CdfPoint> {
    let ends = |f: fn(&[CdfPoint]) -> Option<&CdfPoint>| {
        parts
            .iter()
            .filter_map(move |p| f(&p.latency_cdf).map(|c| c.ns))
    };
    let (Some(histogram), Some(min_ns), Some(max_ns)) = (
        histogram,
        ends(<[CdfPoint]>::first).min(),
        ends(<[CdfPoint]>::last).max(),
    ) else {
        return Vec::new();
    };
    CDF_PERCENTS
        .iter()
        .map(|&percent| CdfPoint {
            percent,
            ns: match percent {
                p if p <= 0.0 => min_ns,
                p => histogram.value_at_quantile(p / 100.0).clamp(min_ns, max_ns),
            },
        })
        .collect()
}

/// Bytes per request: the shards' means weighted by their requests.
fn bytes(parts: &[&ScenarioReport]) -> ByteCounts {
    let requests: usize = parts.iter().map(|p| p.requests).sum();
    let weighted = |f: &dyn Fn(&ByteCounts) -> f64| -> f64 {
        let total: f64 = parts.iter().map(|p| f(&p.bytes) * p.requests as f64).sum();
        total / requests.max(1) as f64
    };
    let whole = |f: &dyn Fn(&ByteCounts) -> u64| weighted(&|b| f(b) as f64).round() as u64;
    let server = |f: &dyn Fn(&ByteCounts) -> Option<u64>| {
        let all = parts.iter().all(|p| f(&p.bytes).is_some());
        all.then(|| whole(&|b| f(b).unwrap_or(0)))
    };
    ByteCounts {
        raw_frame_bytes: whole(&|b| b.raw_frame_bytes),
        image_bytes: whole(&|b| b.image_bytes),
        request_body_bytes: whole(&|b| b.request_body_bytes),
        response_body_bytes: whole(&|b| b.response_body_bytes),
        image_bits_per_pixel: weighted(&|b| b.image_bits_per_pixel),
        wire_sent_bytes: whole(&|b| b.wire_sent_bytes),
        wire_received_bytes: whole(&|b| b.wire_received_bytes),
        server_wire_received_bytes: server(&|b| b.server_wire_received_bytes),
        server_wire_sent_bytes: server(&|b| b.server_wire_sent_bytes),
        wire_overhead_percent: weighted(&|b| b.wire_overhead_percent),
    }
}

/// A camera run's figures over every shard's streams: streams, counts and
/// sustained frames a second summed (the shards ran at the same time),
/// `--fps` and `--max-in-flight` the shards' (`checks` refuses shards
/// that differ in them), the duration the longest shard's. None unless
/// every shard ran cameras.
fn cameras(parts: &[&ScenarioReport]) -> Option<CameraFigures> {
    let all: Vec<CameraFigures> = parts
        .iter()
        .map(|p| p.load.cameras)
        .collect::<Option<_>>()?;
    let sum = |count: fn(&CameraFigures) -> usize| all.iter().map(count).sum::<usize>();
    Some(CameraFigures {
        streams: sum(|c| c.streams),
        duration_s: all.iter().map(|c| c.duration_s).fold(0.0, f64::max),
        frames_offered: sum(|c| c.frames_offered),
        frames_sent: sum(|c| c.frames_sent),
        frames_late: sum(|c| c.frames_late),
        frames_dropped: sum(|c| c.frames_dropped),
        frames_completed: sum(|c| c.frames_completed),
        sustained_frames_per_s: all.iter().map(|c| c.sustained_frames_per_s).sum(),
        ..*all.first()?
    })
}

/// Stable when every shard's warm-up was; unstable when any one's was not.
fn stable(parts: &[&ScenarioReport]) -> Option<bool> {
    let judged: Vec<bool> = parts.iter().filter_map(|p| p.load.stable).collect();
    (!judged.is_empty()).then(|| judged.iter().all(|&s| s))
}

/// Each distinct example once, a few.
fn examples<'a>(all: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut kept = crate::report::unique(all);
    kept.truncate(EXAMPLES);
    kept.into_iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::summary::{histogram, summarize};

    #[test]
    fn a_merged_summary_is_the_pooled_samples_summary() {
        let a: Vec<u64> = (1..=700).map(|i| i * 1_013).collect();
        let b: Vec<u64> = (1..=300).map(|i| 50_000 + i * 7_919).collect();
        let mut summed = histogram(&[]);
        for part in [&a, &b] {
            add(&mut summed, &decode(&encode(&histogram(part))).unwrap()).unwrap();
        }
        let merged = of_parts(Some(&summed), &[summarize(&a), summarize(&b)]);
        let pooled = summarize(&[a.clone(), b.clone()].concat());
        assert_eq!(merged.count, 1_000);
        assert_eq!(merged.max_ns, pooled.max_ns);
        assert!(
            merged.mean_ns.abs_diff(pooled.mean_ns) <= 1,
            "{merged:?} {pooled:?}"
        );
        let percentiles = |s: &Summary| [s.p50_ns, s.p90_ns, s.p99_ns, s.p999_ns];
        assert_eq!(percentiles(&merged), percentiles(&pooled));
        // Averaging the two p99s instead would be far off.
        let averaged = (summarize(&a).p99_ns + summarize(&b).p99_ns) / 2;
        assert!(averaged.abs_diff(pooled.p99_ns) > pooled.p99_ns / 10);
        assert_eq!(of_parts(None, &[]), Summary::default());
    }
}
