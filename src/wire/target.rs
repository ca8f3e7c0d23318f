//! Which server's language the client speaks: imgwire's own, the seed
//! post's, the Open Inference Protocol (KServe v2) or TorchServe's. One
//! place turns a payload into that server's request and checks its answer,
//! and says which payloads and protocols a server cannot take, and why.

use super::payload::{self, WireRequest};
use super::{kserve, seed, torchserve, EncodedImage, ImageMeta, PayloadKind};
use crate::protocol::Protocol;
use anyhow::Result;

/// The language of the server a run measures, with what the client learnt
/// of it before the first counted request (model name, input, datatype).
#[derive(Clone, Debug)]
pub enum TargetWire {
    Imgwire,
    Seed,
    KserveV2(kserve::KserveModel),
    Torchserve(torchserve::TorchserveModel),
}

impl TargetWire {
    /// Builds one request: the `serialize` stage.
    pub fn serialize(
        &self,
        protocol: Protocol,
        payload: PayloadKind,
        image: Option<&EncodedImage>,
    ) -> Result<WireRequest> {
        Ok(match self {
            TargetWire::Imgwire => payload::serialize(protocol, payload, image)?,
            TargetWire::Seed => seed::serialize(protocol, payload, image)?,
            TargetWire::KserveV2(model) => kserve::serialize(model, protocol, payload, image)?,
            TargetWire::Torchserve(model) => {
                torchserve::serialize(model, protocol, payload, image)?
            }
        })
    }

    /// Parses and checks an answer: the `response` stage. `sent` is what
    /// the request declared of its image, for servers that answer with the
    /// decoded size.
    pub fn parse_response(
        &self,
        protocol: Protocol,
        payload: PayloadKind,
        body: &[u8],
        sent: Option<&ImageMeta>,
    ) -> Result<()> {
        match self {
            TargetWire::Imgwire => payload::parse_response(protocol, body),
            TargetWire::Seed => Ok(seed::parse_response(protocol, body)?),
            TargetWire::KserveV2(model) => Ok(kserve::parse_response(
                model, protocol, payload, body, sent,
            )?),
            TargetWire::Torchserve(model) => Ok(torchserve::parse_response(
                model, protocol, payload, body, sent,
            )?),
        }
    }

    /// Why this server cannot take `payload` over `protocol`, where it
    /// cannot: the report shows the cell as `n/a` with this reason.
    pub fn refusal(&self, protocol: Protocol, payload: PayloadKind) -> Option<String> {
        match self {
            TargetWire::Imgwire | TargetWire::Seed => None,
            TargetWire::KserveV2(model) => kserve::refusal(model, protocol, payload),
            TargetWire::Torchserve(model) => torchserve::refusal(model, protocol, payload),
        }
    }
}
