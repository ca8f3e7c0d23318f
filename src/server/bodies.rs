//! Each protocol's request and response bodies, as the shared request path
//! reads and writes them: JSON, base64 in JSON and raw bytes with `x-image-*`
//! headers for REST; protobuf for gRPC. A REST body whose Content-Type
//! contradicts its route, or an image whose declared channel count its
//! format does not have, is refused here.

use super::decode_limits::check_channels;
use super::parse_limits::{check_map, MAX_BASIC_ENTRIES};
use super::proto_scan::{count, each_field, Wire};
use super::refusal::{echo, RequestError};
use super::request::{BodyFormat, Deserialized};
use crate::wire::json::{self, Base64Json};
use crate::wire::proto::imgwire as pb;
use crate::wire::{content, ImageFormat, ImageMeta, PayloadKind};
use base64::Engine;
use bytes::Bytes;
use http::HeaderMap;
use prost::Message;

/// REST bodies; a raw `/binary` body's metadata comes in its headers.
pub struct RestBodies<'a> {
    pub headers: &'a HeaderMap,
}

impl BodyFormat for RestBodies<'_> {
    fn deserialize(&self, payload: PayloadKind, body: Bytes) -> Result<Deserialized, RequestError> {
        check_content_type(self.headers, payload)?;
        match payload {
            PayloadKind::Basic => {
                serde_json::from_slice::<BasicBody>(&body).map_err(|e| {
                    RequestError::Malformed(format!("body is not the basic JSON request: {e}"))
                })?;
                Ok(Deserialized::Structured)
            }
            PayloadKind::B64 => {
                let parsed: Base64Json = serde_json::from_slice(&body).map_err(|e| {
                    RequestError::Malformed(format!("body is not the base64 JSON request: {e}"))
                })?;
                let meta = parsed.meta();
                check_channels(&meta, "field `channels`")?;
                Ok(Deserialized::Image {
                    bytes: decode_base64(parsed.image.as_bytes())?,
                    meta,
                })
            }
            PayloadKind::Binary => Ok(Deserialized::Image {
                meta: meta_from_headers(self.headers)?,
                bytes: body,
            }),
        }
    }

    fn prediction(&self) -> Bytes {
        Bytes::from(serde_json::to_vec(&content::prediction_json()).unwrap_or_default())
    }
}

/// gRPC bodies: `imgwire.v1` protobuf messages.
pub struct GrpcBodies;

impl BodyFormat for GrpcBodies {
    fn deserialize(&self, payload: PayloadKind, body: Bytes) -> Result<Deserialized, RequestError> {
        let malformed = |what: &str, e: prost::DecodeError| {
            RequestError::Malformed(format!("not a {what}: {e}"))
        };
        match payload {
            PayloadKind::Basic => {
                check_basic_request(&body)?;
                pb::BasicRequest::decode(body).map_err(|e| malformed("BasicRequest", e))?;
                Ok(Deserialized::Structured)
            }
            PayloadKind::B64 => {
                // `Base64ImageRequest` and `BinaryImageRequest` differ only
                // in field 1's type, string or bytes, which protobuf writes
                // alike: read as bytes, the text is a slice of the body
                // instead of a copy into a `String` (and base64 decoding
                // refuses anything not base64, invalid UTF-8 included).
                let request = pb::BinaryImageRequest::decode(body)
                    .map_err(|e| malformed("Base64ImageRequest", e))?;
                let bytes = decode_base64(&request.image)?;
                Ok(Deserialized::Image {
                    bytes,
                    meta: meta_from_info(request.info)?,
                })
            }
            PayloadKind::Binary => {
                let request = pb::BinaryImageRequest::decode(body)
                    .map_err(|e| malformed("BinaryImageRequest", e))?;
                Ok(Deserialized::Image {
                    meta: meta_from_info(request.info)?,
                    bytes: request.image,
                })
            }
        }
    }

    fn prediction(&self) -> Bytes {
        Bytes::from(content::prediction_proto().encode_to_vec())
    }
}

/// `POST /basic`'s body as the server reads it: the fields of
/// `wire::json::BasicJson`, checked, with `field4` counted as it is read
/// and not built (at most [`MAX_BASIC_ENTRIES`] entries).
#[derive(serde::Deserialize)]
#[allow(dead_code)] // read to check the body, not used
struct BasicBody<'a> {
    #[serde(borrow)]
    field1: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    field2: std::borrow::Cow<'a, str>,
    field3: i32,
    #[serde(deserialize_with = "basic_entries")]
    field4: (),
}

fn basic_entries<'de, D: serde::Deserializer<'de>>(d: D) -> Result<(), D::Error> {
    check_map::<D, i32>(d, "field4", MAX_BASIC_ENTRIES)
}

/// Refuses a gRPC `BasicRequest` whose `field4` map holds more than
/// [`MAX_BASIC_ENTRIES`] entries, before prost builds the map.
fn check_basic_request(message: &[u8]) -> Result<(), RequestError> {
    let mut entries = 0;
    each_field(message, "BasicRequest", |number, value| {
        match (number, value) {
            (4, Wire::Bytes(_)) => count(&mut entries, 1, "field4", MAX_BASIC_ENTRIES),
            _ => Ok(()),
        }
    })
}

/// The `image` field of a base64 request, as bytes.
fn decode_base64(text: &[u8]) -> Result<Bytes, RequestError> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map(Bytes::from)
        .map_err(|e| RequestError::Malformed(format!("field `image` is not valid base64: {e}")))
}

fn meta_from_info(info: Option<pb::ImageInfo>) -> Result<ImageMeta, RequestError> {
    let meta = ImageMeta::try_from(info).map_err(|e| RequestError::Malformed(e.to_string()))?;
    check_channels(&meta, "info.channels")?;
    Ok(meta)
}

/// The media types that contradict a route: JSON or text sent to
/// `/binary`, an image or a form sent to a JSON route. No Content-Type at
/// all, `application/octet-stream` and anything else are accepted.
fn check_content_type(headers: &HeaderMap, payload: PayloadKind) -> Result<(), RequestError> {
    let Some(value) = headers.get(http::header::CONTENT_TYPE) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or("?");
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let is_json = essence == "application/json" || essence.ends_with("+json");
    let (contradicts, expected) = match payload {
        PayloadKind::Binary => (
            is_json || essence.starts_with("text/"),
            "application/octet-stream",
        ),
        PayloadKind::Basic | PayloadKind::B64 => (
            essence.starts_with("image/") || essence.starts_with("multipart/"),
            "application/json",
        ),
    };
    if !contradicts {
        return Ok(());
    }
    Err(RequestError::UnsupportedMediaType(format!(
        "Content-Type '{}' does not fit this route; send {expected} (or no Content-Type)",
        echo(text)
    )))
}

fn meta_from_headers(headers: &HeaderMap) -> Result<ImageMeta, RequestError> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| RequestError::Malformed(format!("header {name} is missing")))
    };
    let number = |name: &str| {
        text(name)?
            .parse::<u32>()
            .map_err(|_| RequestError::Malformed(format!("header {name} is not a whole number")))
    };
    let format = text(json::headers::FORMAT)?;
    let meta = ImageMeta {
        width: number(json::headers::WIDTH)?,
        height: number(json::headers::HEIGHT)?,
        channels: number(json::headers::CHANNELS)?,
        format: ImageFormat::parse(format).ok_or_else(|| {
            RequestError::Malformed(format!(
                "header x-image-format '{}' is not jpeg or raw",
                echo(format)
            ))
        })?,
    };
    check_channels(&meta, "header x-image-channels")?;
    Ok(meta)
}
