//! Decoding under attack, against real servers on 127.0.0.1:0: a decode
//! keeps its slot until the decoder returns, whatever became of its
//! request (the client closed it, a gRPC deadline reset the stream, the
//! server's own --request-timeout-s answered it), so decodes never
//! outnumber the slots (`GET /stats` `decodes.peak`); progressive JPEGs
//! with more scans than --max-scans or --max-scan-pixels allow are refused
//! before decoding; data libjpeg-turbo warns is corrupt is refused at the
//! first warning, while warnings that say nothing of the pixels (bytes
//! before EOI, as cameras leave) do not refuse a JPEG.

use crate::bombs;
use crate::clients;
use crate::common;

use bytes::Bytes;
use clients::{get, http, json_request, post_json, Exchange};
use common::{server_config, start_servers};
use imgwire::server::Servers;
use imgwire::wire::codec::RawCodec;
use imgwire::wire::proto::paths;
use std::io::Write;
use std::time::{Duration, Instant};

/// `POST /binary` of a JPEG of `width` x `height`.
fn post_jpeg(servers: &Servers, jpeg: &[u8], (width, height): (u16, u16)) -> Exchange {
    let (w, h) = (width.to_string(), height.to_string());
    let headers = [
        ("x-image-width", w.as_str()),
        ("x-image-height", h.as_str()),
        ("x-image-channels", "3"),
        ("x-image-format", "jpeg"),
    ];
    http(servers.rest_addr, "POST", "/binary", &headers, jpeg)
}

/// One `BinaryImage` call, given up after `deadline` if any (tonic then
/// resets the stream, and sends `grpc-timeout`).
fn grpc_binary(servers: &Servers, message: Vec<u8>, deadline: Option<Duration>) -> tonic::Status {
    let url = servers.url(imgwire::protocol::Protocol::Grpc);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let answered = runtime.block_on(async move {
        let endpoint = tonic::transport::Endpoint::from_shared(url).unwrap();
        let mut grpc = tonic::client::Grpc::new(endpoint.connect().await.unwrap());
        grpc.ready().await.unwrap();
        let mut request = tonic::Request::new(Bytes::from(message));
        if let Some(deadline) = deadline {
            request.set_timeout(deadline);
        }
        let path = http::uri::PathAndQuery::from_static(paths::BINARY);
        grpc.unary(request, path, RawCodec).await
    });
    answered
        .err()
        .unwrap_or_else(|| tonic::Status::ok("answered"))
}

/// Sends `POST /binary` of `jpeg` and closes the connection after `after`,
/// without reading the answer.
fn post_and_leave(servers: &Servers, jpeg: &[u8], size: (u16, u16), after: Duration) {
    let mut stream = std::net::TcpStream::connect(servers.rest_addr).unwrap();
    let head = format!(
        "POST /binary HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\nx-image-width: {}\r\nx-image-height: {}\r\nx-image-channels: 3\r\nx-image-format: jpeg\r\n\r\n",
        jpeg.len(),
        size.0,
        size.1
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(jpeg).unwrap();
    std::thread::sleep(after);
}

/// `GET /stats`'s `decodes`, once no decode has run for a while (or after
/// a minute).
fn settled_decodes(servers: &Servers) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let decodes = get(servers, "/stats").json()["decodes"].clone();
        std::thread::sleep(Duration::from_millis(300));
        let again = get(servers, "/stats").json()["decodes"].clone();
        let quiet = decodes["running"] == 0 && again == decodes;
        if quiet || start.elapsed() > Duration::from_secs(60) {
            return again;
        }
    }
}

#[test]
fn the_bombs_are_valid_progressive_jpegs_or_warn_as_made() {
    let jpeg = bombs::progressive(64, 48, 883);
    let image = turbojpeg::decompress(&jpeg, turbojpeg::PixelFormat::GRAY).unwrap();
    assert_eq!((image.width, image.height), (64, 48));
    let header = turbojpeg::read_header(&jpeg).unwrap();
    assert!(header.is_progressive);
    let repeated = bombs::repeated_scan(64, 48, 20);
    let Err(err) = turbojpeg::decompress(&repeated, turbojpeg::PixelFormat::GRAY) else {
        panic!("libjpeg-turbo did not warn");
    };
    assert!(
        err.to_string().contains("Inconsistent progression"),
        "{err}"
    );
}

/// Twelve bomb requests that each give up mid-decode in one of three
/// ways, against a server of two decode slots; its decode counters after
/// (the invariants checked), and whether it still answers a good image.
fn abandoned_decodes() -> serde_json::Value {
    // Two slots; a bomb that takes a while to decode (pixels x scans),
    // within the limits raised for it.
    let flags = [
        "--server-threads",
        "2",
        "--max-scans",
        "883",
        "--max-scan-pixels",
        "100000000000",
        "--request-timeout-s",
        "0.4",
    ];
    let servers = start_servers(server_config(&flags));
    // 2 MP x 883 scans: 0.65 s to decode on the 2-core build machine.
    let size = (2048, 1024);
    let bomb = bombs::progressive(size.0, size.1, 883);
    let leave = Duration::from_millis(150);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            // The client closes the connection.
            scope.spawn(|| post_and_leave(&servers, &bomb, size, leave));
            // A gRPC deadline resets the stream.
            scope.spawn(|| grpc_binary(&servers, bombs::binary_message(&bomb, size), Some(leave)));
            // The server's own --request-timeout-s answers 503.
            scope.spawn(|| post_jpeg(&servers, &bomb, size));
        }
    });
    let decodes = settled_decodes(&servers);
    assert_eq!(decodes["slots"], 2, "{decodes}");
    assert_eq!(decodes["running"], 0, "{decodes}");
    assert!(
        decodes["peak"].as_u64().unwrap() <= 2,
        "more decodes than slots: {decodes}"
    );
    let stats = get(&servers, "/stats").json();
    assert!(
        stats["refused"]["request_timeout"].as_u64().unwrap() >= 1,
        "{stats}"
    );
    let good = clients::jpeg(24, 16);
    assert_eq!(post_jpeg(&servers, &good, (16, 24)).status, 200);
    decodes
}

#[test]
fn a_decode_keeps_its_slot_whatever_becomes_of_its_request() {
    // Which requests leave while their decode runs (rather than while
    // they wait for a slot) is the machine's timing: up to three tries.
    let tries: Vec<serde_json::Value> = (0..3)
        .map(|_| abandoned_decodes())
        .scan(false, |seen, decodes| {
            let first_seen = !*seen;
            *seen |= decodes["orphaned"].as_u64().unwrap() >= 1;
            first_seen.then_some(decodes)
        })
        .collect();
    assert!(
        tries.iter().any(|d| d["orphaned"].as_u64().unwrap() >= 1),
        "no request left its decode in {} tries: {tries:?}",
        tries.len()
    );
}

#[test]
fn progressive_jpegs_past_the_scan_limits_are_refused_before_decoding() {
    let servers = start_servers(server_config(&["--server-threads", "2"]));
    let size = (1000, 1000);
    let many = bombs::progressive(size.0, size.1, 600);
    let refused = post_jpeg(&servers, &many, size);
    assert_eq!(refused.status, 413, "{}", refused.text());
    assert!(refused.text().contains("--max-scans"), "{}", refused.text());
    assert!(
        refused.text().contains("more than 500 scans"),
        "{}",
        refused.text()
    );
    let grpc = grpc_binary(&servers, bombs::binary_message(&many, size), None);
    assert_eq!(grpc.code(), tonic::Code::ResourceExhausted, "{grpc:?}");
    assert!(grpc.message().contains("--max-scans"), "{grpc:?}");
    let v2 = post_json(&servers, "decode", &json_request(&many));
    assert_eq!(v2.status, 413, "{}", v2.text());
    // 7000 x 7000 x 30 scans is over the 10^9 pixel-scans the default allows.
    let large = (7000, 7000);
    let wide = bombs::progressive(large.0, large.1, 30);
    let refused = post_jpeg(&servers, &wide, large);
    assert_eq!(refused.status, 413, "{}", refused.text());
    assert!(
        refused.text().contains("--max-scan-pixels"),
        "{}",
        refused.text()
    );
    // Within both limits, a many-scan JPEG decodes.
    let fits = bombs::progressive(size.0, size.1, 100);
    let answered = post_jpeg(&servers, &fits, size);
    assert_eq!(answered.status, 200, "{}", answered.text());
    let stats = get(&servers, "/stats").json();
    assert_eq!(stats["refused"]["too_many_scans"], 4, "{stats}");
    assert_eq!(
        stats["decodes"]["finished"], 1,
        "refused before decoding: {stats}"
    );
    assert_eq!(stats["decodes"]["peak"], 1, "{stats}");
}

#[test]
fn normal_requests_are_served_while_scan_bombs_arrive() {
    let servers = start_servers(server_config(&["--server-threads", "2"]));
    let size = (1000, 1000);
    let bomb = bombs::progressive(size.0, size.1, 883);
    let good = clients::jpeg(360, 640);
    let (refused, served) = std::thread::scope(|scope| {
        let attackers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    (0..20)
                        .map(|_| post_jpeg(&servers, &bomb, size).status)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let served: Vec<u16> = (0..10)
            .map(|_| post_jpeg(&servers, &good, (640, 360)).status)
            .collect();
        let refused: Vec<u16> = attackers
            .into_iter()
            .flat_map(|a| a.join().unwrap())
            .collect();
        (refused, served)
    });
    assert!(refused.iter().all(|s| *s == 413), "{refused:?}");
    assert!(served.iter().all(|s| *s == 200), "{served:?}");
}

/// `jpeg` with `extra` bytes before its EOI, as some cameras write them.
fn with_bytes_before_eoi(jpeg: &[u8], extra: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..jpeg.len() - 2].to_vec();
    out.extend_from_slice(extra);
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

/// A noise JPEG of `width` x `height`, progressive if asked.
fn photo(width: usize, height: usize, progressive: bool) -> Vec<u8> {
    coded_photo(width, height, progressive, false)
}

/// [`photo`], arithmetic coded if asked.
fn coded_photo(width: usize, height: usize, progressive: bool, arithmetic: bool) -> Vec<u8> {
    let pixels: Vec<u8> = (0..width * height * 3)
        .map(|i| (i * 7919 % 251) as u8)
        .collect();
    let mut compressor = turbojpeg::Compressor::new().unwrap();
    compressor.set_progressive(progressive).unwrap();
    compressor.set_arithmetic(arithmetic).unwrap();
    compressor
        .compress_to_vec(turbojpeg::Image {
            pixels: pixels.as_slice(),
            width,
            pitch: width * 3,
            height,
            format: turbojpeg::PixelFormat::RGB,
        })
        .unwrap()
}

#[test]
fn benign_warnings_decode_and_corrupt_data_is_refused_at_the_first_warning() {
    let servers = start_servers(server_config(&[]));
    for progressive in [false, true] {
        let camera = with_bytes_before_eoi(&photo(320, 240, progressive), &[0x20; 64]);
        let libjpeg_warns = turbojpeg::decompress(&camera, turbojpeg::PixelFormat::RGB);
        assert!(libjpeg_warns.is_err(), "the test JPEG warns");
        let answered = post_jpeg(&servers, &camera, (320, 240));
        assert_eq!(
            answered.status,
            200,
            "progressive {progressive}: {}",
            answered.text()
        );
        let whole = photo(320, 240, progressive);
        let mut cut = whole[..whole.len() * 6 / 10].to_vec();
        cut.extend_from_slice(&[0xFF, 0xD9]);
        let refused = post_jpeg(&servers, &cut, (320, 240));
        assert_eq!(refused.status, 422, "{}", refused.text());
        assert!(refused.text().contains("corrupt"), "{}", refused.text());
    }
    let repeated = bombs::repeated_scan(1000, 1000, 50);
    let refused = post_jpeg(&servers, &repeated, (1000, 1000));
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(
        refused.text().contains("Inconsistent progression"),
        "{}",
        refused.text()
    );
}

/// Arithmetic coding decodes about four times slower than Huffman coding
/// byte for byte, so it is refused by default on every route, naming the
/// flag (415 / INVALID_ARGUMENT, counted), and decoded with
/// `--allow-arithmetic-jpeg`.
#[test]
fn arithmetic_coded_jpegs_are_refused_unless_allowed() {
    let size = (64, 48);
    let jpeg = coded_photo(64, 48, true, true);
    let servers = start_servers(server_config(&[]));
    let refused = post_jpeg(&servers, &jpeg, size);
    assert_eq!(refused.status, 415, "{}", refused.text());
    assert!(
        refused.text().contains("--allow-arithmetic-jpeg"),
        "{}",
        refused.text()
    );
    let grpc = grpc_binary(&servers, bombs::binary_message(&jpeg, size), None);
    assert_eq!(grpc.code(), tonic::Code::InvalidArgument, "{grpc:?}");
    let v2 = post_json(&servers, "decode", &json_request(&jpeg));
    assert_eq!(v2.status, 415, "{}", v2.text());
    let stats = get(&servers, "/stats").json();
    assert_eq!(stats["refused"]["unsupported_media_type"], 3, "{stats}");
    assert_eq!(
        stats["decodes"]["finished"], 0,
        "refused before decoding: {stats}"
    );
    let allowed = start_servers(server_config(&["--allow-arithmetic-jpeg"]));
    let answered = post_jpeg(&allowed, &jpeg, size);
    assert_eq!(answered.status, 200, "{}", answered.text());
    let huffman = post_jpeg(&servers, &photo(64, 48, true), size);
    assert_eq!(huffman.status, 200, "{}", huffman.text());
}
