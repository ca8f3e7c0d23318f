//! The user's choice of target (`--target`, spelt the same in the report's
//! settings) and where its servers are (`--rest-url`, `--grpc-url`,
//! `--model`...), as the plan resolves them. What each kind of target does
//! with them lives in its own folder; this names the choice.

use crate::link::{LinkBackend, LinkSpec};
use crate::protocol::Protocol;
use clap::ValueEnum;
use serde::Serialize;

/// What kind of server the requests go to, and so which requests and
/// answers the client speaks. Each variant has one folder under
/// `src/target/` ([`TargetKind::target`] picks it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// imgwire's own servers (built in, or `imgwire serve` at the URLs).
    #[default]
    Imgwire,
    /// The seed post's FastAPI and grpcio servers at --rest-url/--grpc-url
    /// (targets/seed): its routes, its gRPC service, its answers.
    Seed,
    /// The Open Inference Protocol (KServe v2) of Triton, KServe, MLServer
    /// and `imgwire serve`: `/v2/models/{model}/infer` and gRPC ModelInfer.
    #[value(name = "kserve-v2")]
    #[serde(rename = "kserve-v2")]
    KserveV2,
    /// TorchServe's inference API: `/predictions/{model}` and gRPC
    /// `Predictions`.
    Torchserve,
}

impl TargetKind {
    /// Every kind of target, in the order `--help` lists them.
    pub fn all() -> &'static [TargetKind] {
        TargetKind::value_variants()
    }

    /// The name `--target` takes.
    pub fn name(self) -> &'static str {
        self.target().name()
    }

    /// Whether the target is a server that is not imgwire's, so it needs
    /// URLs and serves REST/1.1 and gRPC only.
    pub fn is_foreign(self) -> bool {
        !self.target().has_builtin_servers()
    }

    /// Whether requests name a model (`--model`).
    pub fn needs_model(self) -> bool {
        self.target().needs_model()
    }
}

/// Where requests go: the kind of server, URLs the user gave (the rest go
/// to built-in servers) and the emulated link in front of them.
#[derive(Clone, Debug, Default)]
pub struct TargetPlan {
    pub kind: TargetKind,
    pub rest_url: Option<String>,
    pub grpc_url: Option<String>,
    pub tcp_url: Option<String>,
    pub link: Option<LinkSpec>,
    pub link_backend: LinkBackend,
    /// The model's name on a kserve-v2 or torchserve server (`--model`).
    pub model: Option<String>,
    /// kserve-v2: the image input's name and datatype, where the user
    /// overrides the model's metadata (`--input-name`, `--input-datatype`).
    pub input_name: Option<String>,
    pub input_datatype: Option<String>,
    /// Where the server's own statistics are read (`--stats-url`); None:
    /// the target's default (Triton: --rest-url; TorchServe: port 8082).
    pub stats_url: Option<String>,
    /// torchserve: keys every answer's JSON object must hold
    /// (`--expect-json-keys`; empty: any answer with a body passes).
    pub expect_json_keys: Vec<String>,
    /// kserve-v2: where imgwire receives the server's own trace (OTLP/HTTP
    /// JSON) to join to its requests (`--collect-traces`), and how long it
    /// waits for a scenario's traces after its counted run.
    pub collect_traces: Option<std::net::SocketAddr>,
    pub collect_traces_wait: std::time::Duration,
}

impl TargetPlan {
    /// The URL the user gave for `protocol`, if any.
    pub fn url(&self, protocol: Protocol) -> Option<&str> {
        match protocol {
            Protocol::Rest | Protocol::RestH2 => self.rest_url.as_deref(),
            Protocol::Grpc => self.grpc_url.as_deref(),
            Protocol::Tcp => self.tcp_url.as_deref(),
        }
    }

    /// The flag that names `protocol`'s target.
    pub fn flag(protocol: Protocol) -> &'static str {
        match protocol {
            Protocol::Rest | Protocol::RestH2 => "--rest-url",
            Protocol::Grpc => "--grpc-url",
            Protocol::Tcp => "--tcp-url",
        }
    }
}
