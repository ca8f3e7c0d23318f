//! Servers that are not imgwire's (`--target seed|kserve-v2|torchserve`):
//! checked ready before anything is measured (one line naming the URL and
//! its flag when not), asked what their model takes (a run of which the
//! model takes no cell stops there, with the reason), and read for their own
//! statistics around each scenario. What a target says of its time is
//! reported as it says it; where it says nothing, nothing is invented.

pub mod kserve;
pub mod torchserve;

use crate::protocol::Protocol;
use crate::report::server_stats::ServerStats;
use crate::run::burst::{run_burst, RequestPlan};
use crate::run::plan::{BenchPlan, TargetKind, TargetPlan};
use crate::stage::Stage;
use crate::transport::http_get::{fetch, Answer, SideGet, MAX_ANSWER_BYTES};
use crate::transport::Client;
use crate::wire::target::TargetWire;
use crate::wire::PayloadKind;
use anyhow::{bail, Result};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

/// How long one reading of a server's statistics may take, at most
/// (`--timeout-s` where shorter): a statistics route that hangs costs a
/// scenario this, never the run.
pub const STATS_TIMEOUT: Duration = Duration::from_secs(5);

/// The clients of a run, by protocol.
pub type Clients = HashMap<Protocol, Arc<Client>>;

/// What the client learnt of the target before measuring.
pub struct Foreign {
    /// The language the requests are written in.
    pub wire: Arc<TargetWire>,
    /// Where the server's own statistics are read, where it has some.
    pub stats: Option<StatsSource>,
}

/// Checks that the plan's target is ready and learns what it takes; says
/// which protocols were chosen where the target's default chose them.
pub async fn connect(plan: &BenchPlan, clients: &Clients) -> Result<Foreign> {
    let plain = |wire| Foreign {
        wire: Arc::new(wire),
        stats: None,
    };
    let kind = plan.targets.kind;
    if let (Some(why), true, false) = (
        &plan.matrix.protocols_default,
        kind.is_foreign(),
        plan.outputs.quiet,
    ) {
        let names: Vec<&str> = plan.matrix.protocols.iter().map(|p| p.name()).collect();
        eprintln!("protocols: {} ({why})", names.join(","));
    }
    let foreign = match kind {
        TargetKind::Imgwire => plain(TargetWire::Imgwire),
        TargetKind::Seed => {
            seed_ready(plan, clients).await?;
            plain(TargetWire::Seed)
        }
        TargetKind::KserveV2 => kserve::connect(plan, clients).await?,
        TargetKind::Torchserve => torchserve::connect(plan, clients).await?,
    };
    something_to_measure(plan, &foreign.wire)?;
    Ok(foreign)
}

/// At least one cell of the matrix is one the target takes; where none is,
/// one line with a cell's reason (an image payload's first) (a model's shape no image fits, a
/// datatype no payload carries) instead of a run that measures nothing.
fn something_to_measure(plan: &BenchPlan, wire: &TargetWire) -> Result<()> {
    let matrix = &plan.matrix;
    let cells = || {
        matrix
            .protocols
            .iter()
            .flat_map(|&p| matrix.payloads.iter().map(move |&payload| (p, payload)))
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
    bail!(
        "nothing to measure: --target {} takes none of the requested payloads ({}) over {}: \
         {reason}",
        plan.targets.kind.name(),
        matrix
            .payloads
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(","),
        matrix
            .protocols
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(",")
    )
}

/// A server's own statistics, read before and after each scenario.
pub enum StatsSource {
    Triton(kserve::TritonStats),
    Torchserve(torchserve::TorchserveMetrics),
}

impl StatsSource {
    /// The cumulative counters now.
    pub async fn read(&self) -> Result<StatsReading> {
        match self {
            StatsSource::Triton(stats) => stats.read().await,
            StatsSource::Torchserve(metrics) => metrics.read().await,
        }
    }

    /// Where the figures come from, in words, for the report.
    pub fn describe(&self) -> String {
        match self {
            StatsSource::Triton(stats) => stats.describe(),
            StatsSource::Torchserve(metrics) => metrics.describe(),
        }
    }
}

/// `GET url` of a statistics route, bounded by [`STATS_TIMEOUT`] and
/// `MAX_ANSWER_BYTES` (an error past either).
pub async fn get_statistics(side: &SideGet, url: &str, flag: &str) -> Result<Answer> {
    let timeout = side.timeout.min(STATS_TIMEOUT);
    let get = fetch(url, flag, MAX_ANSWER_BYTES, &side.trust);
    tokio::time::timeout(timeout, get).await.map_err(|_| {
        anyhow::anyhow!(
            "GET {url} sent no statistics within {:.0} s",
            timeout.as_secs_f64()
        )
    })?
}

/// The bounds of [`get_statistics`], in words.
pub fn statistics_bounds(side: &SideGet) -> String {
    format!(
        "statistics are read within {:.0} s and up to {} MiB",
        side.timeout.min(STATS_TIMEOUT).as_secs_f64(),
        MAX_ANSWER_BYTES >> 20
    )
}

/// One reading of a server's cumulative counters: requests it completed,
/// and per stage the total time it spent there.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatsReading {
    pub requests: u64,
    pub total_ns: BTreeMap<Stage, u64>,
}

impl StatsReading {
    /// The scenario's share: the counters' change since `before`, as a mean
    /// per request the server counted in between.
    pub fn since(&self, before: &StatsReading, source: String) -> ServerStats {
        let requests = self.requests.saturating_sub(before.requests);
        if requests == 0 {
            return ServerStats::failed(
                source,
                "the server counted no requests between its two readings".into(),
            );
        }
        // A timer that did not move while requests were counted did not
        // time them (TorchServe 0.12 times REST jobs only): no figure, not 0.
        let means: BTreeMap<Stage, u64> = self
            .total_ns
            .iter()
            .map(|(stage, total)| {
                let then = before.total_ns.get(stage).copied().unwrap_or(0);
                (*stage, total.saturating_sub(then))
            })
            .filter(|(_, spent)| *spent > 0)
            .map(|(stage, spent)| (stage, spent / requests))
            .collect();
        if means.is_empty() && !self.total_ns.is_empty() {
            return ServerStats {
                problem: Some(format!(
                    "the server counted {requests} requests but none of its timers moved: it \
                     does not time these requests"
                )),
                ..ServerStats::new(source, requests, means)
            };
        }
        ServerStats::new(source, requests, means)
    }
}

/// `--target seed` has no health route: one `basic` request per protocol,
/// answered and checked, before anything is measured, so a server that is
/// down or is not the seed's fails here with one line naming its flag.
async fn seed_ready(plan: &BenchPlan, clients: &Clients) -> Result<()> {
    for &protocol in &plan.matrix.protocols {
        let request = RequestPlan {
            client: clients[&protocol].clone(),
            target: Arc::new(TargetWire::Seed),
            protocol,
            payload: PayloadKind::Basic,
            images: Arc::default(),
            epoch: std::time::Instant::now(),
            server_wire: None,
        };
        let answer = run_burst(&request, 1, 0).await;
        if let Some(error) = answer.errors.first() {
            bail!(
                "the seed's {} server at {} ({}) did not answer a first basic request \
                 (is targets/seed/run.sh running there?): {error}",
                protocol.label(),
                plan.targets.url(protocol).unwrap_or("?"),
                TargetPlan::flag(protocol),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(requests: u64, queue: u64, infer: u64) -> StatsReading {
        StatsReading {
            requests,
            total_ns: [(Stage::ServerQueue, queue), (Stage::ServerInfer, infer)].into(),
        }
    }

    #[test]
    fn a_scenario_gets_the_change_as_a_mean_per_request() {
        let stats = reading(30, 9_000, 90_000).since(&reading(10, 1_000, 10_000), "s".into());
        assert_eq!(stats.requests, 20);
        assert_eq!(stats.mean_ns[&Stage::ServerQueue], 400);
        assert_eq!(stats.mean_ns[&Stage::ServerInfer], 4_000);
        assert!(stats.problem.is_none());
    }

    #[test]
    fn timers_that_did_not_move_give_no_figure_not_zero() {
        let stats = reading(30, 1_000, 90_000).since(&reading(10, 1_000, 10_000), "s".into());
        assert_eq!(stats.mean_ns.get(&Stage::ServerQueue), None);
        assert_eq!(stats.mean_ns[&Stage::ServerInfer], 4_000);
        assert!(stats.problem.is_none());
        let stats = reading(30, 1_000, 10_000).since(&reading(10, 1_000, 10_000), "s".into());
        assert_eq!(stats.requests, 20);
        assert!(stats.mean_ns.is_empty());
        assert!(stats.problem.unwrap().contains("none of its timers moved"));
    }

    #[test]
    fn no_requests_counted_is_said_not_divided_by() {
        let stats = reading(10, 1_000, 10_000).since(&reading(10, 1_000, 10_000), "s".into());
        assert!(stats.mean_ns.is_empty());
        assert!(stats.problem.unwrap().contains("no requests"));
    }
}
