//! REST with hyper. HTTP/1.1: a pool of keep-alive connections, by default
//! one per concurrent request, as a pooled HTTP client (the seed's httpx)
//! ends up with under a burst; `--rest-pool N` caps it.
//! HTTP/2 (`rest-h2`, cleartext with prior knowledge, or `https://` with
//! ALPN h2): one connection for every request, as gRPC has, so REST/1.1 vs
//! REST/2 vs gRPC separates the HTTP version from the message format.
//! `https://` URLs: TLS on every connection (`tls`), its handshake timed
//! with the TCP connect.

use super::connect::{h2_handshake, Server};
use super::parts_body::PartsBody;
use super::{ClientSettings, Exchange};
use crate::net::byte_count::WireCounters;
use crate::net::tls::{ALPN_H2, ALPN_HTTP1};
use crate::wire::gzip::{self, Compression};
use crate::wire::json::ErrorJson;
use crate::wire::payload::WireRequest;
use crate::wire::server_timing;
use anyhow::{anyhow, bail, Context, Result};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::TokioIo;
use std::borrow::Cow;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Instant;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub struct RestClient {
    pub(super) counters: Arc<WireCounters>,
    authority: String,
    /// The `Host` header: `authority`, checked once.
    host: http::HeaderValue,
    base_path: String,
    settings: ClientSettings,
    http2: bool,
    /// `https://`: the TLS config every connection handshakes with.
    tls: Option<Arc<rustls::ClientConfig>>,
    /// HTTP/1.1: connections not in use; HTTP/2: the one shared connection.
    idle: StdMutex<Vec<Sender>>,
    /// HTTP/1.1: how many connections may be in use at once (`--rest-pool`).
    slots: Arc<Semaphore>,
}

/// One connection's request handle.
enum Sender {
    H1(http1::SendRequest<PartsBody>),
    H2(http2::SendRequest<PartsBody>),
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
        request: http::Request<PartsBody>,
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

/// A connection checked out of the pool. An HTTP/1.1 connection goes back
/// when the lease drops, unless it closed; an HTTP/2 lease is a clone of the
/// shared handle, which never left.
struct Lease<'a> {
    client: &'a RestClient,
    sender: Option<Sender>,
    _slot: Option<OwnedSemaphorePermit>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(Sender::H1(sender)) = self.sender.take() {
            if !sender.is_closed() {
                self.client.idle().push(Sender::H1(sender));
            }
        }
    }
}

impl RestClient {
    pub async fn connect(url: &str, settings: &ClientSettings, http2: bool) -> Result<Self> {
        let uri: http::Uri = url.parse().with_context(|| {
            format!("--rest-url '{url}' is not a URL (expected http://HOST:PORT)")
        })?;
        let tls = match uri.scheme_str() {
            Some("http") => None,
            Some("https") => {
                let alpn = if http2 { ALPN_H2 } else { ALPN_HTTP1 };
                Some(settings.tls.client_config(alpn)?)
            }
            _ => bail!("--rest-url '{url}' must start with http:// or https://"),
        };
        let authority = uri
            .authority()
            .ok_or_else(|| anyhow!("--rest-url '{url}' has no host"))?
            .to_string();
        let host = http::HeaderValue::from_str(&authority)
            .with_context(|| format!("--rest-url '{url}': its host is not a header value"))?;
        let client = RestClient {
            counters: Arc::default(),
            host,
            authority,
            base_path: uri.path().trim_end_matches('/').to_string(),
            settings: settings.clone(),
            http2,
            tls,
            idle: StdMutex::new(Vec::new()),
            slots: Arc::new(Semaphore::new(settings.rest_pool.max(1))),
        };
        // One connection now, so an unreachable server is reported before any burst.
        let first = client.open().await?;
        client.idle().push(first);
        Ok(client)
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Sender>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A connection to send on: HTTP/2 shares its one connection; HTTP/1.1
    /// waits for a pool slot, then reuses an idle connection or opens one.
    async fn checkout(&self) -> Result<Lease<'_>> {
        if self.http2 {
            let shared = self.idle().iter().find_map(|s| match s {
                Sender::H2(h2) if !h2.is_closed() => Some(h2.clone()),
                _ => None,
            });
            let h2 = match shared {
                Some(h2) => h2,
                None => {
                    let Sender::H2(h2) = self.open().await? else {
                        bail!("the HTTP/2 REST client opened an HTTP/1.1 connection");
                    };
                    *self.idle() = vec![Sender::H2(h2.clone())];
                    h2
                }
            };
            return Ok(Lease {
                client: self,
                sender: Some(Sender::H2(h2)),
                _slot: None,
            });
        }
        let slot = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(|_| anyhow!("the REST client is shutting down"))?;
        let reused = {
            let mut idle = self.idle();
            std::iter::from_fn(|| idle.pop()).find(|s| !s.is_closed())
        };
        let sender = match reused {
            Some(sender) => sender,
            None => self.open().await?,
        };
        Ok(Lease {
            client: self,
            sender: Some(sender),
            _slot: Some(slot),
        })
    }

    async fn open(&self) -> Result<Sender> {
        let server = Server {
            authority: &self.authority,
            tls: self.tls.as_ref(),
            what: "REST server",
            flag: "--rest-url",
        };
        let stream = server.open(&self.settings, &self.counters).await?;
        if self.http2 {
            let h2 = h2_handshake(stream, &self.settings, server.what).await?;
            return Ok(Sender::H2(h2));
        }
        let (sender, connection) = http1::Builder::new()
            .max_buf_size(super::ANSWER_HEAD_LIMIT_BYTES)
            .handshake(TokioIo::new(stream))
            .await
            .context("HTTP/1.1 handshake with the REST server failed")?;
        tokio::spawn(connection);
        Ok(Sender::H1(sender))
    }

    /// Sends one request. The round trip includes waiting for a pooled
    /// connection and, with `--compression gzip`, compressing the body (as
    /// the gRPC client compresses as it frames its message).
    pub async fn call(&self, _worker: usize, mut request: WireRequest) -> Result<Exchange> {
        let start = Instant::now();
        super::add_traceparent(&mut request, &self.settings);
        let exchange = async {
            let mut builder = http::Request::post(self.target(std::mem::take(&mut request.path))?)
                .header(http::header::HOST, self.host.clone())
                .header(
                    http::header::CONTENT_TYPE,
                    static_value(request.content_type)?,
                );
            for (name, value) in std::mem::take(&mut request.headers) {
                builder = builder.header(name, value);
            }
            let body = match self.settings.compression {
                Compression::None => request.body,
                Compression::Gzip => {
                    builder = builder.header(http::header::CONTENT_ENCODING, "gzip");
                    gzip::compress(&request.body.contiguous()).into()
                }
            };
            let http_request = builder.body(PartsBody::new(body))?;
            let mut lease = self.checkout().await?;
            let sender = lease
                .sender
                .as_mut()
                .context("a lease holds a connection")?;
            let response = sender
                .send(http_request)
                .await
                .map_err(|e| send_failure(&e, self.http2))?;
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
            trace_response: parts
                .headers
                .get(crate::trace_context::TRACERESPONSE)
                .cloned(),
            roundtrip,
        })
    }
}

impl RestClient {
    /// The request target: the URL's path, then the route's. A route given
    /// as a constant under a URL without a path is used as it is, uncopied.
    fn target(&self, route: Cow<'static, str>) -> Result<http::Uri> {
        let target = match (self.base_path.is_empty(), &route) {
            (true, Cow::Borrowed(route)) => {
                http::Uri::from_maybe_shared(bytes::Bytes::from_static(route.as_bytes()))
            }
            _ => format!("{}{}", self.base_path, route).parse(),
        };
        target.with_context(|| format!("'{}{route}' is not a request path", self.base_path))
    }
}

/// A header value from a constant, checked but not copied.
fn static_value(value: &'static str) -> Result<http::HeaderValue> {
    http::HeaderValue::from_maybe_shared(bytes::Bytes::from_static(value.as_bytes()))
        .with_context(|| format!("'{value}' is not a header value"))
}

/// Says what went wrong when a request got no HTTP answer, in terms of what
/// the server did, and which flag to check.
fn send_failure(error: &hyper::Error, http2: bool) -> anyhow::Error {
    let version = if http2 { "HTTP/2" } else { "HTTP/1.1" };
    if error.is_parse_too_large() {
        return anyhow!(
            "the server at --rest-url answered with headers over {} KiB or {} fields, more than \
             imgwire keeps of an answer: {error}",
            super::ANSWER_HEAD_LIMIT_BYTES / 1024,
            super::ANSWER_HEADER_FIELDS
        );
    }
    if let Some(hint) = super::enhance_your_calm(error) {
        return anyhow!("the REST request to --rest-url failed: {error}{hint}");
    }
    let what = if error.is_parse() || error.is_parse_status() {
        format!("answered something that is not {version}")
    } else if error.is_incomplete_message() || error.is_closed() || error.is_canceled() {
        "closed the connection before answering".to_string()
    } else {
        return anyhow!("the REST request to --rest-url failed: {error}");
    };
    anyhow!(
        "the server at --rest-url {what} ({error}); if --rest-url is a gRPC (HTTP/2-only) port, \
         point it at the REST port (`imgwire serve --rest-addr`, 8080 by default); if the server \
         speaks TLS, give --rest-url as https://; if not, did the server stop?"
    )
}
