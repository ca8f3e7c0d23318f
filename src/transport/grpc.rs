//! gRPC over HTTP/2: one channel (one connection) for every request by
//! default, as the seed's grpcio client had (`--grpc-channels` for more).
//! Messages are framed here and sent as their parts, so the protobuf work
//! stays in the client's own `serialize` and `response` stages and no layer
//! copies the image. Calls go straight to hyper's HTTP/2 connection, as
//! tonic's channel would send them minus its layers (a queue and a task
//! hop per call, a second timer, a user-agent), which cost more CPU than
//! the call itself on small messages; tonic's decoder reads the answer
//! (message limit, `grpc-status`). A connection found closed is opened
//! again on the next call, as tonic's channel reconnects.
//! `https://` URLs: TLS (ALPN h2) on every connection, its handshake timed
//! with the TCP connect.

use super::connect::{h2_handshake, Server};
use super::parts_body::PartsBody;
use super::{ClientSettings, Exchange};
use crate::net::byte_count::WireCounters;
use crate::net::tls::ALPN_H2;
use crate::wire::codec::RawCodec;
use crate::wire::gzip::{self, Compression};
use crate::wire::payload::WireRequest;
use crate::wire::server_timing;
use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE, TE};
use http::uri::{Authority, PathAndQuery, Scheme};
use hyper::client::conn::http2::SendRequest;
use std::sync::{Arc, Mutex as StdMutex, MutexGuard};
use std::time::Instant;
use tonic::codec::{BufferSettings, DecodeBuf, Decoder, Streaming};

/// The header naming a gRPC message's compression.
const GRPC_ENCODING: &str = "grpc-encoding";

/// One HTTP/2 connection's request handle.
type Channel = StdMutex<SendRequest<PartsBody>>;

pub struct GrpcClient {
    pub(super) counters: Arc<WireCounters>,
    channels: Vec<Channel>,
    scheme: Scheme,
    authority: Authority,
    /// `https://`: the TLS config every connection handshakes with.
    tls: Option<Arc<rustls::ClientConfig>>,
    url: String,
    settings: ClientSettings,
}

impl GrpcClient {
    /// Opens `--grpc-channels` connections now, so an unreachable server
    /// is reported before anything is timed.
    pub async fn connect(url: &str, settings: &ClientSettings) -> Result<Self> {
        let uri: http::Uri = url.parse().with_context(|| {
            format!("--grpc-url '{url}' is not a URL (expected http://HOST:PORT)")
        })?;
        let tls = match uri.scheme_str() {
            Some("http") => None,
            Some("https") => Some(settings.tls.client_config(ALPN_H2)?),
            _ => bail!("--grpc-url '{url}' must start with http:// or https://"),
        };
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| anyhow!("--grpc-url '{url}' has no host"))?;
        let mut client = GrpcClient {
            counters: Arc::default(),
            channels: Vec::new(),
            scheme: uri.scheme().cloned().unwrap_or(Scheme::HTTP),
            authority,
            tls,
            url: url.to_string(),
            settings: settings.clone(),
        };
        for _ in 0..settings.grpc_channels.max(1) {
            let sender = client.open().await.map_err(|e| {
                anyhow!("could not connect to the gRPC server at {url} (check --grpc-url): {e:#}")
            })?;
            client.channels.push(StdMutex::new(sender));
        }
        Ok(client)
    }

    async fn open(&self) -> Result<SendRequest<PartsBody>> {
        let server = Server {
            authority: self.authority.as_str(),
            tls: self.tls.as_ref(),
            what: "gRPC server",
            flag: "--grpc-url",
        };
        let stream = server.open(&self.settings, &self.counters).await?;
        h2_handshake(stream, &self.settings, server.what).await
    }

    /// Worker `worker`'s channel, its connection opened again if it closed.
    async fn channel(&self, worker: usize) -> Result<&Channel> {
        let channel = &self.channels[worker % self.channels.len()];
        if held(channel).is_closed() {
            let fresh = self
                .open()
                .await
                .map_err(|e| anyhow!("the gRPC channel to {} is not ready: {e:#}", self.url))?;
            let mut sender = held(channel);
            if sender.is_closed() {
                *sender = fresh;
            }
        }
        Ok(channel)
    }

    /// Sends one unary call and reads its answer. The request is framed
    /// here (`PartsBody::grpc_message`): its parts, the image's own buffer
    /// among them, go to the connection as they are, where tonic's encoder
    /// would copy the whole message into a buffer of its own first. The
    /// answer is read by tonic's decoder (message limit, `grpc-status`).
    pub async fn call(&self, worker: usize, mut request: WireRequest) -> Result<Exchange> {
        let start = Instant::now();
        super::add_traceparent(&mut request, &self.settings);
        let exchange = tokio::time::timeout(self.settings.request_timeout, async {
            let http_request = self.http_request(request)?;
            let channel = self.channel(worker).await?;
            let sent = held(channel).send_request(http_request);
            let response = sent.await.map_err(|e| {
                let hint = super::enhance_your_calm(&e)
                    .unwrap_or_else(|| hint(tonic::Code::Unavailable).to_string());
                anyhow!(
                    "the gRPC call to {} failed: {}{hint}",
                    self.url,
                    error_chain(&e),
                )
            })?;
            read_answer(response, self.settings.max_message_bytes).await
        });
        let (body, server_timing, trace_response) = exchange.await.map_err(|_| {
            anyhow!(
                "the gRPC call timed out after {:?}{}",
                self.settings.request_timeout,
                hint(tonic::Code::DeadlineExceeded)
            )
        })??;
        Ok(Exchange {
            body,
            server_timing,
            trace_response,
            roundtrip: start.elapsed(),
        })
    }

    /// The HTTP/2 request of one call: the method's URI on this server,
    /// gRPC's headers, the message framed, gzip'd first with
    /// `--compression gzip`.
    fn http_request(&self, mut request: WireRequest) -> Result<http::Request<PartsBody>> {
        let limit = self.settings.max_message_bytes;
        if request.body.len() > limit {
            bail!(
                "the gRPC request message is {} bytes, over the {limit} bytes allowed{}",
                request.body.len(),
                hint(tonic::Code::OutOfRange)
            );
        }
        let path = PathAndQuery::try_from(request.path.as_ref())
            .map_err(|e| anyhow!("'{}' is not a gRPC method path: {e}", request.path))?;
        let uri = http::Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(path)
            .build()?;
        let mut builder = http::Request::post(uri)
            .header(TE, HeaderValue::from_static("trailers"))
            .header(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
        // Metadata the target set (`traceparent`).
        for (name, value) in std::mem::take(&mut request.headers) {
            builder = builder.header(name, value);
        }
        let body = match self.settings.compression {
            Compression::None => PartsBody::grpc_message(request.body, false),
            Compression::Gzip => {
                builder = builder.header(GRPC_ENCODING, HeaderValue::from_static("gzip"));
                let compressed = gzip::compress(&request.body.contiguous());
                PartsBody::grpc_message(compressed.into(), true)
            }
        };
        Ok(builder.body(body)?)
    }
}

/// A channel's handle, held only to read or send (never across an await).
fn held(channel: &Channel) -> MutexGuard<'_, SendRequest<PartsBody>> {
    channel.lock().unwrap_or_else(|e| e.into_inner())
}

/// The answer's one message, its `server-timing` value (trailers, or
/// headers where a server sends it there) and its `traceresponse` (the
/// headers); a non-OK `grpc-status`, in the headers (a trailers-only
/// answer) or the trailers, is the error.
async fn read_answer(
    response: http::Response<hyper::body::Incoming>,
    limit: usize,
) -> Result<(Bytes, Option<String>, Option<HeaderValue>)> {
    let (parts, body) = response.into_parts();
    if let Some(status) = tonic::Status::from_header_map(&parts.headers) {
        if status.code() != tonic::Code::Ok {
            return Err(status_error(&status));
        }
    }
    let mut answer = Streaming::new_response(AnswerDecoder, body, parts.status, None, Some(limit));
    let message = answer
        .message()
        .await
        .map_err(|status| status_error(&status))?
        .ok_or_else(|| anyhow!("the gRPC server answered without a message"))?;
    let trailers = answer
        .trailers()
        .await
        .map_err(|status| status_error(&status))?;
    let server_timing = trailers
        .as_ref()
        .and_then(|t| t.get(server_timing::HEADER))
        .and_then(|v| v.to_str().ok())
        .or_else(|| {
            parts
                .headers
                .get(server_timing::HEADER)
                .and_then(|v| v.to_str().ok())
        })
        .map(str::to_owned);
    let trace_response = parts
        .headers
        .get(crate::trace_context::TRACERESPONSE)
        .cloned();
    Ok((message, server_timing, trace_response))
}

/// `RawCodec`'s decoder with a first buffer the size of a small answer
/// (it grows for a larger one): tonic's 8 KiB is a request glibc serves
/// from its large bins, consolidating its fast bins on every answer; under
/// 1 KiB it comes from the thread's cache.
struct AnswerDecoder;

impl Decoder for AnswerDecoder {
    type Item = Bytes;
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, tonic::Status> {
        RawCodec.decode(src)
    }

    fn buffer_settings(&self) -> BufferSettings {
        // 32 KiB: tonic's own yield threshold, kept.
        BufferSettings::new(960, 32 * 1024)
    }
}

fn status_error(status: &tonic::Status) -> anyhow::Error {
    // tonic reads ENHANCE_YOUR_CALM as RESOURCE_EXHAUSTED, which alone
    // would read as a message over the limit.
    let hint = super::enhance_your_calm(status).unwrap_or_else(|| hint(status.code()).to_string());
    anyhow!(
        "the gRPC server answered {:?}: {}{hint}",
        status.code(),
        status.message(),
    )
}

/// What a user can do about a status, where the status alone does not say.
fn hint(code: tonic::Code) -> &'static str {
    match code {
        tonic::Code::OutOfRange | tonic::Code::ResourceExhausted => " (raise --max-message-mb)",
        tonic::Code::Unavailable => " (is the server at --grpc-url up?)",
        tonic::Code::DeadlineExceeded => " (raise --timeout-s)",
        tonic::Code::Internal => {
            " (an HTTP/2 protocol error here often means the server speaks TLS: give --grpc-url \
             as https://)"
        }
        tonic::Code::Unimplemented => {
            " (the server there does not serve this method: is --grpc-url the REST port, or a \
             server of another kind than --target names? imgwire's own gRPC port is \
             `imgwire serve --grpc-addr`, 50051 by default)"
        }
        _ => "",
    }
}

fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Layers that restate their source say it once.
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
