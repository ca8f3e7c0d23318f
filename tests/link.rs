//! The `--link` relay behaves as its arithmetic says: a known payload over a
//! 100 Mbit/s, 20 ms link takes its serialization time plus one round trip,
//! within 10 %. (The issue asks for this check; the relay's timing is its
//! function, not a performance figure.)

mod common;

use imgwire::link::{LinkSpec, Relay};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PAYLOAD: usize = 1_250_000; // 100 ms at 100 Mbit/s

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_payload_takes_what_the_link_arithmetic_says() {
    // A sink that answers one byte once it has the whole payload.
    let sink = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = sink.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let (mut stream, _) = sink.accept().await.unwrap();
        let mut buffer = vec![0u8; PAYLOAD];
        stream.read_exact(&mut buffer).await.unwrap();
        stream.write_all(&[1]).await.unwrap();
    });
    let spec: LinkSpec = "bw=100mbit,rtt=20ms".parse().unwrap();
    let relay = Relay::start(spec, target).await.unwrap();
    let mut client = tokio::net::TcpStream::connect(relay.addr).await.unwrap();
    let start = Instant::now();
    client.write_all(&vec![7u8; PAYLOAD]).await.unwrap();
    let mut reply = [0u8; 1];
    client.read_exact(&mut reply).await.unwrap();
    let took = start.elapsed();
    let expected = spec.serialization(PAYLOAD) + spec.rtt; // 100 ms + 20 ms
    assert_eq!(expected, Duration::from_millis(120));
    eprintln!("1.25 MB over 100 Mbit/s, 20 ms: took {took:?}, arithmetic says {expected:?}");
    let error = (took.as_secs_f64() / expected.as_secs_f64() - 1.0).abs();
    assert!(error <= 0.10, "took {took:?}, arithmetic says {expected:?}");
}

#[test]
fn bench_runs_through_an_emulated_link_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (result, report) = common::bench(
        dir.path(),
        &[
            "--sizes",
            "48x64",
            "--bursts",
            "2",
            "--warmup",
            "1",
            "--concurrency",
            "2",
            "--link",
            "bw=1gbit,rtt=2ms",
        ],
    );
    result.unwrap();
    let report = report.expect("JSON written");
    assert_eq!(report["settings"]["link"]["bits_per_second"], 1e9);
    for s in common::scenarios(&report) {
        assert_eq!(s["errors"], 0, "{}", s["error_examples"]);
        // Every request crossed the link at least once each way.
        assert!(
            s["stages"]["wall"]["p50_ns"].as_u64().unwrap() >= 2_000_000,
            "{}",
            s["stages"]["wall"]
        );
    }
}
