//! Client-side (de)serialisation: compressed bytes -> request body for a
//! protocol and payload kind, and response body -> checked prediction.

use super::body::WireBody;
use super::json;
use super::prediction_shape::{PredictionProto, PredictionShape};
use super::proto::paths;
use super::{content, image_body, PayloadKind};
use crate::protocol::Protocol;
use crate::wire::EncodedImage;
use anyhow::{anyhow, Context, Result};
use bytes::Bytes;
use prost::Message;
use std::borrow::Cow;

/// A request ready to send: where, what, and the REST headers it needs.
#[derive(Clone, Debug)]
pub struct WireRequest {
    /// The REST path or the gRPC method path (`/package.Service/Method`).
    pub path: Cow<'static, str>,
    pub body: WireBody,
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
            Bytes::from(json_body(content::shared_basic_json())?),
            "application/json",
            vec![],
        ),
        PayloadKind::B64 => (
            Bytes::from(image_body::base64_json(image()?)),
            "application/json",
            vec![],
        ),
        PayloadKind::Binary => {
            let image = image()?;
            let meta = image.meta;
            let headers = vec![
                (json::headers::WIDTH, meta.width.to_string()),
                (json::headers::HEIGHT, meta.height.to_string()),
                (json::headers::CHANNELS, meta.channels.to_string()),
                (json::headers::FORMAT, meta.format.name().to_string()),
            ];
            // The image's own buffer: the body is a reference, not a copy.
            (image.bytes.clone(), "application/octet-stream", headers)
        }
    };
    Ok(WireRequest {
        path: Cow::Borrowed(path),
        body: body.into(),
        content_type,
        headers,
    })
}

/// `value` as JSON, written into a buffer sized for the seed's basic
/// request (1,268 bytes) rather than grown from 128 bytes four times.
fn json_body(value: &impl serde::Serialize) -> serde_json::Result<Vec<u8>> {
    let mut body = Vec::with_capacity(2048);
    serde_json::to_writer(&mut body, value)?;
    Ok(body)
}

fn serialize_grpc<'a>(
    payload: PayloadKind,
    image: impl Fn() -> Result<&'a EncodedImage>,
) -> Result<WireRequest> {
    let (path, body) = match payload {
        PayloadKind::Basic => (
            paths::BASIC,
            content::shared_basic_proto().encode_to_vec().into(),
        ),
        PayloadKind::B64 => (paths::BASE64, image_body::base64_proto(image()?).into()),
        PayloadKind::Binary => (paths::BINARY, image_body::binary_proto(image()?)),
    };
    Ok(WireRequest {
        path: Cow::Borrowed(path),
        body,
        content_type: "application/grpc",
        headers: vec![],
    })
}

/// Parses and checks a response body: the `response` stage.
pub fn parse_response(protocol: Protocol, body: &[u8]) -> Result<()> {
    let (scores, labels) = match protocol {
        Protocol::Rest | Protocol::RestH2 => {
            let shape: PredictionShape =
                serde_json::from_slice(body).context("the REST response is not prediction JSON")?;
            (shape.scores, shape.labels)
        }
        Protocol::Grpc => {
            let parsed = PredictionProto::decode(body)
                .context("the gRPC response is not a PredictionResponse")?;
            (parsed.prediction1.len(), parsed.prediction2.len())
        }
        // The floor answers fixed bytes (the prediction); nothing to parse.
        Protocol::Tcp => return Ok(()),
    };
    Ok(content::check_prediction(scores, labels)?)
}

#[cfg(test)]
mod tests {
    use super::super::proto::imgwire as pb;
    use super::*;

    #[test]
    fn a_binary_body_holds_the_images_own_buffer() {
        let image = crate::wire::test_image(2, 1);
        for protocol in [
            Protocol::Rest,
            Protocol::RestH2,
            Protocol::Tcp,
            Protocol::Grpc,
        ] {
            let request = serialize(protocol, PayloadKind::Binary, Some(&image)).unwrap();
            let shared = request
                .body
                .parts()
                .iter()
                .find(|part| *part == &image.bytes);
            assert_eq!(
                shared.map(|part| part.as_ptr()),
                Some(image.bytes.as_ptr()),
                "{protocol:?}: the body shares the image's bytes, it is no copy"
            );
        }
    }

    #[test]
    fn image_bodies_are_exactly_as_long_as_their_text() {
        let image = crate::wire::test_image(2, 1);
        let text_len = image.bytes.len().div_ceil(3) * 4;
        let rest = serialize(Protocol::Rest, PayloadKind::B64, Some(&image)).unwrap();
        let rest_body = rest.body.contiguous();
        let parsed: json::Base64Json = serde_json::from_slice(&rest_body).unwrap();
        assert_eq!(parsed.image.len(), text_len);
        assert_eq!(parsed.meta(), image.meta);
        let grpc = serialize(Protocol::Grpc, PayloadKind::B64, Some(&image)).unwrap();
        let message = pb::Base64ImageRequest::decode(grpc.body.contiguous()).unwrap();
        assert_eq!(message.image, parsed.image);
        let binary = serialize(Protocol::Grpc, PayloadKind::Binary, Some(&image)).unwrap();
        let message = pb::BinaryImageRequest::decode(binary.body.contiguous()).unwrap();
        assert_eq!(message.image, image.bytes);
    }
}
