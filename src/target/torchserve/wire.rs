//! TorchServe's inference API, spoken as a client: REST
//! `POST /predictions/{model}` (a raw body) and gRPC
//! `org.pytorch.serve.grpc.inference.InferenceAPIsService/Predictions`
//! (proto/torchserve/v1/inference.proto), and the answer. TorchServe fixes
//! no answer schema (a handler answers whatever its author returns: a
//! classifier's top-5 JSON, text, raw bytes), so any successful answer with
//! a body passes; its content is checked only where the user asks
//! (`--expect-json-keys`: a JSON object holding those keys).

use crate::protocol::Protocol;
use crate::wire::body::WireBody;
use crate::wire::image_body;
use crate::wire::payload::WireRequest;
use crate::wire::proto::torchserve as pb;
use crate::wire::{EncodedImage, ImageFormat, ImageMeta, PayloadKind};
use base64::Engine;
use bytes::Bytes;
use prost::Message;
use std::collections::HashMap;

/// gRPC method paths of `org.pytorch.serve.grpc.inference.InferenceAPIsService`.
pub mod paths {
    pub const PREDICTIONS: &str =
        "/org.pytorch.serve.grpc.inference.InferenceAPIsService/Predictions";
    pub const PING: &str = "/org.pytorch.serve.grpc.inference.InferenceAPIsService/Ping";
}

/// The key of `PredictionsRequest.input` the handler reads (TorchServe hands
/// it over as the request row's `data`).
pub const INPUT_KEY: &str = "data";

/// Why `basic` is not measured on TorchServe.
pub const BASIC_REFUSAL: &str = "TorchServe's handler decodes an image; basic carries none";

/// The TorchServe model the requests go to, and what its answers must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TorchserveModel {
    pub name: String,
    /// `--expect-json-keys`: each answer must be a JSON object with these
    /// keys (none: any answer with a body passes).
    pub expect_json_keys: Vec<String>,
}

impl TorchserveModel {
    /// The REST route of the model's predictions.
    pub fn rest_path(&self) -> String {
        format!("/predictions/{}", self.name)
    }
}

/// What can go wrong speaking TorchServe's API.
#[derive(Debug, thiserror::Error)]
pub enum TorchserveWireError {
    #[error("payload '{0}' needs an image")]
    NoImage(&'static str),
    #[error("{0}")]
    Refused(String),
    #[error(
        "TorchServe's handler decodes a JPEG, but --encoder none sends raw pixels; use \
         --encoder turbojpeg or image-rs"
    )]
    NotJpeg,
    #[error("TorchServe's gRPC answer is not a PredictionResponse: {0}")]
    GrpcAnswer(prost::DecodeError),
    #[error("TorchServe's gRPC answer carries status {code}: {message}")]
    GrpcStatus { code: i32, message: String },
    #[error("TorchServe answered {0} with no body")]
    Empty(&'static str),
    #[error(
        "TorchServe's answer is not JSON ({problem}), but --expect-json-keys asks for the keys \
         {keys}: {quote}"
    )]
    NotJson {
        problem: String,
        keys: String,
        quote: String,
    },
    #[error(
        "TorchServe's answer is a JSON {kind}, not an object with the keys {keys} that \
         --expect-json-keys asks for: {quote}"
    )]
    NotObject {
        kind: &'static str,
        keys: String,
        quote: String,
    },
    #[error("TorchServe's answer lacks {missing} (--expect-json-keys {keys}): {quote}")]
    MissingKeys {
        missing: String,
        keys: String,
        quote: String,
    },
}

/// Why TorchServe cannot take `payload` over `protocol`, where it cannot.
pub fn refusal(
    _model: &TorchserveModel,
    protocol: Protocol,
    payload: PayloadKind,
) -> Option<String> {
    match (protocol, payload) {
        (Protocol::Rest | Protocol::Grpc, PayloadKind::Basic) => Some(BASIC_REFUSAL.into()),
        (Protocol::Rest | Protocol::Grpc, _) => None,
        (other, _) => Some(format!(
            "TorchServe has no {} server (it serves REST/1.1 and gRPC)",
            other.label()
        )),
    }
}

/// Builds one request: the `serialize` stage. `binary` sends the JPEG
/// itself, `b64` its base64 text (the handler decodes either).
pub fn serialize(
    model: &TorchserveModel,
    protocol: Protocol,
    payload: PayloadKind,
    image: Option<&EncodedImage>,
) -> Result<WireRequest, TorchserveWireError> {
    if let Some(reason) = refusal(model, protocol, payload) {
        return Err(TorchserveWireError::Refused(reason));
    }
    let image = image.ok_or(TorchserveWireError::NoImage(payload.name()))?;
    if image.meta.format != ImageFormat::Jpeg {
        return Err(TorchserveWireError::NotJpeg);
    }
    let (data, rest_type) = match payload {
        PayloadKind::B64 => (
            Bytes::from(
                base64::engine::general_purpose::STANDARD
                    .encode(&image.bytes)
                    .into_bytes(),
            ),
            "text/plain",
        ),
        _ => (image.bytes.clone(), "application/octet-stream"),
    };
    Ok(match protocol {
        Protocol::Grpc => WireRequest {
            path: paths::PREDICTIONS.into(),
            body: predictions_body(model, data),
            content_type: "application/grpc",
            headers: vec![],
        },
        _ => WireRequest {
            path: model.rest_path().into(),
            body: data.into(),
            content_type: rest_type,
            headers: vec![],
        },
    })
}

/// `PredictionsRequest { model_name, input: {"data": data} }` as parts:
/// the name encoded by prost, then field 3 (`input`, one map entry: key
/// field 1, value field 2) written around `data`'s own buffer, as prost
/// orders and writes them, so the image is not copied.
fn predictions_body(model: &TorchserveModel, data: Bytes) -> WireBody {
    let name = pb::PredictionsRequest {
        model_name: model.name.clone(),
        model_version: String::new(),
        input: HashMap::new(),
        sequence_id: None,
    };
    let key = image_body::bytes_field(1, &[Bytes::from_static(INPUT_KEY.as_bytes())]);
    let entry: Vec<Bytes> = key
        .into_iter()
        .chain(image_body::bytes_field(2, &[data]))
        .collect();
    let name = std::iter::once(Bytes::from(name.encode_to_vec()));
    WireBody::from_parts(name.chain(image_body::bytes_field(3, &entry)))
}

/// Parses and checks an answer: the `response` stage. Any answer with a
/// body passes, unless the model expects JSON keys.
pub fn parse_response(
    model: &TorchserveModel,
    protocol: Protocol,
    _payload: PayloadKind,
    body: &[u8],
    _sent: Option<&ImageMeta>,
) -> Result<(), TorchserveWireError> {
    let answer = handler_answer(protocol, body)?;
    check_keys(&model.expect_json_keys, &answer)
}

/// What the handler answered: the REST body, or the gRPC
/// `PredictionResponse.prediction` (an error where its status says one).
pub fn handler_answer(protocol: Protocol, body: &[u8]) -> Result<Bytes, TorchserveWireError> {
    let (answer, what) = match protocol {
        Protocol::Grpc => {
            let answer =
                pb::PredictionResponse::decode(body).map_err(TorchserveWireError::GrpcAnswer)?;
            if let Some(status) = answer.status.filter(|s| s.code != 0) {
                return Err(TorchserveWireError::GrpcStatus {
                    code: status.code,
                    message: status.message,
                });
            }
            (answer.prediction, "a gRPC prediction")
        }
        _ => (Bytes::copy_from_slice(body), "200"),
    };
    if answer.is_empty() {
        return Err(TorchserveWireError::Empty(what));
    }
    Ok(answer)
}

/// The answer is a JSON object holding every key of `keys` (nothing is
/// checked where `keys` is empty).
fn check_keys(keys: &[String], answer: &[u8]) -> Result<(), TorchserveWireError> {
    if keys.is_empty() {
        return Ok(());
    }
    let listed = keys.join(",");
    let value: serde_json::Value =
        serde_json::from_slice(answer).map_err(|e| TorchserveWireError::NotJson {
            problem: e.to_string(),
            keys: listed.clone(),
            quote: quote(answer),
        })?;
    let object = match &value {
        serde_json::Value::Object(object) => object,
        other => {
            return Err(TorchserveWireError::NotObject {
                kind: json_kind(other),
                keys: listed,
                quote: quote(answer),
            })
        }
    };
    let missing: Vec<String> = keys
        .iter()
        .filter(|key| !object.contains_key(key.as_str()))
        .map(|key| format!("\"{key}\""))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(TorchserveWireError::MissingKeys {
        missing: missing.join(", "),
        keys: listed,
        quote: quote(answer),
    })
}

/// A JSON value's kind, in words.
fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Array(_) => "array",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Null => "null",
        serde_json::Value::Object(_) => "object",
    }
}

/// At most 200 characters of an answer, on one line (bytes that are not
/// text shown as their count).
pub fn quote(body: &[u8]) -> String {
    const LIMIT: usize = 200;
    let Ok(text) = std::str::from_utf8(body) else {
        return format!("{} bytes that are not UTF-8 text", body.len());
    };
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}... ({} bytes)", &one_line[..cut], body.len()),
        None if one_line.is_empty() => format!("{} bytes of white space", body.len()),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> TorchserveModel {
        TorchserveModel {
            name: "decode".into(),
            ..TorchserveModel::default()
        }
    }

    fn image() -> EncodedImage {
        crate::wire::test_image(16, 8)
    }

    fn grpc_answer(prediction: &[u8]) -> Vec<u8> {
        pb::PredictionResponse {
            prediction: Bytes::copy_from_slice(prediction),
            sequence_id: None,
            status: None,
        }
        .encode_to_vec()
    }

    #[test]
    fn rest_bodies_are_the_jpeg_or_its_base64_text_labelled() {
        let image = image();
        let binary =
            serialize(&model(), Protocol::Rest, PayloadKind::Binary, Some(&image)).unwrap();
        assert_eq!(binary.path, "/predictions/decode");
        assert_eq!(binary.content_type, "application/octet-stream");
        assert_eq!(&binary.body.contiguous()[..], &image.bytes[..]);
        let b64 = serialize(&model(), Protocol::Rest, PayloadKind::B64, Some(&image)).unwrap();
        assert_eq!(b64.path, "/predictions/decode");
        assert_eq!(b64.content_type, "text/plain");
        assert_eq!(&b64.body.contiguous()[..], b"/9gBAgM=");
        assert!(b64.headers.is_empty() && binary.headers.is_empty());
    }

    #[test]
    fn grpc_requests_name_the_model_and_carry_the_image_under_data_uncopied() {
        let image = image();
        for (payload, data) in [
            (PayloadKind::Binary, image.bytes.to_vec()),
            (PayloadKind::B64, b"/9gBAgM=".to_vec()),
        ] {
            let request = serialize(&model(), Protocol::Grpc, payload, Some(&image)).unwrap();
            assert_eq!(request.path, paths::PREDICTIONS);
            assert_eq!(request.content_type, "application/grpc");
            let sent = pb::PredictionsRequest::decode(request.body.contiguous()).unwrap();
            assert_eq!(sent.model_name, "decode");
            assert_eq!(sent.input.len(), 1);
            assert_eq!(&sent.input[INPUT_KEY][..], &data[..], "{payload:?}");
            assert_eq!(
                request.body.contiguous(),
                sent.encode_to_vec(),
                "as prost writes it"
            );
        }
        let binary = serialize(&model(), Protocol::Grpc, PayloadKind::Binary, Some(&image));
        let parts = binary.unwrap().body.into_parts();
        let shared = parts.iter().any(|p| p.as_ptr() == image.bytes.as_ptr());
        assert!(shared, "the image's own buffer is sent, not a copy");
    }

    #[test]
    fn basic_is_refused_with_its_reason_and_raw_pixels_are_an_error() {
        for protocol in [Protocol::Rest, Protocol::Grpc] {
            assert_eq!(
                refusal(&model(), protocol, PayloadKind::Basic).as_deref(),
                Some(BASIC_REFUSAL)
            );
            assert_eq!(refusal(&model(), protocol, PayloadKind::Binary), None);
            assert_eq!(refusal(&model(), protocol, PayloadKind::B64), None);
            let err = serialize(&model(), protocol, PayloadKind::Basic, None).unwrap_err();
            assert_eq!(err.to_string(), BASIC_REFUSAL);
        }
        assert!(refusal(&model(), Protocol::Tcp, PayloadKind::Binary).is_some());
        let mut raw = image();
        raw.meta.format = ImageFormat::Raw;
        let err = serialize(&model(), Protocol::Rest, PayloadKind::Binary, Some(&raw)).unwrap_err();
        assert!(err.to_string().contains("--encoder"), "{err}");
        let err = serialize(&model(), Protocol::Rest, PayloadKind::B64, None).unwrap_err();
        assert!(matches!(err, TorchserveWireError::NoImage("b64")), "{err}");
    }

    fn answers() -> [(&'static str, Vec<u8>); 4] {
        [
            (
                "a classifier's top-5 JSON",
                br#"{"tabby": 0.41, "tiger_cat": 0.2, "Egyptian_cat": 0.1, "lynx": 0.05, "cougar": 0.01}"#.to_vec(),
            ),
            ("another handler's JSON", br#"{"w": 16, "h": 8}"#.to_vec()),
            ("plain text", b"landscape\n".to_vec()),
            ("raw bytes", vec![0x00, 0xff, 0x10, 0x80, 0xfe]),
        ]
    }

    #[test]
    fn any_answer_with_a_body_passes_on_both_protocols() {
        let meta = image().meta;
        for (what, answer) in answers() {
            for (protocol, body) in [
                (Protocol::Rest, answer.clone()),
                (Protocol::Grpc, grpc_answer(&answer)),
            ] {
                parse_response(&model(), protocol, PayloadKind::Binary, &body, Some(&meta))
                    .unwrap_or_else(|e| panic!("{what} over {protocol:?}: {e}"));
            }
        }
        let err = parse_response(&model(), Protocol::Rest, PayloadKind::B64, b"", None);
        assert_eq!(
            err.unwrap_err().to_string(),
            "TorchServe answered 200 with no body"
        );
        let err = parse_response(
            &model(),
            Protocol::Grpc,
            PayloadKind::B64,
            &grpc_answer(b""),
            None,
        );
        assert!(matches!(err, Err(TorchserveWireError::Empty(_))), "{err:?}");
    }

    #[test]
    fn expected_keys_are_checked_only_when_asked_for() {
        let expecting = |keys: &[&str]| TorchserveModel {
            name: "decode".into(),
            expect_json_keys: keys.iter().map(|k| k.to_string()).collect(),
        };
        let [top5, other, text, raw] = answers().map(|(_, answer)| answer);
        let check = |keys: &[&str], body: &[u8]| {
            parse_response(
                &expecting(keys),
                Protocol::Rest,
                PayloadKind::Binary,
                body,
                None,
            )
        };
        check(&["tabby", "lynx"], &top5).unwrap();
        check(&["w", "h"], &other).unwrap();
        let grpc = parse_response(
            &expecting(&["w"]),
            Protocol::Grpc,
            PayloadKind::Binary,
            &grpc_answer(&other),
            None,
        );
        grpc.unwrap();
        let err = check(&["w", "height", "width"], &other)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            r#"TorchServe's answer lacks "height", "width" (--expect-json-keys w,height,width): {"w": 16, "h": 8}"#
        );
        let err = check(&["label"], &text).unwrap_err().to_string();
        assert!(
            err.starts_with("TorchServe's answer is not JSON (") && err.ends_with(": landscape"),
            "{err}"
        );
        let err = check(&["label"], &raw).unwrap_err().to_string();
        assert!(err.contains("5 bytes that are not UTF-8 text"), "{err}");
        let err = check(&["label"], b"[1, 2]").unwrap_err().to_string();
        assert!(err.contains("a JSON array, not an object"), "{err}");
    }

    #[test]
    fn failed_grpc_answers_and_long_quotes_are_clear() {
        let err = parse_response(
            &model(),
            Protocol::Grpc,
            PayloadKind::Binary,
            &[0xff, 0xff, 0xff],
            None,
        )
        .unwrap_err();
        assert!(matches!(err, TorchserveWireError::GrpcAnswer(_)), "{err}");
        let failed = pb::PredictionResponse {
            prediction: Bytes::new(),
            sequence_id: None,
            status: Some(crate::wire::proto::google_rpc::Status {
                code: 13,
                message: "Worker died.".into(),
                details: vec![],
            }),
        };
        let err = parse_response(
            &model(),
            Protocol::Grpc,
            PayloadKind::Binary,
            &failed.encode_to_vec(),
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("Worker died."), "{err}");
        let long = quote(&vec![b'x'; 5000]);
        assert!(long.len() < 400 && long.contains("5000 bytes"), "{long}");
    }
}
