//! Triton's statistics extension (`GET /v2/models/{model}/stats`) as a
//! model's server stages: cumulative successes and, per stage, cumulative
//! nanoseconds (queue, compute_input, compute_infer, compute_output). Each
//! reading is bounded in time and size ([`get_statistics`]); a reading that
//! fails is reported in place of the figures, never a reason to stop the
//! run.

use crate::stage::Stage;
use crate::target::stats::{get_statistics, statistics_bounds, ReadStats, StatsReading};
use crate::transport::http_get::SideGet;
use anyhow::{bail, Context, Result};
use futures_core::future::BoxFuture;
use serde::Deserialize;

/// Where a v2 model's statistics are read.
pub struct TritonStats {
    pub url: String,
    model: String,
    side: SideGet,
    /// The flag that gave the URL, for errors.
    flag: &'static str,
}

/// `GET .../stats`: one entry per model version.
#[derive(Deserialize)]
struct StatsJson {
    #[serde(default)]
    model_stats: Vec<ModelStatsJson>,
}

#[derive(Deserialize)]
struct ModelStatsJson {
    #[serde(default)]
    name: String,
    inference_stats: InferenceStatsJson,
}

#[derive(Deserialize)]
struct InferenceStatsJson {
    success: CountJson,
    queue: CountJson,
    compute_input: CountJson,
    compute_infer: CountJson,
    compute_output: CountJson,
}

#[derive(Deserialize)]
struct CountJson {
    #[serde(default)]
    count: u64,
    #[serde(default)]
    ns: u64,
}

impl TritonStats {
    /// `base` is the server's URL (`--rest-url`, or `--stats-url` without
    /// a path); a `--stats-url` with a path is read as it is.
    pub fn new(base: &str, flag: &'static str, model: &str, side: SideGet) -> TritonStats {
        let has_path = base
            .parse::<::http::Uri>()
            .is_ok_and(|uri| !uri.path().trim_matches('/').is_empty());
        let url = match has_path {
            true => base.to_string(),
            false => format!("{}/v2/models/{model}/stats", base.trim_end_matches('/')),
        };
        TritonStats {
            url,
            model: model.to_string(),
            side,
            flag,
        }
    }

    /// The cumulative counters now, or why they cannot be read (no
    /// answer within the timeout, an answer over the size limit, an error
    /// status, or no statistics JSON).
    pub async fn read(&self) -> Result<StatsReading> {
        let answer = get_statistics(&self.side, &self.url, self.flag).await?;
        if !answer.status.is_success() {
            bail!(
                "GET {} answered {}: {}",
                self.url,
                answer.status,
                answer.text()
            );
        }
        parse_stats(&answer.body, &self.model)
            .with_context(|| format!("GET {} did not answer Triton statistics", self.url))
    }

    /// Within which bounds the statistics are read, in words.
    pub fn bounds(&self) -> String {
        statistics_bounds(&self.side)
    }

    pub fn describe(&self) -> String {
        format!("Triton statistics extension, GET {}", self.url)
    }
}

impl ReadStats for TritonStats {
    fn read(&self) -> BoxFuture<'_, Result<StatsReading>> {
        Box::pin(TritonStats::read(self))
    }

    fn describe(&self) -> String {
        TritonStats::describe(self)
    }
}

/// The model's counters, summed over its versions.
fn parse_stats(body: &[u8], model: &str) -> Result<StatsReading> {
    let stats: StatsJson = serde_json::from_slice(body)?;
    let entries: Vec<&InferenceStatsJson> = stats
        .model_stats
        .iter()
        .filter(|entry| entry.name == model || entry.name.is_empty())
        .map(|entry| &entry.inference_stats)
        .collect();
    if entries.is_empty() {
        bail!("`model_stats` has no entry for the model '{model}'");
    }
    let mut reading = StatsReading::default();
    for stats in entries {
        reading.requests += stats.success.count;
        let stages = [
            (Stage::ServerQueue, &stats.queue),
            (Stage::ServerDeserialize, &stats.compute_input),
            (Stage::ServerInfer, &stats.compute_infer),
            (Stage::ServerRespond, &stats.compute_output),
        ];
        for (stage, count) in stages {
            *reading.total_ns.entry(stage).or_default() += count.ns;
        }
    }
    Ok(reading)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Triton 2.51's answer, as observed (cache and batch figures cut).
    const TRITON: &str = r#"{"model_stats":[{"name":"decode","version":"1","last_inference":1,"inference_count":6,"execution_count":6,"inference_stats":{"success":{"count":6,"ns":379215651},"fail":{"count":1,"ns":349873},"queue":{"count":6,"ns":10366304},"compute_input":{"count":6,"ns":3302163},"compute_infer":{"count":6,"ns":364406022},"compute_output":{"count":6,"ns":1104682},"cache_hit":{"count":0,"ns":0},"cache_miss":{"count":0,"ns":0}},"response_stats":{},"batch_stats":[],"memory_usage":[]}]}"#;

    #[test]
    fn tritons_counters_become_server_stages() {
        let reading = parse_stats(TRITON.as_bytes(), "decode").unwrap();
        assert_eq!(reading.requests, 6);
        assert_eq!(reading.total_ns[&Stage::ServerQueue], 10_366_304);
        assert_eq!(reading.total_ns[&Stage::ServerDeserialize], 3_302_163);
        assert_eq!(reading.total_ns[&Stage::ServerInfer], 364_406_022);
        assert_eq!(reading.total_ns[&Stage::ServerRespond], 1_104_682);
        let err = parse_stats(TRITON.as_bytes(), "other").unwrap_err();
        assert!(err.to_string().contains("'other'"), "{err}");
        assert!(parse_stats(b"{\"error\":\"x\"}", "decode").is_err());
    }

    #[test]
    fn the_stats_url_is_the_servers_route_unless_given_whole() {
        let side = SideGet {
            timeout: std::time::Duration::from_secs(1),
            trust: Default::default(),
        };
        let base = TritonStats::new("http://h:8000/", "--rest-url", "decode", side.clone());
        assert_eq!(base.url, "http://h:8000/v2/models/decode/stats");
        assert!(base
            .describe()
            .starts_with("Triton statistics extension, GET http://h:8000/"));
        let whole = TritonStats::new("http://h:9/s/stats", "--stats-url", "decode", side);
        assert_eq!(whole.url, "http://h:9/s/stats");
    }
}
