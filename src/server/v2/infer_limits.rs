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

    /// A parameters map of `n` entries, or one entry whose string value
    /// is `value`.
    fn parameters<M: FromIterator<(String, pb::InferParameter)>>(n: usize, value: &str) -> M {
        use pb::infer_parameter::ParameterChoice;
        let parameter = pb::InferParameter {
            parameter_choice: Some(ParameterChoice::StringParam(value.into())),
        };
        (0..n)
            .map(|i| (format!("k{i}"), parameter.clone()))
            .collect()
    }

    fn output(
        name: &str,
        parameter_count: usize,
    ) -> pb::model_infer_request::InferRequestedOutputTensor {
        pb::model_infer_request::InferRequestedOutputTensor {
            name: name.into(),
            parameters: parameters(parameter_count, "v"),
        }
    }

    fn refusal(request: &pb::ModelInferRequest) -> Option<String> {
        check_model_infer(&request.encode_to_vec())
            .err()
            .map(|e| e.to_string())
    }

    /// Each count admits a message at its limit and refuses one past it,
    /// naming the field and the limit.
    #[test]
    fn each_count_admits_its_limit_and_refuses_one_more_by_name() {
        let outputs = |n: usize| pb::ModelInferRequest {
            outputs: (0..n).map(|i| output(&format!("o{i}"), 0)).collect(),
            ..request(vec![input(vec![1])])
        };
        let raw = |n: usize| pb::ModelInferRequest {
            raw_input_contents: vec![bytes::Bytes::from_static(b"\x01\0\0\0x"); n],
            ..request(vec![input(vec![1])])
        };
        let request_parameters = |n: usize| pb::ModelInferRequest {
            parameters: parameters(n, "v"),
            ..request(vec![input(vec![1])])
        };
        let output_parameters = |n: usize| pb::ModelInferRequest {
            outputs: vec![output("size", n)],
            ..request(vec![input(vec![1])])
        };
        let input_parameters = |n: usize| {
            let mut with = input(vec![1]);
            with.parameters = parameters(n, "v");
            request(vec![with])
        };
        type Case<'a> = (&'a str, &'a dyn Fn(usize) -> pb::ModelInferRequest, usize);
        let cases: [Case; 5] = [
            ("outputs holds more than 64 entries", &outputs, MAX_TENSORS),
            ("raw_input_contents holds more than 64", &raw, MAX_TENSORS),
            (
                "parameters holds more than 64",
                &request_parameters,
                MAX_PARAMETERS,
            ),
            (
                "an output's parameters holds more than 64",
                &output_parameters,
                MAX_PARAMETERS,
            ),
            (
                "an input's parameters holds more than 64",
                &input_parameters,
                MAX_PARAMETERS,
            ),
        ];
        for (said, message, limit) in cases {
            assert_eq!(refusal(&message(limit)), None, "{said}: at the limit");
            let err = refusal(&message(limit + 1)).expect(said);
            assert!(err.contains(said), "{said}: {err}");
        }
    }

    /// A text past 4096 bytes is refused by the field's name in every
    /// field that holds one, not only `model_name`; 4096 bytes pass.
    #[test]
    fn every_text_field_admits_4096_bytes_and_refuses_more_by_name() {
        use crate::server::parse_limits::MAX_TEXT_BYTES;
        type Edit = dyn Fn(&mut pb::ModelInferRequest, &str);
        let edits: [(&str, &Edit); 7] = [
            ("model_version", &|r, t| r.model_version = t.into()),
            ("id", &|r, t| r.id = t.into()),
            ("an input's name", &|r, t| r.inputs[0].name = t.into()),
            ("an input's datatype", &|r, t| {
                r.inputs[0].datatype = t.into()
            }),
            ("an output's name", &|r, t| r.outputs = vec![output(t, 0)]),
            ("a parameter's string value", &|r, t| {
                r.parameters = parameters(1, t)
            }),
            ("a parameter's name", &|r, t| {
                r.inputs[0].parameters = [(t.to_string(), Default::default())].into_iter().collect()
            }),
        ];
        for (field, edit) in edits {
            let mut message = request(vec![input(vec![1])]);
            edit(&mut message, &"t".repeat(MAX_TEXT_BYTES));
            assert_eq!(refusal(&message), None, "{field} at the limit");
            edit(&mut message, &"t".repeat(MAX_TEXT_BYTES + 1));
            let err = refusal(&message).expect(field);
            assert!(
                err.contains(&format!("{field} is 4097 bytes long"))
                    && err.contains("at most 4096"),
                "{field}: {err}"
            );
        }
    }
}
