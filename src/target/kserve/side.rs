//! A v2 server's routes besides inference, over REST (`/v2/health/ready`,
//! `/v2/models/{model}/ready`, `/v2/models/{model}`, Triton's
//! `/v2/models/{model}/config`) or gRPC (`ServerReady`, `ModelReady`,
//! `ModelMetadata`, Triton's `ModelConfig`): each failure is one line that
//! names the URL asked and the flag that fixes it.

use super::wire::paths;
use crate::transport::http_get::SideGet;
use crate::transport::Client;
use crate::wire::payload::WireRequest;
use crate::wire::proto::kserve as pb;
use anyhow::{anyhow, bail, Result};
use bytes::Bytes;
use prost::Message;
use serde::Deserialize;
use std::borrow::Cow;

/// Where the side routes are asked.
#[derive(Clone)]
pub enum SideRoutes<'a> {
    Rest { url: &'a str, side: SideGet },
    Grpc { client: &'a Client, url: &'a str },
}

/// One of a model's inputs, as its metadata gives it.
#[derive(Debug, PartialEq, Eq)]
pub struct InputMetadata {
    pub name: String,
    pub datatype: String,
    /// -1 for a dimension of any size; the batch dimension first where the
    /// model batches.
    pub shape: Vec<i64>,
}

/// `GET /v2/models/{model}`: what is read of it.
#[derive(Deserialize)]
struct MetadataJson {
    #[serde(default)]
    inputs: Vec<TensorJson>,
}

#[derive(Deserialize)]
struct TensorJson {
    name: String,
    datatype: String,
    #[serde(default)]
    shape: Vec<i64>,
}

/// `GET /v2/models/{model}/config` (Triton): what is read of it.
#[derive(Deserialize)]
struct ConfigJson {
    #[serde(default)]
    max_batch_size: Option<serde_json::Value>,
}

/// Triton's gRPC `ModelConfigRequest`.
#[derive(Clone, PartialEq, prost::Message)]
struct ModelConfigRequest {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(string, tag = "2")]
    version: String,
}

/// Triton's gRPC `ModelConfigResponse`, only its `config`.
#[derive(Clone, PartialEq, prost::Message)]
struct ModelConfigResponse {
    #[prost(message, optional, tag = "1")]
    config: Option<ModelConfig>,
}

/// Triton's `ModelConfig` (model_config.proto), only `max_batch_size`.
#[derive(Clone, PartialEq, prost::Message)]
struct ModelConfig {
    #[prost(int32, tag = "4")]
    max_batch_size: i32,
}

impl SideRoutes<'_> {
    /// Where the routes are, in words, for messages.
    pub fn describe(&self) -> String {
        match self {
            SideRoutes::Rest { url, .. } => format!("{url} (--rest-url)"),
            SideRoutes::Grpc { url, .. } => format!("{url} (--grpc-url)"),
        }
    }

    /// The server says it is ready, then the model does.
    pub async fn check_ready(&self, model: &str) -> Result<()> {
        match self {
            SideRoutes::Rest { url, side } => {
                let base = url.trim_end_matches('/');
                let server = format!("{base}/v2/health/ready");
                let answer = side.get(&server, "--rest-url").await?;
                if !answer.status.is_success() {
                    bail!(
                        "GET {server} answered {} ({}): the server at --rest-url is not a ready \
                         Open Inference (v2) server (is targets/triton/run.sh running there?)",
                        answer.status,
                        answer.text()
                    );
                }
                let ready = format!("{base}/v2/models/{model}/ready");
                let answer = side.get(&ready, "--rest-url").await?;
                if !answer.status.is_success() {
                    bail!(
                        "GET {ready} answered {} ({}): the server has no ready model '{model}' \
                         (check --model)",
                        answer.status,
                        answer.text()
                    );
                }
                Ok(())
            }
            SideRoutes::Grpc { client, url } => {
                let server = pb::ServerReadyResponse::decode(
                    grpc_call(client, url, paths::SERVER_READY, pb::ServerReadyRequest {}).await?,
                )?;
                if !server.ready {
                    bail!("the gRPC server at {url} (--grpc-url) says it is not ready");
                }
                let request = pb::ModelReadyRequest {
                    name: model.to_string(),
                    version: String::new(),
                };
                let answer = grpc_call(client, url, paths::MODEL_READY, request)
                    .await
                    .map_err(|e| anyhow!("{e:#} (check --model)"))?;
                if !pb::ModelReadyResponse::decode(answer)?.ready {
                    bail!("the gRPC server at {url} has no ready model '{model}' (check --model)");
                }
                Ok(())
            }
        }
    }

    /// The model's inputs, from its metadata (empty where it lists none).
    pub async fn inputs(&self, model: &str) -> Result<Vec<InputMetadata>> {
        let inputs = match self {
            SideRoutes::Rest { url, side } => {
                let route = format!("{}/v2/models/{model}", url.trim_end_matches('/'));
                let answer = side.get(&route, "--rest-url").await?;
                if !answer.status.is_success() {
                    bail!(
                        "GET {route} answered {} ({}): no metadata for the model '{model}' \
                         (check --model, or give --input-name and --input-datatype)",
                        answer.status,
                        answer.text()
                    );
                }
                let metadata: MetadataJson = serde_json::from_slice(&answer.body).map_err(|e| {
                    anyhow!("GET {route} did not answer a v2 model's metadata JSON: {e}")
                })?;
                metadata
                    .inputs
                    .into_iter()
                    .map(|t| (t.name, t.datatype, t.shape))
                    .collect::<Vec<_>>()
            }
            SideRoutes::Grpc { client, url } => {
                let request = pb::ModelMetadataRequest {
                    name: model.to_string(),
                    version: String::new(),
                };
                let answer = grpc_call(client, url, paths::MODEL_METADATA, request).await?;
                let metadata = pb::ModelMetadataResponse::decode(answer)?;
                metadata
                    .inputs
                    .into_iter()
                    .map(|t| (t.name, t.datatype, t.shape))
                    .collect()
            }
        };
        Ok(inputs
            .into_iter()
            .map(|(name, datatype, shape)| InputMetadata {
                name,
                datatype,
                shape,
            })
            .collect())
    }

    /// The model's `max_batch_size`, where the server serves Triton's model
    /// configuration extension (None where it does not, or answers
    /// something else: the batch dimension is then inferred from the shape).
    pub async fn max_batch_size(&self, model: &str) -> Option<u32> {
        match self {
            SideRoutes::Rest { url, side } => {
                let route = format!("{}/v2/models/{model}/config", url.trim_end_matches('/'));
                let answer = side.get(&route, "--rest-url").await.ok()?;
                if !answer.status.is_success() {
                    return None;
                }
                let config: ConfigJson = serde_json::from_slice(&answer.body).ok()?;
                match config.max_batch_size? {
                    serde_json::Value::Number(n) => n.as_u64()?.try_into().ok(),
                    serde_json::Value::String(text) => text.parse().ok(),
                    _ => None,
                }
            }
            SideRoutes::Grpc { client, url } => {
                let request = ModelConfigRequest {
                    name: model.to_string(),
                    version: String::new(),
                };
                let answer = grpc_call(client, url, paths::MODEL_CONFIG, request)
                    .await
                    .ok()?;
                let config = ModelConfigResponse::decode(answer).ok()?.config?;
                u32::try_from(config.max_batch_size).ok()
            }
        }
    }
}

/// One unary call on the run's gRPC client, outside any measurement.
async fn grpc_call(
    client: &Client,
    url: &str,
    path: &'static str,
    message: impl Message,
) -> Result<Bytes> {
    let request = WireRequest {
        path: Cow::Borrowed(path),
        body: message.encode_to_vec().into(),
        content_type: "application/grpc",
        headers: vec![],
    };
    let method = path.rsplit('/').next().unwrap_or(path);
    let exchange = client
        .call(0, request)
        .await
        .map_err(|e| anyhow!("gRPC {method} to {url} (--grpc-url) failed: {e:#}"))?;
    Ok(exchange.body)
}
