//! `--target kserve-v2`: the Open Inference Protocol (KServe v2) of
//! Triton, KServe, MLServer and `imgwire serve`. Its request bodies and
//! answer checks, and the payloads a model's input refuses, are in
//! [`wire`]; before measuring: readiness (`/v2/health/ready`, the model's
//! ready route, or their gRPC twins), the model's metadata (input name,
//! datatype and shape, name and datatype overridden by flags) and config
//! (`max_batch_size`, where served); while measuring, Triton's statistics
//! extension as server stages ([`stats`]).

mod side;
pub(crate) mod stats;
pub mod wire;

pub use stats::TritonStats;

use super::{ConnectPlan, Connected, StatsSource, Target, TargetPlan, TargetWire};
use crate::protocol::Protocol;
use crate::server::ServerDecoder;
use crate::transport::http_get::SideGet;
use crate::wire::payload::WireRequest;
use crate::wire::{EncodedImage, ImageMeta, PayloadKind};
use anyhow::{anyhow, bail, Result};
use futures_core::future::BoxFuture;
use side::SideRoutes;
use std::sync::Arc;
use wire::{Batch, InputShape, KserveModel};

/// An Open Inference Protocol (v2) server.
pub struct KserveV2;

/// The v2 language as one model takes it ([`wire`]).
#[derive(Clone, Debug)]
pub struct KserveWire(pub KserveModel);

impl Target for KserveV2 {
    fn name(&self) -> &'static str {
        "kserve-v2"
    }

    fn needs_model(&self) -> bool {
        true
    }

    fn readiness(&self) -> &'static str {
        "GET /v2/health/ready and /v2/models/{model}/ready at --rest-url (or gRPC ServerReady \
         and ModelReady), the gRPC server too where the run measures it"
    }

    fn metadata(&self) -> &'static str {
        "the model's first input (or --input-name): its name, datatype and shape, and \
         max_batch_size from Triton's model configuration where served"
    }

    fn statistics(&self) -> Result<&'static str, &'static str> {
        Ok(
            "Triton's statistics extension, GET /v2/models/{model}/stats at --stats-url, else \
            --rest-url (queue, compute input, infer and output per request)",
        )
    }

    fn server_description(&self, targets: &TargetPlan, _builtin: bool) -> String {
        super::remote_model(self.name(), targets)
    }

    /// What a v2 server does with the image is its model's business.
    fn server_decoder(&self, _builtin: bool, _decoder: ServerDecoder) -> Option<ServerDecoder> {
        None
    }

    fn connect<'a>(&'a self, plan: &'a ConnectPlan<'a>) -> BoxFuture<'a, Result<Connected>> {
        Box::pin(connect(plan))
    }

    #[cfg(test)]
    fn example_wire(&self) -> Arc<dyn TargetWire> {
        Arc::new(KserveWire(KserveModel::for_test("BYTES")))
    }
}

impl TargetWire for KserveWire {
    fn serialize(
        &self,
        protocol: Protocol,
        payload: PayloadKind,
        image: Option<&EncodedImage>,
    ) -> Result<WireRequest> {
        Ok(wire::serialize(&self.0, protocol, payload, image, None)?)
    }

    /// The trace id's 32 hex digits are the request's `id` too, so a v2
    /// server's own records of the request (Triton's trace file's
    /// `request_id`, its OpenTelemetry spans' `triton.request_id`) join
    /// to imgwire's.
    fn serialize_traced(
        &self,
        protocol: Protocol,
        payload: PayloadKind,
        image: Option<&EncodedImage>,
        trace: Option<&crate::trace_context::TraceParent>,
    ) -> Result<WireRequest> {
        let id = trace.map(|t| t.trace_id_hex());
        let mut request = wire::serialize(&self.0, protocol, payload, image, id.as_deref())?;
        if let Some(trace) = trace {
            let header = crate::trace_context::TRACEPARENT;
            request.headers.push((header, trace.to_string()));
        }
        Ok(request)
    }

    fn parse_response(
        &self,
        protocol: Protocol,
        payload: PayloadKind,
        body: &[u8],
        sent: Option<&ImageMeta>,
    ) -> Result<()> {
        Ok(wire::parse_response(
            &self.0, protocol, payload, body, sent,
        )?)
    }

    fn refusal(&self, protocol: Protocol, payload: PayloadKind) -> Option<String> {
        wire::refusal(&self.0, protocol, payload)
    }
}

/// Checks the target is ready and learns what its model takes: over REST
/// where `--rest-url` is given, else over gRPC; the gRPC server is checked
/// too where the run measures it.
async fn connect(plan: &ConnectPlan<'_>) -> Result<Connected> {
    let name = plan
        .targets
        .model
        .as_deref()
        .filter(|m| !m.is_empty())
        .ok_or_else(|| anyhow!("--target kserve-v2 needs --model NAME"))?;
    let side = SideGet::of(plan.client);
    let grpc = grpc_routes(plan);
    let routes = match (plan.targets.rest_url.as_deref(), &grpc) {
        (Some(url), _) => SideRoutes::Rest {
            url,
            side: side.clone(),
        },
        (None, Some(grpc)) => grpc.clone(),
        (None, None) => bail!("--target kserve-v2 needs --rest-url or --grpc-url"),
    };
    routes.check_ready(name).await?;
    if let (SideRoutes::Rest { .. }, Some(grpc)) = (&routes, &grpc) {
        grpc.check_ready(name).await?;
    }
    let model = learn_model(plan, &routes, name).await?;
    let stats = stats_source(plan, name, side).await;
    Ok(Connected {
        wire: Arc::new(KserveWire(model)),
        stats: stats.map(StatsSource::new),
    })
}

/// The gRPC side routes, where the run measures gRPC.
fn grpc_routes<'a>(plan: &'a ConnectPlan<'a>) -> Option<SideRoutes<'a>> {
    let client = plan.clients.get(&Protocol::Grpc)?;
    let url = plan
        .targets
        .grpc_url
        .as_deref()
        .unwrap_or("the gRPC server");
    Some(SideRoutes::Grpc { client, url })
}

/// The image input: its name and datatype from the flags where given,
/// else from the model's metadata (its first input); its shape from the
/// metadata and its batching from the config, where the server serves them.
async fn learn_model(
    plan: &ConnectPlan<'_>,
    routes: &SideRoutes<'_>,
    name: &str,
) -> Result<KserveModel> {
    let (flag_name, flag_datatype) = (&plan.targets.input_name, &plan.targets.input_datatype);
    let inputs = match routes.inputs(name).await {
        Ok(inputs) => inputs,
        // Both flags given: the metadata is not needed (the tensor goes flat).
        Err(_) if flag_name.is_some() && flag_datatype.is_some() => Vec::new(),
        Err(e) => return Err(e),
    };
    let metadata = match flag_name {
        Some(wanted) => inputs.into_iter().find(|i| &i.name == wanted),
        None => inputs.into_iter().next(),
    };
    if let (Some(wanted), None, None) = (flag_name, &metadata, flag_datatype) {
        bail!(
            "the model '{name}' at {} has no input '{wanted}' in its metadata (check \
             --input-name, or give --input-datatype too)",
            routes.describe()
        );
    }
    let input = flag_name
        .clone()
        .or(metadata.as_ref().map(|m| m.name.clone()));
    let datatype = flag_datatype
        .clone()
        .or(metadata.as_ref().map(|m| m.datatype.clone()));
    let (Some(input), Some(datatype)) = (input, datatype) else {
        bail!(
            "the model '{name}' at {} lists no inputs in its metadata; give --input-name and \
             --input-datatype (e.g. --input-name image --input-datatype BYTES)",
            routes.describe()
        );
    };
    let shape = match metadata {
        Some(m) if !m.shape.is_empty() => InputShape {
            dims: Some(m.shape),
            batch: match routes.max_batch_size(name).await {
                Some(0) => Batch::Unbatched,
                Some(n) => Batch::Batched(n),
                None => Batch::Unknown,
            },
        },
        _ => InputShape::flat(),
    };
    Ok(KserveModel {
        name: name.to_string(),
        input,
        datatype: datatype.to_ascii_uppercase(),
        shape,
    })
}

/// Triton's statistics at `--stats-url`, else at `--rest-url`; none where
/// there is neither, or where they cannot be read there (no such extension,
/// an error, no answer within the timeout, an answer over the size limit):
/// said once on stderr, and the run goes on without them.
async fn stats_source(plan: &ConnectPlan<'_>, model: &str, side: SideGet) -> Option<TritonStats> {
    let targets = &plan.targets;
    let (base, flag) = match (&targets.stats_url, &targets.rest_url) {
        (Some(url), _) => (url, "--stats-url"),
        (None, Some(url)) => (url, "--rest-url"),
        (None, None) => return None,
    };
    let stats = TritonStats::new(base, flag, model, side);
    match stats.read().await {
        Ok(_) => Some(stats),
        Err(e) => {
            eprintln!(
                "no server statistics: {} ({}); the run goes on without them (--stats-url \
                 names another place)",
                one_line(&format!("{e:#}")),
                stats.bounds()
            );
            None
        }
    }
}

/// Text on one line, at most 300 characters (a server's answer is quoted).
fn one_line(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(300) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line,
    }
}
