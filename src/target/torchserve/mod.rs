//! `--target torchserve`: TorchServe's inference API. Its request bodies
//! and answer checks (any answer with a body, or a JSON object with
//! `--expect-json-keys`) are in [`wire`]; before measuring, readiness
//! (`GET /ping`, or gRPC `Ping` where only --grpc-url is given, then a
//! first real prediction per protocol, because /ping says Healthy while the
//! model's only worker keeps failing; what it answered, and how large, is
//! said once); while measuring, its Prometheus metrics (queue and inference
//! latency) as server stages ([`metrics`]).

pub(crate) mod metrics;
mod prometheus;
pub(crate) mod wire;

use super::{ConnectPlan, Connected, Target, TargetPlan, TargetWire};
use crate::encoders::{encode_frame, make_encoder, EncoderKind};
use crate::frame::{generate, Content, Size};
use crate::protocol::Protocol;
use crate::server::ServerDecoder;
use crate::transport::http_get::SideGet;
use crate::transport::Client;
use crate::wire::body::WireBody;
use crate::wire::payload::WireRequest;
use crate::wire::proto::torchserve as pb;
use crate::wire::{EncodedImage, ImageMeta, PayloadKind};
use anyhow::{anyhow, bail, Result};
use futures_core::future::BoxFuture;
use prost::Message;
use std::sync::Arc;
use wire::{handler_answer, paths, quote, TorchserveModel, TorchserveWireError};

/// A TorchServe server.
pub struct Torchserve;

/// TorchServe's language for one model ([`wire`]).
#[derive(Clone, Debug)]
pub struct TorchserveWire(pub TorchserveModel);

impl Target for Torchserve {
    fn name(&self) -> &'static str {
        "torchserve"
    }

    fn needs_model(&self) -> bool {
        true
    }

    fn readiness(&self) -> &'static str {
        "GET /ping at --rest-url says Healthy (or gRPC Ping), then one binary prediction of \
         --model per protocol, answered and checked"
    }

    fn metadata(&self) -> &'static str {
        "nothing beyond --model: TorchServe serves no input schema, so the first prediction \
         shows what the handler answers"
    }

    fn statistics(&self) -> Result<&'static str, &'static str> {
        Ok(
            "TorchServe's Prometheus metrics, GET --stats-url, else port 8082 on the server's \
            host (queue and inference latency per request)",
        )
    }

    fn server_description(&self, targets: &TargetPlan, _builtin: bool) -> String {
        super::remote_model(self.name(), targets)
    }

    /// What TorchServe does with the image is its handler's business.
    fn server_decoder(&self, _builtin: bool, _decoder: ServerDecoder) -> Option<ServerDecoder> {
        None
    }

    fn connect<'a>(&'a self, plan: &'a ConnectPlan<'a>) -> BoxFuture<'a, Result<Connected>> {
        Box::pin(connect(plan))
    }

    #[cfg(test)]
    fn example_wire(&self) -> Arc<dyn TargetWire> {
        Arc::new(TorchserveWire(TorchserveModel {
            name: "decode".into(),
            ..TorchserveModel::default()
        }))
    }
}

impl TargetWire for TorchserveWire {
    fn serialize(
        &self,
        protocol: Protocol,
        payload: PayloadKind,
        image: Option<&EncodedImage>,
    ) -> Result<WireRequest> {
        Ok(wire::serialize(&self.0, protocol, payload, image)?)
    }

    fn parse_response(
        &self,
        protocol: Protocol,
        payload: PayloadKind,
        body: &[u8],
        sent: Option<&ImageMeta>,
    ) -> Result<()> {
        Ok(wire::parse_response(
            &self.0, protocol, payload, body, sent,
        )?)
    }

    fn refusal(&self, protocol: Protocol, payload: PayloadKind) -> Option<String> {
        wire::refusal(&self.0, protocol, payload)
    }
}

/// Checks the target is ready: healthy, and each protocol of the run
/// answers a first prediction of `--model` with the size sent. Then finds
/// its metrics page, or says once that the run goes without.
async fn connect(plan: &ConnectPlan<'_>) -> Result<Connected> {
    let model = model(plan.targets)?;
    healthy(plan).await?;
    let wire = TorchserveWire(model.clone());
    let probe = probe_image(plan)?;
    for &protocol in plan.protocols {
        let client = plan
            .clients
            .get(&protocol)
            .ok_or_else(|| anyhow!("no {} client was connected", protocol.label()))?;
        first_prediction(plan, client, &wire, protocol, &probe).await?;
    }
    let stats = metrics::metrics(plan, &model.name).await;
    Ok(Connected {
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
async fn healthy(plan: &ConnectPlan<'_>) -> Result<()> {
    let clients = plan.clients;
    let rest_url = plan.targets.url(Protocol::Rest);
    if let (Some(url), true) = (rest_url, clients.contains_key(&Protocol::Rest)) {
        let ping = format!("{}/ping", url.trim_end_matches('/'));
        let answer = SideGet::of(plan.client).get(&ping, "--rest-url").await?;
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
fn probe_image(plan: &ConnectPlan<'_>) -> Result<EncodedImage> {
    let frame = generate(
        Content::Noise,
        Size {
            height: 8,
            width: 16,
        },
        0,
        0,
    );
    let mut encoder = make_encoder(EncoderKind::ImageRs, plan.encode)?;
    encode_frame(encoder.as_mut(), &frame)
}

/// One binary prediction of the probe over `protocol`, answered and
/// checked as every request will be; what the handler answered (its size
/// and its start) is said once, unless `--quiet`.
async fn first_prediction(
    plan: &ConnectPlan<'_>,
    client: &Client,
    wire: &TorchserveWire,
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
    if !plan.quiet {
        eprintln!(
            "TorchServe's model '{model}' answered a first {} prediction with {} bytes: {}",
            protocol.label(),
            answer.len(),
            quote(&answer)
        );
    }
    Ok(())
}

/// Text on one line (TorchServe's error JSON is pretty-printed).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

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
