//! The attackers of docs/hardening.md's "Hardening II", as helpers a soak
//! (scripts/soak.sh) or a person runs against a server already started;
//! ignored in CI runs (it runs for as long as asked).
//!
//! Attack a running `imgwire serve` for 60 s (REST and gRPC addresses):
//!
//!     IMGWIRE_REST=127.0.0.1:8080 IMGWIRE_GRPC=127.0.0.1:50051 IMGWIRE_ATTACK_S=60 \
//!       cargo test --release --test it hardening_attackers::attack -- --include-ignored --nocapture
//!
//! It also holds the measurements of a decode at the default limits,
//! against `imgwire serve --server-threads 2` (IMGWIRE_BIN picks another
//! build, IMGWIRE_SERVE_FLAGS adds flags, IMGWIRE_BOMB=WIDTHxHEIGHTxSCANS,
//! or `grey:WxHxS`, another bomb): the peak RSS under 20 cancelled scan
//! bombs, a test that asserts its bound, and a decode's time (ignored):
//!
//!     cargo test --release --test it hardening_attackers::peak_rss -- --nocapture
//!     cargo test --release --test it hardening_attackers::decode_time -- --include-ignored --nocapture

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

/// A line of the server's `/proc/PID/status` (`VmHWM`, `VmRSS`) in MB.
fn status_mb(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    let kib: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024.0 / 1e6
}

/// `imgwire serve --server-threads 2` (IMGWIRE_BIN another build,
/// IMGWIRE_SERVE_FLAGS more flags), killed on drop, and its REST address.
fn serve_two_slots() -> (crate::common::serve_process::ServeProcess, SocketAddr) {
    let bin = std::env::var("IMGWIRE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_imgwire").into());
    let extra = std::env::var("IMGWIRE_SERVE_FLAGS").unwrap_or_default();
    let mut child = std::process::Command::new(&bin)
        .args(["serve", "--rest-addr", "127.0.0.1:0"])
        .args(["--grpc-addr", "127.0.0.1:0", "--tcp-addr", "127.0.0.1:0"])
        .args(["--server-threads", "2"])
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
    (crate::common::serve_process::ServeProcess(child), rest)
}

fn stats(rest: SocketAddr) -> serde_json::Value {
    let mut stream = TcpStream::connect(rest).unwrap();
    stream
        .write_all(b"GET /stats HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("/stats: {e}: {answer}"))
}

/// The bomb of IMGWIRE_BOMB (`WIDTHxHEIGHTxSCANS`, `grey:` before it for
/// greyscale): by default the largest colour one the default limits
/// admit, 7071x7071 (50 MP, `--max-pixels`) x 20 scans (`--max-scan-pixels`
/// 10^9 / 50 MP), its first 14 scans over all three components.
fn bomb() -> (Vec<u8>, (u16, u16), String) {
    let spec = std::env::var("IMGWIRE_BOMB").unwrap_or_else(|_| "7071x7071x20".into());
    let (grey, dims) = match spec.strip_prefix("grey:") {
        Some(dims) => (true, dims),
        None => (false, spec.as_str()),
    };
    let n: Vec<usize> = dims.split('x').map(|n| n.parse().unwrap()).collect();
    let (w, h) = (n[0] as u16, n[1] as u16);
    let jpeg = match grey {
        true => bombs::progressive(w, h, n[2]),
        false => bombs::progressive_colour(w, h, n[2]),
    };
    (jpeg, (w, h), spec)
}

#[test]
fn the_colour_bomb_is_a_valid_progressive_jpeg() {
    let jpeg = bombs::progressive_colour(64, 48, 2660);
    let image = turbojpeg::decompress(&jpeg, turbojpeg::PixelFormat::RGB).unwrap();
    assert_eq!((image.width, image.height), (64, 48));
    let header = turbojpeg::read_header(&jpeg).unwrap();
    assert!(header.is_progressive);
    assert_eq!(header.subsamp, turbojpeg::Subsamp::None, "4:4:4");
}

/// The probe's attack of issue 22 (item 1) at the default limits, in
/// colour: twenty `POST /binary` of the largest colour bomb the defaults
/// admit, 0.1 s apart, each closed 0.5 s after it was sent, against
/// `imgwire serve --server-threads 2`. Decodes hold their slot until they
/// return, so the server's peak RSS grows by at most two decodes (9 bytes
/// a pixel each: RGB out and 4:4:4 coefficients, docs/hardening.md) and
/// the bodies in flight.
#[test]
fn peak_rss_under_cancelled_scan_bombs_stays_within_the_slots_bound() {
    let (jpeg, (w, h), spec) = bomb();
    let (server, rest) = serve_two_slots();
    let pid = server.0.id();
    let before = status_mb(pid, "VmHWM:");
    let start = Instant::now();
    let (jpeg, headers) = (&jpeg, &jpeg_headers(w, h));
    let leave = Some(Duration::from_millis(500));
    std::thread::scope(|scope| {
        for _ in 0..20 {
            scope.spawn(move || post(rest, "/binary", headers, jpeg, leave));
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    // Until every decode has returned (or two minutes).
    let mut decodes = stats(rest)["decodes"].clone();
    while decodes["running"] != 0 && start.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(250));
        decodes = stats(rest)["decodes"].clone();
    }
    let peak = status_mb(pid, "VmHWM:");
    let per_decode = 9.0 * f64::from(w) * f64::from(h) / 1e6;
    let slots = decodes["slots"].as_f64().unwrap();
    let bound = slots * per_decode + 20.0 * jpeg.len() as f64 / 1e6 + 64.0;
    println!(
        "{spec} bomb ({} bytes) x 20, each left after 0.5 s: peak RSS {before:.0} -> {peak:.0} MB \
         (growth bound {bound:.0}) after {:.1} s; decodes {decodes}",
        jpeg.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(
        decodes["finished"].as_u64().unwrap() >= 1,
        "no bomb decoded: {decodes}"
    );
    assert!(decodes["peak"].as_f64().unwrap() <= slots, "{decodes}");
    assert!(
        peak - before < bound,
        "peak RSS {before:.0} -> {peak:.0} MB, bound {bound:.0}"
    );
}

/// A progressive JPEG of random pixels (libjpeg's own progression, 10
/// scans, 4:4:4; Huffman or arithmetic coded) at the highest quality whose
/// file fits the default `--max-message-mb` (64 MiB): about as much
/// entropy-coded data as a request of that size can carry, the costliest
/// ordinary decode of it.
fn dense_progressive(width: u16, height: u16, arithmetic: bool) -> (Vec<u8>, i32) {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let pixels: Vec<u8> = (0..usize::from(width) * usize::from(height) * 3)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let image = turbojpeg::Image {
        pixels: pixels.as_slice(),
        width: usize::from(width),
        pitch: usize::from(width) * 3,
        height: usize::from(height),
        format: turbojpeg::PixelFormat::RGB,
    };
    let mut compressor = turbojpeg::Compressor::new().unwrap();
    compressor.set_subsamp(turbojpeg::Subsamp::None).unwrap();
    compressor.set_progressive(true).unwrap();
    compressor.set_arithmetic(arithmetic).unwrap();
    for quality in [95, 90, 85, 80, 75, 70, 60, 50] {
        compressor.set_quality(quality).unwrap();
        let jpeg = compressor.compress_to_vec(image).unwrap();
        if jpeg.len() < 64 << 20 {
            return (jpeg, quality);
        }
    }
    panic!("random pixels at quality 50 are over 64 MiB");
}

/// How long one decode of the bomb takes (IMGWIRE_TRIES requests, one at
/// a time, each read to its answer), and one of a single-scan JPEG of the
/// same size, the decode without the extra scans; with the default bomb,
/// checks that it is admitted and one scan more refused, and times a
/// progressive JPEG of random pixels of the same size beside it.
#[test]
#[ignore = "a measurement: prints the best and worst decode time of the bomb"]
fn decode_time_of_the_largest_bomb_the_defaults_admit() {
    let tries: usize = std::env::var("IMGWIRE_TRIES").map_or(5, |n| n.parse().unwrap());
    let (jpeg, (w, h), spec) = bomb();
    let (_server, rest) = serve_two_slots();
    let headers = jpeg_headers(w, h);
    if std::env::var("IMGWIRE_BOMB").is_err() {
        let over = bombs::progressive_colour(w, h, 21);
        assert_eq!(post(rest, "/binary", &headers, &over, None), Some(413));
    }
    let one_scan = bombs::progressive_colour(w, h, 1);
    let mut bodies = vec![(spec.clone(), jpeg), ("one scan".into(), one_scan)];
    if std::env::var("IMGWIRE_BOMB").is_err() {
        for (arithmetic, coding) in [(false, "Huffman"), (true, "arithmetic")] {
            let (noise, quality) = dense_progressive(w, h, arithmetic);
            let name = format!("random pixels, progressive, {coding}, quality {quality}");
            bodies.push((name, noise));
        }
    }
    let arithmetic_allowed = std::env::var("IMGWIRE_SERVE_FLAGS")
        .is_ok_and(|flags| flags.contains("--allow-arithmetic-jpeg"));
    for (name, body) in &bodies {
        if name.contains("arithmetic") && !arithmetic_allowed {
            let status = post(rest, "/binary", &headers, body, None);
            assert_eq!(status, Some(415), "{name}: refused at the defaults");
            println!("{name}: refused (415); IMGWIRE_SERVE_FLAGS=--allow-arithmetic-jpeg times it");
            continue;
        }
        let times: Vec<f64> = (0..tries)
            .map(|_| {
                let sent = Instant::now();
                let status = post(rest, "/binary", &headers, body, None);
                assert_eq!(status, Some(200), "{name}");
                sent.elapsed().as_secs_f64()
            })
            .collect();
        let best = times.iter().cloned().fold(f64::INFINITY, f64::min);
        let worst = times.iter().cloned().fold(0.0, f64::max);
        println!(
            "{name} ({} bytes): {tries} requests, best {best:.2} s, worst {worst:.2} s",
            body.len()
        );
    }
}
