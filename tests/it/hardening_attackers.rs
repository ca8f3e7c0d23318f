//! The attackers of docs/hardening.md's "Hardening II", as helpers a soak
//! (scripts/soak.sh) or a person runs against a server already started;
//! both are ignored in CI runs (they run for as long as asked, or measure).
//!
//! Attack a running `imgwire serve` for 60 s (REST and gRPC addresses):
//!
//!     IMGWIRE_REST=127.0.0.1:8080 IMGWIRE_GRPC=127.0.0.1:50051 IMGWIRE_ATTACK_S=60 \
//!       cargo test --release --test hardening_attackers attack -- --include-ignored --nocapture
//!
//! Measure `imgwire serve --server-threads 2`'s peak RSS under 20 cancelled
//! scan bombs (IMGWIRE_BIN picks another build, IMGWIRE_SERVE_FLAGS adds
//! flags, IMGWIRE_BOMB=WIDTHxHEIGHTxSCANS the bomb):
//!
//!     cargo test --release --test hardening_attackers peak_rss -- --include-ignored --nocapture

use crate::bombs;

use bytes::Bytes;
use imgwire::wire::codec::RawCodec;
use imgwire::wire::proto::{kserve as kpb, paths};
use prost::Message;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn env_addr(name: &str) -> SocketAddr {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("set {name} to the server's HOST:PORT"))
        .parse()
        .unwrap()
}

/// `POST path` with `headers`, closed after `leave` without reading the
/// answer, or read whole (the status) when `leave` is None.
fn post(
    addr: SocketAddr,
    path: &str,
    headers: &str,
    body: &[u8],
    leave: Option<Duration>,
) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: {}\r\n{headers}\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    if let Some(leave) = leave {
        std::thread::sleep(leave);
        return None;
    }
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    String::from_utf8_lossy(&answer)
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}

fn jpeg_headers(width: u16, height: u16) -> String {
    format!("x-image-width: {width}\r\nx-image-height: {height}\r\nx-image-channels: 3\r\nx-image-format: jpeg\r\n")
}

/// One gRPC call of `path` with `body`, given up after `deadline`.
fn grpc(
    runtime: &tokio::runtime::Runtime,
    url: &str,
    path: &'static str,
    body: Vec<u8>,
    deadline: Duration,
) -> tonic::Code {
    runtime.block_on(async {
        let endpoint = tonic::transport::Endpoint::from_shared(url.to_string()).unwrap();
        let Ok(channel) = endpoint.connect().await else {
            return tonic::Code::Unavailable;
        };
        let mut client = tonic::client::Grpc::new(channel).max_encoding_message_size(64 << 20);
        if client.ready().await.is_err() {
            return tonic::Code::Unavailable;
        }
        let mut request = tonic::Request::new(Bytes::from(body));
        request.set_timeout(deadline);
        let path = http::uri::PathAndQuery::from_static(path);
        match client.unary(request, path, RawCodec).await {
            Ok(_) => tonic::Code::Ok,
            Err(status) => status.code(),
        }
    })
}

/// The amplifying bodies: what parsing would multiply, each about 2 MB.
fn amplifying_rest_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let keys: Vec<String> = (0..200_000).map(|i| format!("\"k{i}\":1")).collect();
    let basic = format!(
        r#"{{"field1":"a","field2":"b","field3":3,"field4":{{{}}}}}"#,
        keys.join(",")
    );
    let zeros = vec!["0"; 1_000_000].join(",");
    let v2 = format!(
        r#"{{"parameters":{{"p":[{zeros}]}},"inputs":[{{"name":"image","datatype":"BYTES","shape":[1],"data":["x"]}}]}}"#
    );
    vec![
        ("/basic", basic.into_bytes()),
        ("/v2/models/decode/infer", v2.into_bytes()),
    ]
}

fn amplifying_grpc_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let mut infer = kpb::ModelInferRequest {
        model_name: "decode".into(),
        ..Default::default()
    }
    .encode_to_vec();
    for _ in 0..1_000_000 {
        infer.extend_from_slice(&[0x2A, 0x00]);
    }
    let mut basic = Vec::new();
    for i in 0..200_000u32 {
        let key = format!("k{i}");
        let entry = [&[0x0A, key.len() as u8][..], key.as_bytes(), &[0x10, 0x01]].concat();
        basic.extend_from_slice(&[0x22, entry.len() as u8]);
        basic.extend_from_slice(&entry);
    }
    vec![
        ("/inference.GRPCInferenceService/ModelInfer", infer),
        (paths::BASIC, basic),
    ]
}

#[test]
#[ignore = "an attacker for soaks: needs IMGWIRE_REST and IMGWIRE_GRPC"]
fn attack() {
    let (rest, grpc_addr) = (env_addr("IMGWIRE_REST"), env_addr("IMGWIRE_GRPC"));
    let seconds: f64 = std::env::var("IMGWIRE_ATTACK_S").map_or(60.0, |s| s.parse().unwrap());
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let url = format!("http://{grpc_addr}");
    // Within the default limits (1 MP x 500 scans) and past them (600).
    let (w, h) = (1000, 1000);
    let allowed = bombs::progressive(w, h, 500);
    let over = bombs::progressive(w, h, 600);
    let sent = AtomicU64::new(0);
    let unexpected = AtomicU64::new(0);
    let note = |fine: bool| {
        sent.fetch_add(1, Ordering::Relaxed);
        if !fine {
            unexpected.fetch_add(1, Ordering::Relaxed);
        }
    };
    std::thread::scope(|scope| {
        // Scan bombs each given up after 50 ms (the decode goes on).
        scope.spawn(|| {
            while Instant::now() < until {
                post(
                    rest,
                    "/binary",
                    &jpeg_headers(w, h),
                    &allowed,
                    Some(Duration::from_millis(50)),
                );
                note(true);
                note(post(rest, "/binary", &jpeg_headers(w, h), &over, None) == Some(413));
            }
        });
        scope.spawn(|| {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            let message = bombs::binary_message(&allowed, (w, h));
            while Instant::now() < until {
                let code = grpc(
                    &runtime,
                    &url,
                    paths::BINARY,
                    message.clone(),
                    Duration::from_millis(50),
                );
                note(matches!(
                    code,
                    tonic::Code::DeadlineExceeded | tonic::Code::Cancelled | tonic::Code::Ok
                ));
            }
        });
        // Bodies whose parsing would multiply memory.
        scope.spawn(|| {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            let (rest_bodies, grpc_bodies) = (amplifying_rest_bodies(), amplifying_grpc_bodies());
            while Instant::now() < until {
                for (path, body) in &rest_bodies {
                    note(
                        post(rest, path, "content-type: application/json\r\n", body, None)
                            == Some(400),
                    );
                }
                for (path, body) in &grpc_bodies {
                    let code = grpc(&runtime, &url, path, body.clone(), Duration::from_secs(30));
                    note(code == tonic::Code::InvalidArgument);
                }
            }
        });
    });
    let (sent, unexpected) = (sent.into_inner(), unexpected.into_inner());
    println!("attackers: {sent} hostile requests, {unexpected} answered otherwise than refused");
    assert_eq!(
        unexpected, 0,
        "hostile requests answered otherwise than refused"
    );
}

/// The server's peak resident memory (VmHWM) in MB.
fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024.0 / 1e6
}

#[test]
#[ignore = "a measurement: starts imgwire serve and prints its peak RSS"]
fn peak_rss_under_cancelled_scan_bombs() {
    let bin = std::env::var("IMGWIRE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_imgwire").into());
    let extra = std::env::var("IMGWIRE_SERVE_FLAGS").unwrap_or_default();
    let bomb = std::env::var("IMGWIRE_BOMB").unwrap_or_else(|_| "4000x4000x883".into());
    let dims: Vec<usize> = bomb.split('x').map(|n| n.parse().unwrap()).collect();
    let (w, h) = (dims[0] as u16, dims[1] as u16);
    let jpeg = bombs::progressive(w, h, dims[2]);
    let mut child = std::process::Command::new(&bin)
        .args([
            "serve",
            "--rest-addr",
            "127.0.0.1:0",
            "--grpc-addr",
            "127.0.0.1:0",
        ])
        .args(["--tcp-addr", "127.0.0.1:0", "--server-threads", "2"])
        .args(extra.split_whitespace())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let line = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .next()
        .unwrap()
        .unwrap();
    let rest: SocketAddr = line.rsplit("//").next().unwrap().parse().unwrap();
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..20 {
            scope.spawn(|| {
                post(
                    rest,
                    "/binary",
                    &jpeg_headers(w, h),
                    &jpeg,
                    Some(Duration::from_millis(500)),
                )
            });
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let mut peak = peak_rss_mb(child.id());
    let mut stats = String::new();
    // Until every decode has returned (or a minute), sampling the peak.
    while start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(500));
        peak = peak_rss_mb(child.id());
        let mut stream = TcpStream::connect(rest).unwrap();
        stream
            .write_all(b"GET /stats HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .unwrap();
        stats.clear();
        stream.read_to_string(&mut stats).unwrap();
        if stats.contains("\"running\":0") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let decodes = stats
        .split("\"decodes\":")
        .nth(1)
        .unwrap_or("(no decodes in /stats)");
    println!(
        "{bin} {extra}: {} bytes {bomb} bomb x 20, each left after 0.5 s: peak RSS {peak:.0} MB after {:.1} s; decodes {decodes}",
        jpeg.len(),
        start.elapsed().as_secs_f64()
    );
}
