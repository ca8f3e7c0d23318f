//! Client-side (de)serialisation: compressed bytes -> request body for a
//! protocol and payload kind, and response body -> checked prediction.

use super::json::{self, Base64Json, PredictionJson};
use super::proto::{imgwire as pb, paths};
use super::{content, PayloadKind};
use crate::protocol::Protocol;
use crate::wire::EncodedImage;
use anyhow::{anyhow, Context, Result};
use base64::Engine;
use bytes::Bytes;
use prost::Message;
use std::borrow::Cow;

/// A request ready to send: where, what, and the REST headers it needs.
#[derive(Clone, Debug)]
pub struct WireRequest {
    /// The REST path or the gRPC method path (`/package.Service/Method`).
    pub path: Cow<'static, str>,
    pub body: Bytes,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
}

/// The REST path of a payload kind (the seed's routes).
pub fn rest_path(payload: PayloadKind) -> &'static str {
    match payload {
        PayloadKind::Basic => "/basic",
        PayloadKind::B64 => "/base64",
        PayloadKind::Binary => "/binary",
    }
}

/// Builds the body of one request: the `serialize` stage.
pub fn serialize(
    protocol: Protocol,
    payload: PayloadKind,
    image: Option<&EncodedImage>,
) -> Result<WireRequest> {
    let image = || image.ok_or_else(|| anyhow!("payload '{}' needs an image", payload.name()));
    match protocol {
        // The floor sends exactly what REST would, so only the protocol differs.
        Protocol::Rest | Protocol::RestH2 | Protocol::Tcp => serialize_rest(payload, image),
        Protocol::Grpc => serialize_grpc(payload, image),
    }
}

fn serialize_rest<'a>(
    payload: PayloadKind,
    image: impl Fn() -> Result<&'a EncodedImage>,
) -> Result<WireRequest> {
    let path = rest_path(payload);
    let (body, content_type, headers) = match payload {
        PayloadKind::Basic => (
            serde_json::to_vec(&content::basic_json())?,
            "application/json",
            vec![],
        ),
        PayloadKind::B64 => {
            let image = image()?;
            let text = base64::engine::general_purpose::STANDARD.encode(&image.bytes);
            let body = Base64Json {
                image: Cow::Owned(text),
                width: image.meta.width,
                height: image.meta.height,
                channels: image.meta.channels,
                format: image.meta.format,
            };
            (serde_json::to_vec(&body)?, "application/json", vec![])
        }
        PayloadKind::Binary => {
            let image = image()?;
            let meta = image.meta;
            let headers = vec![
                (json::headers::WIDTH, meta.width.to_string()),
                (json::headers::HEIGHT, meta.height.to_string()),
                (json::headers::CHANNELS, meta.channels.to_string()),
                (json::headers::FORMAT, meta.format.name().to_string()),
            ];
            (image.bytes.clone(), "application/octet-stream", headers)
        }
    };
    Ok(WireRequest {
        path: Cow::Borrowed(path),
        body: Bytes::from(body),
        content_type,
        headers,
    })
}

fn serialize_grpc<'a>(
    payload: PayloadKind,
    image: impl Fn() -> Result<&'a EncodedImage>,
) -> Result<WireRequest> {
    let (path, body) = match payload {
        PayloadKind::Basic => (paths::BASIC, content::basic_proto().encode_to_vec()),
        PayloadKind::B64 => {
            let image = image()?;
            let message = pb::Base64ImageRequest {
                image: base64::engine::general_purpose::STANDARD.encode(&image.bytes),
                info: Some(image.meta.into()),
            };
            (paths::BASE64, message.encode_to_vec())
        }
        PayloadKind::Binary => {
            let image = image()?;
            let message = pb::BinaryImageRequest {
                image: Bytes::copy_from_slice(&image.bytes),
                info: Some(image.meta.into()),
            };
            (paths::BINARY, message.encode_to_vec())
        }
    };
    Ok(WireRequest {
        path: Cow::Borrowed(path),
        body: Bytes::from(body),
        content_type: "application/grpc",
        headers: vec![],
    })
}

/// Parses and checks a response body: the `response` stage.
pub fn parse_response(protocol: Protocol, body: &[u8]) -> Result<()> {
    let (scores, labels) = match protocol {
        Protocol::Rest | Protocol::RestH2 => {
            let parsed: PredictionJson =
                serde_json::from_slice(body).context("the REST response is not prediction JSON")?;
            (parsed.prediction1.len(), parsed.prediction2.len())
        }
        Protocol::Grpc => {
            let parsed = pb::PredictionResponse::decode(body)
                .context("the gRPC response is not a PredictionResponse")?;
            (parsed.prediction1.len(), parsed.prediction2.len())
        }
        // The floor answers fixed bytes (the prediction); nothing to parse.
        Protocol::Tcp => return Ok(()),
    };
    Ok(content::check_prediction(scores, labels)?)
}
