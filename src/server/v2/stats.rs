//! The model's statistics in Triton's shape (`GET /v2/models/{m}/stats`),
//! cumulative since start, filled from the same stage timings every answer
//! carries in `Server-Timing`:
//!
//! | Triton          | imgwire's stages                  |
//! | --------------- | --------------------------------- |
//! | queue           | server.queue                      |
//! | compute_input   | server.deserialize                |
//! | compute_infer   | server.decode + server.infer      |
//! | compute_output  | server.respond                    |
//! | success / fail  | the sum of the four rows above    |
//!
//! `server.receive` (reading the body off the socket) is in none of them:
//! Triton's clock starts once the request is whole, too. As Triton does, a
//! failed request counts under `fail` only.

use crate::server::request::Answer;
use crate::stage::Stage;
use serde::Serialize;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A count of requests and the nanoseconds they spent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Statistic {
    pub count: u64,
    pub ns: u64,
}

impl Statistic {
    fn add(&mut self, duration: Duration) {
        self.count += 1;
        self.ns = self.ns.saturating_add(duration.as_nanos() as u64);
    }
}

/// Triton's `inference_stats`, the parts this server fills.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct InferenceStats {
    pub success: Statistic,
    pub fail: Statistic,
    pub queue: Statistic,
    pub compute_input: Statistic,
    pub compute_infer: Statistic,
    pub compute_output: Statistic,
    /// No response cache: always zero.
    pub cache_hit: Statistic,
    pub cache_miss: Statistic,
}

/// The model's statistics since the server started.
#[derive(Default)]
pub struct InferStats {
    totals: Mutex<Totals>,
}

#[derive(Default)]
struct Totals {
    stats: InferenceStats,
    /// Milliseconds since the Unix epoch of the last request answered.
    last_inference_ms: u64,
}

/// How long one answered request spent in each of Triton's statistics.
#[derive(Default)]
struct Spent {
    queue: Duration,
    compute_input: Duration,
    compute_infer: Duration,
    compute_output: Duration,
}

impl Spent {
    /// The mapping in this module's table; `server.receive` adds to none.
    fn of(answered: &Answer) -> Self {
        let mut spent = Spent::default();
        for (stage, duration) in answered.timings.entries() {
            let slot = match stage {
                Stage::ServerQueue => &mut spent.queue,
                Stage::ServerDeserialize => &mut spent.compute_input,
                Stage::ServerDecode | Stage::ServerInfer => &mut spent.compute_infer,
                Stage::ServerRespond => &mut spent.compute_output,
                _ => continue,
            };
            *slot += *duration;
        }
        spent
    }

    fn total(&self) -> Duration {
        self.queue + self.compute_input + self.compute_infer + self.compute_output
    }
}

impl InferStats {
    /// Adds one infer request's stages, under `success` or `fail`.
    pub fn record(&self, answered: &Answer) {
        let spent = Spent::of(answered);
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let mut totals = self.totals.lock().unwrap_or_else(|e| e.into_inner());
        let stats = &mut totals.stats;
        if answered.result.is_err() {
            stats.fail.add(spent.total());
            return;
        }
        stats.success.add(spent.total());
        stats.queue.add(spent.queue);
        stats.compute_input.add(spent.compute_input);
        stats.compute_infer.add(spent.compute_infer);
        stats.compute_output.add(spent.compute_output);
        totals.last_inference_ms = now_ms;
    }

    /// `{"model_stats": [...]}` for `model`, as Triton answers it: one batch
    /// size (1, no batching) once anything was answered, no memory figures.
    pub fn report(&self, model: &str, version: &str) -> StatsJson {
        let (stats, last_inference) = {
            let totals = self.totals.lock().unwrap_or_else(|e| e.into_inner());
            (totals.stats, totals.last_inference_ms)
        };
        let answered = stats.success.count;
        let batch_stats = (answered > 0)
            .then_some(BatchJson {
                batch_size: 1,
                compute_input: stats.compute_input,
                compute_infer: stats.compute_infer,
                compute_output: stats.compute_output,
            })
            .into_iter()
            .collect();
        StatsJson {
            model_stats: [ModelStatsJson {
                name: model.into(),
                version: version.into(),
                last_inference,
                inference_count: answered,
                execution_count: answered,
                inference_stats: stats,
                response_stats: Empty {},
                batch_stats,
                memory_usage: [],
            }],
        }
    }
}

/// `GET /v2/models/{m}/stats`, its keys in Triton's order.
#[derive(Serialize)]
pub struct StatsJson {
    model_stats: [ModelStatsJson; 1],
}

#[derive(Serialize)]
struct ModelStatsJson {
    name: String,
    version: String,
    last_inference: u64,
    inference_count: u64,
    execution_count: u64,
    inference_stats: InferenceStats,
    response_stats: Empty,
    batch_stats: Vec<BatchJson>,
    memory_usage: [Empty; 0],
}

#[derive(Serialize)]
struct BatchJson {
    batch_size: u32,
    compute_input: Statistic,
    compute_infer: Statistic,
    compute_output: Statistic,
}

/// `{}`.
#[derive(Serialize)]
struct Empty {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::refusal::RequestError;
    use crate::wire::server_timing::ServerTimings;
    use bytes::Bytes;

    fn answered(ok: bool, stages: &[(Stage, u64)]) -> Answer {
        let mut timings = ServerTimings::default();
        for (stage, ns) in stages {
            timings.record(*stage, Duration::from_nanos(*ns));
        }
        Answer {
            result: if ok {
                Ok(Bytes::new())
            } else {
                Err(RequestError::Malformed("no".into()))
            },
            timings,
        }
    }

    #[test]
    fn stages_add_to_triton_s_statistics_as_documented() {
        let stats = InferStats::default();
        stats.record(&answered(
            true,
            &[
                (Stage::ServerReceive, 1000),
                (Stage::ServerDeserialize, 10),
                (Stage::ServerQueue, 20),
                (Stage::ServerDecode, 30),
                (Stage::ServerInfer, 40),
                (Stage::ServerRespond, 50),
            ],
        ));
        stats.record(&answered(false, &[(Stage::ServerDeserialize, 7)]));
        let json = serde_json::to_value(stats.report("decode", "1")).unwrap();
        let got = &json["model_stats"][0]["inference_stats"];
        let one = |ns: u64| serde_json::json!({"count": 1, "ns": ns});
        assert_eq!(got["success"], one(150));
        assert_eq!(got["fail"], one(7));
        assert_eq!(got["queue"], one(20));
        assert_eq!(got["compute_input"], one(10));
        assert_eq!(got["compute_infer"], one(70));
        assert_eq!(got["compute_output"], one(50));
        assert_eq!(json["model_stats"][0]["inference_count"], 1);
        assert_eq!(json["model_stats"][0]["batch_stats"][0]["batch_size"], 1);
    }
}
