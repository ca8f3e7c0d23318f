//! The HTTP/2 flow-control and framing settings (`--h2-stream-window`,
//! `--h2-connection-window`, `--h2-adaptive-window`, `--h2-max-frame`) and
//! the sockets' TCP_NODELAY (`--tcp-nodelay`) that the client and the
//! built-in servers are both tuned with.

use serde::Serialize;

/// HTTP/2 flow-control and framing settings, for gRPC and REST/2, and
/// the sockets' TCP_NODELAY, for every protocol, on client and server
/// alike. `None` keeps the library's default.
#[derive(Clone, Copy, Debug, Default, Serialize, serde::Deserialize)]
pub struct H2Tuning {
    pub stream_window_bytes: Option<u32>,
    pub connection_window_bytes: Option<u32>,
    pub adaptive_window: bool,
    pub max_frame_bytes: Option<u32>,
    /// Nagle's algorithm left on (`--tcp-nodelay false`): small writes
    /// wait for the peer's ACK of what is in flight. Off by default, as
    /// tonic, hyper's users and gRPC's own libraries leave it.
    pub nagle: bool,
}

impl H2Tuning {
    /// What a socket's TCP_NODELAY is set to.
    pub fn tcp_nodelay(&self) -> bool {
        !self.nagle
    }
}
