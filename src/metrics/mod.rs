//! Live metrics in the Prometheus text exposition format (0.0.4): the
//! fixed latency buckets, the registry of counters and histograms, the
//! `/metrics` endpoint, and what `imgwire serve` records of the requests it
//! answers (what `imgwire bench --metrics-addr` records of its counted
//! bursts is `run::live_metrics`).

pub mod buckets;
pub mod endpoint;
pub mod registry;
pub mod server;

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
