//! The fixed, hand-built result set every exporter test renders: basic and
//! binary at 360x640 over REST, gRPC and the floor (`report`), and the same
//! against a foreign server with its own statistics (`foreign_report`).

use imgwire::encoders::{EncoderKind, Subsampling};
use imgwire::frame::Size;
use imgwire::profile::{HotFunction, ProfileSummary};
use imgwire::protocol::Protocol;
use imgwire::report::interval::{as_f64, bootstrap_mean_ci};
use imgwire::report::server_stats::{NotApplicable, ServerStats};
use imgwire::report::{
    BenchReport, BurstTimes, ByteCounts, Scenario, ScenarioReport, Settings, Summary, Throughput,
};
use imgwire::server::ServerDecoder;
use imgwire::stage::{Side, Stage};
use imgwire::wire::gzip::Compression;
use imgwire::wire::PayloadKind;
use std::collections::BTreeMap;

pub const SIZE: Size = Size {
    height: 360,
    width: 640,
};

pub fn summary(mean_us: u64) -> Summary {
    let ns = mean_us * 1000;
    Summary {
        count: 40,
        mean_ns: ns,
        mean_ci95_ns: Some([ns - ns / 25, ns + ns / 20]),
        p50_ns: ns - ns / 10,
        p90_ns: ns + ns / 5,
        p99_ns: ns * 2,
        p999_ns: ns * 2 + ns / 2,
        max_ns: ns * 3,
    }
}

/// Ten per-burst values whose mean is `mean` (a multiple of 100).
pub fn per_burst(mean: u64) -> Vec<u64> {
    [90, 95, 100, 105, 110, 92, 98, 102, 108, 100]
        .map(|pct| mean / 100 * pct)
        .to_vec()
}

/// The per-burst means of every stage but the pool's per-frame ones.
pub fn stage_burst_means(stages: &BTreeMap<Stage, Summary>) -> BTreeMap<Stage, Vec<u64>> {
    stages
        .iter()
        .filter(|(s, _)| !matches!(s, Stage::Generate | Stage::Encode))
        .map(|(s, m)| (*s, per_burst(m.mean_ns)))
        .collect()
}

/// Stage means in microseconds; `scale` sets one protocol apart.
pub fn stages(image: bool, scale: u64) -> BTreeMap<Stage, Summary> {
    let mut means = vec![
        (Stage::Serialize, 150),
        (Stage::Transport, 900 * scale),
        (Stage::ServerReceive, 400 * scale),
        (Stage::ServerDeserialize, 120),
        (Stage::ServerQueue, 30),
        (Stage::ServerDecode, 1800),
        (Stage::ServerRespond, 20),
        (Stage::Response, 15),
        (Stage::Residual, 5),
    ];
    if image {
        means.extend([(Stage::Generate, 2500), (Stage::Encode, 4000)]);
    }
    let wall: u64 = means
        .iter()
        .filter(|(s, _)| !matches!(s, Stage::Generate | Stage::Encode))
        .map(|(_, m)| m)
        .sum();
    means.push((Stage::Wall, wall));
    means.into_iter().map(|(s, m)| (s, summary(m))).collect()
}

pub fn scenario(
    payload: PayloadKind,
    protocol: Protocol,
    seconds: f64,
    scale: u64,
) -> ScenarioReport {
    let image = payload.carries_image();
    let body: u64 = if image { 272_000 } else { 1_100 };
    let ns = (seconds * 1e9).round() as u64;
    let burst_ns = per_burst(ns);
    let stages = stages(image, scale);
    let requests_per_s = 40.0 / (seconds * 10.0);
    ScenarioReport {
        scenario: Scenario {
            size: SIZE,
            payload,
            protocol,
        },
        encoder: if image {
            EncoderKind::Turbojpeg
        } else {
            EncoderKind::None
        },
        content: if image { "noise" } else { "structured" }.into(),
        requests: 40,
        errors: 0,
        error_examples: Vec::new(),
        failure: None,
        timing_warnings: 0,
        timing_warning_examples: Vec::new(),
        burst: BurstTimes {
            count: 10,
            mean_ns: ns,
            mean_ci95_ns: bootstrap_mean_ci(&as_f64(&burst_ns)).map(|ci| ci.as_ns()),
            p50_ns: ns / 20 * 19,
            p99_ns: ns / 10 * 14,
            min_ns: ns / 10 * 9,
            max_ns: ns / 10 * 15,
        },
        burst_ns,
        warmup_burst_ns: vec![ns * 2],
        throughput: Throughput {
            requests_per_s,
            requests_per_s_ci95: Some([requests_per_s * 0.95, requests_per_s * 1.05]),
            images_per_s: if image { requests_per_s } else { 0.0 },
            request_body_megabytes_per_s: requests_per_s * body as f64 / 1e6,
        },
        stage_burst_means_ns: stage_burst_means(&stages),
        // 40 requests whose latencies spread from 0.5 to 2.45 x the burst's.
        latency_cdf: imgwire::report::summary::cdf(
            &(0..40u64).map(|i| ns / 2 + ns / 20 * i).collect::<Vec<_>>(),
        ),
        stages,
        residual_share: 0.001,
        dominant_stage: Some(if scale > 1 {
            Stage::Transport
        } else {
            Stage::ServerDecode
        }),
        bytes: ByteCounts {
            raw_frame_bytes: if image { 691_200 } else { 0 },
            image_bytes: if image { 271_935 } else { 0 },
            request_body_bytes: body,
            response_body_bytes: 1_250,
            image_bits_per_pixel: if image { 9.44 } else { 0.0 },
            wire_sent_bytes: body + 180,
            wire_received_bytes: 1_400,
            server_wire_received_bytes: Some(body + 180),
            server_wire_sent_bytes: Some(1_400),
            wire_overhead_percent: 0.07,
        },
        histograms: BTreeMap::new(),
        server_stats: None,
        server_trace: None,
        client_cpu: Some(saturated_client()),
        schedule: None,
        profile: None,
        load: Default::default(),
    }
}

/// A client that used 95 % of its 2 cores, against a server elsewhere.
fn saturated_client() -> imgwire::client_cpu::ClientCpu {
    imgwire::client_cpu::ClientCpu {
        cpu_s: 1.9,
        in_process_server_cpu_s: 0.0,
        encode_cpu_s: 0.0,
        wall_s: 1.0,
        cores: 2,
    }
}

pub fn settings() -> Settings {
    Settings {
        concurrency: 4,
        bursts: 10,
        warmup_bursts: 1,
        frames: "noise (seed 1); one frame reused by every request".into(),
        frame_pool_size: 1,
        image_files: None,
        encoder: EncoderKind::Turbojpeg,
        encode_mode: imgwire::run::plan::EncodeMode::Pool,
        encode_threads: None,
        quality: Some(95),
        subsampling: Some(Subsampling::S420),
        server: "built-in, in process".into(),
        target: "imgwire".into(),
        protocols_chosen: None,
        server_decoder: Some(ServerDecoder::Turbojpeg),
        infer_ns: 0,
        max_message_bytes: 64 << 20,
        rest_target: "http://127.0.0.1:8080".into(),
        grpc_target: "http://127.0.0.1:50051".into(),
        tcp_target: "tcp://127.0.0.1:50052".into(),
        rest_url: None,
        grpc_url: None,
        tcp_url: None,
        h2: Default::default(),
        grpc_channels: 1,
        rest_pool: 4,
        compression: Compression::None,
        link: None,
        shard: None,
        link_shaping: None,
        client_threads: 2,
        server_threads: Some(2),
        load: Default::default(),
    }
}

/// Basic and binary at 360x640 over REST, gRPC and the floor; gRPC's binary
/// cell carries a profile summary (flamegraphs written to `fg/`), and b64
/// over gRPC is a cell the target cannot take.
pub fn report() -> BenchReport {
    let mut scenarios = vec![
        scenario(PayloadKind::Basic, Protocol::Rest, 0.0012, 1),
        scenario(PayloadKind::Basic, Protocol::Grpc, 0.0019, 1),
        scenario(PayloadKind::Binary, Protocol::Rest, 0.0101, 1),
        scenario(PayloadKind::Binary, Protocol::Grpc, 0.0143, 3),
        scenario(PayloadKind::Binary, Protocol::Tcp, 0.0040, 1),
    ];
    scenarios[3].profile = Some(ProfileSummary {
        files: vec![
            "fg/360x640-binary-grpc-client.svg".into(),
            "fg/360x640-binary-grpc-server.svg".into(),
        ],
        sampling_hz: 997,
        client_samples: 120,
        server_samples: 340,
        hottest_side: Side::Server,
        trace: None,
        hottest: vec![HotFunction {
            function: "decode_mcu<&>".into(),
            self_share: 0.25,
        }],
        warnings: Vec::new(),
    });
    // Binary over REST as 4 cameras at 25 fps for 2 s, one frame in flight.
    scenarios[2].load.cameras = Some(imgwire::report::cameras::CameraFigures {
        streams: 4,
        fps: 25.0,
        max_in_flight: 1,
        duration_s: 2.0,
        frames_offered: 200,
        frames_sent: 196,
        frames_late: 3,
        frames_dropped: 4,
        frames_completed: 196,
        sustained_frames_per_s: 97.5,
    });
    BenchReport {
        schema_version: imgwire::report::SCHEMA_VERSION,
        imgwire_version: "0.1.0",
        run_id: "2026-11-25T15:45:12Z-4242".into(),
        complete: true,
        machine: imgwire::report::machine::Machine {
            hostname: "bench-host".into(),
            cpu_model: "Example CPU @ 3.00GHz".into(),
            cpu_cores: 2,
            os: "linux x86_64".into(),
        },
        build: "0.1.0 release".into(),
        settings: settings(),
        relay_cost: None,
        not_applicable: vec![NotApplicable {
            payload: PayloadKind::B64,
            protocol: Protocol::Grpc,
            reason: "the model reads base64 text from JSON only".into(),
        }],
        connects: Vec::new(),
        scenarios,
        merged: None,
    }
}

/// A scenario against a server that is not imgwire's: no Server-Timing, so
/// the server's time stays in `transport`, and no server socket counts.
pub fn foreign_scenario(payload: PayloadKind, protocol: Protocol, seconds: f64) -> ScenarioReport {
    let mut s = scenario(payload, protocol, seconds, 1);
    let server_us: u64 = Stage::SERVER
        .iter()
        .filter_map(|stage| s.stages.remove(stage))
        .map(|m| m.mean_ns / 1000)
        .sum();
    s.stages.insert(Stage::Transport, summary(900 + server_us));
    s.stage_burst_means_ns = stage_burst_means(&s.stages);
    s.dominant_stage = Some(Stage::Transport);
    s.bytes.server_wire_received_bytes = None;
    s.bytes.server_wire_sent_bytes = None;
    s
}

pub const STATS_URL: &str =
    "Triton statistics extension, GET http://127.0.0.1:18101/v2/models/decode/stats";

/// Triton through kserve-v2: binary REST with the server's statistics,
/// binary gRPC whose statistics could not be read, b64 REST where the
/// server counted more requests than imgwire sent, and cells it cannot take.
pub fn foreign_report() -> BenchReport {
    let mut report = report();
    report.settings.server = "kserve-v2: model decode at http://127.0.0.1:18100 (remote)".into();
    report.settings.server_decoder = None;
    let means = |queue: u64, infer: u64| {
        BTreeMap::from([
            (Stage::ServerQueue, queue),
            (Stage::ServerDeserialize, 95_000),
            (Stage::ServerInfer, infer),
            (Stage::ServerRespond, 12_000),
        ])
    };
    let mut binary_rest = foreign_scenario(PayloadKind::Binary, Protocol::Rest, 0.0121);
    binary_rest.server_stats = Some(ServerStats::new(
        STATS_URL.into(),
        40,
        means(41_000, 1_650_000),
    ));
    let mut binary_grpc = foreign_scenario(PayloadKind::Binary, Protocol::Grpc, 0.0118);
    binary_grpc.server_stats = Some(ServerStats::failed(
        STATS_URL.into(),
        "GET http://127.0.0.1:18101/v2/models/decode/stats: 403 Forbidden".into(),
    ));
    let mut b64_rest = foreign_scenario(PayloadKind::B64, Protocol::Rest, 0.0163);
    b64_rest.server_stats = Some(ServerStats::new(
        STATS_URL.into(),
        44,
        means(38_000, 1_720_000),
    ));
    report.scenarios = vec![b64_rest, binary_rest, binary_grpc];
    let cannot = |payload, protocol, reason: &str| NotApplicable {
        payload,
        protocol,
        reason: reason.into(),
    };
    let bytes_input = "the model's input image is BYTES: the FP32 basic tensor does not fit it";
    report.not_applicable = vec![
        cannot(PayloadKind::Basic, Protocol::Rest, bytes_input),
        cannot(PayloadKind::Basic, Protocol::Grpc, bytes_input),
        cannot(
            PayloadKind::B64,
            Protocol::Grpc,
            "the model reads base64 text from JSON only, not from gRPC raw contents",
        ),
    ];
    report
}
