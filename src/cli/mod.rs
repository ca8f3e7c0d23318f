//! The command line: one clap-derive `Cli`, ValueEnums for every choice.

use crate::encoders::{EncoderKind, Subsampling};
use crate::frame::{Content, Size};
use crate::protocol::Protocol;
use crate::run::plan::{
    available_cpus, protocols_or_default, BenchPlan, FramesOn, MatrixPlan, PlanError, SweepFactor,
    TargetKind, TargetPlan,
};
use crate::server::ServerDecoder;
use crate::transport::ClientSettings;
use crate::wire::PayloadKind;
use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

mod compare;
mod encode;
mod encode_mode;
mod frames;
mod load;
mod merge;
mod outputs;
mod serve;
mod shard;
pub mod tune;
mod values;
pub use compare::CompareArgs;
pub use encode::EncodeDecisionArgs;
pub use load::LoadArgs;
pub use merge::MergeArgs;
pub use outputs::OutputArgs;
pub use serve::ServeArgs;
pub use tune::TuneArgs;

#[derive(Debug, Parser)]
#[command(
    name = "imgwire",
    version,
    about = "Where does the time go when images travel to a model server?"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send images over REST and gRPC (to built-in servers unless --rest-url/--grpc-url/--tcp-url) and show where the time goes.
    Bench(Box<BenchArgs>),
    /// Run the built-in REST and gRPC servers until Ctrl-C.
    Serve(Box<ServeArgs>),
    /// Compare JPEG encoders (CPU and GPU) and raw frames: speed per thread count, size, quality after decoding, the server's decode, and each frame's cost end to end over a link.
    Encode(Box<EncodeArgs>),
    /// Compare two `bench --json` reports: per scenario and stage, the change B vs A with its 95 % interval, and whether it exceeds the noise.
    Compare(Box<CompareArgs>),
    /// Search the transport settings (HTTP/2 windows and frames, channels, pool) for the fastest on one workload, and print the flags that reproduce it.
    Tune(Box<TuneArgs>),
    /// Merge the JSON reports of a sharded run (`bench --shard I/N`) into one: percentiles from the shards' histograms added, throughput summed, and a per-shard table that shows a shard standing out.
    Merge(Box<MergeArgs>),
}

/// Settings the built-in servers take, in `bench` and in `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// What the server does with received images: decode and check (turbojpeg, or nvjpeg on a GPU), or nothing.
    #[arg(long, value_enum, default_value_t = ServerDecoder::Turbojpeg)]
    pub server_decoder: ServerDecoder,
    /// CPU work per image request standing in for a model: milliseconds, or a duration (20, 1.5s).
    #[arg(long, default_value_t = 0.0, value_parser = values::infer_milliseconds)]
    pub infer_ms: f64,
    /// Largest request body or gRPC message, in MiB, on both server and client.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=2048))]
    pub max_message_mb: u32,
    /// Most pixels (width x height) an image sent to the built-in server may declare, in its request or its JPEG header; checked before decoding, so a small request cannot make the server allocate gigabytes (a 60000x60000 JPEG header alone asks for 10.8 GB). `bench` raises it to its largest --sizes.
    #[arg(long, value_name = "N", default_value_t = crate::server::DEFAULT_MAX_PIXELS, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_pixels: u64,
    #[command(flatten)]
    pub decode: serve::DecodeLimitArgs,
    /// HTTP/2 initial stream window in bytes, gRPC and REST/2, client and server (default: the library's, 64 KiB).
    #[arg(long, value_name = "BYTES")]
    pub h2_stream_window: Option<u32>,
    /// HTTP/2 initial connection window in bytes, gRPC and REST/2, client and server.
    #[arg(long, value_name = "BYTES")]
    pub h2_connection_window: Option<u32>,
    /// Let HTTP/2 grow its windows from measured bandwidth-delay (BDP probing).
    #[arg(long)]
    pub h2_adaptive_window: bool,
    /// HTTP/2 maximum frame size in bytes (16384 to 16777215).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u32).range(16_384..=16_777_215))]
    pub h2_max_frame: Option<u32>,
    /// TCP_NODELAY on every socket, client and server, every protocol: `false` leaves Nagle's algorithm on, so a small write (an HTTP/2 WINDOW_UPDATE, a gRPC answer's trailers) waits for the ACK of what is in flight.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub tcp_nodelay: bool,
    /// Worker threads of the server runtime (default: the number of CPUs).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub server_threads: Option<u32>,
    /// How long an HTTP/1 client has to send a request's headers, from connecting or from its previous answer (so also the keep-alive limit); any client's first byte is due within it too. Seconds, or a duration (10, 500ms, 2m).
    #[arg(long, value_name = "DURATION", default_value = "10", value_parser = values::positive_duration)]
    pub header_timeout_s: std::time::Duration,
    /// How long a request body or gRPC message has to arrive whole, from its headers (seconds, or 500ms, 2m).
    #[arg(long, value_name = "DURATION", default_value = "30", value_parser = values::positive_duration)]
    pub body_timeout_s: std::time::Duration,
    /// How long the server takes at most to answer a request, from its headers (503 or DEADLINE_EXCEEDED past it); seconds, or 500ms, 2m.
    #[arg(long, value_name = "DURATION", default_value = "60", value_parser = values::positive_duration)]
    pub request_timeout_s: std::time::Duration,
    /// How long a connection with no request in flight may sit with no byte moving either way before the server closes it (seconds, or 500ms, 2m).
    #[arg(long, value_name = "DURATION", default_value = "60", value_parser = values::positive_duration)]
    pub idle_timeout_s: std::time::Duration,
    /// Connections the servers hold open at once, all servers together; one more is accepted and closed at once (default: 1024; in bench, enough for --concurrency too).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: Option<u32>,
    /// Concurrent HTTP/2 streams per connection, REST/2 and gRPC (default: 256; in bench, at least --concurrency).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub max_streams: Option<u32>,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Frame sizes as HEIGHTxWIDTH, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "360x640,720x1280,1080x1920"
    )]
    pub sizes: Vec<Size>,
    /// Payload kinds, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "basic,b64,binary"
    )]
    pub payloads: Vec<PayloadKind>,
    /// Protocols, comma-separated (`tcp` is the floor: the same body over plain TCP, one way, the smallest answer back). Default: rest,grpc,tcp; with a --target other than imgwire, rest,grpc (those given a URL).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub protocols: Vec<Protocol>,
    #[command(flatten)]
    pub load: load::LoadArgs,
    /// Generated frame content (ignored with --images).
    #[arg(long, value_enum, default_value_t = Content::Noise)]
    pub content: Content,
    /// A folder of .jpg/.png files to send instead of generated frames (scaled and cropped to each size); every file is decoded when the run starts, and one that does not decode stops it, named.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// With --images: leave out the files that do not decode (the header counts and names them) instead of stopping.
    #[arg(long, requires = "images")]
    pub skip_bad_images: bool,
    /// Distinct frames per size; requests cycle through them (default: 1, every request sends the same frame; with --images, one per file).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub frames: Option<u32>,
    /// Where generated frames are made: on the CPU, or by CUDA kernels on the GPU (needs an NVIDIA GPU).
    #[arg(long, value_enum, default_value_t = FramesOn::Cpu)]
    pub frames_on: FramesOn,
    /// Image encoder on the client; with --streams, several, comma-separated (e.g. turbojpeg,none), each run in turn for the capacity table.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "turbojpeg")]
    pub encoder: Vec<EncoderKind>,
    #[command(flatten)]
    pub encode_mode: encode_mode::EncodeModeArgs,
    /// JPEG quality (95 is OpenCV's default).
    #[arg(long, default_value_t = 95, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub quality: u8,
    /// JPEG chroma subsampling (turbojpeg; image-rs has a fixed one).
    #[arg(long, value_enum, default_value_t = Subsampling::S420)]
    pub subsampling: Subsampling,
    /// Seed for generated frames.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// What serves the requests: imgwire's own servers, or a server of another kind at --rest-url/--grpc-url (targets/ starts each here).
    #[arg(long, value_enum, default_value_t = TargetKind::Imgwire)]
    pub target: TargetKind,
    /// The model to call on a kserve-v2 or torchserve target (its name on that server).
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// kserve-v2: the image input's name (default: the model's metadata says).
    #[arg(long, value_name = "NAME")]
    pub input_name: Option<String>,
    /// kserve-v2: the image input's datatype, BYTES or UINT8 (default: the model's metadata says).
    #[arg(long, value_name = "TYPE")]
    pub input_datatype: Option<String>,
    /// Where the server's own statistics are read (default: Triton/KServe --rest-url; TorchServe the metrics port 8082 on --rest-url's host).
    #[arg(long, value_name = "URL", value_parser = values::http_url)]
    pub stats_url: Option<String>,
    /// torchserve: check that every answer is a JSON object holding these keys, comma-separated (by default any successful answer with a body passes).
    #[arg(long, value_name = "KEYS", value_delimiter = ',')]
    pub expect_json_keys: Vec<String>,
    /// Send REST requests to this server instead of the built-in one (http://HOST:PORT, or https:// for TLS).
    #[arg(long, value_name = "URL", value_parser = values::http_url)]
    pub rest_url: Option<String>,
    /// Send gRPC requests to this server instead of the built-in one (http://HOST:PORT, or https:// for TLS).
    #[arg(long, value_name = "URL", value_parser = values::http_url)]
    pub grpc_url: Option<String>,
    /// Trust the CA or self-signed certificates in this PEM file for https:// URLs (instead of the system's CA certificates, read from disk by rustls-native-certs).
    #[arg(long, value_name = "PEM")]
    pub tls_ca: Option<PathBuf>,
    /// Send `tcp` floor messages to this floor server (`imgwire serve`) instead of the built-in one (tcp://HOST:PORT).
    #[arg(long, value_name = "URL", value_parser = values::tcp_url)]
    pub tcp_url: Option<String>,
    /// gRPC channels (HTTP/2 connections); requests spread over them.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub grpc_channels: u32,
    /// HTTP/1.1 REST connections the client may hold at once (default: one per concurrent request).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub rest_pool: Option<u32>,
    /// Compress request bodies: gzip is `Content-Encoding: gzip` on REST and gRPC message compression (the tcp floor never compresses).
    #[arg(long, value_enum, default_value_t = crate::wire::gzip::Compression::None)]
    pub compression: crate::wire::gzip::Compression,
    /// kserve-v2: receive Triton's own per-request trace (OTLP/HTTP JSON, POST /v1/traces) on this address while the run goes, and give each request its server stages (queue, infer...) from it, joined by trace id; start Triton with --trace-config opentelemetry,url=http://ADDR/v1/traces (docs/targets.md).
    #[arg(long, value_name = "ADDR", value_parser = values::listen_address)]
    pub collect_traces: Option<std::net::SocketAddr>,
    /// How long, after each scenario's counted run, to wait for its requests' traces (--collect-traces): a duration (6s, 500ms) or seconds.
    #[arg(long, value_name = "DURATION", default_value = "6s", value_parser = values::positive_seconds)]
    pub collect_traces_wait: f64,
    /// Send no W3C `traceparent` (REST header, gRPC metadata) and, for kserve-v2, no request `id`: for servers that refuse headers they do not know.
    #[arg(long)]
    pub no_traceparent: bool,
    /// How long one request may take before it is given up: seconds, or a duration (30, 500ms, 2m).
    #[arg(long, value_name = "DURATION", default_value_t = 30.0, value_parser = values::positive_seconds)]
    pub timeout_s: f64,
    /// Every output flag (`--export-json`, `--flamegraph`...), one per
    /// registered output.
    #[command(flatten)]
    pub outputs: outputs::OutputArgs,
    #[command(flatten)]
    pub shard: shard::ShardArgs,
    /// Samples per second per CPU when profiling (the kernel tick may deliver fewer; the report says how many came).
    #[arg(long, default_value_t = 997, value_parser = clap::value_parser!(i32).range(1..=10000))]
    pub profile_hz: i32,
    /// Root each flamegraph's stacks at their own thread (server-0, server-1...) instead of merging each thread pool's under one root (server).
    #[arg(long)]
    pub flamegraph_threads: bool,
    /// Draw every frame in the flamegraph SVGs: by default each run of the async runtime's frames (tokio's scheduler and task harness, thread start, closure shims, catch_unwind) is folded into one [runtime] frame. The .pb.gz files always hold the full stacks.
    #[arg(long)]
    pub flamegraph_full_stacks: bool,
    /// Put an emulated link between client and server, e.g. bw=1gbit,rtt=2ms (a relay inside imgwire; no root needed).
    #[arg(long, value_name = "SPEC")]
    pub link: Option<crate::link::LinkSpec>,
    /// How --link is made: a relay inside imgwire (anywhere), or tc shaping a veth pair into a network namespace holding the built-in servers (root).
    #[arg(long, value_enum, default_value_t = crate::link::LinkBackend::Relay)]
    pub link_backend: crate::link::LinkBackend,
    /// Run one factor across its values, everything else fixed, and print one table of seconds per burst.
    #[arg(long, value_enum, value_name = "FACTOR")]
    pub sweep: Option<SweepFactor>,
    /// Print only the summary tables, not each scenario's stages.
    #[arg(long)]
    pub brief: bool,
    /// Print long lines whole instead of wrapping them to 100 columns.
    #[arg(long)]
    pub wide: bool,
    /// Print the results only: no progress bar and no lines about the run's progress on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// No colour in the tables (also when NO_COLOR is set or stdout is not a terminal).
    #[arg(long)]
    pub no_color: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Clone, Args)]
pub struct EncodeArgs {
    /// Frame sizes as HEIGHTxWIDTH, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1080x1920")]
    pub sizes: Vec<Size>,
    /// Generated frame content (ignored with --images).
    #[arg(long, value_enum, default_value_t = Content::Natural)]
    pub content: Content,
    /// A folder of .jpg/.png photographs to encode instead of generated frames (scaled and cropped to each size; scripts/fetch-photos.sh fetches some); a file that does not decode stops the run, named.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// With --images: leave out the files that do not decode instead of stopping.
    #[arg(long, requires = "images")]
    pub skip_bad_images: bool,
    /// JPEG qualities, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "90", value_parser = clap::value_parser!(u8).range(1..=100))]
    pub quality: Vec<u8>,
    /// JPEG chroma subsampling (turbojpeg and nvJPEG; image-rs always encodes 4:4:4).
    #[arg(long, value_enum, default_value_t = Subsampling::S420)]
    pub subsampling: Subsampling,
    /// Encoders, comma-separated (none: raw frames; nvjpeg uploads each frame; nvjpeg-device encodes frames already on the GPU).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "turbojpeg,image-rs,none,nvjpeg,nvjpeg-device"
    )]
    pub encoders: Vec<crate::encode::EncoderChoice>,
    /// Thread counts, comma-separated; each thread its own encoder (nvJPEG: its own CUDA stream). Default: 1, each power of two below the core count, and the core count.
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<Vec<u32>>,
    /// Frames timed per encoder, quality and thread count (after one warm-up frame per thread).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100000))]
    pub frames: u32,
    /// Seed for generated frames.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write the results as JSON (`-`: stdout; the table then goes to stderr).
    #[arg(long = "export-json", visible_alias = "json", value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write one CSV line per measured row, reference point, server decode and setting x link (`-`: stdout).
    #[arg(long = "export-csv", visible_alias = "csv", value_name = "PATH")]
    pub csv: Option<PathBuf>,
    /// Print long lines whole instead of wrapping them to 100 columns.
    #[arg(long)]
    pub wide: bool,
    #[command(flatten)]
    pub decision: encode::EncodeDecisionArgs,
}

/// Runs the chosen command.
pub fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Bench(args) => {
            values::warn_about_sizes(&args.sizes);
            let plan = args.plan()?;
            match (plan.sweep, &plan.capacity) {
                (Some(factor), _) => crate::run::sweep::run(&plan, factor).map(|_| ()),
                (None, Some(_)) => crate::run::camera_capacity::run(&plan).map(|_| ()),
                (None, None) => crate::run::bench::run(&plan).map(|_| ()),
            }
        }
        Command::Serve(args) => serve::serve(&args),
        Command::Encode(args) => {
            values::warn_about_sizes(&args.sizes);
            crate::encode::run(&args.plan()).map(|_| ())
        }
        Command::Compare(args) => crate::compare::run(&args.plan()).map(|_| ()),
        Command::Merge(args) => crate::merge::command::run(&args.plan()).map(|_| ()),
        Command::Tune(args) => {
            values::warn_about_sizes(&args.bench.sizes);
            tune::tune(&args)
        }
    }
}

impl BenchArgs {
    /// Resolves the flags into the plan the run follows: defaults applied,
    /// units converted, once; refused (`BenchPlan::check`, naming the flag)
    /// where it cannot run, before anything starts.
    pub fn plan(&self) -> Result<BenchPlan, PlanError> {
        self.check_encoders()?;
        let mut plan = self.resolve();
        let shard = self.shard.resolve()?;
        plan.run_id = self.shard.shared_run_id(&shard);
        plan.take_share(shard)?;
        plan.check()?;
        Ok(plan)
    }

    /// The plan the flags say, unchecked.
    fn resolve(&self) -> BenchPlan {
        let concurrency = self.load.first_concurrency();
        let most = self.load.most_concurrency();
        let mut server = self.server.config();
        // The built-in server must accept every size this bench sends.
        let largest = self.sizes.iter().map(|size| size.pixels()).max();
        server.max_pixels = server.max_pixels.max(largest.unwrap_or(0));
        // The built-in servers must hold the load this run puts on them
        // (every protocol's connections, every request's stream) unless a
        // limit was asked for.
        if self.server.max_connections.is_none() {
            let run_needs = 4 * most + self.grpc_channels as usize + 64;
            server.limits.max_connections = server.limits.max_connections.max(run_needs);
        }
        if self.server.max_streams.is_none() {
            let most = u32::try_from(most).unwrap_or(u32::MAX);
            server.limits.max_streams = server.limits.max_streams.max(most);
        }
        let targets = self.target_plan();
        let (protocols, protocols_default) = protocols_or_default(&self.protocols, &targets);
        BenchPlan {
            matrix: MatrixPlan {
                sizes: self.sizes.clone(),
                payloads: self.payloads.clone(),
                protocols,
                protocols_default,
            },
            load: self.load.plan(self.rest_pool.is_some()),
            frames: self.frame_plan(),
            client: ClientSettings {
                max_message_bytes: server.max_message_bytes,
                connect_timeout: std::time::Duration::from_secs(5),
                request_timeout: std::time::Duration::from_secs_f64(self.timeout_s),
                concurrency,
                h2: server.h2,
                grpc_channels: self.grpc_channels as usize,
                rest_pool: self.rest_pool.map_or(concurrency, |n| n as usize),
                compression: self.compression,
                tls: crate::transport::trust::ClientTrust {
                    ca_file: self.tls_ca.clone(),
                    pinned: Vec::new(),
                },
                traceparent: !self.no_traceparent,
            },
            server,
            targets,
            outputs: self.output_plan(),
            sweep: match self.load.concurrency.len() {
                1 => self.sweep,
                _ => self.sweep.or(Some(SweepFactor::Concurrency)),
            },
            capacity: self.load.capacity(&self.encoder),
            shard: crate::shard::Shard::whole(),
            start_at: self.shard.start_at,
            run_id: self.shard.run_id.clone(),
        }
    }

    /// Where the requests go, as the flags say.
    fn target_plan(&self) -> TargetPlan {
        TargetPlan {
            kind: self.target,
            rest_url: self.rest_url.clone(),
            grpc_url: self.grpc_url.clone(),
            tcp_url: self.tcp_url.clone(),
            link: self.link,
            link_backend: self.link_backend,
            model: self.model.clone(),
            input_name: self.input_name.clone(),
            input_datatype: self.input_datatype.clone(),
            stats_url: self.stats_url.clone(),
            expect_json_keys: self.expect_json_keys.clone(),
            collect_traces: self.collect_traces,
            collect_traces_wait: std::time::Duration::from_secs_f64(self.collect_traces_wait),
        }
    }
}

/// The plan `imgwire bench ARGS` resolves to, for the library's unit tests.
#[cfg(test)]
pub(crate) fn test_plan(args: &[&str]) -> BenchPlan {
    let argv = ["imgwire", "bench"].iter().chain(args).copied();
    match Cli::parse_from(argv).command {
        Command::Bench(args) => args.plan().expect("the plan resolves"),
        _ => unreachable!("a bench command line"),
    }
}

impl ServerArgs {
    pub fn config(&self) -> crate::server::ServerConfig {
        crate::server::ServerConfig {
            decoder: self.server_decoder,
            max_message_bytes: self.max_message_mb as usize * 1024 * 1024,
            max_pixels: self.max_pixels,
            decode: self.decode.limits(),
            infer: std::time::Duration::from_secs_f64(self.infer_ms / 1000.0),
            threads: self
                .server_threads
                .map_or_else(available_cpus, |t| t as usize),
            profiling: false,
            profiling_public: false,
            v2_model: crate::server::DEFAULT_V2_MODEL.into(),
            h2: self.h2_tuning(),
            limits: self.limits(),
            tls: None,
        }
    }

    fn limits(&self) -> crate::server::ConnectionLimits {
        let defaults = crate::server::ConnectionLimits::default();
        crate::server::ConnectionLimits {
            header: self.header_timeout_s,
            body: self.body_timeout_s,
            request: self.request_timeout_s,
            idle: self.idle_timeout_s,
            max_connections: self
                .max_connections
                .map_or(defaults.max_connections, |n| n as usize),
            max_streams: self.max_streams.unwrap_or(defaults.max_streams),
        }
    }

    pub fn h2_tuning(&self) -> crate::net::h2_tuning::H2Tuning {
        crate::net::h2_tuning::H2Tuning {
            stream_window_bytes: self.h2_stream_window,
            connection_window_bytes: self.h2_connection_window,
            adaptive_window: self.h2_adaptive_window,
            max_frame_bytes: self.h2_max_frame,
            nagle: !self.tcp_nodelay,
        }
    }
}
