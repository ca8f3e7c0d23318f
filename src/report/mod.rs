//! The results of a run, owned here and rendered here: one serde struct
//! (the unit in every field name), the records the load produces, and one
//! file per output format (terminal tables, JSON, CSV, HTML, trace). The
//! run produces these; nothing here depends on how it ran.

pub mod camera_capacity;
pub mod cameras;
mod client_load;
mod color;
pub mod csv;
pub(crate) mod curve;
mod factors;
mod floor;
mod header;
pub mod histogram;
pub mod html;
pub mod interval;
pub mod json;
pub(crate) mod load_figures;
mod load_lines;
pub mod machine;
pub mod markdown;
pub mod merged;
pub mod otlp;
pub mod records;
pub mod request_spans;
pub mod server_stats;
pub mod server_trace_join;
pub mod slot_timing;
mod stages;
pub mod summary;
pub mod table;
pub(crate) mod text;
pub(crate) mod throughput;
pub mod trace;
pub(crate) mod versus;

use crate::encoders::EncoderKind;
use crate::frame::Size;
use crate::output::OutputPath;
use crate::protocol::Protocol;
use crate::stage::Stage;
use crate::wire::PayloadKind;
use anyhow::Result;
pub use color::{paint, wanted as color_wanted};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;
pub use summary::Summary;
pub use text::{
    align as align_columns, align_within, csv_field, format_bytes, plural, unique, width, wrap,
    wrap_command, WIDTH,
};

/// `settings.server` for `--target seed`: the seed post's servers, which
/// decode nothing and send no `Server-Timing`.
pub const SEED_SERVERS: &str = "the seed post's FastAPI and grpcio servers (remote)";

/// Bumped whenever a field changes meaning or goes away (docs/json-schema.md).
pub const SCHEMA_VERSION: u32 = 3;

/// A whole `imgwire bench` run (read back by `imgwire merge`, which
/// leaves out what it cannot add: see `json::read`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BenchReport {
    pub schema_version: u32,
    /// Read back as this build's: a merge compares the shards' own
    /// versions from their JSON.
    #[serde(skip_deserializing, default = "this_version")]
    pub imgwire_version: &'static str,
    /// When and where the run began: `2026-11-25T15:45:12Z-4242` (UTC, pid).
    pub run_id: String,
    /// False while the run is still going or when it stopped early.
    pub complete: bool,
    /// The client's machine, and the build (`0.1.0 release`).
    pub machine: machine::Machine,
    pub build: String,
    pub settings: Settings,
    /// Under `--link`: what the relay adds by itself, with no limits set.
    pub relay_cost: Option<RelayCost>,
    pub scenarios: Vec<ScenarioReport>,
    /// Cells of the matrix the target cannot take, and why (not measured).
    pub not_applicable: Vec<server_stats::NotApplicable>,
    /// Each protocol's client: connections opened over the run and their
    /// mean time to open (TCP connect plus any TLS handshake).
    #[serde(skip_serializing_if = "Vec::is_empty", skip_deserializing)]
    pub connects: Vec<crate::transport::ConnectTimes>,
    /// Only in `imgwire merge`'s report: the shards it was made of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged: Option<merged::MergedSection>,
}

/// This build's version, as every report states it.
pub fn this_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// Every choice that shaped the numbers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub concurrency: usize,
    pub bursts: usize,
    pub warmup_bursts: usize,
    pub frames: String,
    pub frame_pool_size: usize,
    /// `--images`: each file read (bytes, pixels, bits per pixel) and each
    /// left out by `--skip-bad-images` with why; absent for generated frames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_files: Option<crate::frame::ImageFiles>,
    pub encoder: EncoderKind,
    /// `--encode`: `pool` (frames encoded once before the run) or `live`
    /// (each request's frame made and encoded at send time).
    #[serde(default)]
    pub encode_mode: crate::encoders::EncodeMode,
    /// The encoder threads of a live run (`--encode-threads`); null under pool.
    #[serde(default)]
    pub encode_threads: Option<usize>,
    /// JPEG quality and chroma subsampling as the encoder used them (null
    /// for raw frames; image-rs always encodes 4:4:4).
    pub quality: Option<u8>,
    pub subsampling: Option<crate::encoders::Subsampling>,
    /// `built-in` or the remote server's settings as far as they are known.
    pub server: String,
    /// `--target`: whose protocol the server speaks (`imgwire`, `seed`...).
    pub target: String,
    /// Where `--protocols` was not given: the protocols the target's
    /// default chose, and why (null where `--protocols` named them).
    pub protocols_chosen: Option<String>,
    pub server_decoder: Option<crate::server::ServerDecoder>,
    /// CPU work per image request standing in for a model (`--infer-ms`).
    pub infer_ns: u64,
    pub max_message_bytes: usize,
    /// Where the client sent each protocol's requests: the URL given, the
    /// built-in server's, or under `--link` the relay's in front of them.
    pub rest_target: String,
    pub grpc_target: String,
    pub tcp_target: String,
    /// The URLs given (`--rest-url`, `--grpc-url`, `--tcp-url`); null for
    /// the built-in server. Under `--link` they differ from `*_target`.
    pub rest_url: Option<String>,
    pub grpc_url: Option<String>,
    pub tcp_url: Option<String>,
    pub h2: crate::net::h2_tuning::H2Tuning,
    pub grpc_channels: usize,
    /// HTTP/1.1 REST connections in use at once, at most (`--rest-pool`).
    pub rest_pool: usize,
    /// Request body compression (`--compression`).
    pub compression: crate::wire::gzip::Compression,
    /// The emulated link between client and server (`--link`), if any.
    pub link: Option<crate::link::LinkSpec>,
    /// This process's shard of a sharded run (absent for a whole run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardSettings>,
    /// What emulates `link`: the relay, or tc's qdiscs on a veth pair.
    pub link_shaping: Option<String>,
    pub client_threads: usize,
    pub server_threads: Option<usize>,
    /// The load model and its settings (`load_model`, `rate_per_s`...).
    #[serde(flatten)]
    pub load: load_figures::LoadSettings,
}

/// A shard's place in its run: what `imgwire merge` checks and the header
/// names (`shard 1 of 4 (from SLURM_PROCID)`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardSettings {
    pub index: usize,
    pub count: usize,
    /// `--shard`, or the launcher's variable that named it.
    pub source: String,
    /// `--start-at` as Unix seconds (null: started at once).
    pub start_at_unix_s: Option<f64>,
}

/// Burst durations over the counted bursts, from the first request's
/// serialization to the last response parsed.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct BurstTimes {
    pub count: usize,
    pub mean_ns: u64,
    /// The 95 % interval of the mean, by bootstrap over the counted bursts
    /// (null with fewer than two).
    pub mean_ci95_ns: Option<[u64; 2]>,
    pub p50_ns: u64,
    pub p99_ns: u64,
    pub min_ns: u64,
    pub max_ns: u64,
}

impl BurstTimes {
    /// Mean seconds per burst, as the tables show it.
    pub fn mean_s(&self) -> f64 {
        self.mean_ns as f64 / 1e9
    }

    /// The interval of the mean in seconds, where there is one.
    pub fn mean_ci95_s(&self) -> Option<[f64; 2]> {
        self.mean_ci95_ns.map(|ci| ci.map(|ns| ns as f64 / 1e9))
    }

    pub fn p50_s(&self) -> f64 {
        self.p50_ns as f64 / 1e9
    }

    pub fn p99_s(&self) -> f64 {
        self.p99_ns as f64 / 1e9
    }
}

/// What the counted bursts or windows moved per second: their completed
/// requests, the images among them, and request body bytes, over the wall
/// time they stand for (the bursts' durations; a closed or open run's
/// elapsed time), computed once in `throughput::throughput`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    pub requests_per_s: f64,
    /// Its 95 % interval, the bursts resampled with their requests and
    /// durations paired (null with fewer than two bursts).
    pub requests_per_s_ci95: Option<[f64; 2]>,
    /// 0 for payloads without an image.
    pub images_per_s: f64,
    /// Megabytes (10^6 bytes) of request bodies.
    pub request_body_megabytes_per_s: f64,
}

/// Bytes per request, as means over the counted requests (rounded).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct ByteCounts {
    /// The raw frame before encoding (0 for `basic`).
    pub raw_frame_bytes: u64,
    /// The encoded image (JPEG or raw), before any wire format.
    pub image_bytes: u64,
    /// The request body: JSON, base64 JSON, protobuf or raw bytes.
    pub request_body_bytes: u64,
    pub response_body_bytes: u64,
    /// Encoded bits per pixel (0 for `basic`).
    pub image_bits_per_pixel: f64,
    /// Bytes the client wrote to its sockets, per request: body plus HTTP
    /// headers, HTTP/2 frames, gRPC and floor length prefixes, base64 growth.
    pub wire_sent_bytes: u64,
    pub wire_received_bytes: u64,
    /// Bytes the built-in server's sockets read and wrote, per request
    /// (absent for a remote server). On a clean link, what the client sent.
    pub server_wire_received_bytes: Option<u64>,
    pub server_wire_sent_bytes: Option<u64>,
    /// How much more was sent than the payload (the image, or the basic
    /// request's body), in percent.
    pub wire_overhead_percent: f64,
}

/// Megabytes (10^6 bytes), as the tables show sizes.
pub fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// One point of the matrix: size x payload x protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scenario {
    pub size: Size,
    pub payload: PayloadKind,
    pub protocol: Protocol,
}

impl Scenario {
    /// How tables and messages name it: `1080x1920 binary REST`.
    pub fn label(&self) -> String {
        format!(
            "{} {} {}",
            self.size,
            self.payload.name(),
            self.protocol.label()
        )
    }

    /// How file names carry it: `1080x1920-binary-rest`.
    pub fn file_stem(&self) -> String {
        format!(
            "{}-{}-{}",
            self.size,
            self.payload.name(),
            self.protocol.name()
        )
    }
}

/// In JSON a scenario is its fields, with the size both as text and numbers.
impl Serialize for Scenario {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut fields = serializer.serialize_struct("Scenario", 5)?;
        fields.serialize_field("size", &self.size.to_string())?;
        fields.serialize_field("width", &self.size.width)?;
        fields.serialize_field("height", &self.size.height)?;
        fields.serialize_field("payload", &self.payload)?;
        fields.serialize_field("protocol", &self.protocol)?;
        fields.end()
    }
}

/// One point of the matrix and everything measured there.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScenarioReport {
    /// HEIGHTxWIDTH ("1080x1920"), width, height, payload, protocol.
    #[serde(flatten)]
    pub scenario: Scenario,
    /// `none` for payloads without an image.
    pub encoder: EncoderKind,
    pub content: String,
    pub requests: usize,
    pub errors: usize,
    pub error_examples: Vec<String>,
    /// Why the scenario has no figures: the error that stopped it before
    /// any counted request completed (null when it measured something).
    /// Its figures are then zeros to be ignored, and every output says
    /// `failed` in their place.
    pub failure: Option<String>,
    /// Responses whose `Server-Timing` was left out of the server stages
    /// (unreadable, or stages longer than the client's round trip), and a
    /// few of the reasons, each once.
    pub timing_warnings: usize,
    pub timing_warning_examples: Vec<String>,
    pub burst: BurstTimes,
    /// Each counted burst's duration, in the order they ran: what the
    /// intervals resample (and `imgwire compare` resamples again).
    pub burst_ns: Vec<u64>,
    /// Each warm-up burst's duration (run first, reported apart).
    pub warmup_burst_ns: Vec<u64>,
    pub throughput: Throughput,
    /// Each stage's summary under its name (`serialize`, `server.decode`...).
    /// `generate` and `encode` are per frame of the pool, the rest per
    /// request; under `--encode live` they are per request too.
    #[serde(
        serialize_with = "by_stage_name",
        deserialize_with = "json::stages_by_name"
    )]
    pub stages: BTreeMap<Stage, Summary>,
    /// Per request stage, the mean of each counted burst's requests, in the
    /// bursts' order (a burst with no sample of the stage left out): what
    /// the stage intervals resample.
    #[serde(
        serialize_with = "by_stage_name",
        deserialize_with = "json::stages_by_name"
    )]
    pub stage_burst_means_ns: BTreeMap<Stage, Vec<u64>>,
    /// End-to-end (wall) latency of the counted requests, from the actual
    /// send, at fixed percentiles of their histogram: what the HTML
    /// report's CDF draws (empty where no request completed).
    pub latency_cdf: Vec<summary::CdfPoint>,
    /// Median residual over median wall: how much time no stage claims.
    pub residual_share: f64,
    /// The stage with the largest mean among the request's stages (`none`
    /// when no request completed).
    #[serde(
        serialize_with = "stage_or_none",
        deserialize_with = "json::stage_or_none"
    )]
    pub dominant_stage: Option<Stage>,
    pub bytes: ByteCounts,
    /// What a merge adds up: the counted requests' latency from the actual
    /// send (`latency`), from the due time under open load
    /// (`latency_corrected`), and each stage (keyed as in `stages`), each an
    /// HDR histogram (V2 + DEFLATE, base64; `histogram`).
    #[serde(default)]
    pub histograms: BTreeMap<String, String>,
    /// The server's own figures for its stages, where a target that is not
    /// imgwire's reports them (absent otherwise).
    /// (A merge leaves it out: every shard read the same server's counters.)
    #[serde(skip_serializing_if = "Option::is_none", skip_deserializing)]
    pub server_stats: Option<server_stats::ServerStats>,
    /// How the counted requests were joined to the server's own trace
    /// (`--collect-traces`): how many got their server stages from it, and
    /// where it came from (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_trace: Option<server_trace_join::ServerTraceJoin>,
    /// The client's CPU use over the counted run (null when none ran): a
    /// client near its cores' limit may be what held the figures down.
    /// (A merge reads each shard's from its JSON, and has none of its own.)
    #[serde(skip_deserializing)]
    pub client_cpu: Option<crate::client_cpu::ClientCpu>,
    /// Where `--start-at` gave the run a fixed schedule: the scenario's
    /// planned and actual start and how late or over its slot it ran
    /// (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none", skip_deserializing)]
    pub schedule: Option<slot_timing::SlotTiming>,
    /// What `--flamegraph` wrote and found (absent when not asked for).
    #[serde(skip_serializing_if = "Option::is_none", skip_deserializing)]
    pub profile: Option<crate::profile::ProfileSummary>,
    /// The load's figures: `stable`, throughput, latency (corrected under
    /// open load), the per-burst or per-window values.
    #[serde(flatten)]
    pub load: load_figures::LoadFigures,
}

/// Stages in JSON are keyed and ordered by name, as schema version 1 has them.
fn by_stage_name<S: Serializer, T: Serialize>(
    stages: &BTreeMap<Stage, T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let by_name: BTreeMap<&str, &T> = stages.iter().map(|(s, m)| (s.name(), m)).collect();
    by_name.serialize(serializer)
}

fn stage_or_none<S: Serializer>(stage: &Option<Stage>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(stage.map_or("none", Stage::name))
}

/// What the `--link` relay costs by itself on one scenario: the same burst
/// straight to the server and through a relay with no limits.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RelayCost {
    /// The scenario measured, e.g. "1080x1920 binary REST".
    pub scenario: String,
    /// Counted bursts each way (after one warm-up burst each).
    pub bursts: usize,
    /// Mean burst duration straight to the server and through the relay.
    pub direct_burst_mean_ns: u64,
    pub relayed_burst_mean_ns: u64,
    /// (relayed - direct) / direct, in percent, and its 95 % interval
    /// (bootstrap over the bursts; null with fewer than two).
    pub added_percent: f64,
    pub added_percent_ci95: Option<[f64; 2]>,
}

impl BenchReport {
    /// The scenario of one size x payload x protocol, if the run has it.
    pub fn scenario(&self, wanted: Scenario) -> Option<&ScenarioReport> {
        self.scenarios.iter().find(|s| s.scenario == wanted)
    }
}

impl ScenarioReport {
    pub fn label(&self) -> String {
        self.scenario.label()
    }

    /// Whether it has figures: a counted request completed, and nothing
    /// marked it failed.
    pub fn measured(&self) -> bool {
        self.failure.is_none() && self.requests > 0
    }

    /// What outputs show in place of a failed scenario's figures.
    pub fn failure_text(&self) -> String {
        let why = self
            .failure
            .as_deref()
            .or(self.error_examples.first().map(String::as_str));
        match why {
            Some(why) => format!("failed: {why}"),
            None => "failed: no request completed".into(),
        }
    }

    /// A stage's summary, where the scenario measured that stage.
    pub fn stage(&self, stage: Stage) -> Option<&Summary> {
        self.stages.get(&stage)
    }

    /// Whether `stage` was timed per request: every stage but `generate`
    /// and `encode`, which are per frame of the pool unless the frames
    /// were made live (`--encode live`: then the requests' bursts have
    /// means of them too).
    pub fn per_request(&self, stage: Stage) -> bool {
        !matches!(stage, Stage::Generate | Stage::Encode)
            || self.stage_burst_means_ns.contains_key(&stage)
    }
}

/// One way to write a report out (JSON, CSV, ...).
pub trait Exporter {
    fn render(&self, report: &BenchReport) -> Result<Vec<u8>>;
}

/// Renders `report` with `exporter` and writes it to `path` atomically.
pub fn export(exporter: &dyn Exporter, report: &BenchReport, path: &OutputPath) -> Result<()> {
    path.write(&exporter.render(report)?)
}
