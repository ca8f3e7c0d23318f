//! TorchServe's metrics page (Prometheus text, `metrics_mode=prometheus`)
//! as server stages: the model's queue and inference latency counters,
//! read before and after each scenario from `--stats-url`, else port 8082
//! on the server's host; where the page cannot be read, the run goes on
//! without server stages and says so once.

use super::{one_line, prometheus};
use crate::protocol::Protocol;
use crate::stage::Stage;
use crate::target::stats::{get_statistics, statistics_bounds, ReadStats, StatsReading};
use crate::target::{ConnectPlan, StatsSource, TargetPlan};
use crate::transport::http_get::SideGet;
use anyhow::{bail, Context, Result};
use futures_core::future::BoxFuture;

/// TorchServe's metrics port where --stats-url is not given.
pub const DEFAULT_METRICS_PORT: u16 = 8082;

/// The frontend's cumulative counters, one series per model version.
///
/// TorchServe's frontend times each job from its creation (the request
/// read and handed to the model's queue) to the worker's answer arriving
/// back in the frontend: `ts_queue_latency_microseconds` adds up creation
/// to the job leaving the queue for a worker; `ts_inference_latency_microseconds`
/// adds up creation to the answer, so it includes the queue wait, the trip
/// from the Java frontend to the Python worker and back, and the handler
/// (here: Pillow decoding the whole JPEG). imgwire's stages do not overlap,
/// so `server.queue` is the queue latency and `server.infer` the inference
/// latency less the queue latency: frontend to backend, the handler and
/// back. Neither covers reading the request or writing the answer.
/// `ts_inference_requests_total` counts every request the frontend took,
/// failed ones too (they add no latency). TorchServe 0.12 adds to the two
/// latency counters for REST jobs only (`RestJob`; `GRPCJob` records none),
/// so a gRPC scenario gets its request count and no stages.
pub mod series {
    pub const REQUESTS: &str = "ts_inference_requests_total";
    pub const QUEUE_US: &str = "ts_queue_latency_microseconds";
    pub const INFERENCE_US: &str = "ts_inference_latency_microseconds";
    /// The label naming the model.
    pub const MODEL_LABEL: &str = "model_name";
}

/// What a metrics page can lack or get wrong.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error(transparent)]
    Sample(#[from] prometheus::SampleError),
    #[error(
        "the page has no {series}{{model_name=\"{model}\"}} (TorchServe writes it after the \
         model's first request, with metrics_mode=prometheus)"
    )]
    Missing { series: &'static str, model: String },
    #[error("{series} of model_name=\"{model}\" is {value}, not a count or a duration")]
    BadValue {
        series: &'static str,
        model: String,
        value: f64,
    },
}

/// TorchServe's metrics page, read before and after each scenario.
pub struct TorchserveMetrics {
    pub url: String,
    pub model: String,
    pub side: SideGet,
}

impl TorchserveMetrics {
    /// The model's counters now.
    pub async fn read(&self) -> Result<StatsReading> {
        let answer = get_statistics(&self.side, &self.url, "--stats-url").await?;
        if !answer.status.is_success() {
            bail!(
                "GET {} answered {}: {} (check --stats-url)",
                self.url,
                answer.status,
                one_line(&answer.text())
            );
        }
        let page = std::str::from_utf8(&answer.body)
            .with_context(|| format!("GET {} answered a page that is not UTF-8", self.url))?;
        reading(page, &self.model).with_context(|| format!("reading {}", self.url))
    }

    pub fn describe(&self) -> String {
        format!("TorchServe metrics (Prometheus), GET {}", self.url)
    }
}

/// The model's counters on one page (see [`series`] for the stages).
fn reading(page: &str, model: &str) -> Result<StatsReading, MetricsError> {
    let samples = prometheus::samples(page)?;
    let total = |series: &'static str| -> Result<Option<f64>, MetricsError> {
        let values: Vec<f64> = samples
            .iter()
            .filter(|s| s.name == series && s.label(series::MODEL_LABEL) == Some(model))
            .map(|s| s.value)
            .collect();
        match values.iter().find(|v| !v.is_finite() || **v < 0.0) {
            Some(&value) => Err(MetricsError::BadValue {
                series,
                model: model.to_string(),
                value,
            }),
            None => Ok((!values.is_empty()).then(|| values.iter().sum())),
        }
    };
    let requests = total(series::REQUESTS)?.ok_or_else(|| MetricsError::Missing {
        series: series::REQUESTS,
        model: model.to_string(),
    })?;
    let nanos = |micros: f64| (micros * 1000.0).round() as u64;
    let queue = total(series::QUEUE_US)?.map(nanos);
    let inference = total(series::INFERENCE_US)?.map(nanos);
    let mut reading = StatsReading {
        requests: requests.round() as u64,
        ..StatsReading::default()
    };
    if let Some(queue) = queue {
        reading.total_ns.insert(Stage::ServerQueue, queue);
    }
    if let Some(inference) = inference {
        let after_queue = inference.saturating_sub(queue.unwrap_or(0));
        reading.total_ns.insert(Stage::ServerInfer, after_queue);
    }
    Ok(reading)
}

/// The metrics page (--stats-url, or port 8082 on the server's host), where
/// it reads; where it does not, the run goes without server stats and says
/// so once.
pub async fn metrics(plan: &ConnectPlan<'_>, model: &str) -> Option<StatsSource> {
    let url = match &plan.targets.stats_url {
        Some(url) => url.clone(),
        None => default_metrics_url(plan.targets)?,
    };
    let metrics = TorchserveMetrics {
        url,
        model: model.to_string(),
        side: SideGet::of(plan.client),
    };
    match metrics.read().await {
        Ok(_) => Some(StatsSource::new(metrics)),
        Err(err) => {
            eprintln!(
                "TorchServe's metrics at {} could not be read, so this run has no server-side \
                 stages: {} ({}; give --stats-url http://HOST:METRICS_PORT/metrics, \
                 TorchServe's metrics_address with metrics_mode=prometheus)",
                metrics.url,
                one_line(&format!("{err:#}")),
                statistics_bounds(&metrics.side)
            );
            None
        }
    }
}

/// `http://HOST:8082/metrics`, HOST from --rest-url, else --grpc-url.
fn default_metrics_url(targets: &TargetPlan) -> Option<String> {
    let url = targets
        .url(Protocol::Rest)
        .or(targets.url(Protocol::Grpc))?;
    let uri: ::http::Uri = url.parse().ok()?;
    Some(format!(
        "http://{}:{DEFAULT_METRICS_PORT}/metrics",
        uri.host()?
    ))
}

impl ReadStats for TorchserveMetrics {
    fn read(&self) -> BoxFuture<'_, Result<StatsReading>> {
        Box::pin(TorchserveMetrics::read(self))
    }

    fn describe(&self) -> String {
        TorchserveMetrics::describe(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::TargetPlan;

    const PAGE: &str = "# HELP ts_inference_requests_total Torchserve prometheus counter\n\
        # TYPE ts_inference_requests_total counter\n\
        ts_inference_requests_total{model_name=\"decode\",model_version=\"default\",hostname=\"vm\",} 20.0\n\
        ts_inference_requests_total{model_name=\"decode\",model_version=\"1.0\",hostname=\"vm\",} 2.0\n\
        ts_inference_requests_total{model_name=\"other\",model_version=\"default\",hostname=\"vm\",} 7.0\n\
        Requests2XX{Level=\"Host\",Hostname=\"vm\",} 3.0\n\
        ts_inference_latency_microseconds{model_name=\"decode\",model_version=\"default\",hostname=\"vm\",} 1.2E5\n\
        ts_queue_latency_microseconds{model_name=\"decode\",model_version=\"default\",hostname=\"vm\",} 145.733\n";

    #[test]
    fn the_models_series_become_requests_queue_and_infer_after_the_queue() {
        let reading = reading(PAGE, "decode").unwrap();
        assert_eq!(reading.requests, 22);
        assert_eq!(reading.total_ns[&Stage::ServerQueue], 145_733);
        assert_eq!(reading.total_ns[&Stage::ServerInfer], 120_000_000 - 145_733);
        let other = super::reading(PAGE, "other").unwrap();
        assert_eq!(other.requests, 7);
        assert!(other.total_ns.is_empty());
    }

    #[test]
    fn a_page_without_the_model_or_with_bad_values_is_an_error() {
        let err = reading(PAGE, "nope").unwrap_err().to_string();
        assert!(
            err.contains("ts_inference_requests_total{model_name=\"nope\"}"),
            "{err}"
        );
        let err = reading("# nothing yet\n", "decode").unwrap_err();
        assert!(matches!(err, MetricsError::Missing { .. }), "{err}");
        let negative = "ts_inference_requests_total{model_name=\"decode\",} -1\n";
        let err = reading(negative, "decode").unwrap_err();
        assert!(matches!(err, MetricsError::BadValue { .. }), "{err}");
        let err = reading(
            "ts_inference_requests_total{model_name=\"decode\" 1\n",
            "decode",
        )
        .unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }

    #[test]
    fn the_default_metrics_page_is_port_8082_on_the_servers_host() {
        let targets = TargetPlan {
            rest_url: Some("http://10.0.0.5:8080".into()),
            grpc_url: Some("http://10.0.0.6:7070".into()),
            ..TargetPlan::default()
        };
        assert_eq!(
            default_metrics_url(&targets).as_deref(),
            Some("http://10.0.0.5:8082/metrics")
        );
        let grpc_only = TargetPlan {
            rest_url: None,
            ..targets
        };
        assert_eq!(
            default_metrics_url(&grpc_only).as_deref(),
            Some("http://10.0.0.6:8082/metrics")
        );
    }
}
