//! The counts a `ModelInferRequest` may hold, checked on its wire bytes
//! before prost decodes it: inputs, outputs and raw contents (at most
//! `MAX_TENSORS`), parameters per map, shape dimensions, contents
//! elements, and the length of every name and string. Decoded, a message
//! that passes takes at most about its own size again.

use crate::server::parse_limits::{MAX_PARAMETERS, MAX_SHAPE_DIMS, MAX_TENSORS};
use crate::server::proto_scan::{count, each_field, packed_varints, text, Wire};
use crate::server::refusal::RequestError;

const MESSAGE: &str = "ModelInferRequest";

/// Refuses a `ModelInferRequest` past any count or length limit.
pub fn check_model_infer(message: &[u8]) -> Result<(), RequestError> {
    let (mut parameters, mut inputs, mut outputs, mut raw) = (0, 0, 0, 0);
    each_field(message, MESSAGE, |number, value| match (number, value) {
        (1, _) => text(value, "model_name"),
        (2, _) => text(value, "model_version"),
        (3, _) => text(value, "id"),
        (4, Wire::Bytes(entry)) => {
            count(&mut parameters, 1, "parameters", MAX_PARAMETERS)?;
            check_parameter(entry)
        }
        (5, Wire::Bytes(input)) => {
            count(&mut inputs, 1, "inputs", MAX_TENSORS)?;
            check_input(input)
        }
        (6, Wire::Bytes(output)) => {
            count(&mut outputs, 1, "outputs", MAX_TENSORS)?;
            check_output(output)
        }
        (7, _) => count(&mut raw, 1, "raw_input_contents", MAX_TENSORS),
        _ => Ok(()),
    })
}

/// One `InferInputTensor`.
fn check_input(input: &[u8]) -> Result<(), RequestError> {
    let (mut dims, mut parameters, mut elements) = (0, 0, 0);
    each_field(input, MESSAGE, |number, value| match (number, value) {
        (1, _) => text(value, "an input's name"),
        (2, _) => text(value, "an input's datatype"),
        (3, Wire::Bytes(packed)) => count(
            &mut dims,
            packed_varints(packed),
            "an input's shape",
            MAX_SHAPE_DIMS,
        ),
        (3, _) => count(&mut dims, 1, "an input's shape", MAX_SHAPE_DIMS),
        (4, Wire::Bytes(entry)) => {
            count(&mut parameters, 1, "an input's parameters", MAX_PARAMETERS)?;
            check_parameter(entry)
        }
        (5, Wire::Bytes(contents)) => check_contents(contents, &mut elements),
        _ => Ok(()),
    })
}

/// One `InferRequestedOutputTensor`.
fn check_output(output: &[u8]) -> Result<(), RequestError> {
    let mut parameters = 0;
    each_field(output, MESSAGE, |number, value| match (number, value) {
        (1, _) => text(value, "an output's name"),
        (2, Wire::Bytes(entry)) => {
            count(&mut parameters, 1, "an output's parameters", MAX_PARAMETERS)?;
            check_parameter(entry)
        }
        _ => Ok(()),
    })
}

/// An `InferTensorContents`: its elements, of every type together, counted
/// into `elements` (packed lists by their values).
fn check_contents(contents: &[u8], elements: &mut usize) -> Result<(), RequestError> {
    const WHAT: &str = "an input's contents";
    each_field(contents, MESSAGE, |number, value| {
        let values = match (number, value) {
            (1..=5, Wire::Bytes(packed)) => packed_varints(packed),
            (6, Wire::Bytes(packed)) => packed.len() / 4,
            (7, Wire::Bytes(packed)) => packed.len() / 8,
            _ => 1,
        };
        count(elements, values, WHAT, MAX_TENSORS)
    })
}

/// One `parameters` map entry: its key, and a string value's length.
fn check_parameter(entry: &[u8]) -> Result<(), RequestError> {
    each_field(entry, MESSAGE, |number, value| match (number, value) {
        (1, _) => text(value, "a parameter's name"),
        (2, Wire::Bytes(parameter)) => {
            each_field(parameter, MESSAGE, |number, value| match number {
                3 => text(value, "a parameter's string value"),
                _ => Ok(()),
            })
        }
        _ => Ok(()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::proto::kserve as pb;
    use pb::model_infer_request::InferInputTensor;
    use prost::Message;

    fn input(shape: Vec<i64>) -> InferInputTensor {
        InferInputTensor {
            name: "image".into(),
            datatype: "BYTES".into(),
            shape,
            parameters: Default::default(),
            contents: None,
        }
    }

    fn request(inputs: Vec<InferInputTensor>) -> pb::ModelInferRequest {
        pb::ModelInferRequest {
            model_name: "decode".into(),
            inputs,
            raw_input_contents: vec![bytes::Bytes::from_static(b"\x01\0\0\0x")],
            ..Default::default()
        }
    }

    #[test]
    fn counts_past_the_limits_are_refused_by_name() {
        assert!(check_model_infer(&request(vec![input(vec![1])]).encode_to_vec()).is_ok());
        let many = request((0..65).map(|_| input(vec![1])).collect());
        let err = check_model_infer(&many.encode_to_vec())
            .unwrap_err()
            .to_string();
        assert!(err.contains("inputs holds more than 64"), "{err}");
        let dims = request(vec![input(vec![1; 1_000_000])]);
        let err = check_model_infer(&dims.encode_to_vec())
            .unwrap_err()
            .to_string();
        assert!(err.contains("shape holds more than 32"), "{err}");
        let mut named = request(vec![input(vec![1])]);
        named.model_name = "m".repeat(5000);
        let err = check_model_infer(&named.encode_to_vec())
            .unwrap_err()
            .to_string();
        assert!(err.contains("model_name is 5000 bytes"), "{err}");
        let mut contents = input(vec![1]);
        contents.contents = Some(pb::InferTensorContents {
            int64_contents: vec![0; 100],
            ..Default::default()
        });
        let err = check_model_infer(&request(vec![contents]).encode_to_vec())
            .unwrap_err()
            .to_string();
        assert!(err.contains("contents holds more than 64"), "{err}");
    }
}
