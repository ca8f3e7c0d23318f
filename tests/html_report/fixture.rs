//! A fixed, hand-built result set for the HTML exporter's tests: basic and
//! binary at 360x640 over REST, gRPC and the tcp floor, gRPC's binary cell
//! with a profile, and one cell the target cannot take.

use imgwire::encode::{EncoderKind, Subsampling};
use imgwire::frame::Size;
use imgwire::profile::{HotFunction, ProfileSummary};
use imgwire::protocol::Protocol;
use imgwire::report::server_stats::NotApplicable;
use imgwire::report::{
    BenchReport, BurstTimes, ByteCounts, Scenario, ScenarioReport, Settings, Summary,
};
use imgwire::server::ServerDecoder;
use imgwire::stage::{Side, Stage};
use imgwire::wire::PayloadKind;
use std::collections::BTreeMap;

pub const SIZE: Size = Size {
    height: 360,
    width: 640,
};

/// A summary around `mean_us`, percentiles rising from p50 to max.
pub fn summary(mean_us: u64) -> Summary {
    let ns = mean_us * 1000;
    Summary {
        count: 40,
        mean_ns: ns,
        p50_ns: ns - ns / 10,
        p90_ns: ns + ns / 5,
        p99_ns: ns * 2,
        max_ns: ns * 3,
    }
}

/// A scenario whose request stages have these means (µs); wall is their sum.
pub fn scenario(payload: PayloadKind, protocol: Protocol, seconds: f64) -> ScenarioReport {
    let image = payload.carries_image();
    let scale = if protocol == Protocol::Grpc { 2 } else { 1 };
    let mut means = vec![
        (Stage::Serialize, 150),
        (Stage::Transport, 900 * scale),
        (Stage::Response, 15),
        (Stage::Residual, 5),
    ];
    if protocol != Protocol::Tcp {
        means.extend([(Stage::ServerReceive, 400), (Stage::ServerDecode, 1800)]);
    }
    let wall = means.iter().map(|(_, m)| m).sum();
    means.push((Stage::Wall, wall));
    let stages: BTreeMap<Stage, Summary> =
        means.into_iter().map(|(s, m)| (s, summary(m))).collect();
    let ns = (seconds * 1e9) as u64;
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
        content: "noise".into(),
        requests: 40,
        errors: 0,
        error_examples: Vec::new(),
        timing_warnings: 0,
        burst: BurstTimes {
            count: 10,
            mean_ns: ns,
            p50_ns: ns,
            p99_ns: ns * 2,
            min_ns: ns / 2,
            max_ns: ns * 2,
        },
        warmup_burst_ns: vec![ns * 2],
        stages,
        residual_share: 0.001,
        dominant_stage: Some(Stage::ServerDecode),
        bytes: ByteCounts {
            request_body_bytes: if image { 272_000 } else { 1_100 },
            ..ByteCounts::default()
        },
        server_stats: None,
        profile: None,
    }
}

fn settings() -> Settings {
    Settings {
        concurrency: 4,
        bursts: 10,
        warmup_bursts: 1,
        frames: "noise (seed 1); one frame reused by every request".into(),
        frame_pool_size: 1,
        encoder: EncoderKind::Turbojpeg,
        quality: Some(95),
        subsampling: Some(Subsampling::S420),
        server: "built-in, in process".into(),
        server_decoder: Some(ServerDecoder::Turbojpeg),
        infer_ns: 0,
        max_message_bytes: 64 << 20,
        rest_target: "http://127.0.0.1:8080".into(),
        grpc_target: "http://127.0.0.1:50051".into(),
        tcp_target: "tcp://127.0.0.1:50052".into(),
        h2: Default::default(),
        grpc_channels: 1,
        rest_pool: 4,
        compression: imgwire::wire::gzip::Compression::None,
        link: None,
        link_shaping: None,
        client_threads: 2,
        server_threads: Some(2),
    }
}

/// The result set; gRPC's binary flamegraphs were written to `fg/`.
pub fn report() -> BenchReport {
    let mut scenarios = vec![
        scenario(PayloadKind::Basic, Protocol::Rest, 0.0012),
        scenario(PayloadKind::Basic, Protocol::Grpc, 0.0019),
        scenario(PayloadKind::Binary, Protocol::Rest, 0.0101),
        scenario(PayloadKind::Binary, Protocol::Grpc, 0.0143),
        scenario(PayloadKind::Binary, Protocol::Tcp, 0.0040),
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
        hottest: vec![HotFunction {
            function: "decode_mcu<&>".into(),
            self_share: 0.25,
        }],
        warnings: Vec::new(),
    });
    BenchReport {
        schema_version: imgwire::report::SCHEMA_VERSION,
        imgwire_version: "0.1.0",
        run_id: "2026-11-25T15:45:12Z-4242".into(),
        complete: true,
        settings: settings(),
        relay_cost: None,
        connects: Vec::new(),
        not_applicable: vec![NotApplicable {
            payload: PayloadKind::B64,
            protocol: Protocol::Grpc,
            reason: "the model reads base64 text from JSON only".into(),
        }],
        scenarios,
    }
}
