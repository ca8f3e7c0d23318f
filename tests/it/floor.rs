//! The `tcp` floor moves the request body one way and the smallest answer
//! a built-in server gives back (gRPC's prediction), so it is a lower bound
//! for every protocol; the socket counters on both sides show it.

use crate::common;

use common::{bench, scenarios, SmallRun, SMALL_RUN};

#[test]
fn the_floor_sends_the_body_one_way_and_the_smallest_answer_back() {
    let dir = tempfile::tempdir().unwrap();
    let load = SmallRun {
        size: "240x320",
        bursts: "2",
        warmup: "0",
        ..SMALL_RUN
    };
    let mut args = vec!["--payloads", "basic,binary", "--protocols", "rest,grpc,tcp"];
    args.extend(load.args());
    let (result, report) = bench(dir.path(), &args);
    result.unwrap();
    let report = report.unwrap();
    let all = scenarios(&report);
    let find = |payload: &str, protocol: &str| {
        all.iter()
            .find(|s| s["payload"] == payload && s["protocol"] == protocol)
            .unwrap()
    };
    for payload in ["basic", "binary"] {
        let (floor, grpc, rest) = (
            find(payload, "tcp"),
            find(payload, "grpc"),
            find(payload, "rest"),
        );
        let bytes = |s: &serde_json::Value, field: &str| s["bytes"][field].as_u64().unwrap();
        let (body, answer) = (
            bytes(floor, "request_body_bytes"),
            bytes(floor, "response_body_bytes"),
        );
        assert_eq!(answer, bytes(grpc, "response_body_bytes"), "{payload}");
        assert!(answer < bytes(rest, "response_body_bytes"), "{payload}");
        assert_eq!(body, bytes(rest, "request_body_bytes"), "{payload}");
        // The server's sockets: the body and its length in, the answer and
        // its length out; the client's the same the other way.
        assert_eq!(
            bytes(floor, "server_wire_received_bytes"),
            body + 4,
            "{payload}"
        );
        assert_eq!(
            bytes(floor, "server_wire_sent_bytes"),
            answer + 4,
            "{payload}"
        );
        assert_eq!(bytes(floor, "wire_sent_bytes"), body + 4, "{payload}");
        assert_eq!(bytes(floor, "wire_received_bytes"), answer + 4, "{payload}");
        if payload == "binary" {
            assert!(answer * 10 < body, "{payload}: one way, not an echo");
        }
    }
}

/// The scenario lines and the floor table give each protocol one "x floor"
/// figure, by one definition (wire time over the floor's wire time).
#[test]
fn the_scenario_lines_and_the_floor_table_give_the_same_multiple() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_imgwire"))
        .args(["bench", "--payloads", "basic,binary", "--encoder", "none"])
        .args(["--protocols", "rest,grpc,tcp", "--wide"])
        .args(SMALL_RUN.args())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = common::successful_stdout(&out);
    let lines: Vec<&str> = stdout.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.contains("x floor") && l.contains("floor ms"))
        .expect("a floor table");
    assert!(
        lines[header].contains("REST x floor  gRPC x floor"),
        "{}",
        lines[header]
    );
    let mut compared = 0;
    for row in lines[header + 1..]
        .iter()
        .take_while(|l| l.starts_with("  "))
    {
        let cells: Vec<&str> = row.split_whitespace().collect();
        let (size, payload) = (cells[0], cells[1]);
        for (label, table) in [("REST", cells[3]), ("gRPC", cells[4])] {
            let head = format!("{size} {payload} {label}:");
            let start = lines.iter().position(|l| l.starts_with(&head)).unwrap();
            let line = lines[start + 1];
            assert!(
                line.ends_with(&format!("wire time {table} floor")),
                "{head} table {table}, line {line}"
            );
            assert!(!table.starts_with("0.00"), "{table}");
            compared += 1;
        }
    }
    assert_eq!(compared, 4, "{stdout}");
}
