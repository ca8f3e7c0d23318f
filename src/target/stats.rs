//! A server's own statistics, where a target has some (Triton's statistics
//! extension, TorchServe's Prometheus metrics): read before and after each
//! scenario, bounded in time and size, and turned into the scenario's share
//! per request. What a target says of its time is reported as it says it;
//! where it says nothing, nothing is invented.

use crate::report::server_stats::ServerStats;
use crate::stage::Stage;
use crate::transport::http_get::{fetch, Answer, SideGet, MAX_ANSWER_BYTES};
use anyhow::Result;
use futures_core::future::BoxFuture;
use std::collections::BTreeMap;
use std::time::Duration;

/// How long one reading of a server's statistics may take, at most
/// (`--timeout-s` where shorter): a statistics route that hangs costs a
/// scenario this, never the run.
pub const STATS_TIMEOUT: Duration = Duration::from_secs(5);

/// What one target's statistics route answers: its cumulative counters, and
/// where they come from in words. Each target with statistics implements
/// it in its own folder.
pub trait ReadStats: Send + Sync {
    /// The cumulative counters now.
    fn read(&self) -> BoxFuture<'_, Result<StatsReading>>;
    /// Where the figures come from, in words, for the report.
    fn describe(&self) -> String;
}

/// A server's own statistics, read before and after each scenario.
pub struct StatsSource(Box<dyn ReadStats>);

impl StatsSource {
    pub fn new(source: impl ReadStats + 'static) -> Self {
        StatsSource(Box::new(source))
    }

    /// The cumulative counters now.
    pub async fn read(&self) -> Result<StatsReading> {
        self.0.read().await
    }

    /// Where the figures come from, in words, for the report.
    pub fn describe(&self) -> String {
        self.0.describe()
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
