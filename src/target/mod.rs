//! The server a run measures, one folder per kind of target: imgwire's own
//! servers, the seed post's, the Open Inference Protocol (KServe v2, as
//! Triton serves it) and TorchServe's. Each folder answers the same
//! questions through [`Target`]: its name and defaults (protocols, whether
//! requests name a model), the protocols it refuses and why, how readiness
//! is checked and what metadata is learnt before the first counted request,
//! where its own statistics are read (or why there are none), how the
//! report describes its server; and once connected, through [`TargetWire`],
//! its request bodies, its answer checks and the payloads it refuses.
//!
//! Adding a target is one folder here and one variant of [`TargetKind`]
//! (with its arm in [`TargetKind::target`]); `run` only executes what these
//! answer, and `wire` keeps the bodies and codecs every target shares.

mod choice;
pub(crate) mod imgwire;
pub mod kserve;
mod rules;
pub(crate) mod seed;
pub(crate) mod stats;
pub(crate) mod torchserve;

#[cfg(test)]
mod answers;
#[cfg(test)]
mod fuzz;

pub use choice::{TargetKind, TargetPlan};
pub use rules::{check_plan, protocols_or_default};
pub use stats::{StatsReading, StatsSource};

use crate::encoders::EncodeSettings;
use crate::protocol::Protocol;
use crate::server::ServerDecoder;
use crate::trace_context::{TraceParent, TRACEPARENT};
use crate::transport::{Client, ClientSettings};
use crate::wire::payload::WireRequest;
use crate::wire::{EncodedImage, ImageMeta, PayloadKind};
use anyhow::{bail, Result};
use futures_core::future::BoxFuture;
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

impl TargetKind {
    /// The folder that answers for this kind of target: the one place a
    /// new target is named.
    pub fn target(self) -> &'static dyn Target {
        match self {
            TargetKind::Imgwire => &imgwire::Imgwire,
            TargetKind::Seed => &seed::Seed,
            TargetKind::KserveV2 => &kserve::KserveV2,
            TargetKind::Torchserve => &torchserve::Torchserve,
        }
    }
}

/// What every kind of target answers, before and while connecting.
pub trait Target: Sync {
    /// The name `--target` takes (and the report's settings give).
    fn name(&self) -> &'static str;

    /// Whether imgwire's built-in servers answer where no URL is given (only
    /// imgwire's own target); every other target needs a URL per protocol.
    fn has_builtin_servers(&self) -> bool {
        false
    }

    /// The protocols measured where `--protocols` is not given.
    fn default_protocols(&self) -> &'static [Protocol] {
        &[Protocol::Rest, Protocol::Grpc]
    }

    /// Why the target cannot be measured over `protocol` at all, naming
    /// `--protocols`; None where it can.
    fn protocol_refusal(&self, protocol: Protocol) -> Option<String> {
        rules::rest_and_grpc_only(self.name(), protocol)
    }

    /// Whether requests name a model (`--model` is then required).
    fn needs_model(&self) -> bool {
        false
    }

    /// How the target is checked ready before anything is measured, in words.
    fn readiness(&self) -> &'static str;

    /// What is learnt of the target before the first counted request, in
    /// words ("nothing" and why, where nothing is).
    fn metadata(&self) -> &'static str;

    /// Where the target's own statistics are read (`Ok`), or why there are
    /// none (`Err`).
    fn statistics(&self) -> Result<&'static str, &'static str>;

    /// The report's `server` setting: what answered the run.
    fn server_description(&self, targets: &TargetPlan, builtin: bool) -> String;

    /// The report's `server_decoder` setting: what the server does with the
    /// image, where imgwire knows (`decoder`: the built-in servers').
    fn server_decoder(&self, builtin: bool, decoder: ServerDecoder) -> Option<ServerDecoder>;

    /// Checks the target is ready and learns what it takes.
    fn connect<'a>(&'a self, plan: &'a ConnectPlan<'a>) -> BoxFuture<'a, Result<Connected>>;

    /// The language as the repository's own server of this kind speaks it
    /// (targets/, or the built-in v2 model), for tests that ask every target
    /// the same questions without a server.
    #[cfg(test)]
    fn example_wire(&self) -> Arc<dyn TargetWire>;
}

/// The language of the server a run measures, with what the client learnt
/// of it before the first counted request (model name, input, datatype).
pub trait TargetWire: Debug + Send + Sync {
    /// Builds one request: the `serialize` stage.
    fn serialize(
        &self,
        protocol: Protocol,
        payload: PayloadKind,
        image: Option<&EncodedImage>,
    ) -> Result<WireRequest>;

    /// Builds one request carrying `trace` (where given) as its W3C
    /// `traceparent` header (REST) or metadata (gRPC); a target whose
    /// protocol has a request id of its own (KServe v2) sets it to the
    /// trace id as well.
    fn serialize_traced(
        &self,
        protocol: Protocol,
        payload: PayloadKind,
        image: Option<&EncodedImage>,
        trace: Option<&TraceParent>,
    ) -> Result<WireRequest> {
        let mut request = self.serialize(protocol, payload, image)?;
        if let Some(trace) = trace {
            request.headers.push((TRACEPARENT, trace.to_string()));
        }
        Ok(request)
    }

    /// Parses and checks an answer: the `response` stage. `sent` is what
    /// the request declared of its image, for servers that answer with the
    /// decoded size.
    fn parse_response(
        &self,
        protocol: Protocol,
        payload: PayloadKind,
        body: &[u8],
        sent: Option<&ImageMeta>,
    ) -> Result<()>;

    /// Why this server cannot take `payload` over `protocol`, where it
    /// cannot: the report shows the cell as `n/a` with this reason.
    fn refusal(&self, protocol: Protocol, payload: PayloadKind) -> Option<String>;
}

/// The report's `server` for a remote server that serves `--model`.
fn remote_model(name: &str, targets: &TargetPlan) -> String {
    format!(
        "a {name} server, model {} (remote)",
        targets.model.as_deref().unwrap_or("?")
    )
}

/// The clients of a run, by protocol.
pub type Clients = HashMap<Protocol, Arc<Client>>;

/// What connecting to a target needs of the resolved plan.
pub struct ConnectPlan<'a> {
    pub targets: &'a TargetPlan,
    /// The protocols the run measures, each with its client in `clients`.
    pub protocols: &'a [Protocol],
    /// The payloads the run measures.
    pub payloads: &'a [PayloadKind],
    pub clients: &'a Clients,
    /// How the clients connect (timeouts and trust, for side routes).
    pub client: &'a ClientSettings,
    /// How probe images are encoded.
    pub encode: EncodeSettings,
    /// No lines about the run's progress on stderr (`--quiet`).
    pub quiet: bool,
}

/// What the client learnt of the target before measuring.
pub struct Connected {
    /// The language the requests are written in.
    pub wire: Arc<dyn TargetWire>,
    /// Where the server's own statistics are read, where it has some.
    pub stats: Option<StatsSource>,
}

impl Connected {
    /// A target that has no statistics of its own.
    pub fn without_stats(wire: impl TargetWire + 'static) -> Self {
        Connected {
            wire: Arc::new(wire),
            stats: None,
        }
    }
}

/// Checks that the plan's target is ready and learns what it takes; stops
/// where the target takes none of the requested cells.
pub async fn connect(plan: &ConnectPlan<'_>) -> Result<Connected> {
    let connected = plan.targets.kind.target().connect(plan).await?;
    something_to_measure(plan, connected.wire.as_ref())?;
    Ok(connected)
}

/// At least one cell of the matrix is one the target takes; where none is,
/// one line with a cell's reason (an image payload's first: a model's shape
/// no image fits, a datatype no payload carries) instead of a run that
/// measures nothing.
fn something_to_measure(plan: &ConnectPlan<'_>, wire: &dyn TargetWire) -> Result<()> {
    let cells = || {
        plan.protocols
            .iter()
            .flat_map(|&p| plan.payloads.iter().map(move |&payload| (p, payload)))
    };
    if cells().any(|(p, payload)| wire.refusal(p, payload).is_none()) {
        return Ok(());
    }
    // An image payload's reason first: it says what the model's input takes.
    let by_image_first = [PayloadKind::Binary, PayloadKind::B64, PayloadKind::Basic];
    let reason = by_image_first
        .iter()
        .flat_map(|&kind| cells().filter(move |&(_, payload)| payload == kind))
        .find_map(|(p, payload)| wire.refusal(p, payload))
        .unwrap_or_else(|| "no protocol or payload was asked for".into());
    let names = |names: Vec<&str>| names.join(",");
    bail!(
        "nothing to measure: --target {} takes none of the requested payloads ({}) over {}: \
         {reason}",
        plan.targets.kind.name(),
        names(plan.payloads.iter().map(|p| p.name()).collect()),
        names(plan.protocols.iter().map(|p| p.name()).collect()),
    )
}
