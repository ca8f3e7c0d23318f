//! The TorchServe target: readiness (`GET /ping`, or gRPC `Ping` where only
//! --grpc-url is given, then a first real prediction per protocol, because
//! /ping says Healthy while the model's only worker keeps failing; what it
//! answered, and how large, is said once), and its Prometheus metrics
//! (queue and inference latency) as server stages.

mod prometheus;

use super::{get_statistics, statistics_bounds, Clients, Foreign, StatsReading, StatsSource};
use crate::encode::{encode_frame, make_encoder, EncoderKind};
use crate::frame::{generate, Content, Size};
use crate::protocol::Protocol;
use crate::run::plan::{BenchPlan, TargetPlan};
use crate::stage::Stage;
use crate::transport::http_get::SideGet;
use crate::transport::Client;
use crate::wire::body::WireBody;
use crate::wire::payload::WireRequest;
use crate::wire::proto::torchserve as pb;
use crate::wire::target::TargetWire;
use crate::wire::torchserve::{handler_answer, paths, quote, TorchserveModel, TorchserveWireError};
use crate::wire::{EncodedImage, PayloadKind};
use anyhow::{anyhow, bail, Context, Result};
use prost::Message;
use std::sync::Arc;

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

/// Checks the target is ready: healthy, and each protocol of the run
/// answers a first prediction of `--model` with the size sent. Then finds
/// its metrics page, or says once that the run goes without.
pub async fn connect(plan: &BenchPlan, clients: &Clients) -> Result<Foreign> {
    let model = model(&plan.targets)?;
    healthy(plan, clients).await?;
    let wire = TargetWire::Torchserve(model.clone());
    let probe = probe_image(plan)?;
    for &protocol in &plan.matrix.protocols {
        let client = clients
            .get(&protocol)
            .ok_or_else(|| anyhow!("no {} client was connected", protocol.label()))?;
        first_prediction(plan, client, &wire, protocol, &probe).await?;
    }
    let stats = metrics(plan, &model.name).await;
    Ok(Foreign {
        wire: Arc::new(wire),
        stats,
    })
}

/// `--model`, a name that fits in the REST route as it is.
fn model(targets: &TargetPlan) -> Result<TorchserveModel> {
    let name = targets
        .model
        .as_deref()
        .filter(|name| !name.is_empty())
        .ok_or_else(|| anyhow!("--target torchserve needs --model NAME (e.g. --model decode)"))?;
    let fits = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if !name.chars().all(fits) {
        bail!(
            "--model '{name}' is not a TorchServe model name (letters, digits, '_', '-' and '.')"
        );
    }
    Ok(TorchserveModel {
        name: name.to_string(),
        expect_json_keys: targets.expect_json_keys.clone(),
    })
}

/// `GET {--rest-url}/ping` must say Healthy; where the run has no REST,
/// gRPC `Ping` must.
async fn healthy(plan: &BenchPlan, clients: &Clients) -> Result<()> {
    let rest_url = plan.targets.url(Protocol::Rest);
    if let (Some(url), true) = (rest_url, clients.contains_key(&Protocol::Rest)) {
        let ping = format!("{}/ping", url.trim_end_matches('/'));
        let answer = SideGet::of(&plan.client).get(&ping, "--rest-url").await?;
        let status = health_status(&answer.body);
        if !answer.status.is_success() || status.as_deref() != Some("Healthy") {
            bail!(
                "GET {ping} answered {}: {} (TorchServe is not Healthy there; check --rest-url)",
                answer.status,
                one_line(&answer.text())
            );
        }
        return Ok(());
    }
    let Some(client) = clients.get(&Protocol::Grpc) else {
        bail!("--target torchserve needs --rest-url or --grpc-url");
    };
    let url = plan.targets.url(Protocol::Grpc).unwrap_or("?");
    let request = WireRequest {
        path: paths::PING.into(),
        body: WireBody::default(),
        content_type: "application/grpc",
        headers: vec![],
    };
    let exchange = client
        .call(0, request)
        .await
        .map_err(|e| anyhow!("TorchServe's gRPC Ping at {url} (--grpc-url) failed: {e:#}"))?;
    let health = pb::TorchServeHealthResponse::decode(exchange.body)
        .map(|answer| answer.health)
        .unwrap_or_default();
    if health_status(health.as_bytes()).as_deref() != Some("Healthy") {
        bail!(
            "TorchServe's gRPC Ping at {url} answered '{}', not Healthy (check --grpc-url)",
            one_line(&health)
        );
    }
    Ok(())
}

/// The `status` of TorchServe's health JSON (`{"status": "Healthy"}`).
fn health_status(json: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(json).ok()?;
    value.get("status")?.as_str().map(str::to_owned)
}

/// A small real JPEG (16 wide, 8 high) for the first predictions.
fn probe_image(plan: &BenchPlan) -> Result<EncodedImage> {
    let frame = generate(
        Content::Noise,
        Size {
            height: 8,
            width: 16,
        },
        0,
        0,
    );
    let mut encoder = make_encoder(EncoderKind::ImageRs, plan.frames.encode)?;
    encode_frame(encoder.as_mut(), &frame)
}

/// One binary prediction of the probe over `protocol`, answered and
/// checked as every request will be; what the handler answered (its size
/// and its start) is said once, unless `--quiet`.
async fn first_prediction(
    plan: &BenchPlan,
    client: &Client,
    wire: &TargetWire,
    protocol: Protocol,
    probe: &EncodedImage,
) -> Result<()> {
    let answer = async {
        let request = wire.serialize(protocol, PayloadKind::Binary, Some(probe))?;
        let exchange = client.call(0, request).await?;
        wire.parse_response(
            protocol,
            PayloadKind::Binary,
            &exchange.body,
            Some(&probe.meta),
        )?;
        Ok::<_, anyhow::Error>(handler_answer(protocol, &exchange.body)?)
    }
    .await;
    let model = plan.targets.model.as_deref().unwrap_or("?");
    let answer = answer.map_err(|err| {
        let flag = TargetPlan::flag(protocol);
        let content = matches!(
            err.downcast_ref::<TorchserveWireError>(),
            Some(
                TorchserveWireError::NotJson { .. }
                    | TorchserveWireError::NotObject { .. }
                    | TorchserveWireError::MissingKeys { .. }
            )
        );
        if content {
            return anyhow!(
                "TorchServe's model '{model}' at {} ({flag}) answered a first {} prediction that \
                 --expect-json-keys refuses: {}",
                plan.targets.url(protocol).unwrap_or("?"),
                protocol.label(),
                one_line(&format!("{err:#}"))
            );
        }
        anyhow!(
            "TorchServe at {} ({flag}) did not answer a first {} prediction of --model '{model}' \
             as asked (is the model registered there and its worker READY? /ping says Healthy \
             even while the worker fails): {}",
            plan.targets.url(protocol).unwrap_or("?"),
            protocol.label(),
            one_line(&format!("{err:#}"))
        )
    })?;
    if !plan.outputs.quiet {
        eprintln!(
            "TorchServe's model '{model}' answered a first {} prediction with {} bytes: {}",
            protocol.label(),
            answer.len(),
            quote(&answer)
        );
    }
    Ok(())
}

/// The metrics page (--stats-url, or port 8082 on the server's host), where
/// it reads; where it does not, the run goes without server stats and says
/// so once.
async fn metrics(plan: &BenchPlan, model: &str) -> Option<StatsSource> {
    let url = match &plan.targets.stats_url {
        Some(url) => url.clone(),
        None => default_metrics_url(&plan.targets)?,
    };
    let metrics = TorchserveMetrics {
        url,
        model: model.to_string(),
        side: SideGet::of(&plan.client),
    };
    match metrics.read().await {
        Ok(_) => Some(StatsSource::Torchserve(metrics)),
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

/// Text on one line (TorchServe's error JSON is pretty-printed).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn model_names_that_break_the_route_are_refused() {
        let targets = |name: &str| TargetPlan {
            model: Some(name.into()),
            ..TargetPlan::default()
        };
        assert_eq!(
            model(&targets("decode_v1.0-a")).unwrap().name,
            "decode_v1.0-a"
        );
        for bad in ["", "a/b", "a b", "a?x=1"] {
            let err = model(&targets(bad)).unwrap_err().to_string();
            assert!(err.contains("--model"), "{bad}: {err}");
        }
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

    #[test]
    fn health_is_read_from_the_status_field() {
        assert_eq!(
            health_status(b"{\n  \"status\": \"Healthy\"\n}").as_deref(),
            Some("Healthy")
        );
        assert_eq!(
            health_status(b"{\"status\": \"Unhealthy\"}").as_deref(),
            Some("Unhealthy")
        );
        assert_eq!(health_status(b"busy"), None);
    }
}
