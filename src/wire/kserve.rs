//! The Open Inference Protocol (KServe v2), spoken as a client: REST
//! `/v2/models/{model}/infer` (JSON, and the binary tensor data extension)
//! and gRPC `inference.GRPCInferenceService/ModelInfer`
//! (proto/kserve/v2/open_inference_grpc.proto), and the answer, checked.

use super::payload::WireRequest;
use super::{EncodedImage, ImageMeta, PayloadKind};
use crate::protocol::Protocol;

/// What the client sends to a v2 model: from its metadata, where flags do
/// not override it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KserveModel {
    pub name: String,
    /// The image input's name (`image` on targets/triton).
    pub input: String,
    /// The image input's datatype (`BYTES`).
    pub datatype: String,
}

/// What can go wrong speaking the v2 protocol.
#[derive(Debug, thiserror::Error)]
pub enum KserveWireError {
    #[error("the kserve-v2 client is not built yet")]
    NotBuilt,
}

pub fn serialize(
    _model: &KserveModel,
    _protocol: Protocol,
    _payload: PayloadKind,
    _image: Option<&EncodedImage>,
) -> Result<WireRequest, KserveWireError> {
    Err(KserveWireError::NotBuilt)
}

pub fn parse_response(
    _model: &KserveModel,
    _protocol: Protocol,
    _payload: PayloadKind,
    _body: &[u8],
    _sent: Option<&ImageMeta>,
) -> Result<(), KserveWireError> {
    Err(KserveWireError::NotBuilt)
}

pub fn refusal(_model: &KserveModel, _protocol: Protocol, _payload: PayloadKind) -> Option<String> {
    None
}
