//! `--target imgwire`: imgwire's own servers, built in (started in this
//! process where no URL is given) or `imgwire serve` at the URLs. Its
//! requests and answers are the generic ones of `wire::payload`; it takes
//! every payload over every protocol (the tcp floor included); it needs no
//! readiness check beyond connecting, and no statistics route: its servers
//! time their own stages and send them with every answer (`Server-Timing`).

use super::{ConnectPlan, Connected, Target, TargetPlan, TargetWire};
use crate::protocol::Protocol;
use crate::server::ServerDecoder;
use crate::wire::payload::{self, WireRequest};
use crate::wire::{EncodedImage, ImageMeta, PayloadKind};
use anyhow::Result;
use futures_core::future::BoxFuture;

/// imgwire's own servers.
pub struct Imgwire;

/// imgwire's own language: `wire::payload`'s bodies and answers.
#[derive(Debug)]
pub struct ImgwireWire;

impl Target for Imgwire {
    fn name(&self) -> &'static str {
        "imgwire"
    }

    fn has_builtin_servers(&self) -> bool {
        true
    }

    fn default_protocols(&self) -> &'static [Protocol] {
        &[Protocol::Rest, Protocol::Grpc, Protocol::Tcp]
    }

    fn protocol_refusal(&self, _protocol: Protocol) -> Option<String> {
        None
    }

    fn readiness(&self) -> &'static str {
        "each protocol's client connects before anything is measured (no health route needed: \
         an unreachable server fails there, naming its flag)"
    }

    fn metadata(&self) -> &'static str {
        "nothing: imgwire's servers take every payload as the client sends it"
    }

    fn statistics(&self) -> Result<&'static str, &'static str> {
        Err(
            "imgwire's servers time their own stages and send them with every answer \
             (Server-Timing), so no statistics route is read",
        )
    }

    fn server_description(&self, _targets: &TargetPlan, builtin: bool) -> String {
        match builtin {
            true => "built-in, in process".into(),
            false => "remote".into(),
        }
    }

    fn server_decoder(&self, builtin: bool, decoder: ServerDecoder) -> Option<ServerDecoder> {
        builtin.then_some(decoder)
    }

    fn connect<'a>(&'a self, _plan: &'a ConnectPlan<'a>) -> BoxFuture<'a, Result<Connected>> {
        Box::pin(async { Ok(Connected::without_stats(ImgwireWire)) })
    }

    #[cfg(test)]
    fn example_wire(&self) -> std::sync::Arc<dyn TargetWire> {
        std::sync::Arc::new(ImgwireWire)
    }
}

impl TargetWire for ImgwireWire {
    fn serialize(
        &self,
        protocol: Protocol,
        payload: PayloadKind,
        image: Option<&EncodedImage>,
    ) -> Result<WireRequest> {
        payload::serialize(protocol, payload, image)
    }

    fn parse_response(
        &self,
        protocol: Protocol,
        _payload: PayloadKind,
        body: &[u8],
        _sent: Option<&ImageMeta>,
    ) -> Result<()> {
        payload::parse_response(protocol, body)
    }

    fn refusal(&self, _protocol: Protocol, _payload: PayloadKind) -> Option<String> {
        None
    }
}
