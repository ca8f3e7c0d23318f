//! Results as one serde struct (the unit in every field name), and one file
//! per output format: terminal tables, JSON, CSV.

pub mod csv;
mod factors;
pub mod json;
pub mod table;
pub mod trace;

use crate::run::samples::Summary;
use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Bumped whenever a field changes meaning or goes away (docs/json-schema.md).
pub const SCHEMA_VERSION: u32 = 1;

/// A whole `imgwire bench` run.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub schema_version: u32,
    pub imgwire_version: &'static str,
    /// False while the run is still going or when it stopped early.
    pub complete: bool,
    pub settings: Settings,
    /// Under `--link`: what the relay adds by itself, with no limits set.
    pub relay_cost: Option<crate::run::relay_cost::RelayCost>,
    pub scenarios: Vec<ScenarioReport>,
}

/// Every choice that shaped the numbers.
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    pub concurrency: usize,
    pub bursts: usize,
    pub warmup_bursts: usize,
    pub frames: String,
    pub frame_pool_size: usize,
    pub encoder: &'static str,
    pub quality: u8,
    pub subsampling: crate::encode::Subsampling,
    /// `built-in` or the remote server's settings as far as they are known.
    pub server: String,
    pub server_decoder: Option<crate::server::ServerDecoder>,
    pub infer_ms: f64,
    pub max_message_bytes: usize,
    pub rest_target: String,
    pub grpc_target: String,
    pub tcp_target: String,
    pub h2: crate::transport::H2Tuning,
    pub grpc_channels: usize,
    /// HTTP/1.1 REST connections in use at once, at most (`--rest-pool`).
    pub rest_pool: usize,
    /// Request body compression (`--compression`).
    pub compression: crate::wire::gzip::Compression,
    /// The emulated link between client and server (`--link`), if any.
    pub link: Option<crate::link::LinkSpec>,
    /// What emulates `link`: the relay, or tc's qdiscs on a veth pair.
    pub link_shaping: Option<String>,
    pub client_threads: usize,
    pub server_threads: Option<usize>,
}

/// Seconds per burst over the counted bursts.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct BurstSeconds {
    pub mean: f64,
    pub p50: f64,
    pub p99: f64,
    pub min: f64,
    pub max: f64,
}

/// Bytes per request, as means over the counted requests.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct ByteCounts {
    /// The raw frame before encoding (0 for `basic`).
    pub raw_frame_bytes: usize,
    /// The encoded image (JPEG or raw), before any wire format.
    pub image_bytes: f64,
    /// The request body: JSON, base64 JSON, protobuf or raw bytes.
    pub request_body_bytes: f64,
    pub response_body_bytes: f64,
    /// Encoded bits per pixel (0 for `basic`).
    pub image_bits_per_pixel: f64,
    /// Bytes the client wrote to its sockets, per request: body plus HTTP
    /// headers, HTTP/2 frames, gRPC and floor length prefixes, base64 growth.
    pub wire_sent_bytes: f64,
    pub wire_received_bytes: f64,
    /// Bytes the built-in server's sockets read and wrote, per request
    /// (absent for a remote server). On a clean link, what the client sent.
    pub server_wire_received_bytes: Option<f64>,
    pub server_wire_sent_bytes: Option<f64>,
    /// How much more was sent than the payload (the image, or the basic
    /// request's body), in percent.
    pub wire_overhead_percent: f64,
}

/// One point of the matrix and everything measured there.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioReport {
    /// HEIGHTxWIDTH, as in the seed post ("1080x1920").
    pub size: String,
    pub width: u32,
    pub height: u32,
    pub payload: crate::wire::PayloadKind,
    pub protocol: crate::protocol::Protocol,
    pub encoder: &'static str,
    pub content: String,
    pub requests: usize,
    pub errors: usize,
    pub error_examples: Vec<String>,
    pub timing_warnings: usize,
    pub seconds_per_burst: BurstSeconds,
    pub warmup_seconds_per_burst: Vec<f64>,
    /// Each stage's summary under its name (`serialize`, `server.decode`...).
    /// `generate` and `encode` are per frame of the pool, the rest per request.
    pub stages: BTreeMap<&'static str, Summary>,
    /// Median residual over median wall: how much time no stage claims.
    pub residual_share: f64,
    /// The stage with the largest mean among the request's stages.
    pub dominant_stage: &'static str,
    pub bytes: ByteCounts,
    /// What `--flamegraph` wrote and found (absent when not asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<crate::profile::ProfileSummary>,
}

impl BenchReport {
    /// The scenario of one size x payload x protocol, if the run has it.
    pub fn scenario(
        &self,
        size: &str,
        payload: crate::wire::PayloadKind,
        protocol: crate::protocol::Protocol,
    ) -> Option<&ScenarioReport> {
        self.scenarios
            .iter()
            .find(|s| s.size == size && s.payload == payload && s.protocol == protocol)
    }
}

impl ScenarioReport {
    pub fn label(&self) -> String {
        format!(
            "{} {} {}",
            self.size,
            self.payload.name(),
            self.protocol.label()
        )
    }
}

/// One way to write a report out (JSON, CSV, ...).
pub trait Exporter {
    fn render(&self, report: &BenchReport) -> Result<Vec<u8>>;
}

/// Writes `report` to `path` via a temporary file, so a reader never sees
/// half a file and an interrupted run keeps its last complete write.
pub fn write_atomically(exporter: &dyn Exporter, report: &BenchReport, path: &Path) -> Result<()> {
    let bytes = exporter.render(report)?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("could not write '{}'", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("could not write '{}'", path.display()))
}
