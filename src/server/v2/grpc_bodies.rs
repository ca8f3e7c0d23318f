//! gRPC infer bodies (`ModelInfer`), as the shared request path reads and
//! writes them: a `ModelInferRequest` whose image is in
//! `raw_input_contents[0]` (a u32 LE length, then the bytes) or in
//! `inputs[0].contents.bytes_contents[0]`, and a `ModelInferResponse` with
//! the two INT32s raw in `raw_output_contents[0]`, as Triton answers.

use super::infer_limits::check_model_infer;
use super::tensor::{self, DeclaredInput, ModelInput, OUTPUT, OUTPUT_DATATYPE, OUTPUT_SHAPE};
use super::{V2Service, MODEL_VERSION};
use crate::server::refusal::RequestError;
use crate::server::request::{BodyFormat, Deserialized};
use crate::wire::proto::kserve as pb;
use crate::wire::PayloadKind;
use bytes::Bytes;
use pb::model_infer_response::InferOutputTensor;
use prost::Message;
use std::sync::OnceLock;

/// gRPC infer bodies for one call.
pub struct GrpcInfer<'a> {
    service: &'a V2Service,
    /// The request's `id` and the answer `[height, width]`.
    reply: OnceLock<(String, [i32; 2])>,
}

impl<'a> GrpcInfer<'a> {
    pub fn new(service: &'a V2Service) -> Self {
        GrpcInfer {
            service,
            reply: OnceLock::new(),
        }
    }

    fn read(&self, body: Bytes) -> Result<ModelInput, RequestError> {
        check_model_infer(&body)?;
        let request = pb::ModelInferRequest::decode(body)
            .map_err(|e| RequestError::Malformed(format!("not a ModelInferRequest: {e}")))?;
        let model = self.service.model();
        self.service
            .find(&request.model_name, &request.model_version)
            .map_err(|e| RequestError::NotFound(e.to_string()))?;
        let declared: Vec<_> = request
            .inputs
            .iter()
            .map(|i| DeclaredInput {
                name: &i.name,
                datatype: &i.datatype,
                shape: &i.shape,
            })
            .collect();
        tensor::check_inputs(model, &declared)?;
        for output in &request.outputs {
            tensor::check_output(model, &output.name)?;
        }
        let input = tensor::model_input(element(
            request.inputs.into_iter().next(),
            request.raw_input_contents,
        )?)?;
        let _ = self.reply.set((request.id, input.size));
        Ok(input)
    }
}

/// The image input's one element: `raw_input_contents[0]` unframed, or
/// `contents.bytes_contents[0]` as it is.
fn element(
    input: Option<pb::model_infer_request::InferInputTensor>,
    raw: Vec<Bytes>,
) -> Result<Bytes, RequestError> {
    let listed = input
        .and_then(|i| i.contents)
        .map(|c| c.bytes_contents)
        .unwrap_or_default();
    let refuse = |what: String| Err(RequestError::Malformed(what));
    match (&raw[..], &listed[..]) {
        ([serialized], []) => tensor::single_element(serialized.clone()),
        ([], [element]) => Ok(element.clone()),
        ([], []) => refuse(format!(
            "input '{}' has no data: send it in raw_input_contents[0] (a u32 little-endian length, then the bytes) or in contents.bytes_contents",
            tensor::INPUT
        )),
        ([_, ..], [_, ..]) => refuse(format!(
            "input '{}' has data both in raw_input_contents and in contents; send one",
            tensor::INPUT
        )),
        (raw, listed) => refuse(format!(
            "the request holds {} raw_input_contents and {} bytes_contents; the model's one input of shape [1] takes one",
            raw.len(),
            listed.len()
        )),
    }
}

impl BodyFormat for GrpcInfer<'_> {
    fn deserialize(
        &self,
        _payload: PayloadKind,
        body: Bytes,
    ) -> Result<Deserialized, RequestError> {
        self.read(body).map(|input| input.image)
    }

    fn prediction(&self) -> Bytes {
        let Some((id, size)) = self.reply.get() else {
            return Bytes::new();
        };
        pb::ModelInferResponse {
            model_name: self.service.model().into(),
            model_version: MODEL_VERSION.into(),
            id: id.clone(),
            parameters: Default::default(),
            outputs: vec![InferOutputTensor {
                name: OUTPUT.into(),
                datatype: OUTPUT_DATATYPE.into(),
                shape: OUTPUT_SHAPE.to_vec(),
                parameters: Default::default(),
                contents: None,
            }],
            raw_output_contents: vec![tensor::size_bytes(*size)],
        }
        .encode_to_vec()
        .into()
    }
}
