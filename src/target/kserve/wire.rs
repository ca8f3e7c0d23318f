//! The Open Inference Protocol (KServe v2), spoken as a client: REST
//! `/v2/models/{model}/infer` (JSON, and the binary tensor data extension)
//! and gRPC `inference.GRPCInferenceService/ModelInfer`
//! (proto/kserve/v2/open_inference_grpc.proto), and the answer, checked for
//! what the protocol promises (outputs, each well formed), never for what
//! one model happens to answer.
//!
//! What each payload sends depends on the model's input datatype:
//! - `BYTES` (one element): `b64` the base64 text, `binary` the JPEG; in raw
//!   form (the binary extension, gRPC `raw_input_contents`) each element is
//!   a u32 little-endian length, then its bytes.
//! - `UINT8` (a vector as long as the JPEG): `binary` the JPEG's bytes as
//!   they are; base64 text is not a UINT8 tensor, so `b64` is not sent.
//! - `FP32`: `basic`, a small vector of floats; no image payload.
//!
//! The tensor's shape comes from the model's ([`shape`]): the batch
//! dimension holds one request, the elements fill the rest where they fit.
//! Every other combination is refused with its reason (the report's `n/a`).

mod answer;
mod request;
pub(crate) mod shape;

pub use answer::parse_response;
pub use request::serialize;
pub use shape::{Batch, Elements, InputShape};

use crate::protocol::Protocol;
use crate::wire::PayloadKind;

/// gRPC method paths of `inference.GRPCInferenceService`.
pub mod paths {
    pub const SERVER_READY: &str = "/inference.GRPCInferenceService/ServerReady";
    pub const MODEL_READY: &str = "/inference.GRPCInferenceService/ModelReady";
    pub const MODEL_METADATA: &str = "/inference.GRPCInferenceService/ModelMetadata";
    /// Triton's model configuration extension (not in KServe's proto).
    pub const MODEL_CONFIG: &str = "/inference.GRPCInferenceService/ModelConfig";
    pub const MODEL_INFER: &str = "/inference.GRPCInferenceService/ModelInfer";
}

/// The REST header that says how long the JSON part of a binary-extension
/// body is.
pub const HEADER_LENGTH: &str = "inference-header-content-length";

/// What the client sends to a v2 model: from its metadata, where flags do
/// not override it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KserveModel {
    pub name: String,
    /// The image input's name (`image` on targets/triton).
    pub input: String,
    /// The image input's datatype (`BYTES`).
    pub datatype: String,
    /// The input's shape and batching, from the model's metadata and
    /// config (flat where the flags named an input the metadata lacks).
    pub shape: InputShape,
}

impl KserveModel {
    /// The REST route requests are posted to.
    pub fn infer_path(&self) -> String {
        format!("/v2/models/{}/infer", self.name)
    }

    fn input_kind(&self) -> InputKind {
        match self.datatype.to_ascii_uppercase().as_str() {
            "BYTES" => InputKind::Bytes,
            "UINT8" => InputKind::Uint8,
            "FP32" => InputKind::Fp32,
            _ => InputKind::Other,
        }
    }

    /// How many elements `payload`'s tensor holds on this input.
    fn elements(&self, payload: PayloadKind) -> Elements {
        match (payload, self.input_kind()) {
            (PayloadKind::Basic, _) => Elements::Fixed(basic_values().len()),
            (_, InputKind::Uint8) => Elements::Varying,
            _ => Elements::Fixed(1),
        }
    }

    /// The shape `payload`'s tensor is sent with (-1 where it varies with
    /// the image), or why it fits no shape of this input.
    fn tensor_shape(&self, payload: PayloadKind) -> Result<Vec<i64>, String> {
        self.shape.fit(self.elements(payload))
    }
}

/// The input datatypes the client knows how to fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InputKind {
    Bytes,
    Uint8,
    Fp32,
    Other,
}

/// What can go wrong speaking the v2 protocol.
#[derive(Debug, thiserror::Error)]
pub enum KserveWireError {
    #[error("payload '{0}' needs an image")]
    NoImage(&'static str),
    #[error("the {0} protocol has no v2 server (the Open Inference Protocol is REST and gRPC)")]
    NoServer(&'static str),
    #[error("this model cannot take the request: {0}")]
    Refused(String),
    #[error("could not write the v2 JSON request: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the v2 server's REST answer is not inference JSON: {0}")]
    RestAnswer(serde_json::Error),
    #[error("the v2 server's gRPC answer is not a ModelInferResponse: {0}")]
    GrpcAnswer(prost::DecodeError),
    #[error("the v2 server answered an error: {0}")]
    Server(String),
    #[error("the v2 server's answer has no outputs")]
    NoOutputs,
    #[error("the v2 server's output `{name}` is malformed: {problem}")]
    Output { name: String, problem: String },
}

/// Why this model cannot take `payload` over `protocol`, where it cannot:
/// the report shows the cell as `n/a` with this reason.
pub fn refusal(model: &KserveModel, protocol: Protocol, payload: PayloadKind) -> Option<String> {
    if matches!(protocol, Protocol::Tcp) {
        return Some("the Open Inference Protocol is REST and gRPC; tcp has no v2 server".into());
    }
    let input = &model.input;
    let datatype = &model.datatype;
    let override_hint = "(--input-name/--input-datatype override the model's metadata)";
    let carried = match (payload, model.input_kind()) {
        (PayloadKind::Basic, InputKind::Fp32) => "the basic request's FP32 values",
        (PayloadKind::B64, InputKind::Bytes) => "the base64 text as one BYTES element",
        (PayloadKind::Binary, InputKind::Bytes) => "the JPEG as one BYTES element",
        (PayloadKind::Binary, InputKind::Uint8) => "the JPEG's bytes as a UINT8 vector",
        (PayloadKind::Basic, _) => {
            return Some(format!(
                "the model's input `{input}` is {datatype}; basic sends an FP32 tensor"
            ))
        }
        (PayloadKind::B64, InputKind::Uint8) => {
            return Some(format!(
                "the model's input `{input}` is UINT8; base64 text is not a UINT8 tensor (b64 \
                 needs a BYTES input)"
            ))
        }
        (PayloadKind::B64 | PayloadKind::Binary, _) => {
            return Some(format!(
                "the model's input `{input}` is {datatype}; an image goes in a BYTES or UINT8 \
                 tensor {override_hint}"
            ))
        }
    };
    let no_fit = model.tensor_shape(payload).err()?;
    Some(format!(
        "the model's input `{input}` {no_fit}, so {carried} does not fit it; --input-name and \
         --input-datatype pick another input (a BYTES input of dims [1] or [-1], or a UINT8 \
         input of dims [-1], takes an image)"
    ))
}

/// imgwire's basic request (the same content on every target) as a small
/// FP32 vector: the values of its 100-entry map.
pub fn basic_values() -> Vec<f32> {
    crate::wire::content::basic_json()
        .field4
        .values()
        .map(|&v| v as f32)
        .collect()
}

#[cfg(test)]
impl KserveModel {
    /// Model `decode` with input `image` of `datatype`, as the targets have.
    pub(crate) fn for_test(datatype: &str) -> Self {
        KserveModel {
            name: "decode".into(),
            input: "image".into(),
            datatype: datatype.into(),
            shape: InputShape::flat(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(datatype: &str) -> KserveModel {
        KserveModel::for_test(datatype)
    }

    #[test]
    fn each_datatype_takes_the_payloads_it_can_carry() {
        let bytes = model("BYTES");
        let reason = refusal(&bytes, Protocol::Rest, PayloadKind::Basic).unwrap();
        assert_eq!(
            reason,
            "the model's input `image` is BYTES; basic sends an FP32 tensor"
        );
        for protocol in [Protocol::Rest, Protocol::Grpc] {
            assert!(refusal(&bytes, protocol, PayloadKind::B64).is_none());
            assert!(refusal(&bytes, protocol, PayloadKind::Binary).is_none());
        }
        let uint8 = model("uint8");
        assert!(refusal(&uint8, Protocol::Rest, PayloadKind::Binary).is_none());
        let reason = refusal(&uint8, Protocol::Grpc, PayloadKind::B64).unwrap();
        assert!(
            reason.contains("UINT8") && reason.contains("BYTES"),
            "{reason}"
        );
        let fp32 = model("FP32");
        assert!(refusal(&fp32, Protocol::Grpc, PayloadKind::Basic).is_none());
        let reason = refusal(&fp32, Protocol::Rest, PayloadKind::Binary).unwrap();
        assert!(reason.contains("--input-datatype"), "{reason}");
        assert!(refusal(&bytes, Protocol::Tcp, PayloadKind::Binary).is_some());
        assert_eq!(basic_values().len(), 100);
    }

    #[test]
    fn a_shape_no_image_fits_is_refused_naming_it_and_the_flags() {
        let pixels = KserveModel {
            input: "pixels".into(),
            shape: InputShape {
                dims: Some(vec![-1, 224, 224, 3]),
                batch: Batch::Batched(8),
            },
            ..model("UINT8")
        };
        let reason = refusal(&pixels, Protocol::Rest, PayloadKind::Binary).unwrap();
        assert!(
            reason.starts_with(
                "the model's input `pixels` has shape [-1, 224, 224, 3] (the first dimension is \
                 the batch: max_batch_size 8)"
            ),
            "{reason}"
        );
        assert!(
            reason.contains("the JPEG's bytes as a UINT8 vector does not fit it")
                && reason.contains("--input-name"),
            "{reason}"
        );
        let pair = KserveModel {
            shape: InputShape {
                dims: Some(vec![2]),
                batch: Batch::Unbatched,
            },
            ..model("BYTES")
        };
        for payload in [PayloadKind::B64, PayloadKind::Binary] {
            let reason = refusal(&pair, Protocol::Grpc, payload).unwrap();
            assert!(reason.contains("has shape [2]"), "{reason}");
        }
        let batched = KserveModel {
            shape: InputShape {
                dims: Some(vec![-1, 1]),
                batch: Batch::Batched(8),
            },
            ..model("BYTES")
        };
        assert_eq!(refusal(&batched, Protocol::Rest, PayloadKind::Binary), None);
        assert_eq!(refusal(&batched, Protocol::Grpc, PayloadKind::B64), None);
    }
}
