//! v2 inference answers: REST JSON (`outputs[0].data`, or the first
//! output's bytes after the JSON where a server answered with the binary
//! extension), an error answer (`{"error": ...}`), and gRPC
//! `ModelInferResponse` (`raw_output_contents[0]` or `outputs[0].contents`),
//! checked: two integers answered for a sent image must be its
//! `[height, width]`.

use super::{KserveModel, KserveWireError};
use crate::protocol::Protocol;
use crate::wire::proto::kserve as pb;
use crate::wire::{ImageMeta, PayloadKind};
use prost::Message;
use serde::Deserialize;

/// The REST answer, or the JSON part of a binary-extension one.
#[derive(Deserialize)]
struct ResponseJson {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    outputs: Vec<OutputJson>,
}

#[derive(Deserialize)]
struct OutputJson {
    name: String,
    datatype: String,
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default)]
    parameters: Option<OutputParameters>,
}

#[derive(Deserialize)]
struct OutputParameters {
    #[serde(default)]
    binary_data_size: Option<usize>,
}

/// Parses and checks a v2 answer: the `response` stage.
pub fn parse_response(
    _model: &KserveModel,
    protocol: Protocol,
    _payload: PayloadKind,
    body: &[u8],
    sent: Option<&ImageMeta>,
) -> Result<(), KserveWireError> {
    let integers = match protocol {
        Protocol::Rest | Protocol::RestH2 => rest_output(body)?,
        Protocol::Grpc => grpc_output(body)?,
        Protocol::Tcp => return Err(KserveWireError::NoServer(protocol.label())),
    };
    check_size(integers, sent)
}

/// Where the first output holds integers, they are an image's decoded
/// `[height, width]` when there are two of them and an image was sent.
fn check_size(integers: Option<Vec<i64>>, sent: Option<&ImageMeta>) -> Result<(), KserveWireError> {
    let (Some(got), Some(meta)) = (integers, sent) else {
        return Ok(());
    };
    let expected = [i64::from(meta.height), i64::from(meta.width)];
    if got.len() == 2 && got != expected {
        return Err(KserveWireError::WrongSize {
            got,
            height: meta.height,
            width: meta.width,
        });
    }
    Ok(())
}

/// The first output's integers (None where it holds other values).
fn rest_output(body: &[u8]) -> Result<Option<Vec<i64>>, KserveWireError> {
    let mut values = serde_json::Deserializer::from_slice(body).into_iter::<ResponseJson>();
    let answer = match values.next() {
        Some(answer) => answer.map_err(KserveWireError::RestAnswer)?,
        None => return Err(KserveWireError::Server("an empty answer".into())),
    };
    let binary = &body[values.byte_offset()..];
    if let Some(error) = answer.error {
        return Err(KserveWireError::Server(error));
    }
    let output = answer.outputs.first().ok_or(KserveWireError::NoOutputs)?;
    let malformed = |problem: &str| KserveWireError::Output {
        name: output.name.clone(),
        problem: problem.to_string(),
    };
    if let Some(data) = &output.data {
        let mut integers = Vec::new();
        return Ok(flatten_integers(data, &mut integers).then_some(integers));
    }
    let size = output
        .parameters
        .as_ref()
        .and_then(|p| p.binary_data_size)
        .ok_or_else(|| malformed("neither `data` nor `parameters.binary_data_size`"))?;
    let raw = binary
        .get(..size)
        .ok_or_else(|| malformed("fewer binary bytes follow the JSON than it declares"))?;
    integers_of(&output.name, &output.datatype, raw)
}

/// Appends a JSON tensor's values (flat or nested, row-major) to `out`;
/// false where one is not an integer.
fn flatten_integers(value: &serde_json::Value, out: &mut Vec<i64>) -> bool {
    match value {
        serde_json::Value::Array(items) => items.iter().all(|item| flatten_integers(item, out)),
        other => other.as_i64().map(|v| out.push(v)).is_some(),
    }
}

/// The first output's integers (None where it holds other values).
fn grpc_output(body: &[u8]) -> Result<Option<Vec<i64>>, KserveWireError> {
    let answer = pb::ModelInferResponse::decode(body).map_err(KserveWireError::GrpcAnswer)?;
    let output = answer.outputs.first().ok_or(KserveWireError::NoOutputs)?;
    if let Some(raw) = answer.raw_output_contents.first() {
        return integers_of(&output.name, &output.datatype, raw);
    }
    let Some(contents) = &output.contents else {
        return Err(KserveWireError::Output {
            name: output.name.clone(),
            problem: "neither `contents` nor `raw_output_contents`".into(),
        });
    };
    let integers: Vec<i64> = match output.datatype.as_str() {
        "INT8" | "INT16" | "INT32" => contents.int_contents.iter().map(|&v| v.into()).collect(),
        "INT64" => contents.int64_contents.clone(),
        "UINT8" | "UINT16" | "UINT32" => contents.uint_contents.iter().map(|&v| v.into()).collect(),
        _ => return Ok(None),
    };
    Ok(Some(integers))
}

/// A raw tensor's little-endian integers, by datatype (None for a datatype
/// that does not hold integers).
fn integers_of(
    name: &str,
    datatype: &str,
    raw: &[u8],
) -> Result<Option<Vec<i64>>, KserveWireError> {
    let (width, signed) = match datatype {
        "INT8" => (1, true),
        "INT16" => (2, true),
        "INT32" => (4, true),
        "INT64" => (8, true),
        "UINT8" => (1, false),
        "UINT16" => (2, false),
        "UINT32" => (4, false),
        _ => return Ok(None),
    };
    if !raw.len().is_multiple_of(width) {
        return Err(KserveWireError::Output {
            name: name.to_string(),
            problem: format!("{} bytes is not a whole number of {datatype}s", raw.len()),
        });
    }
    let integers = raw.chunks_exact(width).map(|chunk| {
        let mut bytes = [0u8; 8];
        bytes[..width].copy_from_slice(chunk);
        let negative = signed && chunk[width - 1] & 0x80 != 0;
        if negative {
            bytes[width..].fill(0xff);
        }
        i64::from_le_bytes(bytes)
    });
    Ok(Some(integers.collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> KserveModel {
        KserveModel {
            name: "decode".into(),
            input: "image".into(),
            datatype: "BYTES".into(),
        }
    }

    fn parse(protocol: Protocol, body: &[u8], sent: ImageMeta) -> Result<(), KserveWireError> {
        parse_response(&model(), protocol, PayloadKind::Binary, body, Some(&sent))
    }

    /// Triton's REST answer for a 1080x1920 image, as observed.
    const TRITON_REST: &[u8] = br#"{"model_name":"decode","model_version":"1","outputs":[{"name":"size","datatype":"INT32","shape":[2],"data":[1080,1920]}]}"#;

    #[test]
    fn the_rest_answer_must_be_the_sent_images_height_and_width() {
        parse(
            Protocol::Rest,
            TRITON_REST,
            crate::wire::test_jpeg_meta(1920, 1080),
        )
        .unwrap();
        let err = parse(
            Protocol::Rest,
            TRITON_REST,
            crate::wire::test_jpeg_meta(1080, 1920),
        )
        .unwrap_err();
        assert!(
            matches!(err, KserveWireError::WrongSize { height: 1920, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("[1080, 1920]"), "{err}");
        let basic = parse_response(
            &model(),
            Protocol::Rest,
            PayloadKind::Basic,
            TRITON_REST,
            None,
        );
        basic.unwrap();
    }

    #[test]
    fn an_error_answer_is_a_clear_error() {
        let body = br#"{"error":"Request for unknown model: 'nope' is not found"}"#;
        let err = parse(Protocol::Rest, body, crate::wire::test_jpeg_meta(2, 1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the v2 server answered an error: Request for unknown model: 'nope' is not found"
        );
        let err = parse(
            Protocol::Rest,
            br#"{"outputs":[]}"#,
            crate::wire::test_jpeg_meta(2, 1),
        )
        .unwrap_err();
        assert!(matches!(err, KserveWireError::NoOutputs), "{err}");
        assert!(parse(Protocol::Rest, b"<html>", crate::wire::test_jpeg_meta(2, 1)).is_err());
    }

    #[test]
    fn a_binary_extension_answer_is_read_after_its_json() {
        let mut body = br#"{"model_name":"decode","outputs":[{"name":"size","datatype":"INT32","shape":[2],"parameters":{"binary_data_size":8}}]}"#.to_vec();
        body.extend_from_slice(&[0x38, 0x04, 0, 0, 0x80, 0x07, 0, 0]);
        parse(
            Protocol::Rest,
            &body,
            crate::wire::test_jpeg_meta(1920, 1080),
        )
        .unwrap();
        assert!(parse(
            Protocol::Rest,
            &body,
            crate::wire::test_jpeg_meta(1920, 1079)
        )
        .is_err());
        let short = &body[..body.len() - 1];
        let err = parse(
            Protocol::Rest,
            short,
            crate::wire::test_jpeg_meta(1920, 1080),
        )
        .unwrap_err();
        assert!(err.to_string().contains("fewer binary bytes"), "{err}");
    }

    fn grpc_answer(raw: Option<Vec<u8>>, ints: Vec<i32>) -> Vec<u8> {
        pb::ModelInferResponse {
            model_name: "decode".into(),
            outputs: vec![pb::model_infer_response::InferOutputTensor {
                name: "size".into(),
                datatype: "INT32".into(),
                shape: vec![2],
                contents: (!ints.is_empty()).then(|| pb::InferTensorContents {
                    int_contents: ints,
                    ..Default::default()
                }),
                ..Default::default()
            }],
            raw_output_contents: raw.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
        .encode_to_vec()
    }

    #[test]
    fn the_grpc_answer_is_read_from_raw_contents_or_int_contents() {
        let raw = grpc_answer(Some(hex_bytes("3804000080070000")), vec![]);
        parse(
            Protocol::Grpc,
            &raw,
            crate::wire::test_jpeg_meta(1920, 1080),
        )
        .unwrap();
        assert!(parse(
            Protocol::Grpc,
            &raw,
            crate::wire::test_jpeg_meta(1920, 1920)
        )
        .is_err());
        let typed = grpc_answer(None, vec![1080, 1920]);
        parse(
            Protocol::Grpc,
            &typed,
            crate::wire::test_jpeg_meta(1920, 1080),
        )
        .unwrap();
        assert!(parse(
            Protocol::Grpc,
            &typed,
            crate::wire::test_jpeg_meta(1080, 1080)
        )
        .is_err());
        let ragged = grpc_answer(Some(vec![1, 2, 3]), vec![]);
        assert!(parse(Protocol::Grpc, &ragged, crate::wire::test_jpeg_meta(1, 1)).is_err());
        assert!(parse(
            Protocol::Grpc,
            b"\xff\xff",
            crate::wire::test_jpeg_meta(1, 1)
        )
        .is_err());
    }

    #[test]
    fn signed_raw_integers_keep_their_sign() {
        let raw = [0xfe, 0xff, 0xff, 0xff, 7, 0, 0, 0];
        let got = integers_of("x", "INT32", &raw).unwrap().unwrap();
        assert_eq!(got, [-2, 7]);
        assert_eq!(integers_of("x", "UINT8", &[0xff]).unwrap().unwrap(), [255]);
        assert!(integers_of("x", "FP32", &raw).unwrap().is_none());
    }

    fn hex_bytes(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }
}
