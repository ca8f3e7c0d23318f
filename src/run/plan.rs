//! A benchmark resolved once from its flags: every choice typed, every
//! default applied, every unit converted. Everything under `run` reads this
//! plan and never the command line; a sweep is one plan per point.

pub use crate::encoders::EncodeMode;
use crate::encoders::{EncodeSettings, EncoderKind};
use crate::frame::{Content, Size};
use crate::protocol::Protocol;
pub use crate::report::load_figures::LoadModel;
use crate::server::ServerConfig;
use crate::transport::ClientSettings;
use crate::wire::PayloadKind;
use anyhow::{bail, Result};
use clap::ValueEnum;
use serde::Serialize;
use std::path::PathBuf;

mod camera_plan;
mod knobs;
mod live_refusal;
pub mod output_checks;
pub mod outputs;
mod refusal;
mod shard_share;

use crate::target::check_plan;
pub use crate::target::{protocols_or_default, TargetKind, TargetPlan};
pub use camera_plan::{CameraPlan, CapacityPlan};
pub use knobs::{connection_window, TransportKnob};
pub use outputs::{FlamegraphPlan, OutputPlan, Tables};
pub use refusal::PlanError;

/// One `imgwire bench` run, resolved.
#[derive(Clone, Debug)]
pub struct BenchPlan {
    pub matrix: MatrixPlan,
    pub load: LoadPlan,
    pub frames: FramePlan,
    /// How the clients connect and send (timeouts, pools, HTTP/2, compression).
    pub client: ClientSettings,
    /// The built-in servers' settings (used where a protocol has no URL).
    pub server: ServerConfig,
    pub targets: TargetPlan,
    pub outputs: OutputPlan,
    /// Run the matrix once per value of this factor.
    pub sweep: Option<SweepFactor>,
    /// Cameras run once per encoder and stream count (`--streams` with
    /// several values, several `--encoder`, or `--slo-ms`).
    pub capacity: Option<CapacityPlan>,
    /// This process's share of a sharded run (the whole run: shard 0 of 1).
    pub shard: crate::shard::Shard,
    /// When measuring starts (`--start-at`; None: at once).
    pub start_at: Option<std::time::SystemTime>,
    /// The run id the report carries (`--run-id`, or the shards' shared
    /// one); None: the run makes its own.
    pub run_id: Option<String>,
}

/// The scenarios: every size x payload x protocol.
#[derive(Clone, Debug)]
pub struct MatrixPlan {
    pub sizes: Vec<Size>,
    pub payloads: Vec<PayloadKind>,
    pub protocols: Vec<Protocol>,
    /// Why `protocols` are these where `--protocols` was not given (the
    /// target's default, in words); None where the user chose them.
    pub protocols_default: Option<String>,
}

/// The load: its model, `concurrency` requests (bursts) or workers (closed,
/// open) at once, `warmup_bursts` bursts or windows first (reported apart,
/// extended until stable), then `bursts` counted bursts or windows.
#[derive(Clone, Debug)]
pub struct LoadPlan {
    pub model: LoadModel,
    pub concurrency: usize,
    /// `--concurrency` with several values: the run is repeated per value
    /// (a sweep) and each scenario gets a throughput-latency curve.
    pub concurrency_levels: Vec<usize>,
    /// Counted bursts; under closed and open load, the windows the counted
    /// run is cut into.
    pub bursts: usize,
    pub warmup_bursts: usize,
    /// How long a closed or open run lasts (None under bursts).
    pub stop: Option<LoadStop>,
    /// Requests per second of an open load (`--rate`; None otherwise).
    pub rate_per_s: Option<f64>,
    /// Warm-up goes on until its last bursts or windows agree within this
    /// many percent of their mean (`--stability`).
    pub stability_percent: f64,
    /// Warm-up bursts or windows run at most beyond `warmup_bursts` while
    /// they disagree (`--warmup-max`).
    pub warmup_max: usize,
    /// Worker threads of the client runtime.
    pub client_threads: usize,
    /// Whether the REST pool follows the concurrency (no `--rest-pool`).
    pub rest_pool_follows: bool,
    /// `--streams`, `--fps`, `--max-in-flight`: cameras (an open load).
    pub cameras: Option<CameraPlan>,
}

/// When a closed or open run ends: after a time, or a number of requests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LoadStop {
    Duration(std::time::Duration),
    Requests(usize),
}

/// Seconds of a closed or open run when neither --duration nor --requests
/// is given.
pub const DEFAULT_LOAD_SECONDS: u64 = 10;

/// What the requests carry and how it is made.
#[derive(Clone, Debug)]
pub struct FramePlan {
    pub source: FrameSpec,
    /// Distinct frames per size; requests cycle through them (`None`: one
    /// per image file with `--images`, else one).
    pub pool_size: Option<usize>,
    /// What `--images` does with a file that does not decode.
    pub bad_images: crate::frame::BadImages,
    /// Where generated frames are made.
    pub frames_on: FramesOn,
    pub encoder: EncoderKind,
    pub encode: EncodeSettings,
    /// When frames are made and encoded: once before the run, or per request.
    pub mode: EncodeMode,
    /// `--encode-threads`: encoder workers of a live run (None: not given,
    /// so one per core under `--encode live`).
    pub encode_threads: Option<usize>,
}

impl FramePlan {
    /// The encoder threads of a live run: `--encode-threads`, else one per
    /// CPU.
    pub fn encoder_threads(&self) -> usize {
        self.encode_threads.unwrap_or_else(available_cpus)
    }
}

/// Where frames come from.
#[derive(Clone, Debug, PartialEq)]
pub enum FrameSpec {
    Pattern { content: Content, seed: u64 },
    Files(PathBuf),
}

/// Where generated frames are made: CPU patterns, or the same patterns by
/// CUDA kernels (copied to the host, so any encoder can take them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FramesOn {
    #[default]
    Cpu,
    Gpu,
}

/// The transport factors a sweep can vary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SweepFactor {
    /// HTTP/2 stream and connection windows (connection = 4 x stream).
    Window,
    /// HTTP/2 maximum frame size.
    Frame,
    /// gRPC channels (connections).
    Channels,
    /// Request compression: none, then gzip.
    Compression,
    /// REST/1.1 connection pool size.
    Pool,
    /// REST and gRPC plain, then over TLS (built-in servers, a certificate
    /// made for the run; the tcp floor stays plain).
    Tls,
    /// TCP_NODELAY on every socket, then off (Nagle's algorithm on), client
    /// and built-in servers.
    Nodelay,
    /// Concurrent requests or workers (`--concurrency` with several values).
    #[value(skip)]
    Concurrency,
}

impl SweepFactor {
    pub fn name(self) -> &'static str {
        match self {
            SweepFactor::Window => "window",
            SweepFactor::Frame => "frame",
            SweepFactor::Channels => "channels",
            SweepFactor::Compression => "compression",
            SweepFactor::Pool => "pool",
            SweepFactor::Tls => "tls",
            SweepFactor::Nodelay => "nodelay",
            SweepFactor::Concurrency => "concurrency",
        }
    }
}

impl BenchPlan {
    /// `concurrency` requests or workers, on the client and (unless
    /// `--rest-pool` fixed it) in the REST pool.
    pub fn set_concurrency(&mut self, concurrency: usize) {
        self.load.concurrency = concurrency;
        self.client.concurrency = concurrency;
        if self.load.rest_pool_follows {
            self.client.rest_pool = concurrency;
        }
    }

    /// Whether a protocol of the run has no URL, so the built-in servers
    /// answer it (`check_targets` makes that all of them or none).
    pub fn uses_builtin_servers(&self) -> bool {
        let protocols = &self.matrix.protocols;
        protocols.iter().any(|p| self.targets.url(*p).is_none())
    }

    /// Every URL is one the client can use, and the run does not mix remote
    /// servers with built-in ones (their figures would not compare).
    pub fn check_targets(&self) -> Result<()> {
        let protocols = &self.matrix.protocols;
        let kind = self.targets.kind;
        if !self.targets.expect_json_keys.is_empty() && kind != TargetKind::Torchserve {
            bail!(
                "--expect-json-keys checks TorchServe's answers (--target torchserve); the \
                 answers of --target {} are checked against its own schema",
                kind.name()
            );
        }
        if self.targets.collect_traces.is_some() {
            if kind != TargetKind::KserveV2 {
                bail!(
                    "--collect-traces joins Triton's own trace to the requests (--target \
                     kserve-v2); --target {} exports no such trace",
                    kind.name()
                );
            }
            if !self.client.traceparent {
                bail!(
                    "--collect-traces joins the server's trace by each request's trace id, \
                     which --no-traceparent leaves out; drop one of the two"
                );
            }
        }
        if kind.is_foreign() {
            check_plan(&self.targets, protocols)?;
            if self.outputs.flamegraph().is_some() {
                bail!(
                    "--flamegraph fetches the server's profile from /debug/pprof/profile, which \
                     only imgwire's servers serve; leave --flamegraph out with --target {}",
                    kind.name()
                );
            }
        }
        for &protocol in protocols {
            if let Some(url) = self.targets.url(protocol) {
                check_url(protocol, url)?;
            }
        }
        let (remote, builtin): (Vec<Protocol>, Vec<Protocol>) = protocols
            .iter()
            .partition(|p| self.targets.url(**p).is_some());
        if let (Some(r), Some(b)) = (remote.first(), builtin.first()) {
            bail!(
                "{} goes to a remote server ({}) but {} would go to a built-in server inside \
                 this process, and the two would not compare; give {} too, or leave {} out \
                 of --protocols",
                r.label(),
                TargetPlan::flag(*r),
                b.label(),
                TargetPlan::flag(*b),
                b.name()
            );
        }
        Ok(())
    }
}

/// A target URL: `SCHEME://HOST:PORT[/path]`, the scheme the protocol takes
/// (`http` protocols take `https` too, for TLS).
fn check_url(protocol: Protocol, url: &str) -> Result<()> {
    let flag = TargetPlan::flag(protocol);
    let scheme = protocol.url_scheme();
    let uri: http::Uri = url.parse().map_err(|e| {
        anyhow::anyhow!("{flag} '{url}' is not a URL ({e}); expected {scheme}://HOST:PORT")
    })?;
    let secure = scheme == "http" && uri.scheme_str() == Some("https");
    if uri.scheme_str() != Some(scheme) && !secure {
        let or_https = if scheme == "http" { " or https://" } else { "" };
        bail!("{flag} '{url}' must start with {scheme}://{or_https}");
    }
    if uri.host().is_none_or(str::is_empty) || uri.port_u16().is_none() {
        bail!("{flag} '{url}' needs a host and a port ({scheme}://HOST:PORT)");
    }
    Ok(())
}

/// The number of CPUs this process may use.
pub fn available_cpus() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_urls_are_checked_naming_the_flag() {
        check_url(Protocol::Rest, "http://127.0.0.1:8080").unwrap();
        check_url(Protocol::Tcp, "tcp://example:50052").unwrap();
        check_url(Protocol::Grpc, "https://h:1").unwrap();
        check_url(Protocol::RestH2, "https://[::1]:8443/api").unwrap();
        for (protocol, url) in [
            (Protocol::Rest, "127.0.0.1:8080"),
            (Protocol::Grpc, "ftp://h:1"),
            (Protocol::Tcp, "https://h:1"),
            (Protocol::Tcp, "http://h:1"),
            (Protocol::Rest, "http://h"),
            (Protocol::Grpc, "not a url"),
        ] {
            let err = check_url(protocol, url).unwrap_err().to_string();
            assert!(err.contains(TargetPlan::flag(protocol)), "{url}: {err}");
        }
    }
}
