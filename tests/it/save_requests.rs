//! `--save-requests DIR`: the files hold exactly what imgwire sends, so
//! another load generator replaying them gets the answer imgwire got.

use crate::common;

use common::raw_http::{http, Exchange};
use prost::Message;

fn run_bench(args: &[&str]) -> imgwire::report::BenchReport {
    let mut argv = vec!["--bursts", "1", "--warmup", "0", "-c", "2"];
    argv.extend_from_slice(args);
    common::bench_report(&argv).expect("the bench runs")
}

/// Sends a saved REST request (`.http` head, `.body`) over a plain socket
/// and returns the answer.
fn replay_rest(addr: std::net::SocketAddr, head: &str, body: &[u8]) -> Exchange {
    let mut lines = head.lines();
    let request_line = lines.next().expect("a request line");
    let (method, path) = request_line.split_once(' ').expect("METHOD PATH");
    let headers: Vec<(&str, &str)> = lines
        .map(|line| line.split_once(": ").expect("name: value"))
        .collect();
    http(addr, method, path, &headers, body)
}

#[test]
fn saved_requests_replay_to_the_same_answer() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("requests");
    let report = run_bench(&[
        "--sizes",
        "48x64",
        "--payloads",
        "b64,binary",
        "--protocols",
        "rest,grpc",
        "--save-requests",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(report.scenarios.len(), 4);

    // REST: replayed by hand to a fresh built-in server, it is answered.
    let servers = common::start_servers(common::default_server_config());
    for payload in ["b64", "binary"] {
        let stem = saved.join(format!("48x64-{payload}-rest"));
        let head = std::fs::read_to_string(stem.with_extension("http")).unwrap();
        let body = std::fs::read(stem.with_extension("body")).unwrap();
        let answer = replay_rest(servers.rest_addr, &head, &body);
        assert_eq!(answer.status, 200, "{payload}: {}", answer.text());
        let answer = answer.json();
        assert_eq!(answer["prediction1"].as_array().unwrap().len(), 100);
    }

    // gRPC: one framed message whose image is the JPEG of the declared size.
    let stem = saved.join("48x64-binary-grpc");
    let head = std::fs::read_to_string(stem.with_extension("http")).unwrap();
    assert!(
        head.starts_with("POST /imgwire.v1.ImageService/BinaryImage\n"),
        "{head}"
    );
    assert!(head.contains("content-type: application/grpc\n"), "{head}");
    let framed = std::fs::read(stem.with_extension("body")).unwrap();
    let length = u32::from_be_bytes(framed[1..5].try_into().unwrap()) as usize;
    assert_eq!((framed[0], length), (0, framed.len() - 5));
    let message = imgwire::wire::proto::imgwire::BinaryImageRequest::decode(&framed[5..]).unwrap();
    assert_eq!(&message.image[..2], &[0xff, 0xd8]);
    let info = message.info.unwrap();
    assert_eq!((info.width, info.height), (64, 48));
}
