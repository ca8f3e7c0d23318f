//! Connection slots are held by requests, not by bytes: an HTTP/2 peer
//! that only sends PINGs, or holds its streams' answers at a flow-control
//! window of 0 while it PINGs, is closed once `--idle-timeout-s` passes
//! with no request begun or answered, on the REST and the gRPC port, and
//! counted as `idle_closed`; normal clients are served all the while.
//! Raw HTTP/2 frames over TCP on real servers on 127.0.0.1:0, limits made
//! small through the `imgwire serve` flags; each test asserts only that
//! the server acted within a bound far above the limit.

use crate::common;

use common::raw_http::frame;
use imgwire::server::Servers;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// How long a test waits for the server to act on a limit of 500 ms.
const BOUND: Duration = Duration::from_secs(10);

/// How often the hostile peers PING: far more often than the idle limit.
const PING_EVERY: Duration = Duration::from_millis(100);

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

fn servers(flags: &[&str]) -> Servers {
    common::start_servers(common::server_config(flags))
}

/// SETTINGS with these (id, value) pairs.
fn settings(pairs: &[(u16, u32)]) -> Vec<u8> {
    let payload: Vec<u8> = pairs
        .iter()
        .flat_map(|(id, value)| [id.to_be_bytes().to_vec(), value.to_be_bytes().to_vec()].concat())
        .collect();
    frame(4, 0, 0, &payload)
}

fn ping(n: u64) -> Vec<u8> {
    frame(6, 0, 0, &n.to_be_bytes())
}

/// `GET path` as a HEADERS frame that ends its stream (HPACK: indexed
/// `:method GET`, `:scheme http`, literal `:path` and `:authority`).
fn get(stream: u32, path: &str) -> Vec<u8> {
    let mut block = vec![0x82, 0x86, 0x04, path.len() as u8];
    block.extend_from_slice(path.as_bytes());
    block.extend_from_slice(&[0x01, 9]);
    block.extend_from_slice(b"localhost");
    frame(1, 0x5, stream, &block)
}

/// An HTTP/2 connection that has said its preface and `settings`, and
/// acknowledged the server's.
fn http2_peer(address: SocketAddr, settings_frame: &[u8]) -> TcpStream {
    let mut peer = TcpStream::connect(address).expect("connects");
    peer.write_all(PREFACE).unwrap();
    peer.write_all(settings_frame).unwrap();
    peer.set_read_timeout(Some(BOUND)).unwrap();
    let mut first = [0u8; 9];
    peer.read_exact(&mut first).expect("the server's SETTINGS");
    assert_eq!(first[3], 4, "the server's first frame is SETTINGS");
    peer.write_all(&frame(4, 1, 0, &[])).unwrap();
    peer.set_read_timeout(Some(PING_EVERY)).unwrap();
    peer
}

/// PINGs `peer` every `PING_EVERY`, reading what comes back, until the
/// server closes it; how long that took, or `None` if it held the
/// connection past `BOUND`.
fn ping_until_closed(peer: &mut TcpStream) -> Option<Duration> {
    let start = Instant::now();
    let mut sink = [0u8; 4096];
    for n in 0.. {
        if start.elapsed() > BOUND {
            return None;
        }
        if peer.write_all(&ping(n)).is_err() {
            return Some(start.elapsed());
        }
        let deadline = Instant::now() + PING_EVERY;
        while Instant::now() < deadline {
            match peer.read(&mut sink) {
                Ok(0) => return Some(start.elapsed()),
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Some(start.elapsed()),
            }
        }
    }
    unreachable!()
}

/// How many refusals of `kind` `GET /stats` shows (which also says the
/// server answers a normal client).
fn refused(servers: &Servers, kind: &str) -> u64 {
    let mut client = TcpStream::connect(servers.rest_addr).unwrap();
    client.set_read_timeout(Some(BOUND)).unwrap();
    client
        .write_all(b"GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    client.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:.200}");
    let (_, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    let stats: serde_json::Value = serde_json::from_str(body).expect("JSON stats");
    stats["refused"][kind].as_u64().expect("the kind is listed")
}

/// A normal gRPC client: a small `bench` run on the gRPC port.
fn grpc_client_served(servers: &Servers) {
    let dir = tempfile::tempdir().unwrap();
    let (rest, grpc) = (
        format!("http://{}", servers.rest_addr),
        format!("http://{}", servers.grpc_addr),
    );
    let mut args = vec!["--rest-url", rest.as_str()];
    args.extend(common::small_grpc_basic_flags(&grpc, "2"));
    let (result, report) = common::bench(dir.path(), &args);
    result.expect("a normal gRPC client is served");
    let report = report.expect("a JSON report");
    for scenario in common::scenarios(&report) {
        assert_eq!(scenario["errors"], 0, "{scenario}");
    }
}

const LIMITS: [&str; 4] = ["--idle-timeout-s", "0.5", "--header-timeout-s", "0.5"];

#[test]
fn a_peer_that_only_pings_is_closed_after_the_idle_timeout_on_both_ports() {
    let servers = servers(&LIMITS);
    for (address, port) in [(servers.rest_addr, "REST"), (servers.grpc_addr, "gRPC")] {
        let mut peer = http2_peer(address, &settings(&[]));
        let held = ping_until_closed(&mut peer);
        assert!(
            held.is_some(),
            "the {port} port held a PING-only peer past {BOUND:?}"
        );
    }
    assert!(refused(&servers, "idle_closed") >= 2);
    grpc_client_served(&servers);
}

#[test]
fn streams_held_at_window_zero_by_a_pinging_peer_are_closed_after_the_idle_timeout() {
    let servers = servers(&LIMITS);
    // INITIAL_WINDOW_SIZE 0: the server may send each answer's HEADERS but
    // not a byte of its body.
    let mut peer = http2_peer(servers.rest_addr, &settings(&[(4, 0)]));
    for stream in (1..=19).step_by(2) {
        peer.write_all(&get(stream, "/healthz")).unwrap();
    }
    let held = ping_until_closed(&mut peer);
    assert!(held.is_some(), "ten stalled streams held past {BOUND:?}");
    assert!(refused(&servers, "idle_closed") >= 1);
}

#[test]
fn a_peer_that_keeps_asking_is_not_idle() {
    // The same PINGs beside a request every 50 ms: requests are progress,
    // so the connection stays open well past the idle limit.
    let servers = servers(&LIMITS);
    let mut peer = http2_peer(servers.rest_addr, &settings(&[]));
    let start = Instant::now();
    let mut sink = [0u8; 4096];
    let mut stream = 1;
    let mut last = Vec::new();
    while start.elapsed() < Duration::from_secs(2) {
        let asked = peer.write_all(&get(stream, "/healthz"));
        let pinged = peer.write_all(&ping(stream.into()));
        assert!(
            asked.is_ok() && pinged.is_ok(),
            "closed after {:?}, stream {stream}: {last:?}",
            start.elapsed()
        );
        stream += 2;
        std::thread::sleep(Duration::from_millis(50));
        match peer.read(&mut sink) {
            Ok(0) => panic!(
                "closed a peer that kept asking, after {:?}",
                start.elapsed()
            ),
            Ok(n) => last = sink[..n].to_vec(),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("closed a peer that kept asking: {e}"),
        }
    }
    assert_eq!(refused(&servers, "idle_closed"), 0);
}
