//! REST with hyper. HTTP/1.1: one keep-alive connection per worker, as a
//! pooled HTTP client (the seed's httpx) ends up with under a burst.
//! HTTP/2 (`rest-h2`, cleartext, prior knowledge): one connection for every
//! request, as gRPC has, so REST/1.1 vs REST/2 vs gRPC separates the HTTP
//! version from the message format.

use super::counting::{connect_counted, WireCounters};
use super::{ClientSettings, Exchange};
use crate::wire::json::ErrorJson;
use crate::wire::payload::WireRequest;
use crate::wire::server_timing;
use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::TokioExecutor;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Mutex;

pub struct RestClient {
    pub(super) counters: Arc<WireCounters>,
    authority: String,
    base_path: String,
    settings: ClientSettings,
    http2: bool,
    workers: Vec<Mutex<Option<Sender>>>,
}

/// One connection's request handle.
enum Sender {
    H1(http1::SendRequest<Full<Bytes>>),
    H2(http2::SendRequest<Full<Bytes>>),
}

impl Sender {
    fn is_closed(&self) -> bool {
        match self {
            Sender::H1(s) => s.is_closed(),
            Sender::H2(s) => s.is_closed(),
        }
    }

    async fn send(
        &mut self,
        request: http::Request<Full<Bytes>>,
    ) -> hyper::Result<http::Response<Incoming>> {
        match self {
            Sender::H1(s) => {
                s.ready().await?;
                s.send_request(request).await
            }
            Sender::H2(s) => {
                s.ready().await?;
                s.send_request(request).await
            }
        }
    }
}

impl RestClient {
    pub async fn connect(url: &str, settings: &ClientSettings, http2: bool) -> Result<Self> {
        let uri: http::Uri = url.parse().with_context(|| {
            format!("--rest-url '{url}' is not a URL (expected http://HOST:PORT)")
        })?;
        if uri.scheme_str() != Some("http") {
            bail!("--rest-url '{url}' must start with http:// (TLS is not supported)");
        }
        let authority = uri
            .authority()
            .ok_or_else(|| anyhow!("--rest-url '{url}' has no host"))?
            .to_string();
        let client = RestClient {
            counters: Arc::default(),
            authority,
            base_path: uri.path().trim_end_matches('/').to_string(),
            settings: settings.clone(),
            http2,
            workers: (0..if http2 {
                1
            } else {
                settings.concurrency.max(1)
            })
                .map(|_| Mutex::new(None))
                .collect(),
        };
        // One connection now, so an unreachable server is reported before any burst.
        let first = client.open().await?;
        *client.workers[0].lock().await = Some(first);
        Ok(client)
    }

    async fn open(&self) -> Result<Sender> {
        let stream = connect_counted(
            &self.authority,
            self.settings.connect_timeout,
            &self.counters,
            "REST server",
            "--rest-url",
        )
        .await?;
        let io = TokioIo::new(stream);
        if self.http2 {
            let h2 = self.settings.h2;
            let (sender, connection) = http2::Builder::new(TokioExecutor::new())
                .initial_stream_window_size(h2.stream_window_bytes)
                .initial_connection_window_size(h2.connection_window_bytes)
                .adaptive_window(h2.adaptive_window)
                .max_frame_size(h2.max_frame_bytes)
                .handshake(io)
                .await
                .context("HTTP/2 handshake with the REST server failed (does it speak h2c?)")?;
            tokio::spawn(connection);
            Ok(Sender::H2(sender))
        } else {
            let (sender, connection) = http1::handshake(io)
                .await
                .context("HTTP/1.1 handshake with the REST server failed")?;
            tokio::spawn(connection);
            Ok(Sender::H1(sender))
        }
    }

    pub async fn call(&self, worker: usize, request: WireRequest) -> Result<Exchange> {
        let mut slot = self.workers[worker % self.workers.len()].lock().await;
        if slot.as_ref().is_none_or(|sender| sender.is_closed()) {
            *slot = Some(self.open().await?);
        }
        // HTTP/2 multiplexes: take a handle and let the next request in at
        // once. HTTP/1.1 holds its connection until the response is read.
        let shared_h2 = match slot.as_ref() {
            Some(Sender::H2(s)) => Some(s.clone()),
            _ => None,
        };
        let (mut shared, mut held);
        let sender: &mut Sender = match shared_h2 {
            Some(s) => {
                drop(slot);
                shared = Sender::H2(s);
                &mut shared
            }
            None => {
                held = slot;
                held.as_mut().expect("just opened")
            }
        };
        let mut builder = http::Request::post(format!("{}{}", self.base_path, request.path))
            .header(http::header::HOST, &self.authority)
            .header(http::header::CONTENT_TYPE, request.content_type);
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        let http_request = builder.body(Full::new(request.body))?;
        let start = Instant::now();
        let exchange = async {
            let response = sender
                .send(http_request)
                .await
                .context("the REST request failed (did the server stop?)")?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, self.settings.max_message_bytes)
                .collect()
                .await
                .map_err(|e| {
                    anyhow!("could not read the REST response (over --max-message-mb?): {e}")
                })?
                .to_bytes();
            anyhow::Ok((parts, body))
        };
        let (parts, body) = tokio::time::timeout(self.settings.request_timeout, exchange)
            .await
            .map_err(|_| {
                anyhow!(
                    "the REST request timed out after {:?} (raise --timeout-s)",
                    self.settings.request_timeout
                )
            })??;
        let roundtrip = start.elapsed();
        if !parts.status.is_success() {
            let message = serde_json::from_slice::<ErrorJson>(&body)
                .map(|e| e.error)
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).into_owned());
            bail!("the REST server answered {}: {message}", parts.status);
        }
        Ok(Exchange {
            body,
            server_timing: parts
                .headers
                .get(server_timing::HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            roundtrip,
        })
    }
}
