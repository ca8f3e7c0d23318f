//! The stage model (DESIGN.md section 1): the names every report, header and
//! test agrees on.

use serde::Serialize;

/// One timed step of a request, on the side that does it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Stage {
    Generate,
    Encode,
    Serialize,
    Transport,
    ServerReceive,
    ServerDeserialize,
    /// Waiting for a free decode worker: the server's CPUs are busy.
    ServerQueue,
    ServerDecode,
    ServerInfer,
    ServerRespond,
    Response,
    /// `wall - sum(stages)`: time no stage claims.
    Residual,
    /// From the request's serialization to its response parsed.
    Wall,
}

impl Stage {
    /// Every stage in report order.
    pub const ALL: [Stage; 13] = [
        Stage::Generate,
        Stage::Encode,
        Stage::Serialize,
        Stage::Transport,
        Stage::ServerReceive,
        Stage::ServerDeserialize,
        Stage::ServerQueue,
        Stage::ServerDecode,
        Stage::ServerInfer,
        Stage::ServerRespond,
        Stage::Response,
        Stage::Residual,
        Stage::Wall,
    ];

    /// The server's stages, as they travel in `Server-Timing`.
    pub const SERVER: [Stage; 6] = [
        Stage::ServerReceive,
        Stage::ServerDeserialize,
        Stage::ServerQueue,
        Stage::ServerDecode,
        Stage::ServerInfer,
        Stage::ServerRespond,
    ];

    /// The stages that add up to a request's wall time (besides the residual).
    pub const IN_REQUEST: [Stage; 9] = [
        Stage::Serialize,
        Stage::Transport,
        Stage::ServerReceive,
        Stage::ServerDeserialize,
        Stage::ServerQueue,
        Stage::ServerDecode,
        Stage::ServerInfer,
        Stage::ServerRespond,
        Stage::Response,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Generate => "generate",
            Stage::Encode => "encode",
            Stage::Serialize => "serialize",
            Stage::Transport => "transport",
            Stage::ServerReceive => "server.receive",
            Stage::ServerDeserialize => "server.deserialize",
            Stage::ServerQueue => "server.queue",
            Stage::ServerDecode => "server.decode",
            Stage::ServerInfer => "server.infer",
            Stage::ServerRespond => "server.respond",
            Stage::Response => "response",
            Stage::Residual => "residual",
            Stage::Wall => "wall",
        }
    }

    /// The metric name a server stage has in `Server-Timing` (without the
    /// `server.` prefix, which the header's context already says).
    pub fn server_metric(self) -> Option<&'static str> {
        self.name().strip_prefix("server.")
    }

    pub fn from_server_metric(metric: &str) -> Option<Stage> {
        Stage::SERVER
            .into_iter()
            .find(|s| s.server_metric() == Some(metric))
    }
}
