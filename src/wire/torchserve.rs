//! TorchServe's inference API, spoken as a client: REST
//! `POST /predictions/{model}` (a raw body) and gRPC
//! `org.pytorch.serve.grpc.inference.InferenceAPIsService/Predictions`
//! (proto/torchserve/v1/inference.proto), and the answer, checked: the
//! handler of targets/torchserve decodes the JPEG and answers
//! `{"height": H, "width": W}`, which must be the size that was sent.

use super::body::WireBody;
use super::image_body;
use super::payload::WireRequest;
use super::proto::torchserve as pb;
use super::{EncodedImage, ImageFormat, ImageMeta, PayloadKind};
use crate::protocol::Protocol;
use base64::Engine;
use bytes::Bytes;
use prost::Message;
use serde::Deserialize;
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

/// The TorchServe model the requests go to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TorchserveModel {
    pub name: String,
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
    #[error("TorchServe answered error {code} {kind}: {message}")]
    Server {
        code: i64,
        kind: String,
        message: String,
    },
    #[error("TorchServe's answer is not the handler's {{\"height\", \"width\"}} JSON: {0}")]
    NotPrediction(String),
    #[error(
        "TorchServe decoded a {got_height}x{got_width} image, but a {height}x{width} one was sent"
    )]
    WrongSize {
        got_height: u32,
        got_width: u32,
        height: u32,
        width: u32,
    },
}

/// What the handler answers.
#[derive(Debug, Deserialize, PartialEq, Eq)]
struct Prediction {
    height: u32,
    width: u32,
}

/// TorchServe's own error JSON (`{"code": 404, "type": "ModelNotFoundException",
/// "message": "Model not found: nope"}`).
#[derive(Debug, Deserialize)]
struct ServerError {
    code: i64,
    #[serde(rename = "type")]
    kind: String,
    message: String,
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

/// Parses and checks an answer: the `response` stage. The REST body, or
/// the gRPC `PredictionResponse.prediction`, must be the handler's JSON
/// with the size of the image sent (`sent`), where one was.
pub fn parse_response(
    _model: &TorchserveModel,
    protocol: Protocol,
    _payload: PayloadKind,
    body: &[u8],
    sent: Option<&ImageMeta>,
) -> Result<(), TorchserveWireError> {
    let prediction = match protocol {
        Protocol::Grpc => {
            let answer =
                pb::PredictionResponse::decode(body).map_err(TorchserveWireError::GrpcAnswer)?;
            if let Some(status) = answer.status.filter(|s| s.code != 0) {
                return Err(TorchserveWireError::GrpcStatus {
                    code: status.code,
                    message: status.message,
                });
            }
            read_prediction(&answer.prediction)?
        }
        _ => read_prediction(body)?,
    };
    match sent {
        Some(meta) if (meta.height, meta.width) != (prediction.height, prediction.width) => {
            Err(TorchserveWireError::WrongSize {
                got_height: prediction.height,
                got_width: prediction.width,
                height: meta.height,
                width: meta.width,
            })
        }
        _ => Ok(()),
    }
}

/// The handler's `{"height", "width"}`, or TorchServe's error JSON as an
/// error, or anything else quoted (shortened) in the error.
fn read_prediction(json: &[u8]) -> Result<Prediction, TorchserveWireError> {
    if let Ok(prediction) = serde_json::from_slice::<Prediction>(json) {
        return Ok(prediction);
    }
    if let Ok(error) = serde_json::from_slice::<ServerError>(json) {
        return Err(TorchserveWireError::Server {
            code: error.code,
            kind: error.kind,
            message: error.message,
        });
    }
    Err(TorchserveWireError::NotPrediction(quote(json)))
}

/// At most 200 characters of an answer, on one line.
fn quote(body: &[u8]) -> String {
    const LIMIT: usize = 200;
    let text = String::from_utf8_lossy(body);
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}... ({} bytes)", &one_line[..cut], body.len()),
        None if one_line.is_empty() => format!("an empty answer ({} bytes)", body.len()),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> TorchserveModel {
        TorchserveModel {
            name: "decode".into(),
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

    #[test]
    fn the_sent_size_passes_on_both_protocols() {
        let meta = image().meta;
        let json = br#"{"height": 8, "width": 16}"#;
        for (protocol, body) in [
            (Protocol::Rest, json.to_vec()),
            (Protocol::Grpc, grpc_answer(json)),
        ] {
            parse_response(&model(), protocol, PayloadKind::Binary, &body, Some(&meta)).unwrap();
            parse_response(&model(), protocol, PayloadKind::B64, &body, None).unwrap();
        }
    }

    #[test]
    fn another_size_an_error_json_or_anything_else_is_an_error() {
        let meta = image().meta;
        let check = |protocol, body: &[u8]| {
            parse_response(&model(), protocol, PayloadKind::Binary, body, Some(&meta)).unwrap_err()
        };
        let err = check(Protocol::Rest, br#"{"height": 16, "width": 8}"#);
        assert_eq!(
            err.to_string(),
            "TorchServe decoded a 16x8 image, but a 8x16 one was sent"
        );
        let error_json = b"{\n  \"code\": 404,\n  \"type\": \"ModelNotFoundException\",\n  \
                           \"message\": \"Model not found: nope\"\n}";
        for err in [
            check(Protocol::Rest, error_json),
            check(Protocol::Grpc, &grpc_answer(error_json)),
        ] {
            assert_eq!(
                err.to_string(),
                "TorchServe answered error 404 ModelNotFoundException: Model not found: nope"
            );
        }
        let err = check(Protocol::Rest, b"{\"prediction1\": [0.5]}");
        assert!(err.to_string().contains("\"prediction1\""), "{err}");
        let err = check(Protocol::Rest, b"");
        assert!(err.to_string().contains("an empty answer"), "{err}");
        let long = vec![b'x'; 5000];
        let err = check(Protocol::Rest, &long).to_string();
        assert!(err.len() < 400 && err.contains("5000 bytes"), "{err}");
        let err = check(Protocol::Grpc, &[0xff, 0xff, 0xff]);
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
        let err = check(Protocol::Grpc, &failed.encode_to_vec());
        assert!(err.to_string().contains("Worker died."), "{err}");
    }
}
