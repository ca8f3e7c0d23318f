//! The Open Inference Protocol (KServe v2) on the built-in servers, so a v2
//! client (imgwire's own, or NVIDIA's tritonclient) has a reference server
//! whose costs are known. One model, shaped as targets/triton's Triton model
//! is: `decode` (renamed by `imgwire serve --v2-model`), version "1", BYTES
//! input `image` of shape [1] (a JPEG, or base64 text of one), INT32 output
//! `size` of shape [2] = [height, width].
//!
//! REST routes (`rest`) live on the REST port, `inference.GRPCInferenceService`
//! (`grpc`) on the gRPC port. Inference goes through the shared request path,
//! so its answers carry the same stages as imgwire's own routes, and `stats`
//! keeps Triton's statistics from those stages.

mod grpc;
mod grpc_bodies;
mod infer_limits;
mod metadata;
mod request_json;
mod rest;
mod rest_bodies;
mod stats;
mod tensor;

#[cfg(test)]
mod fuzz;

pub use grpc::routes as grpc_routes;
pub use rest::routes as rest_routes;

use super::ServerState;
use std::sync::Arc;

/// The model's only version.
const MODEL_VERSION: &str = "1";

/// One model on the built-in servers, and its statistics.
pub struct V2Service {
    state: Arc<ServerState>,
    stats: stats::InferStats,
}

impl V2Service {
    pub fn new(state: Arc<ServerState>) -> Self {
        V2Service {
            state,
            stats: stats::InferStats::default(),
        }
    }

    /// The model's name (`--v2-model`).
    fn model(&self) -> &str {
        &self.state.config.v2_model
    }

    /// Whether `name` (at `version`; empty means the latest) is this model.
    fn find(&self, name: &str, version: &str) -> Result<(), UnknownModel> {
        use crate::server::refusal::echo;
        if name != self.model() {
            return Err(UnknownModel::Name(echo(name)));
        }
        if !version.is_empty() && version != MODEL_VERSION {
            return Err(UnknownModel::Version(echo(name), echo(version)));
        }
        Ok(())
    }
}

/// A request for a model (or version) this server does not have, in
/// Triton's words.
#[derive(Debug, thiserror::Error)]
pub enum UnknownModel {
    #[error("Request for unknown model: '{0}' is not found")]
    Name(String),
    #[error("Request for unknown model: '{0}' version {1} is not found")]
    Version(String, String),
}
