//! gRPC over HTTP/2 with tonic: one channel (one connection) for every
//! request by default, as the seed's grpcio client had (`--grpc-channels`
//! for more). Messages are framed here and sent as their parts, so the
//! protobuf work stays in the client's own `serialize` and `response`
//! stages and no layer copies the image; tonic's channel carries the call
//! and its decoder reads the answer.
//! `https://` URLs: the connector runs the TLS handshake itself (ALPN h2),
//! timed with the TCP connect.

use super::parts_body::PartsBody;
use super::{ClientSettings, Exchange};
use crate::net::byte_count::WireCounters;
use crate::net::counted_stream::CountedStream;
use crate::net::secured::Secured;
use crate::net::tls::ALPN_H2;
use crate::wire::codec::RawCodec;
use crate::wire::gzip::{self, Compression};
use crate::wire::payload::WireRequest;
use crate::wire::server_timing;
use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use http::uri::PathAndQuery;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::Instant;
use tonic::codec::Streaming;
use tonic::transport::{Channel, Endpoint};
use tower::{Service, ServiceExt};

/// The header naming a gRPC message's compression.
const GRPC_ENCODING: &str = "grpc-encoding";

pub struct GrpcClient {
    pub(super) counters: Arc<WireCounters>,
    channels: Vec<Channel>,
    url: String,
    settings: ClientSettings,
}

impl GrpcClient {
    pub async fn connect(url: &str, settings: &ClientSettings) -> Result<Self> {
        let endpoint = Endpoint::from_shared(url.to_string())
            .with_context(|| {
                format!("--grpc-url '{url}' is not a URL (expected http://HOST:PORT)")
            })?
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .tcp_nodelay(settings.h2.tcp_nodelay())
            .initial_stream_window_size(settings.h2.stream_window_bytes)
            .initial_connection_window_size(settings.h2.connection_window_bytes)
            .http2_adaptive_window(settings.h2.adaptive_window)
            .max_frame_size(settings.h2.max_frame_bytes)
            .http2_max_header_list_size(super::ANSWER_HEAD_LIMIT_BYTES as u32);
        let counters = Arc::new(WireCounters::default());
        let connector_counters = counters.clone();
        let nodelay = settings.h2.tcp_nodelay();
        let tls = match url.split_once("://").map(|(scheme, _)| scheme) {
            Some("https") => Some(settings.tls.client_config(ALPN_H2)?),
            _ => None,
        };
        let connector = tower::service_fn(move |uri: http::Uri| {
            let counters = connector_counters.clone();
            let tls = tls.clone();
            async move {
                let started = Instant::now();
                let authority = uri.authority().map(|a| a.to_string()).unwrap_or_default();
                let stream = tokio::net::TcpStream::connect(authority).await?;
                stream.set_nodelay(nodelay)?;
                let stream = CountedStream::new(stream, counters.clone());
                let stream = match tls {
                    None => Secured::Plain(stream),
                    Some(config) => {
                        let host = uri.host().unwrap_or_default();
                        super::tls::handshake(stream, host, config, "--grpc-url")
                            .await
                            .map_err(|e| std::io::Error::other(format!("{e:#}")))?
                    }
                };
                counters.record_connect(started.elapsed());
                Ok::<_, std::io::Error>(TokioIo::new(stream))
            }
        });
        let mut channels = Vec::new();
        for _ in 0..settings.grpc_channels.max(1) {
            let channel = endpoint
                .connect_with_connector(connector.clone())
                .await
                .map_err(|e| {
                    anyhow!(
                        "could not connect to the gRPC server at {url} (check --grpc-url): {}",
                        error_chain(&e)
                    )
                })?;
            channels.push(channel);
        }
        Ok(GrpcClient {
            counters,
            channels,
            url: url.to_string(),
            settings: settings.clone(),
        })
    }

    /// Sends one unary call and reads its answer. The request is framed
    /// here (`PartsBody::grpc_message`): its parts, the image's own buffer
    /// among them, go to the connection as they are, where tonic's encoder
    /// would copy the whole message into a buffer of its own first. The
    /// answer is read by tonic's decoder (message limit, `grpc-status`).
    pub async fn call(&self, worker: usize, request: WireRequest) -> Result<Exchange> {
        let start = Instant::now();
        let exchange = tokio::time::timeout(self.settings.request_timeout, async {
            let http_request = self.http_request(request)?;
            let mut channel = self.channels[worker % self.channels.len()].clone();
            let ready = channel.ready().await.map_err(|e| {
                anyhow!(
                    "the gRPC channel to {} is not ready: {}",
                    self.url,
                    error_chain(&e)
                )
            })?;
            let response = ready.call(http_request).await.map_err(|e| {
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
        let (body, server_timing) = exchange.await.map_err(|_| {
            anyhow!(
                "the gRPC call timed out after {:?}{}",
                self.settings.request_timeout,
                hint(tonic::Code::DeadlineExceeded)
            )
        })??;
        Ok(Exchange {
            body,
            server_timing,
            roundtrip: start.elapsed(),
        })
    }

    /// The HTTP/2 request of one call: the method's path (the channel adds
    /// scheme and authority), gRPC's headers, the message framed, gzip'd
    /// first with `--compression gzip`.
    fn http_request(&self, request: WireRequest) -> Result<http::Request<tonic::body::Body>> {
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
        let mut builder = http::Request::post(http::Uri::from(path))
            .header(http::header::TE, "trailers")
            .header(http::header::CONTENT_TYPE, "application/grpc");
        let body = match self.settings.compression {
            Compression::None => PartsBody::grpc_message(request.body, false),
            Compression::Gzip => {
                builder = builder.header(GRPC_ENCODING, "gzip");
                let compressed = gzip::compress(&request.body.contiguous());
                PartsBody::grpc_message(compressed.into(), true)
            }
        };
        Ok(builder.body(tonic::body::Body::new(body))?)
    }
}

/// The answer's one message and its `server-timing` value (trailers, or
/// headers where a server sends it there); a non-OK `grpc-status`, in the
/// headers (a trailers-only answer) or the trailers, is the error.
async fn read_answer(
    response: http::Response<tonic::body::Body>,
    limit: usize,
) -> Result<(Bytes, Option<String>)> {
    let (parts, body) = response.into_parts();
    if let Some(status) = tonic::Status::from_header_map(&parts.headers) {
        if status.code() != tonic::Code::Ok {
            return Err(status_error(&status));
        }
    }
    let mut answer = Streaming::new_response(RawCodec, body, parts.status, None, Some(limit));
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
    Ok((message, server_timing))
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
