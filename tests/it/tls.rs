//! TLS end to end, on real servers on 127.0.0.1:0 with a certificate made
//! by the test: `imgwire serve --tls-cert --tls-key` measured by `bench`
//! over https:// with `--tls-ca` (REST/1.1, REST/2 and gRPC); the errors a
//! client that does not trust the certificate, or speaks plain HTTP, gets;
//! bad PEM files; a stalled handshake closed by the timeout and counted;
//! `bench --sweep tls` on the built-in servers; and the side routes (a v2
//! server's health, metadata and statistics, a remote profile) over https.

use crate::common;

use common::serve_process::{imgwire, ServeProcess as Server};

use imgwire::net::tls::{ALPN_H2, ALPN_HTTP1};
use imgwire::server::{ServerTls, Servers};
use imgwire::transport::tls::handshake;
use imgwire::transport::trust::ClientTrust;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// How long a test waits for the server to act on a limit of 300 ms.
const BOUND: Duration = Duration::from_secs(10);

/// A self-signed certificate for 127.0.0.1 and its key, as PEM files in `dir`.
fn identity(dir: &Path) -> (PathBuf, PathBuf) {
    let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
    let made = rcgen::generate_simple_self_signed(names).expect("rcgen makes a certificate");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

/// The built-in servers over TLS with `identity`'s files, in process.
fn tls_servers(cert: &Path, key: &Path, flags: &[&str]) -> Servers {
    let config = imgwire::server::ServerConfig {
        tls: Some(ServerTls::from_pem_files(cert, key).expect("the test's PEM files load")),
        ..common::server_config(flags)
    };
    common::start_servers(config)
}

/// `imgwire serve` with `extra`; its REST and gRPC URLs.
fn serve(extra: &[&str]) -> (Server, String, String) {
    let (server, rest, grpc, _) = common::serve_process::serve_process(extra);
    (server, rest, grpc)
}

/// The load of this file's runs: one 32x48 size, 2 bursts at 2 at once.
const SMALL_TLS_RUN: common::SmallRun = common::SmallRun {
    size: "32x48",
    bursts: "2",
    ..common::SMALL_RUN
};

/// A small run of `protocols` against `rest` and `grpc`, plus `extra`.
fn bench_over(
    dir: &Path,
    protocols: &str,
    urls: (&str, &str),
    extra: &[&str],
) -> (anyhow::Result<()>, Option<serde_json::Value>) {
    let mut args = vec!["--rest-url", urls.0, "--grpc-url", urls.1];
    args.extend_from_slice(&["--protocols", protocols]);
    args.extend(SMALL_TLS_RUN.args());
    args.extend_from_slice(extra);
    common::bench(dir, &args)
}

#[test]
fn serve_with_a_certificate_answers_bench_over_https_on_every_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = identity(dir.path());
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let (_server, rest, grpc) = serve(&["--tls-cert", cert, "--tls-key", key]);
    assert!(
        rest.starts_with("https://") && grpc.starts_with("https://"),
        "{rest} {grpc}"
    );
    let protocols = "rest,rest-h2,grpc";
    let (result, report) = bench_over(dir.path(), protocols, (&rest, &grpc), &["--tls-ca", cert]);
    result.expect("bench over https with --tls-ca succeeds");
    let report = report.expect("a JSON report");
    let scenarios = common::scenarios(&report);
    assert_eq!(scenarios.len(), 9, "3 payloads x 3 protocols");
    for s in scenarios {
        assert_eq!(s["requests"], 4, "{s}");
        assert_eq!(s["errors"], 0, "{}", s["error_examples"]);
    }
    let connects = report["connects"].as_array().expect("connect times");
    assert_eq!(connects.len(), 3, "{connects:?}");
    assert!(connects
        .iter()
        .all(|c| c["connections"].as_u64() >= Some(1)));
}

#[test]
fn side_routes_and_the_remote_profile_are_read_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = identity(dir.path());
    let (cert_text, key_text) = (cert.to_str().unwrap(), key.to_str().unwrap());
    // KServe v2 on imgwire's own v2 routes: readiness, the model's metadata
    // and the statistics extension, all GETs to the https:// REST port.
    let servers = tls_servers(&cert, &key, &[]);
    let (rest, grpc) = (servers.url(rest_protocol()), servers.url(grpc_protocol()));
    let v2 = ["--target", "kserve-v2", "--model", "decode"];
    let extra = [&v2[..], &["--payloads", "binary", "--tls-ca", cert_text]].concat();
    let (result, report) = bench_over(dir.path(), "rest,grpc", (&rest, &grpc), &extra);
    result.expect("kserve-v2 over https runs");
    let report = report.expect("a JSON report");
    for s in common::scenarios(&report) {
        assert_eq!(s["errors"], 0, "{}", s["error_examples"]);
        let read = s["server_stats"]["requests"].as_u64();
        assert_eq!(
            read,
            s["requests"].as_u64(),
            "statistics read over https: {s}"
        );
    }
    // A remote server's profile, fetched over https by --flamegraph.
    let profiling = [
        "--tls-cert",
        cert_text,
        "--tls-key",
        key_text,
        "--profiling",
    ];
    let (_server, rest, grpc) = serve(&profiling);
    let flamegraphs = dir.path().join("fg");
    let fg = flamegraphs.to_str().unwrap();
    let extra = [
        "--payloads",
        "binary",
        "--tls-ca",
        cert_text,
        "--flamegraph",
        fg,
    ];
    let (result, _) = bench_over(dir.path(), "rest", (&rest, &grpc), &extra);
    result.expect("a profiled run against an https server runs");
    let remote = flamegraphs.join("32x48-binary-rest-server-remote.pb.gz");
    assert!(remote.exists(), "the remote profile came over https");
}

#[test]
fn a_client_that_does_not_trust_the_certificate_is_told_about_tls_ca() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = identity(dir.path());
    let servers = tls_servers(&cert, &key, &[]);
    let (rest, grpc) = (servers.url(rest_protocol()), servers.url(grpc_protocol()));
    for protocols in ["rest", "rest-h2", "grpc"] {
        let (result, _) = bench_over(dir.path(), protocols, (&rest, &grpc), &[]);
        let err = format!("{:#}", result.expect_err("an untrusted certificate fails"));
        assert!(err.contains("--tls-ca"), "{protocols}: {err}");
    }
}

#[test]
fn plain_http_clients_of_a_tls_server_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = identity(dir.path());
    let servers = tls_servers(&cert, &key, &[]);
    let plain = |url: String| url.replacen("https://", "http://", 1);
    let urls = (
        plain(servers.url(rest_protocol())),
        plain(servers.url(grpc_protocol())),
    );
    let (result, _) = bench_over(dir.path(), "rest", (&urls.0, &urls.1), &[]);
    let err = format!(
        "{:#}",
        result.expect_err("plain HTTP to a TLS server fails")
    );
    assert!(
        err.contains("https://") && err.contains("--rest-url"),
        "{err}"
    );
    let (result, _) = bench_over(dir.path(), "grpc", (&urls.0, &urls.1), &[]);
    let err = format!(
        "{:#}",
        result.expect_err("plain gRPC to a TLS server fails")
    );
    assert!(err.contains("--grpc-url"), "{err}");
}

#[test]
fn bad_pem_files_and_half_the_flags_are_refused_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = identity(dir.path());
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a PEM file\n").unwrap();
    let missing = dir.path().join("missing.pem");
    let (cert, key, garbage, missing) = (
        cert.to_str().unwrap(),
        key.to_str().unwrap(),
        garbage.to_str().unwrap(),
        missing.to_str().unwrap(),
    );
    let cases = [
        (vec!["--tls-cert", missing, "--tls-key", key], "--tls-cert"),
        (vec!["--tls-cert", garbage, "--tls-key", key], "--tls-cert"),
        (vec!["--tls-cert", cert, "--tls-key", garbage], "--tls-key"),
        (vec!["--tls-cert", cert], "--tls-key"),
        (vec!["--tls-key", key], "--tls-cert"),
    ];
    for (flags, named) in cases {
        let out = common::serve_process::serve_command(&flags)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{flags:?} served");
        assert!(stderr.contains(named), "{flags:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{flags:?}: {stderr}");
    }
}

/// The first bytes of a TLS 1.2+ ClientHello record, and no more.
const HALF_A_CLIENT_HELLO: &[u8] = &[0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4];

/// Whether the server closed `stream` within `BOUND`.
fn closed_within_bound(stream: &mut TcpStream) -> bool {
    stream.set_read_timeout(Some(BOUND)).unwrap();
    let mut sink = Vec::new();
    stream.read_to_end(&mut sink).is_ok()
}

#[test]
fn a_stalled_handshake_is_closed_by_the_timeout_and_counted_at_stats_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = identity(dir.path());
    let limits = ["--header-timeout-s", "0.3", "--idle-timeout-s", "0.3"];
    let servers = tls_servers(&cert, &key, &limits);
    for address in [servers.rest_addr, servers.grpc_addr] {
        let mut stalled = TcpStream::connect(address).unwrap();
        stalled.write_all(HALF_A_CLIENT_HELLO).unwrap();
        assert!(
            closed_within_bound(&mut stalled),
            "{address} held the handshake"
        );
    }
    let stats = get_over_tls(servers.rest_addr, &cert, "/stats");
    let stats: serde_json::Value = serde_json::from_str(&stats).expect("JSON stats");
    assert_eq!(stats["refused"]["idle_closed"], 2, "{stats}");
}

/// A handshake has its own deadline: a ClientHello trickled a byte every
/// 100 ms is closed by `--header-timeout-s`, however long
/// `--idle-timeout-s` is, and a normal client is served meanwhile.
#[test]
fn a_trickled_client_hello_is_closed_by_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = identity(dir.path());
    let limits = ["--header-timeout-s", "0.5", "--idle-timeout-s", "60"];
    let servers = tls_servers(&cert, &key, &limits);
    for address in [servers.rest_addr, servers.grpc_addr] {
        let mut trickle = TcpStream::connect(address).unwrap();
        trickle
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let hello = HALF_A_CLIENT_HELLO.iter().chain(std::iter::repeat(&0u8));
        let start = std::time::Instant::now();
        let mut closed = false;
        for byte in hello.take(200) {
            if trickle.write_all(&[*byte]).is_err() {
                closed = true;
                break;
            }
            let mut sink = [0u8; 64];
            match trickle.read(&mut sink) {
                Ok(_) => {
                    closed = true;
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => {
                    closed = true;
                    break;
                }
            }
            if start.elapsed() > BOUND {
                break;
            }
        }
        assert!(closed, "{address} held a trickled handshake past {BOUND:?}");
        assert_eq!(get_over_tls(servers.rest_addr, &cert, "/healthz"), "ok");
    }
}

/// A client that completes its handshake and then says nothing is closed
/// after `--header-timeout-s`, not `--idle-timeout-s`.
#[test]
fn a_silent_client_after_its_handshake_is_closed_by_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = identity(dir.path());
    let limits = ["--header-timeout-s", "0.5", "--idle-timeout-s", "60"];
    let servers = tls_servers(&cert, &key, &limits);
    let trust = ClientTrust {
        ca_file: Some(cert.clone()),
        pinned: Vec::new(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (address, alpn) in [
        (servers.rest_addr, ALPN_HTTP1),
        (servers.grpc_addr, ALPN_H2),
    ] {
        let config = trust.client_config(alpn).expect("the test's CA loads");
        let closed = runtime.block_on(async {
            use tokio::io::AsyncReadExt;
            let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
            let mut tls = handshake(tcp, "127.0.0.1", config, "--test").await.unwrap();
            let mut sink = Vec::new();
            tokio::time::timeout(BOUND, tls.read_to_end(&mut sink))
                .await
                .is_ok()
        });
        assert!(closed, "{address} held a silent TLS client past {BOUND:?}");
    }
    let stats = get_over_tls(servers.rest_addr, &cert, "/stats");
    let stats: serde_json::Value = serde_json::from_str(&stats).expect("JSON stats");
    assert_eq!(stats["refused"]["idle_closed"], 2, "{stats}");
}

/// `GET path` over TLS (HTTP/1.1), trusting `cert`; the answer's body.
fn get_over_tls(address: SocketAddr, cert: &Path, path: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let trust = ClientTrust {
        ca_file: Some(cert.to_path_buf()),
        pinned: Vec::new(),
    };
    let config = trust
        .client_config(ALPN_HTTP1)
        .expect("the test's CA loads");
    let answer = runtime.block_on(async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
        let mut tls = handshake(tcp, "127.0.0.1", config, "--test").await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        tls.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let _ = tls.read_to_end(&mut answer).await;
        String::from_utf8_lossy(&answer).into_owned()
    });
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:.200}");
    let (_, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    body.to_string()
}

#[test]
fn sweep_tls_runs_the_built_in_servers_plain_then_over_tls_and_says_what_tls_adds() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("sweep.json");
    let json_path = json.to_str().unwrap();
    let mut args = vec!["bench", "--sweep", "tls", "--payloads", "binary"];
    args.extend(["--protocols", "rest,rest-h2,grpc,tcp"]);
    args.extend(SMALL_TLS_RUN.args());
    args.extend(["--json", json_path]);
    let stdout = common::serve_process::run_ok(&args);
    assert!(stdout.contains("TLS adds"), "{stdout}");
    assert!(stdout.contains("TCP connect + TLS handshake"), "{stdout}");
    assert!(
        stdout.contains("no TLS"),
        "the tcp floor's row says so: {stdout}"
    );
    let sweep: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let points = sweep["points"].as_array().unwrap();
    let values: Vec<&str> = points
        .iter()
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["off", "on"]);
    for (point, scheme) in points.iter().zip(["http://", "https://"]) {
        let settings = &point["report"]["settings"];
        assert!(settings["rest_target"]
            .as_str()
            .unwrap()
            .starts_with(scheme));
        assert!(settings["grpc_target"]
            .as_str()
            .unwrap()
            .starts_with(scheme));
        assert!(settings["tcp_target"]
            .as_str()
            .unwrap()
            .starts_with("tcp://"));
        for s in point["report"]["scenarios"].as_array().unwrap() {
            assert_eq!(s["errors"], 0, "{}", s["error_examples"]);
        }
    }
}

#[test]
fn sweep_tls_against_remote_urls_says_how_to_compare_instead() {
    let out = imgwire()
        .args(["bench", "--sweep", "tls", "--protocols", "rest"])
        .args(["--rest-url", "http://127.0.0.1:9"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("--sweep tls") && stderr.contains("https://"),
        "{stderr}"
    );
}

fn rest_protocol() -> imgwire::protocol::Protocol {
    imgwire::protocol::Protocol::Rest
}

fn grpc_protocol() -> imgwire::protocol::Protocol {
    imgwire::protocol::Protocol::Grpc
}
