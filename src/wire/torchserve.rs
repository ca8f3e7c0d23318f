//! TorchServe's inference API, spoken as a client: REST
//! `POST /predictions/{model}` (a raw body) and gRPC
//! `org.pytorch.serve.grpc.inference.InferenceAPIsService/Predictions`
//! (proto/torchserve/v1/inference.proto), and the answer, checked.

use super::payload::WireRequest;
use super::{EncodedImage, ImageMeta, PayloadKind};
use crate::protocol::Protocol;

/// The TorchServe model the requests go to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TorchserveModel {
    pub name: String,
}

/// What can go wrong speaking TorchServe's API.
#[derive(Debug, thiserror::Error)]
pub enum TorchserveWireError {
    #[error("the torchserve client is not built yet")]
    NotBuilt,
}

pub fn serialize(
    _model: &TorchserveModel,
    _protocol: Protocol,
    _payload: PayloadKind,
    _image: Option<&EncodedImage>,
) -> Result<WireRequest, TorchserveWireError> {
    Err(TorchserveWireError::NotBuilt)
}

pub fn parse_response(
    _model: &TorchserveModel,
    _protocol: Protocol,
    _payload: PayloadKind,
    _body: &[u8],
    _sent: Option<&ImageMeta>,
) -> Result<(), TorchserveWireError> {
    Err(TorchserveWireError::NotBuilt)
}

pub fn refusal(
    _model: &TorchserveModel,
    _protocol: Protocol,
    _payload: PayloadKind,
) -> Option<String> {
    None
}
