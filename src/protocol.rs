//! The protocols imgwire speaks (REST/1.1, REST over HTTP/2, gRPC, and the
//! plain-TCP floor): their names on the command line and in reports. A leaf
//! module, so the wire formats, clients, servers and reports can all name a
//! protocol without depending on one another.

use clap::ValueEnum;
use serde::Serialize;

/// The protocols imgwire can send over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ValueEnum, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// JSON or raw bytes over HTTP/1.1 (axum server, hyper client).
    Rest,
    /// The same REST bodies over HTTP/2 (cleartext, prior knowledge), one connection for all requests.
    #[serde(rename = "rest-h2")]
    RestH2,
    /// Protobuf over HTTP/2 (tonic), one channel shared by all requests.
    Grpc,
    /// The floor: the same body, length-prefixed over plain TCP, one way; the smallest prediction back.
    Tcp,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Rest => "rest",
            Protocol::RestH2 => "rest-h2",
            Protocol::Grpc => "grpc",
            Protocol::Tcp => "tcp",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Protocol::Rest => "REST",
            Protocol::RestH2 => "REST/2",
            Protocol::Grpc => "gRPC",
            Protocol::Tcp => "TCP",
        }
    }
}

impl Protocol {
    /// The URL scheme its targets are given in (`--rest-url http://...`).
    pub fn url_scheme(self) -> &'static str {
        match self {
            Protocol::Rest | Protocol::RestH2 | Protocol::Grpc => "http",
            Protocol::Tcp => "tcp",
        }
    }
}
