//! Property tests: whatever a client sends to imgwire's own routes (REST
//! JSON, base64 JSON, raw bytes with `x-image-*` headers, protobuf), the
//! server's body readers, its size checks, the JPEG frame-header scan and
//! scan count give Ok or a typed refusal, never a panic; an image they accept then
//! goes through the checks and the decoder as the request path runs them.
//! Inputs are arbitrary bytes and valid bodies with edits (`wire::fuzz`).

use super::bodies::{GrpcBodies, RestBodies};
use super::decode::{decode, ServerDecoder};
use super::decode_limits::{check_image, check_scans, raw_len, DecodeLimits};
use super::jpeg_size;
use super::refusal::RequestError;
use super::request::{BodyFormat, Deserialized};
use crate::wire::fuzz::{apply, bytes, config, edits};
use crate::wire::json::headers;
use crate::wire::proto::imgwire as pb;
use crate::wire::PayloadKind;
use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use prost::Message;

/// Small, so a JPEG the checks pass decodes in microseconds.
const MAX_PIXELS: u64 = 1 << 16;

const PAYLOADS: [PayloadKind; 3] = [PayloadKind::Basic, PayloadKind::B64, PayloadKind::Binary];

fn payload() -> impl Strategy<Value = PayloadKind> {
    prop::sample::select(&PAYLOADS[..])
}

/// A 16x8 JPEG, as turbojpeg writes one.
pub(crate) fn small_jpeg() -> Vec<u8> {
    let (width, height) = (16, 8);
    let pixels: Vec<u8> = (0..width * height * 3)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    turbojpeg::Compressor::new()
        .and_then(|mut compressor| {
            compressor.compress_to_vec(turbojpeg::Image {
                pixels: pixels.as_slice(),
                width,
                pitch: width * 3,
                height,
                format: turbojpeg::PixelFormat::RGB,
            })
        })
        .expect("turbojpeg compresses a 16x8 image")
}

/// What the request path does with a body it read: an image's size checks,
/// then the decoder; every step may refuse, none may panic.
pub(crate) fn serve(read: Result<Deserialized, RequestError>) {
    let Ok(Deserialized::Image { bytes, meta }) = read else {
        return;
    };
    let _ = raw_len(&meta);
    let limits = DecodeLimits::default();
    if check_image(&bytes, &meta, MAX_PIXELS).is_ok() && check_scans(&bytes, &limits).is_ok() {
        let _ = decode(ServerDecoder::Turbojpeg, &bytes, &meta);
    }
}

/// Header values: a few that parse, and anything.
fn header_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(&["16", "8", "3", "1", "0", "jpeg", "raw", "4294967296", "-1"][..])
            .prop_map(String::from),
        "[ -~]{0,12}",
    ]
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    let known = prop::sample::select(
        &[
            "application/json",
            "application/octet-stream",
            "text/plain; charset=utf-8",
            "image/jpeg",
            "multipart/form-data",
            "application/problem+json",
        ][..],
    );
    prop::option::of(prop_oneof![known.prop_map(String::from), "[ -~]{0,24}"])
}

/// A header map from texts (those that are no header value are left out).
fn header_map(content_type: Option<String>, image: [String; 4]) -> HeaderMap {
    let mut map = HeaderMap::new();
    let names = [
        headers::WIDTH,
        headers::HEIGHT,
        headers::CHANNELS,
        headers::FORMAT,
    ];
    let pairs = names.into_iter().zip(image).map(|(n, v)| (n, Some(v)));
    for (name, text) in pairs.chain([("content-type", content_type)]) {
        if let Some(value) = text.and_then(|t| HeaderValue::from_str(&t).ok()) {
            map.insert(name, value);
        }
    }
    map
}

fn valid_rest_bodies(jpeg: &[u8]) -> [Vec<u8>; 3] {
    let text = base64::engine::general_purpose::STANDARD.encode(jpeg);
    [
        br#"{"field1":"a","field2":"b","field3":3,"field4":{"k":1}}"#.to_vec(),
        format!(r#"{{"image":"{text}","width":16,"height":8,"channels":3,"format":"jpeg"}}"#)
            .into_bytes(),
        jpeg.to_vec(),
    ]
}

fn info(width: u32, height: u32, channels: u32, format: i32) -> Option<pb::ImageInfo> {
    Some(pb::ImageInfo {
        width,
        height,
        channels,
        format,
    })
}

fn valid_grpc_bodies(jpeg: &[u8], info: Option<pb::ImageInfo>) -> [Vec<u8>; 3] {
    let basic = pb::BasicRequest {
        field1: "a".into(),
        field2: "b".into(),
        field3: 3,
        field4: [("k".to_string(), 1)].into_iter().collect(),
    };
    let b64 = pb::Base64ImageRequest {
        image: base64::engine::general_purpose::STANDARD.encode(jpeg),
        info,
    };
    let binary = pb::BinaryImageRequest {
        image: jpeg.to_vec().into(),
        info,
    };
    [
        basic.encode_to_vec(),
        b64.encode_to_vec(),
        binary.encode_to_vec(),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_rest_body_and_headers_are_read_or_refused(
        payload in payload(),
        body in bytes(),
        content_type in content_type(),
        image in prop::array::uniform4(header_text()),
    ) {
        let headers = header_map(content_type, image);
        serve(RestBodies { headers: &headers }.deserialize(payload, Bytes::from(body)));
    }

    #[test]
    fn edited_rest_bodies_are_read_or_refused(
        edits in edits(),
        image in prop::array::uniform4(header_text()),
    ) {
        let jpeg = small_jpeg();
        let valid = ["16", "8", "3", "jpeg"].map(String::from);
        for headers in [header_map(None, valid), header_map(None, image)] {
            for (payload, body) in PAYLOADS.into_iter().zip(valid_rest_bodies(&jpeg)) {
                let body = Bytes::from(apply(&body, &edits));
                serve(RestBodies { headers: &headers }.deserialize(payload, body));
            }
        }
    }

    #[test]
    fn any_grpc_message_is_read_or_refused(payload in payload(), body in bytes()) {
        serve(GrpcBodies.deserialize(payload, Bytes::from(body)));
    }

    #[test]
    fn edited_grpc_messages_are_read_or_refused(
        edits in edits(),
        width in prop_oneof![Just(16u32), any::<u32>()],
        height in prop_oneof![Just(8u32), any::<u32>()],
        channels in 0u32..6,
        format in -1i32..4,
    ) {
        let jpeg = apply(&small_jpeg(), &edits);
        let info = info(width, height, channels, format);
        let messages = valid_grpc_bodies(&jpeg, info).into_iter();
        for (payload, body) in PAYLOADS.into_iter().zip(messages) {
            serve(GrpcBodies.deserialize(payload, Bytes::from(apply(&body, &edits))));
        }
    }

    #[test]
    fn any_bytes_scan_to_a_jpeg_size_or_an_error(body in bytes()) {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend_from_slice(&body);
        let _ = jpeg_size::read(&body);
        let _ = jpeg_size::read(&jpeg);
        prop_assert!(jpeg_size::count_scans(&jpeg, 3) <= 4, "the count stops past its limit");
    }

    #[test]
    fn edited_jpegs_scan_and_decode_or_are_refused(edits in edits()) {
        let jpeg = apply(&small_jpeg(), &edits);
        let _ = jpeg_size::read(&jpeg);
        let _ = jpeg_size::count_scans(&jpeg, 1000);
        let headers = header_map(None, ["16", "8", "3", "jpeg"].map(String::from));
        serve(RestBodies { headers: &headers }.deserialize(PayloadKind::Binary, jpeg.into()));
    }
}

/// The valid bodies the edits start from are read, and their image passes
/// the checks and decodes.
#[test]
fn the_unedited_bodies_are_read_and_decode() {
    let jpeg = small_jpeg();
    let headers = header_map(None, ["16", "8", "3", "jpeg"].map(String::from));
    let rest = PAYLOADS
        .into_iter()
        .zip(valid_rest_bodies(&jpeg))
        .map(|(payload, body)| {
            RestBodies { headers: &headers }.deserialize(payload, Bytes::from(body))
        });
    let grpc_bodies = valid_grpc_bodies(&jpeg, info(16, 8, 3, pb::ImageFormat::Jpeg as i32));
    let grpc = PAYLOADS
        .into_iter()
        .zip(grpc_bodies)
        .map(|(payload, body)| GrpcBodies.deserialize(payload, Bytes::from(body)));
    for read in rest.chain(grpc) {
        match read.unwrap() {
            Deserialized::Structured => {}
            Deserialized::Image { bytes, meta } => {
                check_image(&bytes, &meta, MAX_PIXELS).unwrap();
                decode(ServerDecoder::Turbojpeg, &bytes, &meta).unwrap();
            }
        }
    }
}
