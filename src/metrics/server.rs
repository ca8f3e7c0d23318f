//! What `imgwire serve` exports on its REST port's `/metrics`: the stage
//! durations it already times for `Server-Timing`, as counters and
//! histograms by stage and protocol, and its answers by outcome.

use super::registry::{Kind, Labels, Registry};
use crate::wire::server_timing::ServerTimings;

pub const STAGE_SECONDS: &str = "imgwire_server_stage_seconds";
pub const STAGE_SECONDS_TOTAL: &str = "imgwire_server_stage_seconds_total";
pub const REQUESTS: &str = "imgwire_server_requests_total";

const FAMILIES: [(&str, Kind, &str); 3] = [
    (
        STAGE_SECONDS,
        Kind::Histogram,
        "Each answered request's server stage durations, seconds.",
    ),
    (
        STAGE_SECONDS_TOTAL,
        Kind::Counter,
        "Seconds spent in each server stage, all requests.",
    ),
    (
        REQUESTS,
        Kind::Counter,
        "Requests answered, by outcome (ok or refused).",
    ),
];

/// A fresh registry of the server's families.
pub fn registry() -> Registry {
    Registry::new(&FAMILIES)
}

/// Counts one answered request of `protocol` and its stages.
pub fn record(registry: &Registry, protocol: &str, timings: &ServerTimings, ok: bool) {
    let outcome = if ok { "ok" } else { "refused" };
    registry.update(|batch| {
        let labels: Labels = vec![("protocol", protocol.into()), ("outcome", outcome.into())];
        batch.add(REQUESTS, &labels, 1.0);
        for (stage, duration) in timings.entries() {
            let labels: Labels = vec![
                ("stage", stage.name().into()),
                ("protocol", protocol.into()),
            ];
            batch.observe(STAGE_SECONDS, &labels, duration.as_secs_f64());
            batch.add(STAGE_SECONDS_TOTAL, &labels, duration.as_secs_f64());
        }
    });
}
