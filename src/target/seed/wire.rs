//! The seed post's own wire format, spoken as a client (`--target seed`):
//! its REST bodies (`/basic` JSON, `/base64` `{"image": ...}`, `/binary` a
//! raw body), its gRPC service `ai.statsbomb.com.GrpcBenchmarkApiService`
//! (proto/seed/v1/seed.proto), and its answer, checked for the types the
//! post fixes (`prediction1: List[float]`, `prediction2: Dict[str, int]`),
//! of any sizes and values: what one server of the post answers (100
//! scores, the map `{"0": 0, ..., "99": 99}`) is not the schema.

use crate::protocol::Protocol;
use crate::wire::body::WireBody;
use crate::wire::image_body;
use crate::wire::payload::{rest_path, WireRequest};
use crate::wire::proto::seed as pb;
use crate::wire::{content, EncodedImage, PayloadKind};
use base64::Engine;
use prost::Message;
use serde::{Deserialize, Serialize};

/// gRPC method paths of `ai.statsbomb.com.GrpcBenchmarkApiService`.
pub mod paths {
    pub const BASIC: &str = "/ai.statsbomb.com.GrpcBenchmarkApiService/BenchmarkBasicRequest";
    pub const BASE64: &str = "/ai.statsbomb.com.GrpcBenchmarkApiService/BenchmarkB64Image";
    pub const BINARY: &str = "/ai.statsbomb.com.GrpcBenchmarkApiService/BenchmarkBinaryImage";
}

/// Scores targets/seed's servers answer (`prediction1`); not checked.
#[cfg(test)]
pub const SEED_SCORES: usize = 100;
/// Entries in targets/seed's answer map (`prediction2`: `"i"` -> `i`); not
/// checked.
#[cfg(test)]
pub const SEED_LABELS: usize = 100;

/// What can go wrong speaking the seed's format.
#[derive(Debug, thiserror::Error)]
pub enum SeedWireError {
    #[error("payload '{0}' needs an image")]
    NoImage(&'static str),
    #[error("the {0} protocol has no seed server (the seed post has REST/1.1 and gRPC only)")]
    NoSeedServer(&'static str),
    #[error("could not write the seed's JSON request: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the seed's REST answer is not its prediction JSON: {0}")]
    RestAnswer(serde_json::Error),
    #[error("the seed's gRPC answer is not a BasicResponse: {0}")]
    GrpcAnswer(prost::DecodeError),
    #[error("the seed's REST answer is not of the post's types: {0}")]
    Types(String),
}

/// `POST /base64`: exactly what the seed's `ImageBase64Request` takes.
#[derive(Serialize)]
struct Base64Request<'a> {
    image: &'a str,
}

/// The seed's answer as JSON: `{"prediction1": [...], "prediction2": {...}}`.
#[derive(Deserialize)]
struct Answer {
    prediction1: Option<serde_json::Value>,
    prediction2: Option<serde_json::Value>,
}

/// Builds one request in the seed's format: the `serialize` stage.
pub fn serialize(
    protocol: Protocol,
    payload: PayloadKind,
    image: Option<&EncodedImage>,
) -> Result<WireRequest, SeedWireError> {
    let image = || image.ok_or(SeedWireError::NoImage(payload.name()));
    let base64 =
        |image: &EncodedImage| base64::engine::general_purpose::STANDARD.encode(&image.bytes);
    let (path, body, content_type): (_, WireBody, _) = match (protocol, payload) {
        (Protocol::Rest, PayloadKind::Basic) => (
            rest_path(payload),
            serde_json::to_vec(&content::basic_json())?.into(),
            "application/json",
        ),
        (Protocol::Rest, PayloadKind::B64) => {
            let text = base64(image()?);
            let body = serde_json::to_vec(&Base64Request { image: &text })?;
            (rest_path(payload), body.into(), "application/json")
        }
        (Protocol::Rest, PayloadKind::Binary) => (
            rest_path(payload),
            image()?.bytes.clone().into(),
            "application/octet-stream",
        ),
        (Protocol::Grpc, PayloadKind::Basic) => {
            (paths::BASIC, basic_proto().encode_to_vec().into(), "")
        }
        (Protocol::Grpc, PayloadKind::B64) => {
            let message = pb::ImageBase64Request {
                image: base64(image()?),
            };
            (paths::BASE64, message.encode_to_vec().into(), "")
        }
        // `ImageBinaryRequest { image }`, the image's own buffer behind its key
        (Protocol::Grpc, PayloadKind::Binary) => (
            paths::BINARY,
            WireBody::from_parts(image_body::bytes_field(
                1,
                std::slice::from_ref(&image()?.bytes),
            )),
            "",
        ),
        (other, _) => return Err(SeedWireError::NoSeedServer(other.label())),
    };
    Ok(WireRequest {
        path: path.into(),
        body,
        content_type: match protocol {
            Protocol::Grpc => "application/grpc",
            _ => content_type,
        },
        headers: vec![],
    })
}

/// imgwire's basic request (the same content on every target) as the
/// seed's `BasicRequest`.
fn basic_proto() -> pb::BasicRequest {
    let json = content::basic_json();
    pb::BasicRequest {
        field1: json.field1,
        field2: json.field2,
        field3: json.field3,
        field4: json.field4.into_iter().collect(),
    }
}

/// Parses and checks the seed's answer: the `response` stage. Its types
/// are the check; REST JSON that lacks a field or holds another type is an
/// error, as is gRPC that is no `BasicResponse`.
pub fn parse_response(protocol: Protocol, body: &[u8]) -> Result<(), SeedWireError> {
    match protocol {
        Protocol::Rest => {
            let answer: Answer = serde_json::from_slice(body).map_err(SeedWireError::RestAnswer)?;
            check_types(answer).map_err(SeedWireError::Types)?;
        }
        Protocol::Grpc => {
            pb::BasicResponse::decode(body).map_err(SeedWireError::GrpcAnswer)?;
        }
        other => return Err(SeedWireError::NoSeedServer(other.label())),
    }
    Ok(())
}

/// `prediction1` is a list of numbers (`List[float]`: a JSON integer is a
/// float too) and `prediction2` maps strings to integers (`Dict[str, int]`),
/// of any lengths; where not, which field and value break them.
fn check_types(answer: Answer) -> Result<(), String> {
    use serde_json::Value;
    let short = |v: &Value| v.to_string().chars().take(40).collect::<String>();
    match answer.prediction1 {
        None => return Err("`prediction1` (List[float]) is missing".into()),
        Some(Value::Array(scores)) => {
            if let Some(bad) = scores.iter().find(|v| !v.is_number()) {
                return Err(format!("`prediction1` holds {}, not a float", short(bad)));
            }
        }
        Some(other) => return Err(format!("`prediction1` is {}, not a list", short(&other))),
    }
    match answer.prediction2 {
        None => Err("`prediction2` (Dict[str, int]) is missing".into()),
        Some(Value::Object(labels)) => match labels.iter().find(|(_, v)| !v.is_i64()) {
            Some((key, bad)) => Err(format!(
                "`prediction2` maps \"{key}\" to {}, not an int",
                short(bad)
            )),
            None => Ok(()),
        },
        Some(other) => Err(format!("`prediction2` is {}, not a map", short(&other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image() -> EncodedImage {
        crate::wire::test_image(2, 1)
    }

    fn seed_answer() -> pb::BasicResponse {
        pb::BasicResponse {
            prediction1: (0..SEED_SCORES).map(|i| i as f32 / 200.0).collect(),
            prediction2: (0..SEED_LABELS as i32)
                .map(|i| (i.to_string(), i))
                .collect(),
        }
    }

    #[test]
    fn requests_are_exactly_what_the_seed_routes_take() {
        let image = image();
        let b64 = serialize(Protocol::Rest, PayloadKind::B64, Some(&image)).unwrap();
        assert_eq!(
            (b64.path.as_ref(), b64.content_type),
            ("/base64", "application/json")
        );
        assert_eq!(&b64.body.contiguous()[..], br#"{"image":"/9gBAgM="}"#);
        let binary = serialize(Protocol::Rest, PayloadKind::Binary, Some(&image)).unwrap();
        assert_eq!(binary.content_type, "application/octet-stream");
        assert!(binary.headers.is_empty());
        assert_eq!(&binary.body.contiguous()[..], &image.bytes[..]);
        let grpc = serialize(Protocol::Grpc, PayloadKind::Binary, Some(&image)).unwrap();
        assert_eq!(grpc.path, paths::BINARY);
        let sent = pb::ImageBinaryRequest::decode(grpc.body.contiguous()).unwrap();
        assert_eq!(&sent.image[..], &image.bytes[..]);
        let basic = serialize(Protocol::Grpc, PayloadKind::Basic, None).unwrap();
        assert_eq!(
            pb::BasicRequest::decode(basic.body.contiguous())
                .unwrap()
                .field4
                .len(),
            100
        );
        assert!(serialize(Protocol::Tcp, PayloadKind::Basic, None).is_err());
        assert!(serialize(Protocol::Rest, PayloadKind::B64, None).is_err());
    }

    #[test]
    fn answers_of_the_posts_types_pass_whatever_their_sizes_and_values() {
        parse_response(Protocol::Grpc, &seed_answer().encode_to_vec()).unwrap();
        let variant = pb::BasicResponse {
            prediction1: vec![3.5, -1.0, 7.0],
            prediction2: (0..10).map(|i| (format!("class{i}"), i * 7)).collect(),
        };
        parse_response(Protocol::Grpc, &variant.encode_to_vec()).unwrap();
        parse_response(
            Protocol::Grpc,
            &pb::BasicResponse::default().encode_to_vec(),
        )
        .unwrap();
        for json in [
            serde_json::json!({
                "prediction1": seed_answer().prediction1,
                "prediction2": seed_answer().prediction2,
            }),
            serde_json::json!({"prediction1": [0.25, 2, -3.5], "prediction2": {"cat": 3, "dog": -1}}),
            serde_json::json!({"prediction1": [], "prediction2": {}, "extra": true}),
        ] {
            parse_response(Protocol::Rest, json.to_string().as_bytes()).unwrap();
        }
    }

    #[test]
    fn answers_of_other_types_are_errors() {
        for json in [
            r#"{"detail": []}"#,
            r#"{"prediction1": [0.5]}"#,
            r#"{"prediction1": ["a"], "prediction2": {}}"#,
            r#"{"prediction1": [0.5], "prediction2": {"a": 0.5}}"#,
            r#"{"prediction1": null, "prediction2": {}}"#,
            r#"{"prediction1": [0.5], "prediction2": [1, 2]}"#,
            "not json",
        ] {
            let err = parse_response(Protocol::Rest, json.as_bytes()).unwrap_err();
            let expected = match json {
                "not json" => "the seed's REST answer is not its prediction JSON",
                _ => "the seed's REST answer is not of the post's types: `prediction",
            };
            assert!(err.to_string().starts_with(expected), "{json}: {err}");
        }
        let err = parse_response(Protocol::Grpc, b"\xff\xff\xff").unwrap_err();
        assert!(matches!(err, SeedWireError::GrpcAnswer(_)), "{err}");
        assert!(parse_response(Protocol::Tcp, b"{}").is_err());
    }
}
