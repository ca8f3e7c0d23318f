//! The matrix of scenarios (size x payload x protocol), and the fold of one
//! scenario's bursts into the `ScenarioReport` the reports read.

use crate::encoders::EncoderKind;
use crate::frame::Size;
use crate::net::byte_count::WireBytes;
use crate::protocol::Protocol;
use crate::report::histogram::{encode, LATENCY};
use crate::report::interval::{as_f64, bootstrap_mean_ci};
use crate::report::records::{BurstResult, RequestRecord};
use crate::report::server_stats::NotApplicable;
use crate::report::summary::{histogram, nanos, summarize};
use crate::report::{BurstTimes, ByteCounts, Scenario, ScenarioReport, Summary};
use crate::run::plan::MatrixPlan;
use crate::run::prepare::FramePool;
use crate::stage::Stage;
use crate::target::TargetWire;
use crate::wire::PayloadKind;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How many error messages a scenario keeps as examples.
const ERROR_EXAMPLES: usize = 5;

/// Every size x payload x protocol, in the seed's table order.
pub fn matrix(sizes: &[Size], payloads: &[PayloadKind], protocols: &[Protocol]) -> Vec<Scenario> {
    let mut scenarios = Vec::new();
    for &size in sizes {
        for &payload in payloads {
            for &protocol in protocols {
                scenarios.push(Scenario {
                    size,
                    payload,
                    protocol,
                });
            }
        }
    }
    scenarios
}

/// The payload x protocol cells of the matrix that the target cannot take,
/// each once with the target's reason.
pub fn not_applicable(matrix: &MatrixPlan, wire: &Arc<dyn TargetWire>) -> Vec<NotApplicable> {
    let cells = matrix.payloads.iter().flat_map(|&payload| {
        matrix
            .protocols
            .iter()
            .map(move |&protocol| (payload, protocol))
    });
    cells
        .filter_map(|(payload, protocol)| {
            let reason = wire.refusal(protocol, payload)?;
            Some(NotApplicable {
                payload,
                protocol,
                reason,
            })
        })
        .collect()
}

/// Everything a scenario's report is made from.
pub struct ScenarioRun<'a> {
    pub scenario: Scenario,
    pub encoder: EncoderKind,
    pub content: String,
    pub pool: Option<&'a FramePool>,
    pub warmup: Vec<BurstResult>,
    pub counted: Vec<BurstResult>,
    /// Bytes the client's sockets moved during the counted bursts.
    pub wire: WireBytes,
    /// The same at the built-in server's sockets (None for a remote server).
    pub server_wire: Option<WireBytes>,
}

/// Sums over the counted requests.
#[derive(Default)]
struct RequestTotals {
    requests: usize,
    request_bytes: usize,
    response_bytes: usize,
    image_bytes: usize,
    timing_warnings: usize,
}

impl ScenarioRun<'_> {
    pub fn into_report(self) -> ScenarioReport {
        let records: Vec<&RequestRecord> = self.counted.iter().flat_map(|b| &b.records).collect();
        let stage_burst_means_ns = stage_burst_means(&self.counted);
        let (stages, mut histograms) = self.stage_summaries(&records, &stage_burst_means_ns);
        let totals = records.iter().fold(RequestTotals::default(), |mut t, r| {
            t.requests += 1;
            t.request_bytes += r.request_bytes;
            t.response_bytes += r.response_bytes;
            t.image_bytes += r.image_bytes;
            t.timing_warnings += usize::from(r.timing_warning.is_some());
            t
        });
        let errors: Vec<&String> = self.counted.iter().flat_map(|b| &b.errors).collect();
        let walls: Vec<u64> = records
            .iter()
            .map(|r| nanos(r.stage(Stage::Wall)))
            .collect();
        let carries_image = self.scenario.payload.carries_image();
        histograms.insert(LATENCY.into(), encode(&histogram(&walls)));
        ScenarioReport {
            scenario: self.scenario,
            encoder: if carries_image {
                self.encoder
            } else {
                EncoderKind::None
            },
            content: if carries_image {
                self.content.clone()
            } else {
                "structured".into()
            },
            requests: totals.requests,
            errors: errors.len(),
            error_examples: errors
                .iter()
                .take(ERROR_EXAMPLES)
                .map(|e| e.to_string())
                .collect(),
            failure: None,
            timing_warnings: totals.timing_warnings,
            timing_warning_examples: timing_warning_examples(&records),
            burst: burst_times(&self.counted),
            burst_ns: self.counted.iter().map(|b| nanos(b.elapsed)).collect(),
            warmup_burst_ns: self.warmup.iter().map(|b| nanos(b.elapsed)).collect(),
            throughput: crate::report::throughput::throughput(&self.counted, carries_image),
            residual_share: residual_share(&stages),
            dominant_stage: dominant_stage(&stages, &stage_burst_means_ns),
            bytes: self.byte_counts(&totals),
            stages,
            stage_burst_means_ns,
            latency_cdf: crate::report::summary::cdf(&walls),
            histograms,
            server_stats: None,
            server_trace: None,
            client_cpu: None,
            schedule: None,
            profile: None,
            load: Default::default(),
        }
    }

    /// Each stage's summary: the pool's per-frame stages (their mean's
    /// interval over the frames), then every counted request's (over the
    /// bursts' means); and each stage's histogram, by name, for a merge.
    fn stage_summaries(
        &self,
        records: &[&RequestRecord],
        burst_means: &BTreeMap<Stage, Vec<u64>>,
    ) -> (BTreeMap<Stage, Summary>, BTreeMap<String, String>) {
        let mut samples: BTreeMap<Stage, Vec<u64>> = BTreeMap::new();
        if let Some(pool) = self.pool {
            samples.insert(Stage::Generate, pool.generate_ns.clone());
            samples.insert(Stage::Encode, pool.encode_ns.clone());
        }
        for record in records {
            for (stage, duration) in &record.stages {
                samples.entry(*stage).or_default().push(nanos(*duration));
            }
        }
        let resampled = |stage: &Stage, samples: &[u64]| match burst_means.get(stage) {
            Some(means) => bootstrap_mean_ci(&as_f64(means)),
            None => bootstrap_mean_ci(&as_f64(samples)),
        };
        let summaries = samples
            .iter()
            .map(|(stage, v)| (*stage, summarize(v).with_mean_ci(resampled(stage, v))))
            .collect();
        let histograms = samples
            .iter()
            .map(|(stage, v)| (stage.name().to_string(), encode(&histogram(v))))
            .collect();
        (summaries, histograms)
    }

    fn byte_counts(&self, totals: &RequestTotals) -> ByteCounts {
        let requests = totals.requests.max(1) as f64;
        let per_request = |total: u64| (total as f64 / requests).round() as u64;
        let image_bytes = match self.pool {
            Some(pool) => pool.mean_bytes(),
            // Frames made live: each request's own image.
            None => totals.image_bytes as f64 / requests,
        };
        let payload = if self.scenario.payload.carries_image() {
            image_bytes
        } else {
            totals.request_bytes as f64 / requests
        };
        let sent = self.wire.sent as f64 / requests;
        ByteCounts {
            raw_frame_bytes: match self.pool {
                Some(pool) => pool.raw_bytes as u64,
                None if totals.image_bytes > 0 => self.scenario.size.pixels() * 3,
                None => 0,
            },
            image_bytes: image_bytes.round() as u64,
            request_body_bytes: per_request(totals.request_bytes as u64),
            response_body_bytes: per_request(totals.response_bytes as u64),
            image_bits_per_pixel: image_bytes * 8.0 / self.scenario.size.pixels() as f64,
            wire_sent_bytes: per_request(self.wire.sent),
            wire_received_bytes: per_request(self.wire.received),
            server_wire_received_bytes: self.server_wire.map(|w| per_request(w.received)),
            server_wire_sent_bytes: self.server_wire.map(|w| per_request(w.sent)),
            wire_overhead_percent: if payload > 0.0 {
                (sent / payload - 1.0) * 100.0
            } else {
                0.0
            },
        }
    }
}

/// The distinct reasons responses' `Server-Timing` was left out, a few.
fn timing_warning_examples(records: &[&RequestRecord]) -> Vec<String> {
    let reasons = records
        .iter()
        .filter_map(|r| r.timing_warning.as_ref().map(ToString::to_string));
    let mut examples: Vec<String> = Vec::new();
    for reason in reasons {
        if examples.len() == ERROR_EXAMPLES {
            break;
        }
        if !examples.contains(&reason) {
            examples.push(reason);
        }
    }
    examples
}

/// Median residual over median wall: how much time no stage claims.
pub(crate) fn residual_share(stages: &BTreeMap<Stage, Summary>) -> f64 {
    let median = |stage: Stage| stages.get(&stage).map_or(0, |m| m.p50_ns);
    match median(Stage::Wall) {
        0 => 0.0,
        wall => median(Stage::Residual) as f64 / wall as f64,
    }
}

/// The request stage with the largest mean: `generate` and `encode` among
/// them where they were timed per request (`--encode live`: the requests'
/// bursts have means of them).
pub(crate) fn dominant_stage(
    stages: &BTreeMap<Stage, Summary>,
    burst_means: &BTreeMap<Stage, Vec<u64>>,
) -> Option<Stage> {
    let made_live = [Stage::Generate, Stage::Encode]
        .into_iter()
        .filter(|s| burst_means.contains_key(s));
    made_live
        .chain(Stage::IN_REQUEST)
        .filter_map(|s| stages.get(&s).map(|m| (s, m.mean_ns)))
        .max_by_key(|(_, mean)| *mean)
        .map(|(stage, _)| stage)
}

fn burst_times(bursts: &[BurstResult]) -> BurstTimes {
    let ns: Vec<u64> = bursts.iter().map(|b| nanos(b.elapsed)).collect();
    let Some(&min_ns) = ns.iter().min() else {
        return BurstTimes::default();
    };
    let s = summarize(&ns);
    BurstTimes {
        count: s.count,
        mean_ns: s.mean_ns,
        mean_ci95_ns: bootstrap_mean_ci(&as_f64(&ns)).map(|ci| ci.as_ns()),
        p50_ns: s.p50_ns,
        p99_ns: s.p99_ns,
        min_ns,
        max_ns: s.max_ns,
    }
}

/// Per request stage, the mean over each burst's requests that have it, in
/// the bursts' order.
fn stage_burst_means(bursts: &[BurstResult]) -> BTreeMap<Stage, Vec<u64>> {
    let mut means: BTreeMap<Stage, Vec<u64>> = BTreeMap::new();
    for burst in bursts {
        let mut sums: BTreeMap<Stage, (u128, u128)> = BTreeMap::new();
        for (stage, duration) in burst.records.iter().flat_map(|r| &r.stages) {
            let (total, count) = sums.entry(*stage).or_default();
            *total += u128::from(nanos(*duration));
            *count += 1;
        }
        for (stage, (total, count)) in sums {
            means.entry(stage).or_default().push((total / count) as u64);
        }
    }
    means
}
