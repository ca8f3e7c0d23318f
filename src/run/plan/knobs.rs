//! The transport knobs a sweep (`--sweep`) and `imgwire tune` turn, and
//! the one place they are written into a plan: the client always, and the
//! built-in servers' settings too for the knobs both ends of a connection
//! have (HTTP/2 windows, frames, Nagle), so a point or a trial runs client
//! and server alike, as the bench flags that reproduce it would.

use super::BenchPlan;
use crate::net::h2_tuning::H2Tuning;
use crate::wire::gzip::Compression;

/// The HTTP/2 connection window a stream window brings: this many streams'
/// worth, so one stream never waits on the connection's window while others
/// are in flight.
pub const CONNECTION_WINDOWS_PER_STREAM: u32 = 4;

/// The connection window for a stream window (None: the library's).
pub fn connection_window(stream_window: Option<u32>) -> Option<u32> {
    stream_window.map(|bytes| bytes.saturating_mul(CONNECTION_WINDOWS_PER_STREAM))
}

/// One transport knob at one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportKnob {
    /// HTTP/2 initial stream window in bytes (None: the library's 64 KiB);
    /// the connection window follows (`connection_window`).
    StreamWindow(Option<u32>),
    /// HTTP/2 largest frame in bytes (None: the library's 16 KiB).
    MaxFrame(Option<u32>),
    /// HTTP/2 windows grown from measured bandwidth-delay.
    AdaptiveWindow(bool),
    /// TCP_NODELAY on every socket (false: Nagle's algorithm on).
    TcpNodelay(bool),
    /// gRPC channels (client only).
    GrpcChannels(usize),
    /// HTTP/1.1 connections (client only).
    RestPool(usize),
    /// Request compression (client only).
    Compression(Compression),
}

impl TransportKnob {
    /// Writes the knob into one end's HTTP/2 settings; false where the
    /// knob is not an HTTP/2 one.
    fn write_h2(self, h2: &mut H2Tuning) -> bool {
        match self {
            TransportKnob::StreamWindow(bytes) => {
                h2.stream_window_bytes = bytes;
                h2.connection_window_bytes = connection_window(bytes);
            }
            TransportKnob::MaxFrame(bytes) => h2.max_frame_bytes = bytes,
            TransportKnob::AdaptiveWindow(on) => h2.adaptive_window = on,
            TransportKnob::TcpNodelay(on) => h2.nagle = !on,
            _ => return false,
        }
        true
    }
}

impl BenchPlan {
    /// Sets `knob` on the client, and on the built-in servers where both
    /// ends have it (a remote server keeps its own; its settings in the
    /// plan are then unused).
    pub fn set_knob(&mut self, knob: TransportKnob) {
        if knob.write_h2(&mut self.client.h2) {
            knob.write_h2(&mut self.server.h2);
            return;
        }
        match knob {
            TransportKnob::GrpcChannels(n) => self.client.grpc_channels = n,
            TransportKnob::RestPool(n) => self.client.rest_pool = n,
            TransportKnob::Compression(c) => self.client.compression = c,
            _ => unreachable!("{knob:?} is an HTTP/2 knob"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_window_brings_a_connection_window_of_four_streams_at_both_ends() {
        assert_eq!(connection_window(Some(1 << 20)), Some(4 << 20));
        assert_eq!(connection_window(None), None);
        assert_eq!(connection_window(Some(u32::MAX)), Some(u32::MAX));
        let mut plan = crate::cli::test_plan(&[]);
        plan.set_knob(TransportKnob::StreamWindow(Some(256 << 10)));
        for h2 in [&plan.client.h2, &plan.server.h2] {
            assert_eq!(h2.stream_window_bytes, Some(256 << 10));
            assert_eq!(h2.connection_window_bytes, Some(1 << 20));
        }
        plan.set_knob(TransportKnob::StreamWindow(None));
        assert_eq!(plan.server.h2.connection_window_bytes, None);
    }

    #[test]
    fn client_only_knobs_leave_the_servers_alone() {
        let mut plan = crate::cli::test_plan(&[]);
        let server = format!("{:?}", plan.server);
        plan.set_knob(TransportKnob::GrpcChannels(8));
        plan.set_knob(TransportKnob::RestPool(3));
        plan.set_knob(TransportKnob::Compression(Compression::Gzip));
        assert_eq!(plan.client.grpc_channels, 8);
        assert_eq!(plan.client.rest_pool, 3);
        assert_eq!(plan.client.compression, Compression::Gzip);
        assert_eq!(format!("{:?}", plan.server), server);
        plan.set_knob(TransportKnob::TcpNodelay(false));
        assert!(plan.client.h2.nagle && plan.server.h2.nagle);
    }
}
