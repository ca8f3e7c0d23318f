//! Every exporter over one fixed, hand-built result set (tests/common/
//! fixture.rs), compared whole against reviewed snapshots
//! (tests/snapshots/): the terminal tables, the JSON, the CSV and the
//! trace. A change to any output shows up here as a diff to review
//! (`cargo insta review`, or INSTA_UPDATE=always).

use crate::common;

use common::fixture::{foreign_report, report, STATS_URL};
use imgwire::encoders::{EncoderKind, Subsampling};
use imgwire::link::LinkSpec;
use imgwire::output::OutputPath;
use imgwire::protocol::Protocol;
use imgwire::report::csv::CsvExporter;
use imgwire::report::json::JsonExporter;
use imgwire::report::markdown::MarkdownExporter;
use imgwire::report::records::{BurstResult, RequestRecord};
use imgwire::report::server_stats::{ServerStats, SERVER_STATS_LABEL};
use imgwire::report::trace::Trace;
use imgwire::report::{table, BenchReport, Exporter, RelayCost};
use imgwire::stage::Stage;
use std::collections::BTreeMap;
use std::time::Duration;

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
        added_percent_ci95: Some([31.0, 72.0]),
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
        row.is_some_and(|r| r.contains("binary,grpc,") && r.contains(",none,,,40,,")),
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
        image_bytes: 0,
        timing_warning: None,
        trace_id: [0; 16],
        span_id: [0; 8],
    };
    let burst = |started_us: u64| BurstResult {
        started: Duration::from_micros(started_us),
        elapsed: Duration::from_micros(1200),
        span: Duration::from_micros(1200),
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

/// The header counts the warm-up bursts each scenario ran (`--warmup`, and
/// more while they disagreed), not only the `--warmup` asked for; and says
/// which protocols a target chose where `--protocols` was not given.
#[test]
fn the_header_counts_the_warm_up_that_ran_and_the_protocols_chosen() {
    let view = table::View {
        brief: true,
        width: None,
    };
    let mut report = report();
    let first = report.settings.warmup_bursts;
    for (i, s) in report.scenarios.iter_mut().enumerate() {
        s.load.warmup_extra = i % 4;
    }
    let most = report
        .scenarios
        .iter()
        .map(|s| first + s.load.warmup_extra)
        .max();
    let header = table::render(&report, view);
    let said = format!("after {first} to {} warm-up bursts each", most.unwrap());
    assert!(header.contains(&said), "{header}");
    assert!(!header.contains("protocols: "), "{header}");
    report.settings.protocols_chosen = Some("rest,grpc (the target's default)".into());
    let header = table::render(&report, view);
    assert!(
        header.contains("\nprotocols: rest,grpc (the target's default)\n"),
        "{header}"
    );
}
