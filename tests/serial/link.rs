//! The `--link` relay behaves as its arithmetic says, forwarding with
//! splice(2) or through user-space copies: a known payload over a 100 Mbit/s,
//! 20 ms link (and over 1 Gbit/s, 2 ms, on one connection) takes its
//! serialization time plus one round trip, within 10 %, and every byte
//! arrives as it was sent. (The relay's timing is its function, not a
//! performance figure.) A busy machine can slow any one try, so the upper
//! bound is checked on the best of a few; the lower bound on every one.

use crate::common;

use imgwire::link::{Forwarding, LinkSpec, Relay};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The tests of this file take turns: the timing checks must not share the
/// machine's two cores with a bench run.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    crate::one_at_a_time()
}

/// Sends `payload` bytes over one connection through a relay with `spec`;
/// the sink answers one byte once it has the whole payload.
async fn send_through_relay(spec: LinkSpec, forwarding: Forwarding, payload: usize) -> Duration {
    let sink = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = sink.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let (mut stream, _) = sink.accept().await.unwrap();
        let mut buffer = vec![0u8; payload];
        stream.read_exact(&mut buffer).await.unwrap();
        stream.write_all(&[1]).await.unwrap();
    });
    let relay = Relay::start(spec, forwarding, target).await.unwrap();
    let mut client = tokio::net::TcpStream::connect(relay.addr).await.unwrap();
    let data = vec![7u8; payload];
    let start = Instant::now();
    client.write_all(&data).await.unwrap();
    let mut reply = [0u8; 1];
    client.read_exact(&mut reply).await.unwrap();
    start.elapsed()
}

/// Checks that `payload` bytes over `spec` take the serialization time plus
/// one round trip (`expected`), within 10 %, allowing on top what the same
/// bytes take through a relay with no limits (the machine's copying, which
/// the report measures and shows apart as the relay's own cost).
fn one_connection_takes_the_arithmetic(spec: &str, payload: usize, expected: Duration) {
    for forwarding in [Forwarding::Splice, Forwarding::Copy] {
        takes_the_arithmetic(spec, forwarding, payload, expected);
    }
}

/// Tries at most, each a same-run pair: the relay alone, then the link.
const TRIES: usize = 7;

/// Never faster than the link allows, on every try: that bound holds however
/// busy the machine is. Never slower than the link plus the relay's own
/// copying (measured just before, in the same try) by more than 10 %, on
/// the best try: on a busy machine another process can take the cores (or
/// wake the relay's timers late) for any one try, never for the link's
/// arithmetic itself; a relay that cannot keep the pace fails every try.
fn takes_the_arithmetic(spec: &str, forwarding: Forwarding, payload: usize, expected: Duration) {
    let _alone = serial();
    let spec: LinkSpec = spec.parse().unwrap();
    assert_eq!(spec.serialization(payload) + spec.rtt, expected);
    let unlimited: LinkSpec = "bw=inf,rtt=0ms".parse().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut tries = Vec::new();
    for _ in 0..TRIES {
        let own_cost = runtime.block_on(send_through_relay(unlimited, forwarding, payload));
        let took = runtime.block_on(send_through_relay(spec, forwarding, payload));
        eprintln!(
            "{payload} bytes over {spec:?} ({forwarding:?}): took {took:?}; arithmetic says {expected:?}, plus {own_cost:?} with no limits"
        );
        assert!(
            took >= expected.mul_f64(0.9),
            "{forwarding:?}: took {took:?}, faster than the link allows ({expected:?})"
        );
        tries.push((took, own_cost));
        if took <= (expected + own_cost).mul_f64(1.1) {
            return;
        }
    }
    panic!(
        "{forwarding:?}: slower than the arithmetic ({expected:?}, +10 % and the relay's own \
         cost) on all {TRIES} tries (took, own cost): {tries:?}"
    );
}

#[test]
fn a_known_payload_takes_what_the_link_arithmetic_says() {
    // 1.25 MB at 100 Mbit/s is 100 ms, plus a 20 ms round trip.
    one_connection_takes_the_arithmetic(
        "bw=100mbit,rtt=20ms",
        1_250_000,
        Duration::from_millis(120),
    );
}

#[test]
fn one_connection_fills_a_fast_link() {
    // At 1 Gbit/s a relay chunk takes about 1 ms, no more than a timer tick
    // (often less than a late one): the relay must read far enough ahead that
    // one busy connection (HTTP/2's case) still fills the link. 12.5 MB is
    // 100 ms, plus 2 ms round trip; a relay one chunk ahead took 165 ms.
    one_connection_takes_the_arithmetic("bw=1gbit,rtt=2ms", 12_500_000, Duration::from_millis(102));
}

/// Echoes whatever arrives until the client closes its side.
async fn echo_once(listener: tokio::net::TcpListener) {
    let (mut stream, _) = listener.accept().await.unwrap();
    let (mut read, mut write) = stream.split();
    tokio::io::copy(&mut read, &mut write).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_byte_arrives_in_order_both_ways() {
    // 5 MB of a pattern that repeats every 251 bytes (a prime, so no chunk
    // or pipe boundary lines up with it), through a link slow enough that
    // many chunks wait in pipes at once.
    let sent: Vec<u8> = (0..5_000_000u32).map(|i| (i % 251) as u8).collect();
    for forwarding in [Forwarding::Splice, Forwarding::Copy] {
        let echo = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = echo.local_addr().unwrap().to_string();
        let server = tokio::spawn(echo_once(echo));
        let spec: LinkSpec = "bw=2gbit,rtt=4ms".parse().unwrap();
        let relay = Relay::start(spec, forwarding, target).await.unwrap();
        let client = tokio::net::TcpStream::connect(relay.addr).await.unwrap();
        let (mut read, mut write) = client.into_split();
        let payload = sent.clone();
        let writer = tokio::spawn(async move {
            write.write_all(&payload).await.unwrap();
            write.shutdown().await.unwrap();
        });
        let mut received = Vec::new();
        read.read_to_end(&mut received).await.unwrap();
        writer.await.unwrap();
        server.await.unwrap();
        assert_eq!(received.len(), sent.len(), "{forwarding:?}");
        assert!(
            received == sent,
            "{forwarding:?}: the bytes changed on the way"
        );
    }
}

#[test]
fn bench_runs_through_an_emulated_link_and_says_so() {
    let _alone = serial();
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
    let shaping = report["settings"]["link_shaping"].as_str().unwrap();
    assert!(shaping.contains("read/write copies"), "{shaping}");
    // The relay's own cost was measured first, on the run's largest size.
    let cost = &report["relay_cost"];
    assert_eq!(cost["scenario"], "48x64 binary REST", "{cost}");
    assert!(cost["direct_burst_mean_ns"].as_f64().unwrap() > 0.0);
    assert!(cost["relayed_burst_mean_ns"].as_f64().unwrap() > 0.0);
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
