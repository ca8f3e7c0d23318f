//! gRPC over HTTP/2 with tonic: one channel (one connection) for every
//! request, as the seed's grpcio client had, and a raw-bytes codec so the
//! protobuf work stays in the client's own `serialize` and `response` stages.
//! `https://` URLs: the connector runs the TLS handshake itself (ALPN h2),
//! timed with the TCP connect.

use super::counting::{CountingStream, WireCounters};
use super::tls::{Secured, ALPN_H2};
use super::{ClientSettings, Exchange};
use crate::wire::codec::RawCodec;
use crate::wire::gzip::Compression;
use crate::wire::payload::WireRequest;
use crate::wire::server_timing;
use anyhow::{anyhow, Context, Result};
use http::uri::PathAndQuery;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::Instant;
use tonic::transport::{Channel, Endpoint};

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
            .tcp_nodelay(true)
            .initial_stream_window_size(settings.h2.stream_window_bytes)
            .initial_connection_window_size(settings.h2.connection_window_bytes)
            .http2_adaptive_window(settings.h2.adaptive_window)
            .max_frame_size(settings.h2.max_frame_bytes);
        let counters = Arc::new(WireCounters::default());
        let connector_counters = counters.clone();
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
                stream.set_nodelay(true)?;
                let stream = CountingStream::new(stream, counters.clone());
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

    pub async fn call(&self, worker: usize, request: WireRequest) -> Result<Exchange> {
        let limit = self.settings.max_message_bytes;
        let mut grpc =
            tonic::client::Grpc::new(self.channels[worker % self.channels.len()].clone())
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit);
        if self.settings.compression == Compression::Gzip {
            grpc = grpc.send_compressed(tonic::codec::CompressionEncoding::Gzip);
        }
        let path = match request.path {
            std::borrow::Cow::Borrowed(path) => PathAndQuery::from_static(path),
            std::borrow::Cow::Owned(path) => PathAndQuery::try_from(path)
                .map_err(|e| anyhow!("'{e}' is not a gRPC method path"))?,
        };
        let start = Instant::now();
        grpc.ready().await.map_err(|e| {
            let e: Box<dyn std::error::Error + Send + Sync> = e.into();
            anyhow!(
                "the gRPC channel to {} is not ready: {}",
                self.url,
                error_chain(&*e)
            )
        })?;
        let response = grpc
            .unary(tonic::Request::new(request.body), path, RawCodec)
            .await
            .map_err(|status| {
                anyhow!(
                    "the gRPC server answered {:?}: {}{}",
                    status.code(),
                    status.message(),
                    hint(status.code())
                )
            })?;
        let roundtrip = start.elapsed();
        let server_timing = response
            .metadata()
            .get(server_timing::HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(Exchange {
            body: response.into_inner(),
            server_timing,
            roundtrip,
        })
    }
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
