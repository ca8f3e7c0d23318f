//! The Open Inference Protocol (KServe v2) target: readiness (`/v2/health/ready`,
//! the model's ready route, or their gRPC twins), the model's metadata (input
//! name and datatype, overridden by flags), and Triton's statistics
//! extension as server stages.

mod side;
mod stats;

pub use stats::TritonStats;

use super::{Clients, Foreign, StatsSource};
use crate::protocol::Protocol;
use crate::run::plan::BenchPlan;
use crate::transport::http_get::SideGet;
use crate::wire::kserve::KserveModel;
use crate::wire::target::TargetWire;
use anyhow::{anyhow, bail, Result};
use side::SideRoutes;
use stats::Unusable;
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
    let stats = stats_source(plan, name, side).await?;
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

/// The image input's name and datatype: the flags where given, else the
/// model's metadata (its first input).
async fn learn_model(plan: &BenchPlan, routes: &SideRoutes<'_>, name: &str) -> Result<KserveModel> {
    let (flag_name, flag_datatype) = (&plan.targets.input_name, &plan.targets.input_datatype);
    let metadata = match (flag_name, flag_datatype) {
        (Some(_), Some(_)) => None,
        _ => routes.first_input(name).await?,
    };
    let (metadata_name, metadata_datatype) = metadata.map(|m| (m.name, m.datatype)).unzip();
    let input = flag_name.clone().or(metadata_name);
    let datatype = flag_datatype.clone().or(metadata_datatype);
    let (Some(input), Some(datatype)) = (input, datatype) else {
        bail!(
            "the model '{name}' at {} lists no inputs in its metadata; give --input-name and \
             --input-datatype (e.g. --input-name image --input-datatype BYTES)",
            routes.describe()
        );
    };
    Ok(KserveModel {
        name: name.to_string(),
        input,
        datatype: datatype.to_ascii_uppercase(),
    })
}

/// Triton's statistics at `--stats-url`, else at `--rest-url`; none where
/// there is neither, or where the server has no statistics there (said once
/// on stderr, and the run goes on without them).
async fn stats_source(plan: &BenchPlan, model: &str, side: SideGet) -> Result<Option<TritonStats>> {
    let targets = &plan.targets;
    let (base, flag) = match (&targets.stats_url, &targets.rest_url) {
        (Some(url), _) => (url, "--stats-url"),
        (None, Some(url)) => (url, "--rest-url"),
        (None, None) => return Ok(None),
    };
    let stats = TritonStats::new(base, flag, model, side);
    match stats.try_read().await {
        Ok(_) => Ok(Some(stats)),
        Err(Unusable::Answer(problem)) => {
            eprintln!(
                "no server statistics: {problem} (the server has no statistics extension there; \
                 --stats-url names another place)"
            );
            Ok(None)
        }
        Err(Unusable::Unreachable(e)) => Err(e),
    }
}
