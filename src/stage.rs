//! The stage model (docs/design.md): the stages of a request, the side that
//! times each, and the names every report, header and test agrees on.

use serde::{Serialize, Serializer};

/// One timed step of a request, on the side that does it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    /// From the request's serialization (under `--encode live`, from
    /// asking for its frame) to its response parsed.
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

    /// The stages that add up to a request's wall time (besides the
    /// residual, and `generate` and `encode` under `--encode live`).
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

    /// Which side's threads do this stage's work.
    pub fn side(self) -> Side {
        if Stage::SERVER.contains(&self) {
            Side::Server
        } else {
            Side::Client
        }
    }

    /// The metric name a server stage has in `Server-Timing` (the header's
    /// context already says "server"); None for client stages.
    pub fn server_metric(self) -> Option<&'static str> {
        Some(match self {
            Stage::ServerReceive => "receive",
            Stage::ServerDeserialize => "deserialize",
            Stage::ServerQueue => "queue",
            Stage::ServerDecode => "decode",
            Stage::ServerInfer => "infer",
            Stage::ServerRespond => "respond",
            _ => return None,
        })
    }

    pub fn from_server_metric(metric: &str) -> Option<Stage> {
        Stage::SERVER
            .into_iter()
            .find(|s| s.server_metric() == Some(metric))
    }
}

/// Stages travel in reports under their names (`server.decode`).
impl Serialize for Stage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// The two sides of a request: the process that sends it and the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Client,
    Server,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_stages_and_only_they_have_metrics_and_the_server_side() {
        for stage in Stage::ALL {
            let server = Stage::SERVER.contains(&stage);
            assert_eq!(stage.server_metric().is_some(), server, "{stage:?}");
            assert_eq!(stage.side() == Side::Server, server, "{stage:?}");
            if let Some(metric) = stage.server_metric() {
                assert_eq!(Stage::from_server_metric(metric), Some(stage));
                assert_eq!(stage.name(), format!("server.{metric}"));
            }
        }
    }
}
