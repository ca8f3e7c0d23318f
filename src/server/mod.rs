//! The built-in benchmark servers: axum (REST, HTTP/1.1 and HTTP/2), tonic
//! (gRPC, HTTP/2), both over TLS when given a certificate (`tls`, through
//! one accept path, `accept`), and the TCP floor server (always plain), on
//! their own tokio runtime, whose
//! threads are named `server-*`. This module starts and stops them; REST and
//! gRPC answer through one shared request path (`request`), for imgwire's own
//! routes and for the Open Inference Protocol's (`v2`, KServe v2) alike.

mod accept;
mod bodies;
mod connection_limits;
mod deadlines;
mod decode;
mod decode_gauge;
mod decode_limits;
mod grpc;
mod grpc_service;
mod guarded;
mod jpeg_size;
mod listener;
mod parse_limits;
mod pipeline;
mod profile_route;
mod proto_scan;
mod refusal;
mod request;
mod rest;
mod stats_route;
mod tcp;
mod tls;
mod turbo;
mod v2;

#[cfg(test)]
mod fuzz;

pub use connection_limits::{parse_timeout_s, ConnectionLimits};
pub(crate) use decode::decode_into;
pub use decode::{check_decoder_available, ServerDecoder};
pub use decode_limits::{DecodeLimits, DEFAULT_MAX_PIXELS};
pub use listener::ServerWire;
pub use pipeline::ServerState;
pub use refusal::{RefusalCounts, RefusalSnapshot, RequestError};
pub use tls::ServerTls;

use crate::net::byte_count::WireCounters;
use crate::net::threads::thread_namer;
use crate::protocol::Protocol;
use accept::Incoming;
use listener::{ConnectionGuard, GuardedListener};
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Everything a server needs to answer requests.
#[derive(Clone, Debug, Serialize)]
pub struct ServerConfig {
    pub decoder: ServerDecoder,
    /// Largest request body or gRPC message accepted (`--max-message-mb`).
    pub max_message_bytes: usize,
    /// Most pixels (width x height) an image may declare (`--max-pixels`).
    pub max_pixels: u64,
    /// Most decoder work one JPEG may ask for (`--max-scans`, `--max-scan-pixels`).
    pub decode: DecodeLimits,
    /// CPU time spent per image request in a stand-in for a model (`--infer-ms`).
    pub infer: Duration,
    /// Worker threads of the server runtime.
    pub threads: usize,
    /// HTTP/2 settings of the gRPC server.
    pub h2: crate::net::h2_tuning::H2Tuning,
    /// Serve `GET /debug/pprof/profile?seconds=N` on the REST port.
    pub profiling: bool,
    /// Serve those profiles to any client, not only loopback ones
    /// (`--profiling-public`).
    pub profiling_public: bool,
    /// The model name the Open Inference Protocol (KServe v2) routes answer
    /// to (`--v2-model`).
    pub v2_model: String,
    /// How long the servers wait on a client and how many they hold.
    pub limits: ConnectionLimits,
    /// REST and gRPC over TLS with this certificate (`--tls-cert`,
    /// `--tls-key`); `None`: plain text. The TCP floor is always plain.
    pub tls: Option<ServerTls>,
}

/// The v2 model's name unless `imgwire serve --v2-model` renames it (the
/// name the Triton target in targets/triton gives its model).
pub const DEFAULT_V2_MODEL: &str = "decode";

/// `--v2-model`: a name that fits in a URL path segment as it is.
pub fn parse_v2_model(text: &str) -> Result<String, String> {
    let fits = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    if !text.is_empty() && text.len() <= 128 && text.chars().all(fits) {
        Ok(text.to_string())
    } else {
        Err(format!(
            "'{text}' is not a model name (1 to 128 letters, digits, '-', '_' or '.')"
        ))
    }
}

#[cfg(test)]
impl ServerConfig {
    /// One server thread, turbojpeg, no stand-in model, default limits:
    /// what the server's own unit tests answer with.
    pub(crate) fn for_tests(max_message_bytes: usize) -> Self {
        ServerConfig {
            decoder: ServerDecoder::Turbojpeg,
            max_message_bytes,
            max_pixels: DEFAULT_MAX_PIXELS,
            decode: DecodeLimits::default(),
            infer: Duration::ZERO,
            threads: 1,
            h2: Default::default(),
            profiling: false,
            profiling_public: false,
            v2_model: DEFAULT_V2_MODEL.into(),
            limits: Default::default(),
            tls: None,
        }
    }
}

/// Where each server listens (port 0 picks a free port).
#[derive(Clone, Copy, Debug)]
pub struct Binds {
    pub rest: SocketAddr,
    pub grpc: SocketAddr,
    pub tcp: SocketAddr,
}

impl Binds {
    /// Free ports on the loopback interface for every server.
    pub fn loopback() -> Self {
        let any: SocketAddr = ([127, 0, 0, 1], 0).into();
        Binds {
            rest: any,
            grpc: any,
            tcp: any,
        }
    }
}

/// Listening sockets for every server, bound by whoever chose where (a
/// network namespace, for `--link-backend tc`).
pub struct Listeners {
    pub rest: std::net::TcpListener,
    pub grpc: std::net::TcpListener,
    pub tcp: std::net::TcpListener,
}

impl Listeners {
    /// Binds each server's address (port 0 picks a free port).
    pub fn bind(binds: &Binds) -> Result<Self, ServerError> {
        Ok(Listeners {
            rest: bind(binds.rest, "REST server", "--rest-addr")?,
            grpc: bind(binds.grpc, "gRPC server", "--grpc-addr")?,
            tcp: bind(binds.tcp, "TCP floor server", "--tcp-addr")?,
        })
    }
}

/// The servers, running until dropped.
pub struct Servers {
    pub rest_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    pub tcp_addr: SocketAddr,
    /// `https` when REST and gRPC speak TLS, `http` otherwise.
    http_scheme: &'static str,
    /// Bytes each server's sockets moved, counted at accept.
    pub wire: Arc<ServerWire>,
    /// Requests refused, of each kind (`GET /stats` on the REST port).
    pub refusals: Arc<RefusalCounts>,
    shutdown: watch::Sender<bool>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Servers {
    /// Binds every server (port 0 picks a free port) and starts serving.
    pub fn start(config: ServerConfig, binds: &Binds) -> Result<Self, ServerError> {
        Self::start_on(config, Listeners::bind(binds)?)
    }

    /// Serves on sockets already bound.
    pub fn start_on(config: ServerConfig, listeners: Listeners) -> Result<Self, ServerError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.threads.max(1))
            .thread_name_fn(thread_namer("server"))
            .enable_all()
            .build()
            .map_err(ServerError::Runtime)?;
        let (shutdown, signal) = watch::channel(false);
        let state = Arc::new(ServerState::new(config));
        let refusals = Arc::clone(&state.refusals);
        let wire = Arc::new(ServerWire::default());
        let local =
            |listener: &std::net::TcpListener| listener.local_addr().map_err(ServerError::Listener);
        let (rest_addr, grpc_addr, tcp_addr) = (
            local(&listeners.rest)?,
            local(&listeners.grpc)?,
            local(&listeners.tcp)?,
        );
        let guard = ConnectionGuard::new(&state.config.limits, Arc::clone(&refusals));
        let nodelay = state.config.h2.tcp_nodelay();
        let (rest, grpc, tcp) = runtime
            .block_on(async {
                let counted = |listener: std::net::TcpListener, counters: &Arc<_>| {
                    listener.set_nonblocking(true)?;
                    let listener = tokio::net::TcpListener::from_std(listener)?;
                    let counters = Arc::clone(counters);
                    std::io::Result::Ok(GuardedListener::new(
                        listener,
                        counters,
                        guard.clone(),
                        nodelay,
                    ))
                };
                std::io::Result::Ok((
                    counted(listeners.rest, &wire.rest)?,
                    counted(listeners.grpc, &wire.grpc)?,
                    counted(listeners.tcp, &wire.tcp)?,
                ))
            })
            .map_err(ServerError::Listener)?;
        let tls = state.config.tls.clone();
        let acceptor = |alpn| tls.as_ref().map(|tls| tls.acceptor(alpn));
        let (rest, grpc) = runtime.block_on(async {
            (
                Incoming::start(rest, acceptor(tls::Alpn::Rest)),
                Incoming::start(grpc, acceptor(tls::Alpn::Grpc)),
            )
        });
        let v2 = Arc::new(v2::V2Service::new(state.clone()));
        runtime.spawn(rest::serve(
            rest,
            state.clone(),
            v2::rest_routes(v2.clone()),
            signal.clone(),
        ));
        runtime.spawn(grpc::serve(
            grpc,
            state.clone(),
            v2::grpc_routes(v2),
            signal.clone(),
        ));
        runtime.spawn(tcp::serve(tcp, state, signal));
        Ok(Servers {
            rest_addr,
            grpc_addr,
            tcp_addr,
            http_scheme: if tls.is_some() { "https" } else { "http" },
            wire,
            refusals,
            shutdown,
            runtime: Some(runtime),
        })
    }

    /// The counters of the server `protocol` is answered by.
    pub fn wire_counters(&self, protocol: Protocol) -> Arc<WireCounters> {
        Arc::clone(self.answering(protocol).counters)
    }

    /// The URL a client of `protocol` reaches these servers at.
    pub fn url(&self, protocol: Protocol) -> String {
        let server = self.answering(protocol);
        format!("{}://{}", server.scheme, server.address)
    }

    /// The one mapping from a protocol to the built-in server that answers
    /// it: REST/1.1 and REST/2 share the REST server.
    fn answering(&self, protocol: Protocol) -> Answering<'_> {
        let (scheme, address, counters) = match protocol {
            Protocol::Rest | Protocol::RestH2 => {
                (self.http_scheme, self.rest_addr, &self.wire.rest)
            }
            Protocol::Grpc => (self.http_scheme, self.grpc_addr, &self.wire.grpc),
            Protocol::Tcp => ("tcp", self.tcp_addr, &self.wire.tcp),
        };
        Answering {
            scheme,
            address,
            counters,
        }
    }

    /// Serves until the process is stopped (for `imgwire serve`).
    pub fn wait_for_ctrl_c(mut self) -> Result<(), ServerError> {
        let runtime = self.runtime.take().expect("runtime present until drop");
        runtime
            .block_on(async { tokio::signal::ctrl_c().await })
            .map_err(ServerError::CtrlC)?;
        let _ = self.shutdown.send(true);
        runtime.shutdown_timeout(Duration::from_secs(2));
        Ok(())
    }
}

/// The built-in server that answers one protocol.
struct Answering<'a> {
    /// The URL scheme its clients use.
    scheme: &'static str,
    address: SocketAddr,
    counters: &'a Arc<WireCounters>,
}

impl Drop for Servers {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

/// Why the built-in servers could not start, or stopped serving.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("could not bind the {what} to {address} (change {flag})")]
    Bind {
        what: &'static str,
        address: SocketAddr,
        flag: &'static str,
        source: std::io::Error,
    },
    #[error("could not start the server runtime")]
    Runtime(#[source] std::io::Error),
    #[error("could not serve on a bound socket")]
    Listener(#[source] std::io::Error),
    #[error("could not wait for Ctrl-C")]
    CtrlC(#[source] std::io::Error),
}

fn bind(
    address: SocketAddr,
    what: &'static str,
    flag: &'static str,
) -> Result<std::net::TcpListener, ServerError> {
    std::net::TcpListener::bind(address).map_err(|source| ServerError::Bind {
        what,
        address,
        flag,
        source,
    })
}

/// Resolves when `signal` says stop.
async fn stopped(mut signal: watch::Receiver<bool>) {
    while !*signal.borrow() {
        if signal.changed().await.is_err() {
            return;
        }
    }
}
