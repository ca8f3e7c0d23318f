//! The `tcp` floor moves the request body one way and the smallest answer
//! a built-in server gives back (gRPC's prediction), so it is a lower bound
//! for every protocol; the socket counters on both sides show it.

mod common;

use common::{bench, scenarios};

#[test]
fn the_floor_sends_the_body_one_way_and_the_smallest_answer_back() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--sizes",
        "240x320",
        "--payloads",
        "basic,binary",
        "--protocols",
        "rest,grpc,tcp",
        "-c",
        "2",
        "--bursts",
        "2",
        "--warmup",
        "0",
    ];
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
