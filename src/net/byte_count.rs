//! Bytes on the wire, counted at the socket: every byte a client or a
//! built-in server writes to or reads from its TCP connections (HTTP/1.1
//! headers, HTTP/2 frames, gRPC's length prefixes, the floor's length
//! words, TLS records), so a report can set them beside the payload's own
//! bytes. The streams that count into these are `counted_stream`'s.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Running totals for all the connections of one client, or of one
/// built-in server's port.
#[derive(Debug, Default)]
pub struct WireCounters {
    sent: AtomicU64,
    received: AtomicU64,
    connections: AtomicU64,
    /// Time spent opening connections (client: TCP connect plus any TLS
    /// handshake), in nanoseconds, over `connects`.
    connect_nanos: AtomicU64,
    connects: AtomicU64,
}

/// A reading of the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WireBytes {
    pub sent: u64,
    pub received: u64,
}

impl WireBytes {
    /// What was counted between `earlier` and `self`.
    pub fn since(self, earlier: WireBytes) -> WireBytes {
        WireBytes {
            sent: self.sent.saturating_sub(earlier.sent),
            received: self.received.saturating_sub(earlier.received),
        }
    }
}

impl WireCounters {
    /// Connections opened (client) or accepted (server) so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// A connection opened (TCP connect and any TLS handshake) in `took`.
    pub fn record_connect(&self, took: Duration) {
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.connect_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.connects.fetch_add(1, Ordering::Relaxed);
    }

    /// Connections whose opening was timed, and their mean opening time.
    pub fn connect_times(&self) -> (u64, Duration) {
        let count = self.connects.load(Ordering::Relaxed);
        let total = self.connect_nanos.load(Ordering::Relaxed);
        (count, Duration::from_nanos(total / count.max(1)))
    }

    /// The bytes counted so far, each way.
    pub fn read(&self) -> WireBytes {
        WireBytes {
            sent: self.sent.load(Ordering::Relaxed),
            received: self.received.load(Ordering::Relaxed),
        }
    }

    /// One more connection opened or accepted (a counted stream counts its
    /// own; a server counts here one it accepted and closed at once).
    pub fn count_connection(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn count_sent(&self, bytes: usize) {
        self.sent.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(super) fn count_received(&self, bytes: usize) {
        self.received.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}
