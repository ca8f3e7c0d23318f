//! Bad input reaches the real servers and earns a clear error, never a crash:
//! malformed JPEGs, size mismatches, invalid base64, oversized and truncated
//! bodies, garbage protobuf. The servers keep answering afterwards.

use crate::common;

use bytes::Bytes;
use common::{server_config, start_servers};
use imgwire::protocol::Protocol;
use imgwire::transport::Client;
use imgwire::wire::payload::WireRequest;
use imgwire::wire::proto::{imgwire as pb, paths};
use prost::Message;
use std::io::{Read, Write};

fn rest(path: &'static str, body: Vec<u8>, headers: &[(&'static str, &str)]) -> WireRequest {
    WireRequest {
        path: path.into(),
        body: Bytes::from(body).into(),
        content_type: "application/octet-stream",
        headers: headers.iter().map(|(k, v)| (*k, v.to_string())).collect(),
    }
}

fn grpc(path: &'static str, body: Vec<u8>) -> WireRequest {
    WireRequest {
        path: path.into(),
        body: Bytes::from(body).into(),
        content_type: "application/grpc",
        headers: vec![],
    }
}

fn jpeg_headers(w: &str, h: &str) -> Vec<(&'static str, String)> {
    vec![
        ("x-image-width", w.into()),
        ("x-image-height", h.into()),
        ("x-image-channels", "3".into()),
        ("x-image-format", "jpeg".into()),
    ]
}

fn tiny_jpeg() -> Vec<u8> {
    let frame = imgwire::frame::generate(
        imgwire::frame::Content::Natural,
        "16x24".parse().unwrap(),
        1,
        0,
    );
    let settings = imgwire::encoders::EncodeSettings {
        quality: 90,
        subsampling: imgwire::encoders::Subsampling::S420,
    };
    let mut encoder =
        imgwire::encoders::make_encoder(imgwire::encoders::EncoderKind::Turbojpeg, settings)
            .unwrap();
    encoder.encode(&frame).unwrap()
}

/// Sends each request and returns the error text (or "ok").
fn outcomes(protocol: Protocol, config_flags: &[&str], requests: Vec<WireRequest>) -> Vec<String> {
    let servers = start_servers(server_config(config_flags));
    let url = servers.url(protocol);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = Client::connect(protocol, &url, &common::client_settings(1, 1))
            .await
            .unwrap();
        let mut out = Vec::new();
        for request in requests {
            out.push(match client.call(0, request).await {
                Ok(_) => "ok".to_string(),
                Err(e) => format!("{e:#}"),
            });
        }
        out
    })
}

#[test]
fn rest_rejects_bad_images_with_a_reason_and_keeps_serving() {
    let jpeg = tiny_jpeg();
    let h = |w: &str, h: &str| jpeg_headers(w, h);
    let with = |body: Vec<u8>, headers: Vec<(&'static str, String)>| WireRequest {
        headers,
        ..rest("/binary", body, &[])
    };
    let got = outcomes(
        Protocol::Rest,
        &[],
        vec![
            with(b"not a jpeg at all".to_vec(), h("24", "16")),
            with(jpeg[..jpeg.len() / 2].to_vec(), h("24", "16")),
            with(jpeg.clone(), h("25", "16")),
            with(jpeg.clone(), vec![]),
            rest(
                "/base64",
                br#"{"image":"@@@not base64","width":24,"height":16,"channels":3,"format":"jpeg"}"#
                    .to_vec(),
                &[],
            ),
            rest("/base64", b"{\"image\": tru".to_vec(), &[]),
            with(jpeg.clone(), h("24", "16")),
        ],
    );
    assert!(
        got[0].contains("422") && got[0].contains("not a readable JPEG"),
        "{}",
        got[0]
    );
    assert!(
        got[1].contains("422") && got[1].contains("JPEG"),
        "truncated JPEG: {}",
        got[1]
    );
    assert!(
        got[2].contains("size mismatch") && got[2].contains("24x16"),
        "{}",
        got[2]
    );
    assert!(
        got[3].contains("400") && got[3].contains("header x-image-"),
        "{}",
        got[3]
    );
    assert!(got[4].contains("not valid base64"), "{}", got[4]);
    assert!(
        got[5].contains("400") && got[5].contains("base64 JSON"),
        "{}",
        got[5]
    );
    assert_eq!(got[6], "ok", "the server still answers good requests");
}

#[test]
fn oversized_bodies_name_the_flag_that_raises_the_limit() {
    let big = vec![0u8; (1 << 20) + 10];
    let got = outcomes(
        Protocol::Rest,
        &["--max-message-mb", "1"],
        vec![rest("/binary", big.clone(), &[])],
    );
    assert!(
        got[0].contains("413") && got[0].contains("--max-message-mb"),
        "{}",
        got[0]
    );
    let message = pb::BinaryImageRequest {
        image: Bytes::from(big),
        info: None,
    }
    .encode_to_vec();
    let got = outcomes(
        Protocol::Grpc,
        &["--max-message-mb", "1"],
        vec![grpc(paths::BINARY, message)],
    );
    assert!(got[0].contains("--max-message-mb"), "{}", got[0]);
}

#[test]
fn grpc_rejects_garbage_and_mismatches_and_keeps_serving() {
    let jpeg = tiny_jpeg();
    let info = |w| {
        Some(pb::ImageInfo {
            width: w,
            height: 16,
            channels: 3,
            format: pb::ImageFormat::Jpeg as i32,
        })
    };
    let binary = |w| {
        pb::BinaryImageRequest {
            image: Bytes::from(jpeg.clone()),
            info: info(w),
        }
        .encode_to_vec()
    };
    let got = outcomes(
        Protocol::Grpc,
        &[],
        vec![
            grpc(paths::BINARY, vec![0xff, 0xff, 0xff, 0x01]),
            grpc(paths::BINARY, binary(30)),
            grpc(
                paths::BINARY,
                pb::BinaryImageRequest {
                    image: Bytes::from(jpeg.clone()),
                    info: None,
                }
                .encode_to_vec(),
            ),
            grpc(
                paths::BASE64,
                pb::Base64ImageRequest {
                    image: "%%%".into(),
                    info: info(24),
                }
                .encode_to_vec(),
            ),
            grpc("/imgwire.v1.ImageService/Nope", vec![]),
            grpc(paths::BINARY, binary(24)),
        ],
    );
    assert!(
        got[0].contains("InvalidArgument") && got[0].contains("BinaryImageRequest"),
        "{}",
        got[0]
    );
    assert!(got[1].contains("size mismatch"), "{}", got[1]);
    assert!(got[2].contains("no `info`"), "{}", got[2]);
    assert!(got[3].contains("not valid base64"), "{}", got[3]);
    assert!(got[4].contains("Unimplemented"), "{}", got[4]);
    assert_eq!(got[5], "ok");
}

#[test]
fn a_truncated_body_does_not_hurt_the_rest_server() {
    let servers = start_servers(server_config(&[]));
    let mut stream = std::net::TcpStream::connect(servers.rest_addr).unwrap();
    write!(
        stream,
        "POST /binary HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n\r\nonly a little"
    )
    .unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    // The body never completed; the server may answer 400 or just close. Either
    // way it must still serve the next request.
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer}"
    );
    let mut stream = std::net::TcpStream::connect(servers.rest_addr).unwrap();
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok"),
        "{answer}"
    );
}

#[test]
fn server_timing_travels_back_on_both_protocols() {
    let servers = start_servers(server_config(&[]));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let jpeg = tiny_jpeg();
    for protocol in [Protocol::Rest, Protocol::Grpc] {
        let url = servers.url(protocol);
        let request = match protocol {
            Protocol::Rest => WireRequest {
                headers: jpeg_headers("24", "16"),
                ..rest("/binary", jpeg.clone(), &[])
            },
            Protocol::Grpc => grpc(
                paths::BINARY,
                pb::BinaryImageRequest {
                    image: Bytes::from(jpeg.clone()),
                    info: Some(pb::ImageInfo {
                        width: 24,
                        height: 16,
                        channels: 3,
                        format: 1,
                    }),
                }
                .encode_to_vec(),
            ),
            Protocol::RestH2 | Protocol::Tcp => {
                unreachable!("only REST/1.1 and gRPC are looped over")
            }
        };
        let exchange = runtime.block_on(async {
            let client = Client::connect(protocol, &url, &common::client_settings(1, 1))
                .await
                .unwrap();
            client.call(0, request).await.unwrap()
        });
        let text = exchange.server_timing.expect("server-timing present");
        let timings = imgwire::wire::server_timing::ServerTimings::parse(&text).unwrap();
        let names: Vec<&str> = timings.entries().iter().map(|(s, _)| s.name()).collect();
        assert_eq!(
            names,
            [
                "server.receive",
                "server.deserialize",
                "server.queue",
                "server.decode",
                "server.respond"
            ],
            "{protocol:?}: {text}"
        );
        assert!(
            timings.total() <= exchange.roundtrip,
            "{protocol:?}: server time within the round trip"
        );
    }
}

#[test]
fn rest_refuses_bad_gzip_and_gzip_bombs_by_name() {
    let jpeg = tiny_jpeg();
    let gzip = |body: &[u8]| imgwire::wire::gzip::compress(body);
    let coded = |body: Vec<u8>, coding: &str| {
        let mut request = rest("/binary", body, &[("content-encoding", coding)]);
        request.headers.extend(jpeg_headers("24", "16"));
        request
    };
    let got = outcomes(
        Protocol::Rest,
        &["--max-message-mb", "1"],
        vec![
            coded(b"not gzip".to_vec(), "gzip"),
            // 2 MiB of zeros packs into a few KiB and must not inflate past 1 MiB.
            coded(gzip(&vec![0u8; 2 << 20]), "gzip"),
            coded(jpeg.clone(), "br"),
            coded(gzip(&jpeg), "gzip"),
        ],
    );
    assert!(
        got[0].contains("400") && got[0].contains("gzip"),
        "{}",
        got[0]
    );
    assert!(
        got[1].contains("413") && got[1].contains("--max-message-mb"),
        "{}",
        got[1]
    );
    assert!(
        got[2].contains("400") && got[2].contains("'br'"),
        "{}",
        got[2]
    );
    assert_eq!(got[3], "ok");
}
