//! The built-in servers (on 127.0.0.1:0, limits made small through the
//! `imgwire serve` flags) do not let slow, idle or stalled clients hold
//! them: a client that sends nothing, half its headers, half a body or half
//! a gRPC message is closed or refused; connections past
//! `--max-connections` are closed at once; HTTP/2 peers are told
//! `--max-streams`. Each test asserts only that the server acted within a
//! bound far above the limit set, never how fast; and where it counts the
//! refusal, that `GET /stats` shows it.

use crate::common;

use bytes::Bytes;
use http_body::Frame;
use imgwire::server::Servers;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// How long a test waits for the server to act on a limit of 300 ms.
const BOUND: Duration = Duration::from_secs(10);

fn servers(flags: &[&str]) -> Servers {
    common::start_servers(common::server_config(flags))
}

fn connect(address: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(address).expect("connects to the server");
    stream.set_read_timeout(Some(BOUND)).unwrap();
    stream
}

/// Reads until the server closes the connection; returns what it sent, or
/// `None` if it still held the connection open after `BOUND`.
fn read_until_closed(stream: &mut TcpStream) -> Option<String> {
    let start = Instant::now();
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    while start.elapsed() < BOUND {
        match stream.read(&mut chunk) {
            Ok(0) => return Some(String::from_utf8_lossy(&received).into_owned()),
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock) => return None,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return None,
            // A signal landed mid-read: the profiler's SIGPROF, when a test
            // profiles the server running in this same process.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return Some(String::from_utf8_lossy(&received).into_owned()),
        }
    }
    None
}

fn assert_closed(stream: &mut TcpStream, what: &str) -> String {
    read_until_closed(stream)
        .unwrap_or_else(|| panic!("the server still held {what} after {BOUND:?}"))
}

/// How many refusals of `kind` `GET /stats` shows.
fn refused(servers: &Servers, kind: &str) -> u64 {
    let mut client = connect(servers.rest_addr);
    client
        .write_all(b"GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let answer = assert_closed(&mut client, "a /stats request");
    let (_, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    let stats: serde_json::Value = serde_json::from_str(body).expect("JSON stats");
    stats["refused"][kind]
        .as_u64()
        .unwrap_or_else(|| panic!("no {kind} in {stats}"))
}

#[test]
fn rest_closes_a_client_that_sends_nothing() {
    let servers = servers(&["--header-timeout-s", "0.3"]);
    let mut client = connect(servers.rest_addr);
    assert_closed(&mut client, "a silent REST connection");
    assert_eq!(refused(&servers, "idle_closed"), 1);
}

#[test]
fn rest_closes_a_client_that_sends_half_its_headers() {
    let servers = servers(&["--header-timeout-s", "0.3"]);
    let mut client = connect(servers.rest_addr);
    client
        .write_all(b"POST /binary HTTP/1.1\r\nHost: x\r\nContent-Le")
        .unwrap();
    assert_closed(&mut client, "a REST connection with half its headers");
}

#[test]
fn rest_closes_a_keep_alive_connection_left_idle() {
    let servers = servers(&["--header-timeout-s", "0.3"]);
    let mut client = connect(servers.rest_addr);
    client
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let answered = assert_closed(&mut client, "an idle keep-alive REST connection");
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
}

/// Headers promising `promised` body bytes, and `sent` of them.
fn stalled_upload(address: SocketAddr, promised: usize, sent: usize) -> TcpStream {
    let mut client = connect(address);
    let head = format!(
        "POST /binary HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {promised}\r\n\r\n"
    );
    client.write_all(head.as_bytes()).unwrap();
    // The server may close before all is written; what it does is the test.
    let _ = client.write_all(&vec![0xAB; sent]);
    client
}

#[test]
fn rest_closes_an_upload_that_stops_short_of_its_length() {
    let servers = servers(&["--body-timeout-s", "0.3"]);
    let mut client = stalled_upload(servers.rest_addr, 8 << 20, (8 << 20) - 1);
    let answered = assert_closed(&mut client, "a stalled REST upload");
    if !answered.is_empty() {
        assert!(answered.contains("--body-timeout-s"), "{answered}");
    }
    assert_eq!(refused(&servers, "body_timeout"), 1);
    assert_eq!(refused(&servers, "malformed"), 0);
}

#[test]
fn rest_answers_503_past_the_request_timeout() {
    let servers = servers(&["--request-timeout-s", "0.3"]);
    let mut client = stalled_upload(servers.rest_addr, 1000, 10);
    let answered = assert_closed(&mut client, "a REST request past its timeout");
    assert!(answered.starts_with("HTTP/1.1 503"), "{answered}");
    assert!(answered.contains("--request-timeout-s"), "{answered}");
    assert_eq!(refused(&servers, "request_timeout"), 1);
}

#[test]
fn grpc_closes_a_client_that_sends_nothing_or_half_a_preface() {
    let servers = servers(&["--idle-timeout-s", "0.3", "--header-timeout-s", "0.3"]);
    let mut silent = connect(servers.grpc_addr);
    let mut half = connect(servers.grpc_addr);
    half.write_all(b"PRI * HTTP/2.0\r\n").unwrap();
    assert_closed(&mut silent, "a silent gRPC connection");
    assert_closed(&mut half, "a gRPC connection with half a preface");
}

#[test]
fn rest_closes_a_connection_idle_past_the_idle_timeout_over_http2() {
    let servers = servers(&["--idle-timeout-s", "0.3"]);
    let mut client = connect(servers.rest_addr);
    client.write_all(HTTP2_PREFACE).unwrap();
    client.write_all(&settings_frame()).unwrap();
    assert_closed(&mut client, "an idle HTTP/2 REST connection");
}

/// A request body that sends its first chunk and then never another.
struct StalledBody(Option<Bytes>);

impl http_body::Body for StalledBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.0.take() {
            Some(chunk) => Poll::Ready(Some(Ok(Frame::data(chunk)))),
            None => Poll::Pending,
        }
    }
}

/// A gRPC call whose message says 1000 bytes and sends 10: the answer's
/// `grpc-status` and `grpc-message`, or the error that ended the call.
async fn stalled_grpc_call(address: SocketAddr) -> Result<(String, String), String> {
    let tcp = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|e| e.to_string())?;
    let io = hyper_util::rt::TokioIo::new(tcp);
    let executor = hyper_util::rt::TokioExecutor::new();
    let (mut sender, connection) = hyper::client::conn::http2::handshake(executor, io)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let mut message = vec![0u8, 0, 0, 3, 232];
    message.extend_from_slice(&[1; 10]);
    let request = http::Request::post(format!(
        "http://{address}{}",
        imgwire::wire::proto::paths::BINARY
    ))
    .header("content-type", "application/grpc")
    .header("te", "trailers")
    .body(StalledBody(Some(Bytes::from(message))))
    .unwrap();
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let header = |name: &str| {
        let value = response.headers().get(name);
        value.map_or(String::new(), |v| v.to_str().unwrap_or("").to_string())
    };
    Ok((header("grpc-status"), header("grpc-message")))
}

fn run_async<F: std::future::Future>(future: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(async { tokio::time::timeout(BOUND, future).await })
        .expect("the server ended the call within the bound")
}

#[test]
fn grpc_ends_a_call_whose_message_stops_midway() {
    for (flag, kind) in [
        ("--body-timeout-s", "body_timeout"),
        ("--request-timeout-s", "request_timeout"),
    ] {
        let servers = servers(&[flag, "0.3"]);
        let ended = run_async(stalled_grpc_call(servers.grpc_addr));
        let (status, message) = ended.expect("the call is answered with a status");
        assert_eq!(status, "4", "{flag}: DEADLINE_EXCEEDED, not {status}");
        assert!(message.contains(flag), "{flag}: {message}");
        assert_eq!(refused(&servers, kind), 1, "{flag}");
    }
}

#[test]
fn tcp_floor_closes_a_connection_whose_message_never_arrives() {
    let servers = servers(&["--idle-timeout-s", "0.3"]);
    let mut client = connect(servers.tcp_addr);
    client.write_all(&(64u32 << 20).to_be_bytes()).unwrap();
    client.write_all(&[1; 100]).unwrap();
    assert_closed(&mut client, "a TCP connection with a stalled message");
}

#[test]
fn tcp_floor_refuses_a_prefix_over_the_limit_at_once() {
    let servers = servers(&["--max-message-mb", "1"]);
    let mut client = connect(servers.tcp_addr);
    client.write_all(&(2u32 << 20).to_be_bytes()).unwrap();
    assert_closed(&mut client, "a TCP connection announcing 2 MiB");
}

/// Whether `GET /healthz` is answered on a fresh connection.
fn health_answered(address: SocketAddr) -> bool {
    let mut client = connect(address);
    let asked = client.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let answer = asked.ok().and_then(|()| read_until_closed(&mut client));
    answer.is_some_and(|a| a.starts_with("HTTP/1.1 200"))
}

#[test]
fn connections_past_the_limit_are_closed_and_room_comes_back() {
    let servers = servers(&["--max-connections", "3"]);
    let held: Vec<TcpStream> = (0..3).map(|_| connect(servers.rest_addr)).collect();
    // Connections are admitted in accept order; give the three time to be.
    std::thread::sleep(Duration::from_millis(200));
    for address in [servers.rest_addr, servers.grpc_addr, servers.tcp_addr] {
        let mut over = connect(address);
        assert_closed(&mut over, "a connection past --max-connections 3");
    }
    drop(held);
    let start = Instant::now();
    while !health_answered(servers.rest_addr) {
        assert!(
            start.elapsed() < BOUND,
            "closed connections never freed room"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(refused(&servers, "connection_limit") >= 3);
}

const HTTP2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// An empty client SETTINGS frame.
fn settings_frame() -> Vec<u8> {
    vec![0, 0, 0, 4, 0, 0, 0, 0, 0]
}

/// The SETTINGS_MAX_CONCURRENT_STREAMS the server announces first, if any.
fn announced_max_streams(address: SocketAddr) -> Option<u32> {
    let mut client = connect(address);
    client.write_all(HTTP2_PREFACE).unwrap();
    client.write_all(&settings_frame()).unwrap();
    let mut header = [0u8; 9];
    client.read_exact(&mut header).ok()?;
    assert_eq!(header[3], 4, "the server's first frame is SETTINGS");
    let length = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
    let mut payload = vec![0u8; length];
    client.read_exact(&mut payload).ok()?;
    payload.chunks_exact(6).find_map(|setting| {
        let id = u16::from_be_bytes([setting[0], setting[1]]);
        (id == 3).then(|| u32::from_be_bytes([setting[2], setting[3], setting[4], setting[5]]))
    })
}

#[test]
fn http2_peers_are_told_the_stream_limit() {
    let servers = servers(&["--max-streams", "7"]);
    assert_eq!(announced_max_streams(servers.grpc_addr), Some(7));
    assert_eq!(announced_max_streams(servers.rest_addr), Some(7));
}

#[test]
fn a_quiet_request_in_flight_is_not_idle_and_a_profile_not_cut_short() {
    let _turn = crate::one_at_a_time(); // the server profiles in this process
    let config = imgwire::server::ServerConfig {
        profiling: true,
        ..common::server_config(&["--idle-timeout-s", "0.3", "--request-timeout-s", "0.3"])
    };
    let servers = common::start_servers(config);
    let mut client = connect(servers.rest_addr);
    client
        .write_all(
            b"GET /debug/pprof/profile?seconds=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    let answered = assert_closed(&mut client, "a profile request");
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered:.200}");
}

/// The limits `imgwire bench ARGS` gives its built-in servers.
fn bench_limits(args: &[&str]) -> imgwire::server::ConnectionLimits {
    use clap::Parser;
    let mut argv = vec!["imgwire", "bench"];
    argv.extend_from_slice(args);
    match imgwire::Cli::parse_from(argv).command {
        imgwire::cli::Command::Bench(bench) => bench.plan().unwrap().server.limits,
        _ => unreachable!("a bench command line"),
    }
}

#[test]
fn bench_raises_its_own_servers_limits_to_its_load_unless_told() {
    let loaded = bench_limits(&["-c", "2000"]);
    assert!(loaded.max_connections >= 4 * 2000 && loaded.max_streams >= 2000);
    let told = bench_limits(&["-c", "2000", "--max-connections", "5", "--max-streams", "3"]);
    assert_eq!((told.max_connections, told.max_streams), (5, 3));
}
