//! `--target seed`: the seed post's FastAPI and grpcio servers
//! (targets/seed) at `--rest-url`/`--grpc-url`. Its requests and answers
//! are in [`wire`]; it takes every payload over REST/1.1 and gRPC. It has
//! no health route, so readiness is one `basic` request per protocol,
//! answered and checked; it has no model to ask about and no statistics
//! route (its servers time nothing and send no `Server-Timing`).

pub(crate) mod wire;

use super::{ConnectPlan, Connected, Target, TargetPlan, TargetWire};
use crate::protocol::Protocol;
use crate::report::SEED_SERVERS;
use crate::server::ServerDecoder;
use crate::wire::payload::WireRequest;
use crate::wire::{EncodedImage, ImageMeta, PayloadKind};
use anyhow::{anyhow, bail, Result};
use futures_core::future::BoxFuture;

/// The seed post's servers.
pub struct Seed;

/// The seed post's language ([`wire`]).
#[derive(Debug)]
pub struct SeedWire;

impl Target for Seed {
    fn name(&self) -> &'static str {
        "seed"
    }

    fn readiness(&self) -> &'static str {
        "one basic request per protocol, answered and checked as every request is (the seed has \
         no health route)"
    }

    fn metadata(&self) -> &'static str {
        "nothing: the seed's servers serve one fixed schema (its routes, its gRPC service)"
    }

    fn statistics(&self) -> Result<&'static str, &'static str> {
        Err(
            "the seed's servers time nothing and send no Server-Timing: only the client's \
             stages are measured",
        )
    }

    fn server_description(&self, _targets: &TargetPlan, _builtin: bool) -> String {
        SEED_SERVERS.into()
    }

    /// The seed's servers read the image and decode nothing.
    fn server_decoder(&self, _builtin: bool, _decoder: ServerDecoder) -> Option<ServerDecoder> {
        Some(ServerDecoder::None)
    }

    fn connect<'a>(&'a self, plan: &'a ConnectPlan<'a>) -> BoxFuture<'a, Result<Connected>> {
        Box::pin(async move {
            ready(plan).await?;
            Ok(Connected::without_stats(SeedWire))
        })
    }

    #[cfg(test)]
    fn example_wire(&self) -> std::sync::Arc<dyn TargetWire> {
        std::sync::Arc::new(SeedWire)
    }
}

impl TargetWire for SeedWire {
    fn serialize(
        &self,
        protocol: Protocol,
        payload: PayloadKind,
        image: Option<&EncodedImage>,
    ) -> Result<WireRequest> {
        Ok(wire::serialize(protocol, payload, image)?)
    }

    fn parse_response(
        &self,
        protocol: Protocol,
        _payload: PayloadKind,
        body: &[u8],
        _sent: Option<&ImageMeta>,
    ) -> Result<()> {
        Ok(wire::parse_response(protocol, body)?)
    }

    fn refusal(&self, _protocol: Protocol, _payload: PayloadKind) -> Option<String> {
        None
    }
}

/// The seed has no health route: one `basic` request per protocol,
/// answered and checked, before anything is measured, so a server that is
/// down or is not the seed's fails here with one line naming its flag.
async fn ready(plan: &ConnectPlan<'_>) -> Result<()> {
    for &protocol in plan.protocols {
        let answer = async {
            let client = plan
                .clients
                .get(&protocol)
                .ok_or_else(|| anyhow!("no {} client was connected", protocol.label()))?;
            let request = SeedWire.serialize(protocol, PayloadKind::Basic, None)?;
            let exchange = client.call(0, request).await?;
            SeedWire.parse_response(protocol, PayloadKind::Basic, &exchange.body, None)
        };
        if let Err(error) = answer.await {
            bail!(
                "the seed's {} server at {} ({}) did not answer a first basic request \
                 (is targets/seed/run.sh running there?): {error:#}",
                protocol.label(),
                plan.targets.url(protocol).unwrap_or("?"),
                TargetPlan::flag(protocol),
            );
        }
    }
    Ok(())
}
