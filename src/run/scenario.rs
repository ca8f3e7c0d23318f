//! One point of the matrix (size x payload x protocol), the matrix itself,
//! and the fold of its bursts into a `ScenarioReport`.

use crate::frame::Size;
use crate::report::{BurstSeconds, ByteCounts, ScenarioReport};
use crate::run::burst::{seconds, BurstResult};
use crate::run::prepare::FramePool;
use crate::run::samples::{nanos, summarize};
use crate::stage::Stage;
use crate::transport::counting::WireBytes;
use crate::protocol::Protocol;
use crate::wire::PayloadKind;
use std::collections::BTreeMap;

/// How many error messages a scenario keeps as examples.
const ERROR_EXAMPLES: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scenario {
    pub size: Size,
    pub payload: PayloadKind,
    pub protocol: Protocol,
}

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

/// Everything a scenario's report is made from.
pub struct ScenarioRun<'a> {
    pub scenario: Scenario,
    pub encoder: &'static str,
    pub content: String,
    pub pool: Option<&'a FramePool>,
    pub warmup: Vec<BurstResult>,
    pub counted: Vec<BurstResult>,
    /// Bytes the client's sockets moved during the counted bursts.
    pub wire: WireBytes,
    /// The same at the built-in server's sockets (None for a remote server).
    pub server_wire: Option<WireBytes>,
}

impl ScenarioRun<'_> {
    pub fn into_report(self) -> ScenarioReport {
        let Scenario {
            size,
            payload,
            protocol,
        } = self.scenario;
        let mut samples: BTreeMap<Stage, Vec<u64>> = BTreeMap::new();
        if let Some(pool) = self.pool {
            samples.insert(Stage::Generate, pool.generate_ns.clone());
            samples.insert(Stage::Encode, pool.encode_ns.clone());
        }
        let records = self.counted.iter().flat_map(|b| &b.records);
        let (mut request_bytes, mut response_bytes, mut warnings, mut requests) =
            (0usize, 0usize, 0, 0);
        for record in records {
            requests += 1;
            request_bytes += record.request_bytes;
            response_bytes += record.response_bytes;
            warnings += usize::from(record.timing_warning.is_some());
            for (stage, duration) in &record.stages {
                samples.entry(*stage).or_default().push(nanos(*duration));
            }
        }
        let errors: Vec<&String> = self.counted.iter().flat_map(|b| &b.errors).collect();
        let stages: BTreeMap<&'static str, _> = samples
            .iter()
            .map(|(stage, v)| (stage.name(), summarize(v)))
            .collect();
        let median = |stage: Stage| stages.get(stage.name()).map_or(0, |m| m.p50_ns);
        let residual_share = match median(Stage::Wall) {
            0 => 0.0,
            wall => median(Stage::Residual) as f64 / wall as f64,
        };
        let dominant_stage = Stage::IN_REQUEST
            .iter()
            .filter_map(|s| stages.get(s.name()).map(|m| (s.name(), m.mean_ns)))
            .max_by_key(|(_, mean)| *mean)
            .map_or("none", |(name, _)| name);
        let image_bytes = self.pool.map_or(0.0, FramePool::mean_bytes);
        let per_request = |total: usize| total as f64 / requests.max(1) as f64;
        ScenarioReport {
            size: size.to_string(),
            width: size.width,
            height: size.height,
            payload,
            protocol,
            encoder: if payload.carries_image() {
                self.encoder
            } else {
                "none"
            },
            content: if payload.carries_image() {
                self.content
            } else {
                "structured".into()
            },
            requests,
            errors: errors.len(),
            error_examples: errors
                .iter()
                .take(ERROR_EXAMPLES)
                .map(|e| e.to_string())
                .collect(),
            timing_warnings: warnings,
            seconds_per_burst: burst_seconds(&self.counted),
            warmup_seconds_per_burst: self.warmup.iter().map(|b| seconds(b.elapsed)).collect(),
            stages,
            residual_share,
            dominant_stage,
            bytes: ByteCounts {
                raw_frame_bytes: self.pool.map_or(0, |p| p.raw_bytes),
                image_bytes,
                request_body_bytes: per_request(request_bytes),
                response_body_bytes: per_request(response_bytes),
                image_bits_per_pixel: image_bytes * 8.0 / size.pixels() as f64,
                wire_sent_bytes: per_request(self.wire.sent as usize),
                wire_received_bytes: per_request(self.wire.received as usize),
                server_wire_received_bytes: self
                    .server_wire
                    .map(|w| per_request(w.received as usize)),
                server_wire_sent_bytes: self.server_wire.map(|w| per_request(w.sent as usize)),
                wire_overhead_percent: {
                    let payload = if payload.carries_image() {
                        image_bytes
                    } else {
                        per_request(request_bytes)
                    };
                    let sent = per_request(self.wire.sent as usize);
                    if payload > 0.0 {
                        (sent / payload - 1.0) * 100.0
                    } else {
                        0.0
                    }
                },
            },
            profile: None,
        }
    }
}

fn burst_seconds(bursts: &[BurstResult]) -> BurstSeconds {
    let ns: Vec<u64> = bursts.iter().map(|b| nanos(b.elapsed)).collect();
    let Some(&min_ns) = ns.iter().min() else {
        return BurstSeconds::default();
    };
    let s = summarize(&ns);
    BurstSeconds {
        mean: s.mean_ns as f64 / 1e9,
        p50: s.p50_ns as f64 / 1e9,
        p99: s.p99_ns as f64 / 1e9,
        min: min_ns as f64 / 1e9,
        max: s.max_ns as f64 / 1e9,
    }
}
