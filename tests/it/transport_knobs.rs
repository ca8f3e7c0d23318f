//! The transport knobs reach the wire: gzip shrinks what the
//! sockets carry on REST and gRPC alike, the REST pool caps the connections
//! the server sees, the servers count the same bytes the client sent, and
//! the report splits the gRPC-vs-REST gap by factor.

use crate::common;

use common::{bench, scenarios, server_config, start_servers};
use imgwire::protocol::Protocol;
use imgwire::transport::Client;
use imgwire::wire::payload::serialize;
use imgwire::wire::PayloadKind;
use std::sync::Arc;

const SMALL: &[&str] = &[
    "--concurrency",
    "3",
    "--bursts",
    "2",
    "--warmup",
    "1",
    "--payloads",
    "binary",
];

fn run(extra: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let mut args = SMALL.to_vec();
    if !extra.contains(&"--sizes") {
        args.extend_from_slice(&["--sizes", "120x160"]);
    }
    args.extend_from_slice(extra);
    let (result, report) = bench(dir.path(), &args);
    result.expect("bench succeeds");
    report.expect("JSON written")
}

fn bytes(s: &serde_json::Value, field: &str) -> f64 {
    s["bytes"][field]
        .as_f64()
        .unwrap_or_else(|| panic!("{field}"))
}

#[test]
fn gzip_shrinks_the_wire_on_rest_and_grpc_and_the_server_reads_it_all() {
    // Smooth raw frames compress about 3x; the server decodes nothing.
    let common = [
        "--sizes",
        "360x640",
        "--protocols",
        "rest,rest-h2,grpc",
        "--encoder",
        "none",
        "--content",
        "smooth",
        "--server-decoder",
        "none",
    ];
    let plain = run(&common);
    let gzip = run(&[&common[..], &["--compression", "gzip"]].concat());
    assert_eq!(gzip["settings"]["compression"], "gzip");
    for (p, g) in scenarios(&plain).iter().zip(scenarios(&gzip)) {
        let label = format!("{} {}", g["payload"], g["protocol"]);
        assert_eq!(g["errors"], 0, "{label}: {}", g["error_examples"]);
        let body = bytes(g, "request_body_bytes");
        assert!(bytes(p, "wire_sent_bytes") > body, "{label}");
        assert!(
            bytes(g, "wire_sent_bytes") < body / 2.0,
            "{label}: gzip sent {} of a {body}-byte body",
            bytes(g, "wire_sent_bytes")
        );
        // Both ends of the connection agree on what crossed it.
        for s in [p, g] {
            let (sent, read) = (
                bytes(s, "wire_sent_bytes"),
                bytes(s, "server_wire_received_bytes"),
            );
            assert!((read - sent).abs() <= 64.0, "{label}: {read} vs {sent}");
        }
    }
}

#[test]
fn the_rest_pool_caps_the_connections_the_server_accepts() {
    let servers = start_servers(server_config(&["--server-decoder", "none"]));
    let url = servers.url(Protocol::Rest);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for (pool, concurrency) in [(2usize, 6usize), (6, 6)] {
        let before = servers.wire.rest.connections();
        let settings = common::client_settings(concurrency, pool);
        runtime.block_on(async {
            let client = Arc::new(
                Client::connect(Protocol::Rest, &url, &settings)
                    .await
                    .unwrap(),
            );
            for _round in 0..3 {
                let calls: Vec<_> = (0..concurrency)
                    .map(|worker| {
                        let client = client.clone();
                        tokio::spawn(async move {
                            let request =
                                serialize(Protocol::Rest, PayloadKind::Basic, None).unwrap();
                            client.call(worker, request).await.map(|_| ())
                        })
                    })
                    .collect();
                for call in calls {
                    call.await.unwrap().unwrap();
                }
            }
        });
        let opened = servers.wire.rest.connections() - before;
        assert!(
            (1..=pool as u64).contains(&opened),
            "pool {pool}: the server accepted {opened} connections"
        );
    }
}

#[test]
fn the_report_splits_grpc_vs_rest_by_factor() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("out.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_imgwire"))
        .args(["bench", "--brief", "--json", json.to_str().unwrap()])
        .args(SMALL)
        .args([
            "--sizes",
            "120x160",
            "--protocols",
            "rest,rest-h2,grpc",
            "--rest-pool",
            "2",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("transport: REST/1.1 pool 2,"), "{stdout}");
    let table = stdout
        .split("Where gRPC and REST/1.1 part")
        .nth(1)
        .expect("the factor table");
    let row = table
        .lines()
        .find(|l| l.trim_start().starts_with("120x160"))
        .expect("a row for the size");
    // REST/1.1, then HTTP/2's share, gRPC framing's share and the total gap,
    // each as (value, how far off it may be): "+<0.0001" is a difference
    // below the last place shown, so 0 give or take that place.
    let cells: Vec<(f64, f64)> = row
        .split_whitespace()
        .filter_map(
            |w| match w.trim_start_matches(['+', '-']).strip_prefix('<') {
                Some(place) => place.parse().ok().map(|place| (0.0, place)),
                None => w.parse().ok().map(|value| (value, 0.0)),
            },
        )
        .collect();
    assert!(cells.len() >= 4, "{row}");
    let (h2, framing, total) = (cells[1], cells[2], cells[3]);
    let slack = 2e-4 + h2.1 + framing.1 + total.1;
    assert!((h2.0 + framing.0 - total.0).abs() < slack, "{row}");
}

#[test]
fn a_compression_sweep_runs_none_then_gzip() {
    let report = run(&["--sweep", "compression", "--protocols", "rest,grpc"]);
    let points = report["points"].as_array().unwrap();
    let values: Vec<&str> = points
        .iter()
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["none", "gzip"]);
    for point in points {
        assert_eq!(point["report"]["settings"]["compression"], point["value"]);
        for s in point["report"]["scenarios"].as_array().unwrap() {
            assert_eq!(s["errors"], 0, "{}", s["error_examples"]);
        }
    }
}
