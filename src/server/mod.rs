//! The built-in benchmark servers: axum (REST, HTTP/1.1) and tonic (gRPC,
//! HTTP/2) on their own tokio runtime, whose threads are named `server-*`.

mod counted;
mod decode;
mod grpc;
mod pipeline;
mod rest;
mod tcp;

pub use counted::ServerWire;
pub use decode::{check_decoder_available, ServerDecoder};
pub use pipeline::{RequestError, ServerState};

use anyhow::{Context, Result};
use counted::CountingListener;
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
    /// CPU time spent per image request in a stand-in for a model (`--infer-ms`).
    pub infer: Duration,
    /// Worker threads of the server runtime.
    pub threads: usize,
    /// HTTP/2 settings of the gRPC server.
    pub h2: crate::transport::H2Tuning,
    /// Serve `GET /debug/pprof/profile?seconds=N` on the REST port.
    pub profiling: bool,
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
    pub fn bind(binds: &Binds) -> Result<Self> {
        Ok(Listeners {
            rest: bind(binds.rest, "REST server", "--rest-addr")?,
            grpc: bind(binds.grpc, "gRPC server", "--grpc-addr")?,
            tcp: bind(binds.tcp, "TCP echo server", "--tcp-addr")?,
        })
    }
}

/// The servers, running until dropped.
pub struct Servers {
    pub rest_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    pub tcp_addr: SocketAddr,
    /// Bytes each server's sockets moved, counted at accept.
    pub wire: Arc<ServerWire>,
    shutdown: watch::Sender<bool>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Servers {
    /// Binds every server (port 0 picks a free port) and starts serving.
    pub fn start(config: ServerConfig, binds: &Binds) -> Result<Self> {
        Self::start_on(config, Listeners::bind(binds)?)
    }

    /// Serves on sockets already bound.
    pub fn start_on(config: ServerConfig, listeners: Listeners) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.threads.max(1))
            .thread_name_fn(thread_namer("server"))
            .enable_all()
            .build()
            .context("could not start the server runtime")?;
        let (shutdown, signal) = watch::channel(false);
        let state = Arc::new(ServerState::new(config));
        let wire = Arc::new(ServerWire::default());
        let (rest_addr, grpc_addr, tcp_addr) = (
            listeners.rest.local_addr()?,
            listeners.grpc.local_addr()?,
            listeners.tcp.local_addr()?,
        );
        let (rest, grpc, tcp) = runtime.block_on(async {
            let counted = |listener: std::net::TcpListener, counters: &Arc<_>| {
                listener.set_nonblocking(true)?;
                let listener = tokio::net::TcpListener::from_std(listener)?;
                anyhow::Ok(CountingListener::new(listener, Arc::clone(counters)))
            };
            anyhow::Ok((
                counted(listeners.rest, &wire.rest)?,
                counted(listeners.grpc, &wire.grpc)?,
                counted(listeners.tcp, &wire.tcp)?,
            ))
        })?;
        runtime.spawn(rest::serve(rest, state.clone(), signal.clone()));
        runtime.spawn(grpc::serve(grpc, state.clone(), signal.clone()));
        runtime.spawn(tcp::serve(tcp, state, signal));
        Ok(Servers {
            rest_addr,
            grpc_addr,
            tcp_addr,
            wire,
            shutdown,
            runtime: Some(runtime),
        })
    }

    /// The counters of the server `protocol` is answered by.
    pub fn wire_counters(
        &self,
        protocol: crate::protocol::Protocol,
    ) -> Arc<crate::transport::counting::WireCounters> {
        use crate::protocol::Protocol;
        Arc::clone(match protocol {
            Protocol::Rest | Protocol::RestH2 => &self.wire.rest,
            Protocol::Grpc => &self.wire.grpc,
            Protocol::Tcp => &self.wire.tcp,
        })
    }

    /// The URL a client of `protocol` reaches these servers at.
    pub fn url(&self, protocol: crate::protocol::Protocol) -> String {
        use crate::protocol::Protocol;
        match protocol {
            Protocol::Rest | Protocol::RestH2 => format!("http://{}", self.rest_addr),
            Protocol::Grpc => format!("http://{}", self.grpc_addr),
            Protocol::Tcp => format!("tcp://{}", self.tcp_addr),
        }
    }

    /// Serves until the process is stopped (for `imgwire serve`).
    pub fn wait_for_ctrl_c(mut self) -> Result<()> {
        let runtime = self.runtime.take().expect("runtime present until drop");
        runtime.block_on(async { tokio::signal::ctrl_c().await })?;
        let _ = self.shutdown.send(true);
        runtime.shutdown_timeout(Duration::from_secs(2));
        Ok(())
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

fn bind(address: SocketAddr, what: &str, flag: &str) -> Result<std::net::TcpListener> {
    std::net::TcpListener::bind(address)
        .with_context(|| format!("could not bind the {what} to {address} (change {flag})"))
}

/// Names a runtime's threads `prefix-0`, `prefix-1`, ... so profiles and
/// `top -H` tell the client from the server.
pub fn thread_namer(prefix: &'static str) -> impl Fn() -> String + Send + Sync + 'static {
    let next = std::sync::atomic::AtomicUsize::new(0);
    move || {
        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{prefix}-{n}")
    }
}

/// Resolves when `signal` says stop.
async fn stopped(mut signal: watch::Receiver<bool>) {
    while !*signal.borrow() {
        if signal.changed().await.is_err() {
            return;
        }
    }
}
