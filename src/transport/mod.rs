//! Client transports: one file per protocol behind one small enum, each
//! timing its own round trip from request sent to response body read, over
//! the TCP connect they share (`connect`) and the client's TLS (`tls`,
//! `trust`); beside them, the unmeasured GETs to a server's side routes
//! (`http_get`, `remote_profile`).

mod connect;
mod grpc;
pub(crate) mod http_get;
mod parts_body;
pub(crate) mod remote_profile;
mod rest;
mod tcp;
pub mod tls;
pub mod trust;

use crate::net::byte_count::WireBytes;
use crate::net::h2_tuning::H2Tuning;
use crate::protocol::Protocol;
use crate::wire::payload::WireRequest;
use anyhow::Result;
use bytes::Bytes;
use serde::Serialize;
use std::time::Duration;

/// The most an answer's headers, or its trailers, may hold, HTTP/1.1 and
/// HTTP/2 alike (hyper's read buffer while parsing an HTTP/1.1 head, the
/// `SETTINGS_MAX_HEADER_LIST_SIZE` REST/2 and gRPC announce): a server
/// sending more fails that request, named, and the run goes on. What the
/// client keeps of an answer is its body and its `Server-Timing` text,
/// itself bounded (`wire::server_timing`).
pub const ANSWER_HEAD_LIMIT_BYTES: usize = 64 * 1024;

/// The most header fields an HTTP/1.1 answer may have: hyper's default,
/// left unset on the connection (setting it, even to 100, costs hyper an
/// array initialised per answer); HTTP/2's are bounded by
/// `ANSWER_HEAD_LIMIT_BYTES`.
pub const ANSWER_HEADER_FIELDS: usize = 100;

/// What to say when an HTTP/2 server ended a stream or the connection with
/// `ENHANCE_YOUR_CALM`, found anywhere in `error`'s chain: the server
/// thinks this client floods it (too many streams, resets, pings or
/// settings), which no message limit explains.
pub(crate) fn enhance_your_calm(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let calm = std::iter::successors(Some(error), |e| e.source()).any(|e| {
        // h2 writes the reason's description; its Debug, the reason's name.
        e.to_string()
            .contains("detected excessive load generating behavior")
            || format!("{e:?}").contains("ENHANCE_YOUR_CALM")
    });
    calm.then(|| {
        " (the server sent HTTP/2 ENHANCE_YOUR_CALM: it thinks this client floods it with \
         streams, resets or pings; lower --concurrency, or raise the server's own stream and \
         rate limits)"
            .to_string()
    })
}

/// A request that carries no `traceparent` yet (a target's probe before
/// the run, a side gRPC call) gets a fresh one, unless `--no-traceparent`:
/// every request imgwire sends can be found in a server's traces. Counted
/// requests carry theirs from the start (their record keeps its ids).
fn add_traceparent(request: &mut WireRequest, settings: &ClientSettings) {
    use crate::trace_context::{TraceParent, TRACEPARENT};
    if settings.traceparent && request.headers.iter().all(|(name, _)| *name != TRACEPARENT) {
        let value = TraceParent::new_root().to_string();
        request.headers.push((TRACEPARENT, value));
    }
}

/// Client-side settings shared by every transport.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    pub max_message_bytes: usize,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Concurrent requests, so REST can keep one connection per worker.
    pub concurrency: usize,
    pub h2: H2Tuning,
    /// gRPC channels (connections); requests spread over them by worker.
    pub grpc_channels: usize,
    /// HTTP/1.1 REST connections in use at once, at most.
    pub rest_pool: usize,
    /// Request body compression, REST and gRPC (not the tcp floor).
    pub compression: crate::wire::gzip::Compression,
    /// What `https://` URLs are trusted by (`--tls-ca`).
    pub tls: trust::ClientTrust,
    /// Send a W3C `traceparent` on every REST and gRPC request (and the
    /// trace id as a KServe v2 request's `id`); off with `--no-traceparent`.
    pub traceparent: bool,
}

/// How long one protocol's client took to open its connections.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ConnectTimes {
    pub protocol: Protocol,
    /// Connections opened and timed (the tcp floor's are not timed).
    pub connections: u64,
    /// Mean time to open one: TCP connect plus any TLS handshake.
    pub mean_ns: u64,
}

impl ConnectTimes {
    /// Every client of `protocols` that timed a connection, in that order.
    pub fn of(
        protocols: &[Protocol],
        clients: &std::collections::HashMap<Protocol, std::sync::Arc<Client>>,
    ) -> Vec<ConnectTimes> {
        let timed = |protocol: &Protocol| {
            let (connections, mean) = clients.get(protocol)?.connect_times();
            (connections > 0).then(|| ConnectTimes {
                protocol: *protocol,
                connections,
                mean_ns: u64::try_from(mean.as_nanos()).unwrap_or(u64::MAX),
            })
        };
        protocols.iter().filter_map(timed).collect()
    }

    /// The mean in milliseconds, as tables show it.
    pub fn mean_ms(&self) -> f64 {
        self.mean_ns as f64 / 1e6
    }
}

/// One completed exchange, as the client saw it.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub body: Bytes,
    /// The server's `Server-Timing` text, where it sent one.
    pub server_timing: Option<String>,
    /// The server's `traceresponse`, where it sent one (`imgwire serve`
    /// does, for a request that carried a `traceparent`).
    pub trace_response: Option<http::HeaderValue>,
    /// From the request handed to the connection to the response body read.
    pub roundtrip: Duration,
}

/// A connected client for one protocol.
pub enum Client {
    Rest(rest::RestClient),
    Grpc(grpc::GrpcClient),
    Tcp(tcp::TcpClient),
}

impl Client {
    /// Connects (eagerly, so an unreachable target fails before any timing).
    pub async fn connect(
        protocol: Protocol,
        url: &str,
        settings: &ClientSettings,
    ) -> Result<Client> {
        Ok(match protocol {
            Protocol::Rest => Client::Rest(rest::RestClient::connect(url, settings, false).await?),
            Protocol::RestH2 => Client::Rest(rest::RestClient::connect(url, settings, true).await?),
            Protocol::Grpc => Client::Grpc(grpc::GrpcClient::connect(url, settings).await?),
            Protocol::Tcp => Client::Tcp(tcp::TcpClient::connect(url, settings).await?),
        })
    }

    /// Connections this client opened and timed, and their mean time to
    /// open (TCP connect plus any TLS handshake); the tcp floor's are not
    /// timed.
    pub fn connect_times(&self) -> (u64, Duration) {
        match self {
            Client::Rest(client) => client.counters.connect_times(),
            Client::Grpc(client) => client.counters.connect_times(),
            Client::Tcp(client) => client.counters.connect_times(),
        }
    }

    /// Bytes written to and read from this client's sockets so far.
    pub fn wire_bytes(&self) -> WireBytes {
        match self {
            Client::Rest(client) => client.counters.read(),
            Client::Grpc(client) => client.counters.read(),
            Client::Tcp(client) => client.counters.read(),
        }
    }

    /// Sends one request as worker `worker` and waits for the whole response.
    pub async fn call(&self, worker: usize, request: WireRequest) -> Result<Exchange> {
        match self {
            Client::Rest(client) => client.call(worker, request).await,
            Client::Grpc(client) => client.call(worker, request).await,
            Client::Tcp(client) => client.call(worker, request).await,
        }
    }
}
