//! The client against servers that attack it: an answer whose
//! `Server-Timing` header holds thousands of metrics is refused with a
//! counted warning while the run goes on and its memory stays that of a
//! run against an honest server; headers past what the client reads fail
//! their request by name; an HTTP/2 GOAWAY with ENHANCE_YOUR_CALM is named
//! as the server thinking it is flooded, not as a message over
//! `--max-message-mb`. The hostile servers are threads on 127.0.0.1:0: a
//! relay in front of a real `imgwire serve` that adds a header to each
//! answer, and raw HTTP/2 frames.

use crate::common;

use common::raw_http::frame;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;

/// A relay to the REST server at `upstream` that answers each request with
/// the server's answer plus `server-timing: TEXT` first among its headers.
fn relay_adding_server_timing(upstream: SocketAddr, text: String) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let text = Arc::new(text);
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let text = Arc::clone(&text);
            std::thread::spawn(move || relay(client, upstream, &text));
        }
    });
    address
}

/// Relays requests on `client` until it closes (each on a new upstream
/// connection that the upstream closes after answering).
fn relay(client: TcpStream, upstream: SocketAddr, text: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client = client;
    loop {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        let length = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .map_or(0, |(_, value)| value.trim().parse().unwrap());
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body)?;
        let (request_line, headers) = head.split_once("\r\n").unwrap();
        let mut server = TcpStream::connect(upstream)?;
        write!(server, "{request_line}\r\nConnection: close\r\n{headers}")?;
        server.write_all(&body)?;
        let mut answer = Vec::new();
        server.read_to_end(&mut answer)?;
        let status_end = answer.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
        client.write_all(&answer[..status_end])?;
        client.write_all(format!("server-timing: {text}\r\n").as_bytes())?;
        client.write_all(&answer[status_end..])?;
    }
}

/// Runs `imgwire bench` (the binary) at `rest`: whether it exited 0, its
/// peak resident memory in KiB (`VmHWM`, read until it exits: the peak of
/// its own image, not of this process it was started from), and its JSON
/// report.
fn bench_child(dir: &Path, rest: SocketAddr, bursts: &str) -> (bool, u64, serde_json::Value) {
    let json = dir.join(format!("{}.json", rest.port()));
    let mut child = common::serve_process::imgwire()
        .args(["bench", "--brief", "--json", json.to_str().unwrap()])
        .args([
            "--rest-url",
            &format!("http://{rest}"),
            "--protocols",
            "rest",
        ])
        .args(["--payloads", "basic", "--sizes", "32x48", "--warmup", "0"])
        .args(["--bursts", bursts, "--concurrency", "20"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("imgwire runs");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        let high_water = std::fs::read_to_string(&status_file).ok().and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        });
        peak_kib = peak_kib.max(high_water.unwrap_or(0));
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let report = std::fs::read(&json).expect("the run wrote its report");
    (
        status.success(),
        peak_kib,
        serde_json::from_slice(&report).unwrap(),
    )
}

#[test]
fn thousands_of_server_timing_metrics_are_a_counted_warning_and_cost_no_memory() {
    let servers = common::start_servers(common::default_server_config());
    let dir = tempfile::tempdir().unwrap();
    let honest = relay_adding_server_timing(servers.rest_addr, "decode;dur=1".into());
    // 60 KB, within what the client reads of an answer's head: 3,400 metrics.
    let flood = vec!["decode;dur=0.001"; 3400].join(", ");
    let hostile = relay_adding_server_timing(servers.rest_addr, flood);
    let (honest_ok, honest_kib, _) = bench_child(dir.path(), honest, "100");
    let (hostile_ok, hostile_kib, report) = bench_child(dir.path(), hostile, "100");
    assert!(honest_ok && hostile_ok, "a run failed");
    let scenario = &common::scenarios(&report)[0];
    assert_eq!(scenario["errors"], 0, "{}", scenario["error_examples"]);
    assert_eq!(scenario["timing_warnings"], scenario["requests"]);
    assert!(scenario["requests"].as_u64().unwrap() >= 2000);
    // The same 2,000 requests, honest and hostile: the hostile headers may
    // not leave their metrics behind (about 160 KB a request kept would be
    // over 300 MB).
    assert!(
        hostile_kib < honest_kib + 64 * 1024,
        "peak RSS {hostile_kib} KiB against {honest_kib} KiB with an honest server"
    );
}

#[test]
fn headers_past_what_the_client_reads_fail_their_request_by_name() {
    let servers = common::start_servers(common::default_server_config());
    let dir = tempfile::tempdir().unwrap();
    let hostile = relay_adding_server_timing(servers.rest_addr, "x".repeat(400 * 1024));
    let (ok, _, report) = bench_child(dir.path(), hostile, "2");
    assert!(!ok, "every request failed, and the run says so");
    let scenario = &common::scenarios(&report)[0];
    assert_eq!(scenario["requests"], 0, "no request got through");
    assert!(
        scenario["errors"].as_u64().unwrap() >= 20,
        "a burst of 20 failed"
    );
    let example = scenario["error_examples"][0].as_str().unwrap();
    assert!(example.contains("64 KiB"), "{example}");
}

/// An HTTP/2 server that answers the first request with GOAWAY
/// ENHANCE_YOUR_CALM (last stream 0, so the request is not processed),
/// after the answer's headers when `after_headers`.
fn calm_server(after_headers: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for peer in listener.incoming().flatten() {
            std::thread::spawn(move || calm_down(peer, after_headers));
        }
    });
    address
}

fn calm_down(mut peer: TcpStream, after_headers: bool) -> std::io::Result<()> {
    let mut preface = [0u8; 24];
    peer.read_exact(&mut preface)?;
    peer.write_all(&frame(4, 0, 0, &[]))?;
    loop {
        let mut header = [0u8; 9];
        peer.read_exact(&mut header)?;
        let length = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
        let mut payload = vec![0u8; length];
        peer.read_exact(&mut payload)?;
        let stream = u32::from_be_bytes([header[5], header[6], header[7], header[8]]) & !(1 << 31);
        match header[3] {
            4 if header[4] & 1 == 0 => peer.write_all(&frame(4, 1, 0, &[]))?,
            1 => {
                if after_headers {
                    // :status 200, content-type application/grpc.
                    let mut block = vec![0x88, 0x0f, 0x10, 16];
                    block.extend_from_slice(b"application/grpc");
                    peer.write_all(&frame(1, 0x4, stream, &block))?;
                }
                let goaway = [0, 0, 0, 0, 0, 0, 0, 11];
                peer.write_all(&frame(7, 0, 0, &goaway))?;
                std::thread::sleep(std::time::Duration::from_secs(1));
                return Ok(());
            }
            _ => {}
        }
    }
}

#[test]
fn goaway_enhance_your_calm_is_named_for_what_it_is() {
    for after_headers in [false, true] {
        let address = calm_server(after_headers);
        let dir = tempfile::tempdir().unwrap();
        let grpc = format!("http://{address}");
        let args = common::small_grpc_basic_flags(&grpc, "1");
        let (result, _) = common::bench(dir.path(), &args);
        let error = format!("{:#}", result.expect_err("the server refused every call"));
        assert!(
            error.contains("ENHANCE_YOUR_CALM") && error.contains("floods"),
            "after headers: {after_headers}: {error}"
        );
        assert!(!error.contains("--max-message-mb"), "{error}");
    }
}
