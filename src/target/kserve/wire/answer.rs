//! v2 inference answers, checked for what the Open Inference Protocol
//! promises and nothing a particular model answers: at least one output,
//! each with a name, a datatype and a shape, and data that fills the shape
//! (REST JSON `data`, flat or nested; the binary extension's bytes after
//! the JSON, `parameters.binary_data_size` each; gRPC
//! `raw_output_contents` or typed `contents`). An error answer
//! (`{"error": ...}`) is an error.

use super::{KserveModel, KserveWireError};
use crate::protocol::Protocol;
use crate::wire::proto::kserve as pb;
use crate::wire::proto::kserve::InferTensorContents;
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
    shape: Vec<i64>,
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
    _sent: Option<&ImageMeta>,
) -> Result<(), KserveWireError> {
    match protocol {
        Protocol::Rest | Protocol::RestH2 => rest_answer(body),
        Protocol::Grpc => grpc_answer(body),
        Protocol::Tcp => Err(KserveWireError::NoServer(protocol.label())),
    }
}

/// One output's problem, as an error naming it.
fn malformed(name: &str, problem: impl Into<String>) -> KserveWireError {
    KserveWireError::Output {
        name: name.to_string(),
        problem: problem.into(),
    }
}

/// The elements a shape holds (an error for a negative or overflowing one).
fn elements(name: &str, shape: &[i64]) -> Result<usize, KserveWireError> {
    shape
        .iter()
        .try_fold(1usize, |n, &d| {
            usize::try_from(d).ok().and_then(|d| n.checked_mul(d))
        })
        .ok_or_else(|| malformed(name, format!("shape {shape:?} is not a tensor's shape")))
}

/// The REST answer: its JSON, then any binary outputs' bytes in order.
fn rest_answer(body: &[u8]) -> Result<(), KserveWireError> {
    let mut values = serde_json::Deserializer::from_slice(body).into_iter::<ResponseJson>();
    let answer = match values.next() {
        Some(answer) => answer.map_err(KserveWireError::RestAnswer)?,
        None => return Err(KserveWireError::Server("an empty answer".into())),
    };
    let mut binary = &body[values.byte_offset()..];
    if let Some(error) = answer.error {
        return Err(KserveWireError::Server(error));
    }
    if answer.outputs.is_empty() {
        return Err(KserveWireError::NoOutputs);
    }
    for output in &answer.outputs {
        let count = elements(&output.name, &output.shape)?;
        if let Some(data) = &output.data {
            check_json_data(output, data, count)?;
            continue;
        }
        let size = output
            .parameters
            .as_ref()
            .and_then(|p| p.binary_data_size)
            .ok_or_else(|| {
                malformed(
                    &output.name,
                    "neither `data` nor `parameters.binary_data_size`",
                )
            })?;
        if size > binary.len() {
            return Err(malformed(
                &output.name,
                "fewer binary bytes follow the JSON than it declares",
            ));
        }
        let (raw, rest) = binary.split_at(size);
        check_raw(&output.name, &output.datatype, count, raw)?;
        binary = rest;
    }
    Ok(())
}

/// JSON `data` holds `count` values (flat or nested, row-major) of the
/// kind its datatype names.
fn check_json_data(
    output: &OutputJson,
    data: &serde_json::Value,
    count: usize,
) -> Result<(), KserveWireError> {
    let fits: fn(&serde_json::Value) -> bool = match output.datatype.as_str() {
        "BYTES" => |v| v.is_string(),
        "BOOL" => |v| v.is_boolean(),
        "FP16" | "FP32" | "FP64" | "BF16" => |v| v.is_number(),
        t if t.starts_with("INT") => |v| v.is_i64(),
        t if t.starts_with("UINT") => |v| v.is_u64(),
        _ => |_| true,
    };
    let mut found = 0usize;
    let mut stack = vec![data];
    while let Some(value) = stack.pop() {
        match value {
            serde_json::Value::Array(items) => stack.extend(items.iter()),
            leaf if fits(leaf) => found += 1,
            leaf => {
                let text: String = leaf.to_string().chars().take(40).collect();
                return Err(malformed(
                    &output.name,
                    format!("{text} is not a {} value", output.datatype),
                ));
            }
        }
    }
    if found != count {
        return Err(malformed(
            &output.name,
            format!(
                "`data` holds {found} values, its shape {:?} {count}",
                output.shape
            ),
        ));
    }
    Ok(())
}

/// A raw tensor holds `count` elements of its datatype: fixed-width
/// values, or BYTES elements each a u32 little-endian length and bytes.
fn check_raw(name: &str, datatype: &str, count: usize, raw: &[u8]) -> Result<(), KserveWireError> {
    if datatype == "BYTES" {
        let mut rest = raw;
        for index in 0..count {
            let length = rest
                .get(..4)
                .map(|p| u32::from_le_bytes([p[0], p[1], p[2], p[3]]) as usize)
                .filter(|&length| length <= rest.len() - 4)
                .ok_or_else(|| {
                    malformed(name, format!("BYTES element {index} runs past its bytes"))
                })?;
            rest = &rest[4 + length..];
        }
        if !rest.is_empty() {
            return Err(malformed(
                name,
                format!("{} bytes follow its {count} BYTES elements", rest.len()),
            ));
        }
        return Ok(());
    }
    let Some(width) = datatype_width(datatype) else {
        return Ok(());
    };
    if Some(raw.len()) != count.checked_mul(width) {
        return Err(malformed(
            name,
            format!(
                "{} bytes, but {count} {datatype} values take {}",
                raw.len(),
                count.saturating_mul(width)
            ),
        ));
    }
    Ok(())
}

/// Bytes per value of a fixed-width datatype (None for BYTES or one this
/// client does not know).
fn datatype_width(datatype: &str) -> Option<usize> {
    Some(match datatype {
        "BOOL" | "INT8" | "UINT8" => 1,
        "INT16" | "UINT16" | "FP16" | "BF16" => 2,
        "INT32" | "UINT32" | "FP32" => 4,
        "INT64" | "UINT64" | "FP64" => 8,
        _ => return None,
    })
}

/// The gRPC answer: every output in `raw_output_contents` (one each, in
/// order), or each in its typed `contents`.
fn grpc_answer(body: &[u8]) -> Result<(), KserveWireError> {
    let answer = pb::ModelInferResponse::decode(body).map_err(KserveWireError::GrpcAnswer)?;
    if answer.outputs.is_empty() {
        return Err(KserveWireError::NoOutputs);
    }
    let raw = &answer.raw_output_contents;
    if !raw.is_empty() && raw.len() != answer.outputs.len() {
        return Err(malformed(
            &answer.outputs[0].name,
            format!(
                "{} raw_output_contents for {} outputs",
                raw.len(),
                answer.outputs.len()
            ),
        ));
    }
    for (index, output) in answer.outputs.iter().enumerate() {
        let count = elements(&output.name, &output.shape)?;
        match (raw.get(index), &output.contents) {
            (Some(raw), _) => check_raw(&output.name, &output.datatype, count, raw)?,
            (None, Some(contents)) => check_contents(output, contents, count)?,
            (None, None) => {
                return Err(malformed(
                    &output.name,
                    "neither `contents` nor `raw_output_contents`",
                ))
            }
        }
    }
    Ok(())
}

/// Typed contents hold `count` values in the field their datatype names.
fn check_contents(
    output: &pb::model_infer_response::InferOutputTensor,
    contents: &InferTensorContents,
    count: usize,
) -> Result<(), KserveWireError> {
    let c = contents;
    let found = match output.datatype.as_str() {
        "BOOL" => c.bool_contents.len(),
        "INT8" | "INT16" | "INT32" => c.int_contents.len(),
        "INT64" => c.int64_contents.len(),
        "UINT8" | "UINT16" | "UINT32" => c.uint_contents.len(),
        "UINT64" => c.uint64_contents.len(),
        "FP32" => c.fp32_contents.len(),
        "FP64" => c.fp64_contents.len(),
        "BYTES" => c.bytes_contents.len(),
        _ => return Ok(()),
    };
    if found != count {
        return Err(malformed(
            &output.name,
            format!(
                "its contents hold {found} {} values, its shape {:?} {count}",
                output.datatype, output.shape
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(protocol: Protocol, body: &[u8]) -> Result<(), KserveWireError> {
        let model = KserveModel::for_test("BYTES");
        let sent = crate::wire::test_jpeg_meta(1920, 1080);
        parse_response(&model, protocol, PayloadKind::Binary, body, Some(&sent))
    }

    fn problem(protocol: Protocol, body: &[u8]) -> String {
        parse(protocol, body).unwrap_err().to_string()
    }

    /// Triton's REST answer for a 1080x1920 image, as observed.
    const TRITON_REST: &[u8] = br#"{"model_name":"decode","model_version":"1","outputs":[{"name":"size","datatype":"INT32","shape":[2],"data":[1080,1920]}]}"#;

    #[test]
    fn any_well_formed_rest_answer_passes_whatever_its_values() {
        parse(Protocol::Rest, TRITON_REST).unwrap();
        let other_values =
            br#"{"outputs":[{"name":"size","datatype":"INT32","shape":[2],"data":[7,9]}]}"#;
        parse(Protocol::Rest, other_values).unwrap();
        let batched = br#"{"outputs":[{"name":"label","datatype":"BYTES","shape":[1,1],"data":["landscape"]},{"name":"score","datatype":"FP32","shape":[1,1],"data":[[1.77]]}]}"#;
        parse(Protocol::Rest, batched).unwrap();
        let top5 = br#"{"outputs":[{"name":"probs","datatype":"FP32","shape":[1,5],"data":[0.5,0.2,0.1,0.1,0.1]}]}"#;
        parse(Protocol::Rest, top5).unwrap();
    }

    #[test]
    fn rest_answers_that_break_the_protocol_are_errors() {
        let err = problem(
            Protocol::Rest,
            br#"{"error":"Request for unknown model: 'nope' is not found"}"#,
        );
        assert_eq!(
            err,
            "the v2 server answered an error: Request for unknown model: 'nope' is not found"
        );
        let err = parse(Protocol::Rest, br#"{"outputs":[]}"#).unwrap_err();
        assert!(matches!(err, KserveWireError::NoOutputs), "{err}");
        assert!(parse(Protocol::Rest, b"<html>").is_err());
        let short = br#"{"outputs":[{"name":"size","datatype":"INT32","shape":[1,2],"data":[1]}]}"#;
        let err = problem(Protocol::Rest, short);
        assert!(
            err.contains("`size`") && err.contains("holds 1 values"),
            "{err}"
        );
        let typed = br#"{"outputs":[{"name":"size","datatype":"INT32","shape":[1],"data":["a"]}]}"#;
        assert!(problem(Protocol::Rest, typed).contains("not a INT32 value"));
        let no_shape = br#"{"outputs":[{"name":"size","datatype":"INT32","data":[1]}]}"#;
        assert!(parse(Protocol::Rest, no_shape).is_err());
        let negative = br#"{"outputs":[{"name":"x","datatype":"INT32","shape":[-1],"data":[]}]}"#;
        assert!(problem(Protocol::Rest, negative).contains("not a tensor's shape"));
        let empty_data = br#"{"outputs":[{"name":"x","datatype":"FP32","shape":[0],"data":[]}]}"#;
        parse(Protocol::Rest, empty_data).unwrap();
    }

    #[test]
    fn binary_extension_outputs_are_read_in_order_after_the_json() {
        let mut body = br#"{"outputs":[{"name":"size","datatype":"INT32","shape":[2],"parameters":{"binary_data_size":8}},{"name":"label","datatype":"BYTES","shape":[1],"parameters":{"binary_data_size":6}}]}"#.to_vec();
        body.extend_from_slice(&[0x38, 0x04, 0, 0, 0x80, 0x07, 0, 0]);
        body.extend_from_slice(&[2, 0, 0, 0, b'o', b'k']);
        parse(Protocol::Rest, &body).unwrap();
        let err = problem(Protocol::Rest, &body[..body.len() - 1]);
        assert!(
            err.contains("`label`") && err.contains("fewer binary bytes"),
            "{err}"
        );
        let mut ragged = body.clone();
        let at = ragged.len() - 6;
        ragged[at] = 9;
        assert!(problem(Protocol::Rest, &ragged).contains("runs past"));
        let wrong_width = br#"{"outputs":[{"name":"size","datatype":"INT32","shape":[2],"parameters":{"binary_data_size":6}}]}123456"#;
        assert!(problem(Protocol::Rest, wrong_width).contains("2 INT32 values take 8"));
    }

    fn grpc_answer(shape: Vec<i64>, raw: Option<Vec<u8>>, ints: Vec<i32>) -> Vec<u8> {
        pb::ModelInferResponse {
            model_name: "decode".into(),
            outputs: vec![pb::model_infer_response::InferOutputTensor {
                name: "size".into(),
                datatype: "INT32".into(),
                shape,
                contents: (!ints.is_empty()).then(|| InferTensorContents {
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
    fn grpc_outputs_fill_their_shapes_in_raw_or_typed_contents() {
        let raw = vec![0x38, 0x04, 0, 0, 0x80, 0x07, 0, 0];
        parse(
            Protocol::Grpc,
            &grpc_answer(vec![2], Some(raw.clone()), vec![]),
        )
        .unwrap();
        parse(Protocol::Grpc, &grpc_answer(vec![1, 2], Some(raw), vec![])).unwrap();
        parse(Protocol::Grpc, &grpc_answer(vec![2], None, vec![3, 4])).unwrap();
        let err = problem(Protocol::Grpc, &grpc_answer(vec![3], None, vec![3, 4]));
        assert!(err.contains("hold 2 INT32 values"), "{err}");
        let err = problem(
            Protocol::Grpc,
            &grpc_answer(vec![2], Some(vec![1, 2, 3]), vec![]),
        );
        assert!(err.contains("3 bytes"), "{err}");
        let err = problem(Protocol::Grpc, &grpc_answer(vec![2], None, vec![]));
        assert!(err.contains("neither"), "{err}");
        let none = pb::ModelInferResponse::default().encode_to_vec();
        assert!(matches!(
            parse(Protocol::Grpc, &none),
            Err(KserveWireError::NoOutputs)
        ));
        assert!(parse(Protocol::Grpc, b"\xff\xff").is_err());
    }
}
