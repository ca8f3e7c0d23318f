//! Every exporter over one fixed, hand-built result set, compared whole
//! against reviewed snapshots (tests/snapshots/): the terminal tables, the
//! JSON, the CSV and the trace. A change to any output shows up here as a
//! diff to review (`cargo insta review`, or INSTA_UPDATE=always).

use imgwire::encode::{EncoderKind, Subsampling};
use imgwire::frame::Size;
use imgwire::link::LinkSpec;
use imgwire::output::OutputPath;
use imgwire::profile::{HotFunction, ProfileSummary};
use imgwire::protocol::Protocol;
use imgwire::report::csv::CsvExporter;
use imgwire::report::json::JsonExporter;
use imgwire::report::markdown::MarkdownExporter;
use imgwire::report::records::{BurstResult, RequestRecord};
use imgwire::report::server_stats::{NotApplicable, ServerStats, SERVER_STATS_LABEL};
use imgwire::report::trace::Trace;
use imgwire::report::{
    table, BenchReport, BurstTimes, ByteCounts, Exporter, RelayCost, Scenario, ScenarioReport,
    Settings, Summary,
};
use imgwire::server::ServerDecoder;
use imgwire::stage::{Side, Stage};
use imgwire::wire::gzip::Compression;
use imgwire::wire::PayloadKind;
use std::collections::BTreeMap;
use std::time::Duration;

const SIZE: Size = Size {
    height: 360,
    width: 640,
};

fn summary(mean_us: u64) -> Summary {
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

/// Stage means in microseconds; `scale` sets one protocol apart.
fn stages(image: bool, scale: u64) -> BTreeMap<Stage, Summary> {
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

fn scenario(payload: PayloadKind, protocol: Protocol, seconds: f64, scale: u64) -> ScenarioReport {
    let image = payload.carries_image();
    let body: u64 = if image { 272_000 } else { 1_100 };
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
        content: if image { "noise" } else { "structured" }.into(),
        requests: 40,
        errors: 0,
        error_examples: Vec::new(),
        timing_warnings: 0,
        burst: BurstTimes {
            count: 10,
            mean_ns: ns,
            p50_ns: ns / 20 * 19,
            p99_ns: ns / 10 * 14,
            min_ns: ns / 10 * 9,
            max_ns: ns / 10 * 15,
        },
        warmup_burst_ns: vec![ns * 2],
        stages: stages(image, scale),
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
        server_stats: None,
        profile: None,
        load: Default::default(),
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
        compression: Compression::None,
        link: None,
        link_shaping: None,
        client_threads: 2,
        server_threads: Some(2),
        load: Default::default(),
    }
}

/// Basic and binary at 360x640 over REST, gRPC and the floor; gRPC's binary
/// cell carries a profile summary.
fn report() -> BenchReport {
    let mut scenarios = vec![
        scenario(PayloadKind::Basic, Protocol::Rest, 0.0012, 1),
        scenario(PayloadKind::Basic, Protocol::Grpc, 0.0019, 1),
        scenario(PayloadKind::Binary, Protocol::Rest, 0.0101, 1),
        scenario(PayloadKind::Binary, Protocol::Grpc, 0.0143, 3),
        scenario(PayloadKind::Binary, Protocol::Tcp, 0.0040, 1),
    ];
    scenarios[3].profile = Some(ProfileSummary {
        files: vec!["fg/360x640-binary-grpc-client.svg".into()],
        sampling_hz: 997,
        client_samples: 120,
        server_samples: 340,
        hottest_side: Side::Client,
        hottest: vec![HotFunction {
            function: "memcpy".into(),
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
        not_applicable: Vec::new(),
        scenarios,
    }
}

/// A scenario against a server that is not imgwire's: no Server-Timing, so
/// the server's time stays in `transport`, and no server socket counts.
fn foreign_scenario(payload: PayloadKind, protocol: Protocol, seconds: f64) -> ScenarioReport {
    let mut s = scenario(payload, protocol, seconds, 1);
    let server_us: u64 = Stage::SERVER
        .iter()
        .filter_map(|stage| s.stages.remove(stage))
        .map(|m| m.mean_ns / 1000)
        .sum();
    s.stages.insert(Stage::Transport, summary(900 + server_us));
    s.dominant_stage = Some(Stage::Transport);
    s.bytes.server_wire_received_bytes = None;
    s.bytes.server_wire_sent_bytes = None;
    s
}

const STATS_URL: &str =
    "Triton statistics extension, GET http://127.0.0.1:18101/v2/models/decode/stats";

/// Triton through kserve-v2: binary REST with the server's statistics,
/// binary gRPC whose statistics could not be read, b64 REST where the
/// server counted more requests than imgwire sent, and cells it cannot take.
fn foreign_report() -> BenchReport {
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

fn text(exporter: &dyn Exporter, report: &BenchReport) -> String {
    String::from_utf8(exporter.render(report).unwrap()).unwrap()
}

#[test]
fn terminal_tables() {
    let view = |brief, width| table::View { brief, width };
    let full = table::render(&report(), view(false, Some(table::WIDTH)));
    assert!(
        full.lines().all(|l| l.chars().count() <= table::WIDTH),
        "a line passes {} columns:\n{full}",
        table::WIDTH
    );
    insta::assert_snapshot!("tables_full", full);
    insta::assert_snapshot!(
        "tables_brief",
        table::render(&report(), view(true, Some(table::WIDTH)))
    );
    insta::assert_snapshot!("tables_wide", table::render(&report(), view(false, None)));
}

#[test]
fn terminal_tables_under_a_link() {
    let mut report = report();
    report.settings.link = Some(LinkSpec {
        bits_per_second: Some(1e9),
        rtt: Duration::from_millis(2),
    });
    report.settings.link_shaping = Some("emulated by a relay inside imgwire".into());
    report.relay_cost = Some(RelayCost {
        scenario: "360x640 binary REST".into(),
        bursts: 3,
        direct_burst_mean_ns: 10_000_000,
        relayed_burst_mean_ns: 15_000_000,
        added_percent: 50.0,
    });
    let view = table::View {
        brief: true,
        width: Some(table::WIDTH),
    };
    insta::assert_snapshot!("tables_link", table::render(&report, view));
}

#[test]
fn terminal_tables_for_a_foreign_server() {
    let report = foreign_report();
    let view = |width| table::View {
        brief: false,
        width,
    };
    let full = table::render(&report, view(Some(table::WIDTH)));
    assert!(
        full.lines().all(|l| l.chars().count() <= table::WIDTH),
        "a line passes {} columns:\n{full}",
        table::WIDTH
    );
    assert_eq!(full.matches(SERVER_STATS_LABEL).count(), 3, "{full}");
    insta::assert_snapshot!("tables_foreign", full);
    insta::assert_snapshot!("tables_foreign_wide", table::render(&report, view(None)));
}

#[test]
fn exports_for_a_foreign_server() {
    let report = foreign_report();
    insta::assert_snapshot!("json_foreign", text(&JsonExporter, &report));
    insta::assert_snapshot!("csv_foreign", text(&CsvExporter, &report));
    insta::assert_snapshot!("markdown_foreign", text(&MarkdownExporter, &report));
}

#[test]
fn a_server_that_counts_requests_but_times_nothing_says_so() {
    let mut report = foreign_report();
    let grpc = &mut report.scenarios[2];
    assert_eq!(grpc.label(), "360x640 binary gRPC");
    grpc.server_stats = Some(ServerStats::new(STATS_URL.into(), 40, BTreeMap::new()));
    let view = table::View {
        brief: false,
        width: None,
    };
    let tables = table::render(&report, view);
    let expected = format!(
        "  no stage times {SERVER_STATS_LABEL}: the server counted 40 requests but timed none \
         of them; source: {STATS_URL}\n"
    );
    assert!(tables.ends_with(&expected), "{tables}");
    assert!(
        tables.contains("its statistics give no split (below)"),
        "{tables}"
    );
    let csv = text(&CsvExporter, &report);
    let row = csv
        .lines()
        .find(|l| l.contains(",server_stats,\"the server counted"));
    assert!(
        row.is_some_and(|r| r.contains("binary,grpc,") && r.contains(",remote,,40,,")),
        "{csv}"
    );
}

#[test]
fn every_csv_row_has_every_column() {
    for report in [report(), foreign_report()] {
        let csv = text(&CsvExporter, &report);
        let columns = |line: &str| {
            let mut quoted = false;
            let commas = line.chars().filter(|&c| {
                quoted ^= c == '"';
                c == ',' && !quoted
            });
            commas.count() + 1
        };
        let header = columns(csv.lines().next().unwrap());
        for line in csv.lines() {
            assert_eq!(columns(line), header, "{line}");
        }
    }
}

#[test]
fn json() {
    insta::assert_snapshot!("json", text(&JsonExporter, &report()));
}

#[test]
fn markdown() {
    insta::assert_snapshot!("markdown", text(&MarkdownExporter, &report()));
}

#[test]
fn csv() {
    insta::assert_snapshot!("csv", text(&CsvExporter, &report()));
}

#[test]
fn trace() {
    let record = |worker: usize, started_us: u64| RequestRecord {
        worker,
        started: Duration::from_micros(started_us),
        roundtrip: Duration::from_micros(900),
        stages: vec![
            (Stage::Serialize, Duration::from_micros(100)),
            (Stage::Transport, Duration::from_micros(500)),
            (Stage::ServerReceive, Duration::from_micros(150)),
            (Stage::ServerDecode, Duration::from_micros(250)),
            (Stage::Response, Duration::from_micros(20)),
            (Stage::Wall, Duration::from_micros(1030)),
        ],
        request_bytes: 1000,
        response_bytes: 200,
        timing_warning: None,
    };
    let burst = |started_us: u64| BurstResult {
        started: Duration::from_micros(started_us),
        elapsed: Duration::from_micros(1200),
        records: vec![record(0, started_us), record(1, started_us + 10)],
        errors: Vec::new(),
    };
    let mut trace = Trace::default();
    trace.add_scenario("360x640 binary REST", &[burst(0)], &[burst(2000)]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.json");
    trace.write(&OutputPath::new(&path, "--trace")).unwrap();
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    insta::assert_json_snapshot!("trace", written);
}

#[test]
fn the_header_states_what_ran() {
    let brief = table::View {
        brief: true,
        width: Some(table::WIDTH),
    };
    let mut report = report();
    report.settings.encoder = EncoderKind::None;
    report.settings.quality = None;
    report.settings.subsampling = None;
    report.settings.bursts = 1;
    report.settings.warmup_bursts = 0;
    report
        .scenarios
        .retain(|s| s.scenario.protocol != Protocol::Tcp);
    let text = table::render(&report, brief);
    assert!(
        text.contains("encoder: none (raw RGB bytes, no compression)"),
        "{text}"
    );
    assert!(text.contains("x 1 counted burst (no warm-up)"), "{text}");
    assert!(
        !text.contains("TCP is the floor"),
        "no floor in this run: {text}"
    );
    report.settings.encoder = EncoderKind::ImageRs;
    report.settings.quality = Some(95);
    report.settings.subsampling = Some(Subsampling::S444);
    assert!(table::render(&report, brief).contains("encoder: image-rs q95 4:4:4"));
}
