//! Inputs sized to hurt a server left running reach the real servers on
//! 127.0.0.1:0 and are refused fast, by name, on every route: a JPEG header
//! declaring 60000x60000 (a decompression bomb), raw sizes whose product
//! wraps, channel counts no image has, a Content-Type that contradicts the
//! route, gRPC messages over the limit plain or gzip'd. Each refusal is
//! counted at `GET /stats`, and the server answers a good request after.

use crate::clients;
use crate::common;

use bytes::Bytes;
use clients::{element, get, http, jpeg, json_request, model_infer, post_json, Exchange, Grpc};
use common::{server_config, start_servers};
use imgwire::server::Servers;
use imgwire::wire::codec::RawCodec;
use imgwire::wire::proto::{imgwire as pb, paths};
use prost::Message;
use tonic::codec::CompressionEncoding;

/// An 855-byte stream that is all header: SOI, a baseline frame header
/// declaring `width` x `height`, padding, EOI. Decoding it would need
/// width x height x 3 bytes.
fn bomb(width: u16, height: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(&width.to_be_bytes());
    out.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    out.resize(853, 0);
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

/// `POST /binary` with the `x-image-*` headers and `content_type`, if any.
fn post_image(
    servers: &Servers,
    body: &[u8],
    size: (u32, u32, u32),
    format: &str,
    content_type: Option<&str>,
) -> Exchange {
    let (w, h, c) = (size.0.to_string(), size.1.to_string(), size.2.to_string());
    let mut headers = vec![
        ("x-image-width", w.as_str()),
        ("x-image-height", h.as_str()),
        ("x-image-channels", c.as_str()),
        ("x-image-format", format),
    ];
    headers.extend(content_type.map(|t| ("content-type", t)));
    http(servers.rest_addr, "POST", "/binary", &headers, body)
}

/// One call of `imgwire.v1.ImageService` at `path`, gzip'd if asked.
fn grpc_call(servers: &Servers, path: &'static str, body: Vec<u8>, gzip: bool) -> tonic::Status {
    let url = servers.url(imgwire::protocol::Protocol::Grpc);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let answered = runtime.block_on(async move {
        let endpoint = tonic::transport::Endpoint::from_shared(url).unwrap();
        let mut grpc = tonic::client::Grpc::new(endpoint.connect().await.unwrap());
        if gzip {
            grpc = grpc.send_compressed(CompressionEncoding::Gzip);
        }
        grpc.ready().await.unwrap();
        let path = http::uri::PathAndQuery::from_static(path);
        grpc.unary(tonic::Request::new(Bytes::from(body)), path, RawCodec)
            .await
    });
    answered
        .err()
        .unwrap_or_else(|| tonic::Status::ok("answered"))
}

fn binary_message(image: Vec<u8>, size: (u32, u32, u32), format: pb::ImageFormat) -> Vec<u8> {
    pb::BinaryImageRequest {
        image: Bytes::from(image),
        info: Some(pb::ImageInfo {
            width: size.0,
            height: size.1,
            channels: size.2,
            format: format as i32,
        }),
    }
    .encode_to_vec()
}

fn assert_refused(answer: &Exchange, status: u16, names: &str) {
    assert_eq!(answer.status, status, "{}", answer.text());
    assert!(answer.text().contains(names), "{}", answer.text());
}

fn assert_status(status: &tonic::Status, code: tonic::Code, names: &str) {
    assert_eq!(status.code(), code, "{status:?}");
    assert!(status.message().contains(names), "{status:?}");
}

#[test]
fn a_jpeg_header_declaring_60000x60000_is_refused_on_every_route_whatever_the_decoder() {
    let bomb = bomb(60000, 60000);
    assert_eq!(bomb.len(), 855);
    let good = jpeg(16, 24);
    for decoder in ["turbojpeg", "none"] {
        let servers = start_servers(server_config(&["--server-decoder", decoder]));
        let octets = Some("application/octet-stream");
        let declared = post_image(&servers, &bomb, (60000, 60000, 3), "jpeg", octets);
        assert_refused(&declared, 413, "--max-pixels");
        let understated = post_image(&servers, &bomb, (24, 16, 3), "jpeg", octets);
        assert_refused(&understated, 413, "frame header size 60000x60000");
        let message = binary_message(bomb.clone(), (60000, 60000, 3), pb::ImageFormat::Jpeg);
        let refused = grpc_call(&servers, paths::BINARY, message, false);
        assert_status(&refused, tonic::Code::ResourceExhausted, "--max-pixels");
        assert_refused(
            &post_json(&servers, "decode", &json_request(&bomb)),
            413,
            "--max-pixels",
        );
        let v2 = Grpc::connect(&servers).infer(model_infer("decode", element(&bomb)));
        let v2 = v2.expect_err("the v2 gRPC infer is refused");
        assert_status(&v2, tonic::Code::ResourceExhausted, "--max-pixels");
        let after = post_image(&servers, &good, (24, 16, 3), "jpeg", octets);
        assert_eq!(after.status, 200, "{decoder}: {}", after.text());
        let message = binary_message(good.clone(), (24, 16, 3), pb::ImageFormat::Jpeg);
        let after = grpc_call(&servers, paths::BINARY, message, false);
        assert_eq!(after.code(), tonic::Code::Ok, "{after:?}");
    }
}

#[test]
fn raw_sizes_whose_product_wraps_are_refused() {
    let servers = start_servers(server_config(&[]));
    let wraps = (4194304, 4194304, 4194304);
    let rest = post_image(&servers, b"", wraps, "raw", None);
    assert_refused(&rest, 400, "x-image-channels is 4194304");
    let large = post_image(&servers, b"", (4194304, 4194304, 3), "raw", None);
    assert_refused(&large, 413, "--max-pixels");
    let message = binary_message(vec![], (4194304, 4194304, 3), pb::ImageFormat::Raw);
    let grpc = grpc_call(&servers, paths::BINARY, message, false);
    assert_status(&grpc, tonic::Code::ResourceExhausted, "--max-pixels");
    let raw = vec![7u8; 4 * 2 * 4];
    let fits = post_image(&servers, &raw, (4, 2, 4), "raw", None);
    assert_eq!(fits.status, 200, "{}", fits.text());
}

#[test]
fn channel_counts_and_content_types_that_contradict_are_refused_by_name() {
    let servers = start_servers(server_config(&[]));
    let good = jpeg(16, 24);
    for channels in [0, 99] {
        let answer = post_image(&servers, &good, (24, 16, channels), "jpeg", None);
        assert_refused(&answer, 400, "x-image-channels");
    }
    let message = binary_message(good.clone(), (24, 16, 2), pb::ImageFormat::Jpeg);
    let grpc = grpc_call(&servers, paths::BINARY, message, false);
    assert_status(&grpc, tonic::Code::InvalidArgument, "info.channels is 2");
    let json = post_image(
        &servers,
        &good,
        (24, 16, 3),
        "jpeg",
        Some("application/json"),
    );
    assert_refused(&json, 415, "application/octet-stream");
    let body = format!(
        r#"{{"image":"{}","width":24,"height":16,"channels":3,"format":"jpeg"}}"#,
        clients::b64(&good)
    );
    let headers = [("content-type", "image/jpeg")];
    let image = http(
        servers.rest_addr,
        "POST",
        "/base64",
        &headers,
        body.as_bytes(),
    );
    assert_refused(&image, 415, "application/json");
    let headers = [("content-type", "application/json; charset=utf-8")];
    let fits = http(
        servers.rest_addr,
        "POST",
        "/base64",
        &headers,
        body.as_bytes(),
    );
    assert_eq!(fits.status, 200, "{}", fits.text());
    let untyped = post_image(&servers, &good, (24, 16, 3), "jpeg", None);
    assert_eq!(untyped.status, 200, "{}", untyped.text());
}

#[test]
fn grpc_messages_over_the_limit_plain_or_gzipped_are_resource_exhausted() {
    let servers = start_servers(server_config(&["--max-message-mb", "1"]));
    let big = binary_message(vec![0; (1 << 20) + 10], (24, 16, 3), pb::ImageFormat::Jpeg);
    for gzip in [false, true] {
        let refused = grpc_call(&servers, paths::BINARY, big.clone(), gzip);
        assert_status(&refused, tonic::Code::ResourceExhausted, "--max-message-mb");
    }
    let stats = get(&servers, "/stats").json();
    assert_eq!(stats["refused"]["too_large"], 2, "{stats}");
}

#[test]
fn refusals_are_counted_by_kind_at_stats() {
    let servers = start_servers(server_config(&[]));
    let before = get(&servers, "/stats");
    assert_eq!(before.header("content-type"), Some("application/json"));
    assert_eq!(before.json()["refused_total"], 0);
    let headers = [("content-type", "application/json")];
    let bad_json = http(
        servers.rest_addr,
        "POST",
        "/base64",
        &headers,
        b"{\"image\": tru",
    );
    assert_eq!(bad_json.status, 400);
    let message = binary_message(bomb(60000, 60000), (60000, 60000, 3), pb::ImageFormat::Jpeg);
    grpc_call(&servers, paths::BINARY, message, false);
    let stats = get(&servers, "/stats").json();
    assert_eq!(stats["refused"]["malformed"], 1, "{stats}");
    assert_eq!(stats["refused"]["too_many_pixels"], 1, "{stats}");
    assert_eq!(stats["refused"]["bad_image"], 0, "{stats}");
    assert_eq!(stats["refused_total"], 2, "{stats}");
}
