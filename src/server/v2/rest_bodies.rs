//! REST infer bodies (`POST /v2/models/{m}/infer`), as the shared request
//! path reads and writes them: a JSON request whose BYTES `data[0]` is text,
//! or, with the binary tensor data extension, a JSON header of
//! `Inference-Header-Content-Length` bytes followed by each input's
//! `parameters.binary_data_size` bytes. The answer is JSON, or a JSON header
//! and the two INT32s raw when the request asked for binary outputs
//! (`parameters.binary_data_output`, or an output's `binary_data`).

use super::request_json::{InputJson, Param, Parameters, RequestJson};
use super::tensor::{self, DeclaredInput, ModelInput, OUTPUT, OUTPUT_DATATYPE, OUTPUT_SHAPE};
use super::MODEL_VERSION;
use crate::server::refusal::{echo, RequestError};
use crate::server::request::{BodyFormat, Deserialized};
use crate::wire::PayloadKind;
use bytes::{BufMut, Bytes, BytesMut};
use serde::Serialize;
use std::sync::OnceLock;

/// The header that says how long the JSON part of a binary body is.
pub const HEADER_LENGTH: &str = "inference-header-content-length";

/// REST infer bodies for one request. `PayloadKind::Binary` means the body
/// has a JSON header of `header_length` bytes; anything else, that it is
/// all JSON.
pub struct RestInfer<'a> {
    model: &'a str,
    header_length: Option<&'a str>,
    reply: OnceLock<Reply>,
    binary_header: OnceLock<usize>,
}

/// What the answer needs from the request.
struct Reply {
    id: String,
    size: [i32; 2],
    binary: bool,
}

/// The answer's JSON (or its JSON header), keys in Triton's order.
#[derive(Serialize)]
struct ResponseJson<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    id: &'a str,
    model_name: &'a str,
    model_version: &'a str,
    outputs: [OutputTensorJson; 1],
}

#[derive(Serialize)]
struct OutputTensorJson {
    name: &'static str,
    datatype: &'static str,
    shape: [i64; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<BinarySize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<[i32; 2]>,
}

#[derive(Serialize)]
struct BinarySize {
    binary_data_size: usize,
}

impl<'a> RestInfer<'a> {
    pub fn new(model: &'a str, header_length: Option<&'a str>) -> Self {
        RestInfer {
            model,
            header_length,
            reply: OnceLock::new(),
            binary_header: OnceLock::new(),
        }
    }

    /// The length of the JSON header before the raw outputs, when the
    /// answer has binary outputs (its `Inference-Header-Content-Length`).
    pub fn binary_header_length(&self) -> Option<usize> {
        self.binary_header.get().copied()
    }

    /// The JSON part and the binary part of a body.
    fn split(&self, payload: PayloadKind, body: Bytes) -> Result<(Bytes, Bytes), RequestError> {
        if payload != PayloadKind::Binary {
            return Ok((body, Bytes::new()));
        }
        let text = self.header_length.unwrap_or_default();
        let length = text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= body.len());
        let Some(length) = length else {
            return Err(malformed(format!(
                "Inference-Header-Content-Length '{}' is not a byte count within the body's {} bytes",
                echo(text),
                body.len()
            )));
        };
        Ok((body.slice(..length), body.slice(length..)))
    }

    fn read(&self, payload: PayloadKind, body: Bytes) -> Result<ModelInput, RequestError> {
        let (header, binary) = self.split(payload, body)?;
        let request: RequestJson = serde_json::from_slice(&header)
            .map_err(|e| malformed(format!("the body is not a v2 inference request: {e}")))?;
        let declared: Vec<_> = request
            .inputs
            .iter()
            .map(|i| DeclaredInput {
                name: &i.name.0,
                datatype: &i.datatype.0,
                shape: &i.shape,
            })
            .collect();
        tensor::check_inputs(self.model, &declared)?;
        let element = element(&request.inputs[0], binary)?;
        let binary = binary_outputs(self.model, &request)?;
        let input = tensor::model_input(element)?;
        let _ = self.reply.set(Reply {
            id: request.id.0,
            size: input.size,
            binary,
        });
        Ok(input)
    }
}

impl BodyFormat for RestInfer<'_> {
    fn deserialize(&self, payload: PayloadKind, body: Bytes) -> Result<Deserialized, RequestError> {
        self.read(payload, body).map(|input| input.image)
    }

    fn prediction(&self) -> Bytes {
        let Some(reply) = self.reply.get() else {
            return Bytes::new();
        };
        let mut answer = ResponseJson {
            id: &reply.id,
            model_name: self.model,
            model_version: MODEL_VERSION,
            outputs: [OutputTensorJson {
                name: OUTPUT,
                datatype: OUTPUT_DATATYPE,
                shape: OUTPUT_SHAPE,
                parameters: None,
                data: Some(reply.size),
            }],
        };
        if !reply.binary {
            return Bytes::from(serde_json::to_vec(&answer).unwrap_or_default());
        }
        let raw = tensor::size_bytes(reply.size);
        answer.outputs[0].data = None;
        answer.outputs[0].parameters = Some(BinarySize {
            binary_data_size: raw.len(),
        });
        let header = serde_json::to_vec(&answer).unwrap_or_default();
        let _ = self.binary_header.set(header.len());
        let mut body = BytesMut::with_capacity(header.len() + raw.len());
        body.put_slice(&header);
        body.put_slice(&raw);
        body.freeze()
    }
}

/// The input's one element: from the binary part (`binary_data_size`
/// bytes, a u32 LE length then the bytes), or `data[0]`'s text.
fn element(input: &InputJson, binary: Bytes) -> Result<Bytes, RequestError> {
    let name = echo(&input.name.0);
    match (input.parameters.get("binary_data_size"), &input.data) {
        (Some(declared), _) => {
            let size = declared.as_u64().map(|n| n as usize);
            if size != Some(binary.len()) {
                return Err(malformed(format!(
                    "input '{name}' has parameters.binary_data_size {declared} but the body has {} bytes after its JSON header (Inference-Header-Content-Length)",
                    binary.len()
                )));
            }
            tensor::single_element(binary)
        }
        (None, Some(data)) if binary.is_empty() => match &data[..] {
            [text] => Ok(Bytes::from(text.clone())),
            _ => Err(malformed(format!(
                "input '{name}' has {} elements in `data`; its shape [1] holds one",
                data.len()
            ))),
        },
        (None, Some(_)) => Err(malformed(format!(
            "the body has {} bytes after its JSON header but input '{name}' has no parameters.binary_data_size",
            binary.len(),
        ))),
        (None, None) => Err(malformed(format!(
            "input '{name}' has neither `data` nor parameters.binary_data_size"
        ))),
    }
}

/// Whether the answer's output goes raw: an output's own `binary_data`
/// wins, then the request's `binary_data_output` (default false).
fn binary_outputs(model: &str, request: &RequestJson) -> Result<bool, RequestError> {
    let flag = |parameters: &Parameters, name: &str| parameters.get(name).and_then(Param::as_bool);
    let default = flag(&request.parameters, "binary_data_output").unwrap_or(false);
    let Some(outputs) = &request.outputs else {
        return Ok(default);
    };
    let mut binary = default;
    for output in outputs {
        tensor::check_output(model, &output.name.0)?;
        binary = flag(&output.parameters, "binary_data").unwrap_or(default);
    }
    Ok(binary)
}

fn malformed(message: String) -> RequestError {
    RequestError::Malformed(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer_of(header: &str) -> (String, Option<usize>) {
        let format = RestInfer::new("decode", None);
        let _ = format.reply.set(Reply {
            id: String::new(),
            size: [1080, 1920],
            binary: header.contains("binary_data_output"),
        });
        let body = format.prediction();
        let text =
            String::from_utf8_lossy(&body[..format.binary_header_length().unwrap_or(body.len())]);
        (text.into_owned(), format.binary_header_length())
    }

    #[test]
    fn answers_byte_for_byte_as_the_triton_target_did() {
        let (json, none) = answer_of("");
        assert_eq!(
            json,
            r#"{"model_name":"decode","model_version":"1","outputs":[{"name":"size","datatype":"INT32","shape":[2],"data":[1080,1920]}]}"#
        );
        assert_eq!(none, None);
        let (_, header) = answer_of("binary_data_output");
        assert_eq!(
            header,
            Some(138),
            "Triton's Inference-Header-Content-Length"
        );
    }
}
