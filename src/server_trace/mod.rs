//! A server's own per-request trace, collected while a run goes and joined
//! to imgwire's requests by trace id, or by request id where the server
//! traced a request under a trace of its own (`bench --collect-traces
//! ADDR`): an
//! OTLP/HTTP JSON receiver (`POST /v1/traces`) on a thread of its own,
//! which keeps each trace's Triton timestamps, bounded; after each
//! scenario's counted run the join waits for its requests' traces and gives
//! each request its server stages from them (docs/targets.md, "Triton's own
//! trace").

mod otlp_json;
mod receiver;
pub mod triton;

use crate::report::records::BurstResult;
use crate::report::server_trace_join::ServerTraceJoin;
use std::time::{Duration, Instant};

pub use receiver::TraceCollector;

/// How long, by default, a join waits after the counted run for its
/// requests' traces (exporters send spans in batches, Triton's every 5 s
/// unless `opentelemetry,bsp_schedule_delay` says otherwise).
pub const DEFAULT_WAIT: Duration = Duration::from_secs(6);

impl TraceCollector {
    /// Gives the counted requests of `bursts` their server stages from the
    /// traces received, waiting up to `wait` for the ones not in yet, then
    /// forgets every trace held (the warm-up's, strays), so memory holds
    /// one scenario's at most.
    pub async fn join(&self, bursts: &mut [BurstResult], wait: Duration) -> ServerTraceJoin {
        let wanted: Vec<[u8; 16]> = bursts
            .iter()
            .flat_map(|b| &b.records)
            .filter(|r| r.trace_id != [0; 16])
            .map(|r| r.trace_id)
            .collect();
        let deadline = Instant::now() + wait;
        while !self.holds_complete(&wanted) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, self.arrival()).await.is_err() {
                break;
            }
        }
        let mut timelines = self.take_all();
        let mut join = ServerTraceJoin {
            source: self.describe(),
            requests: wanted.len(),
            ..ServerTraceJoin::default()
        };
        let records = bursts.iter_mut().flat_map(|b| &mut b.records);
        for record in records.filter(|r| r.trace_id != [0; 16]) {
            let Some(timeline) = timelines.remove(&record.trace_id) else {
                join.not_received += 1;
                continue;
            };
            match timeline.stages() {
                Err(_) => join.incomplete += 1,
                Ok(stages) => match record.add_server_stages(&stages) {
                    Ok(()) => join.joined += 1,
                    Err(warning) => {
                        join.refused += 1;
                        join.refused_example.get_or_insert(warning.to_string());
                    }
                },
            }
        }
        join
    }
}
