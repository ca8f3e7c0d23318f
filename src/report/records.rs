//! What the load produces and the reports read: one record per completed
//! request (its stage durations and bytes), and one result per burst.

use crate::stage::Stage;
use std::time::Duration;

/// The stage durations of one request that completed.
#[derive(Clone, Debug, Default)]
pub struct RequestRecord {
    /// The client worker (one connection for REST) that sent it.
    pub worker: usize,
    /// When serialization began, since the run's epoch.
    pub started: Duration,
    /// From the request handed to the connection to the response read.
    pub roundtrip: Duration,
    pub stages: Vec<(Stage, Duration)>,
    pub request_bytes: usize,
    pub response_bytes: usize,
    /// Set when the server's `Server-Timing` text could not be read.
    pub timing_warning: Option<crate::wire::server_timing::ServerTimingError>,
}

impl RequestRecord {
    /// The duration of `wanted`, zero where the request has no such stage.
    pub fn stage(&self, wanted: Stage) -> Duration {
        self.stages
            .iter()
            .find(|(stage, _)| *stage == wanted)
            .map_or(Duration::ZERO, |(_, d)| *d)
    }
}

/// What one burst measured.
pub struct BurstResult {
    /// When the burst began, since the run's epoch.
    pub started: Duration,
    /// A burst's duration; a window's mean latency (the value the
    /// statistics over windows read, not a length of time).
    pub elapsed: Duration,
    /// The wall time it stands for in throughput: a burst's duration, a
    /// window's length (with the empty windows after it, or before the
    /// first, folded in, so a run's windows add up to its span).
    pub span: Duration,
    pub records: Vec<RequestRecord>,
    /// One message per failed request.
    pub errors: Vec<String>,
}
