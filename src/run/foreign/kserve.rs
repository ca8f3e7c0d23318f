//! The Open Inference Protocol (KServe v2) target: readiness (`/v2/health/ready`,
//! the model's ready route, or their gRPC twins), the model's metadata (input
//! name, datatype and shape, name and datatype overridden by flags) and
//! config (`max_batch_size`, where served), and Triton's statistics
//! extension as server stages.

mod side;
mod stats;

pub use stats::TritonStats;

use super::{Clients, Foreign, StatsSource};
use crate::protocol::Protocol;
use crate::run::plan::BenchPlan;
use crate::transport::http_get::SideGet;
use crate::wire::kserve::{Batch, InputShape, KserveModel};
use crate::wire::target::TargetWire;
use anyhow::{anyhow, bail, Result};
use side::SideRoutes;
use std::sync::Arc;

/// Checks the target is ready and learns what its model takes: over REST
/// where `--rest-url` is given, else over gRPC; the gRPC server is checked
/// too where the run measures it.
pub async fn connect(plan: &BenchPlan, clients: &Clients) -> Result<Foreign> {
    let name = plan
        .targets
        .model
        .as_deref()
        .filter(|m| !m.is_empty())
        .ok_or_else(|| anyhow!("--target kserve-v2 needs --model NAME"))?;
    let side = SideGet::of(&plan.client);
    let grpc = grpc_routes(plan, clients);
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
    Ok(Foreign {
        wire: Arc::new(TargetWire::KserveV2(model)),
        stats: stats.map(StatsSource::Triton),
    })
}

/// The gRPC side routes, where the run measures gRPC.
fn grpc_routes<'a>(plan: &'a BenchPlan, clients: &'a Clients) -> Option<SideRoutes<'a>> {
    let client = clients.get(&Protocol::Grpc)?;
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
async fn learn_model(plan: &BenchPlan, routes: &SideRoutes<'_>, name: &str) -> Result<KserveModel> {
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
async fn stats_source(plan: &BenchPlan, model: &str, side: SideGet) -> Option<TritonStats> {
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
