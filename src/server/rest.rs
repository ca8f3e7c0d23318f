//! The REST server (axum, HTTP/1.1 and HTTP/2, cleartext or over TLS with
//! ALPN when the servers have a certificate): the seed's routes
//! `POST /basic`, `/base64` and `/binary`, beside the routes another module
//! brings (the Open Inference Protocol's, which reuse the reading and
//! answering here). An adapter: it reads and inflates the body, hands it to
//! the shared request path and turns the answer into a response with a
//! `Server-Timing` header.

use super::accept::Incoming;
use super::bodies::RestBodies;
use super::deadlines::{is_body_timeout, rest_deadlines, RestDeadlines};
use super::guarded::Activity;
use super::refusal::{echo, too_large, RequestError};
use super::request::{answer, Answer, Received};
use super::{profile_route, stats_route, stopped, ServerState};
use crate::metrics::endpoint as metrics;
use crate::trace_context::{TraceParent, TRACEPARENT, TRACERESPONSE};
use crate::wire::gzip::{self, GunzipError};
use crate::wire::json::ErrorJson;
use crate::wire::server_timing;
use crate::wire::PayloadKind;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tower::ServiceExt;

/// Serves the seed's routes and the routes in `others` (the Open Inference
/// Protocol's) on one port, under the connection limits (headers within
/// `--header-timeout-s`, bodies within `--body-timeout-s`, answers within
/// `--request-timeout-s`, `--max-streams` per HTTP/2 connection), over
/// the connections `incoming` hands over (plain or TLS).
pub async fn serve(
    mut incoming: Incoming,
    state: Arc<ServerState>,
    others: Router,
    signal: watch::Receiver<bool>,
) {
    let limits = state.config.limits;
    let profiling = state.config.profiling;
    let public = state.config.profiling_public;
    let deadlines = RestDeadlines {
        limits,
        refusals: Arc::clone(&state.refusals),
    };
    let app = routes(state)
        .merge(others)
        .layer(DefaultBodyLimit::disable());
    let mut app = app.layer(middleware::from_fn_with_state(deadlines, rest_deadlines));
    if profiling {
        // Added after the limits: a profile takes as long as it was asked to.
        let profile = move |peer, uri| profile_route::profile(peer, uri, public);
        app = app.route("/debug/pprof/profile", get(profile));
    }
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.max_streams);
    let connections = GracefulShutdown::new();
    let stop = stopped(signal);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            Some(stream) = incoming.next() => {
                let guarded = stream.get_ref();
                let connection = Connection { activity: guarded.activity(), peer: guarded.peer() };
                let service = TowerToHyperService::new(in_flight(&app, connection));
                let connection = builder
                    .serve_connection_with_upgrades(TokioIo::new(stream), service)
                    .into_owned();
                // A connection's end (a client gone, a limit passed) is not
                // the server's error: the client got the answer or the close.
                tokio::spawn(connections.watch(connection));
            }
            () = &mut stop => break,
        }
    }
    drop(incoming);
    let _ = tokio::time::timeout(Duration::from_secs(1), connections.shutdown()).await;
}

/// What a request learns of the connection it came on.
struct Connection {
    activity: Activity,
    peer: SocketAddr,
}

/// `app`, marking each request in flight on its connection until answered,
/// with the client's address in its extensions (as axum's `ConnectInfo`).
fn in_flight(
    app: &Router,
    connection: Connection,
) -> impl tower::Service<
    Request<hyper::body::Incoming>,
    Response = Response,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone {
    let app = app.clone();
    tower::service_fn(move |mut request: Request<hyper::body::Incoming>| {
        let busy = connection.activity.busy();
        request
            .extensions_mut()
            .insert(ConnectInfo(connection.peer));
        let trace = TraceParent::from_headers(request.headers(), TRACEPARENT);
        let answer = app.clone().oneshot(request);
        async move {
            let mut response = answer.await;
            drop(busy);
            if let (Some(trace), Ok(response)) = (trace, response.as_mut()) {
                answer_under(trace, response.headers_mut());
            }
            response
        }
    })
}

/// Reports the answer under the request's trace: a `traceresponse` header
/// with its trace id and this server's own span id (REST and gRPC alike).
pub fn answer_under(trace: TraceParent, headers: &mut HeaderMap) {
    headers.insert(TRACERESPONSE, trace.child().header_value());
}

/// The seed's routes.
fn routes(state: Arc<ServerState>) -> Router {
    let route = |payload: PayloadKind| {
        post(
            move |State(state): State<Arc<ServerState>>, request: Request| {
                handle(state, payload, request)
            },
        )
    };
    Router::new()
        .route("/basic", route(PayloadKind::Basic))
        .route("/base64", route(PayloadKind::B64))
        .route("/binary", route(PayloadKind::Binary))
        .route("/healthz", get(|| async { "ok" }))
        .route("/stats", get(stats_route::stats))
        .route("/metrics", metrics::route(Arc::clone(&state.metrics)))
        .with_state(state)
}

async fn handle(state: Arc<ServerState>, payload: PayloadKind, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let start = Instant::now();
    let limit = state.config.max_message_bytes;
    let received = receive(body, limit)
        .await
        .and_then(|body| inflate(&parts.headers, body, limit));
    let answered = match received {
        Ok(body) => {
            let received = Received {
                payload,
                body,
                receive: start.elapsed(),
            };
            let format = RestBodies {
                headers: &parts.headers,
            };
            answer(&state, received, &format).await
        }
        Err(err) => Answer::refused(&state, err),
    };
    let protocol = match parts.version {
        http::Version::HTTP_2 => "rest-h2",
        _ => "rest",
    };
    let ok = answered.result.is_ok();
    crate::metrics::server::record(&state.metrics, protocol, &answered.timings, ok);
    into_response(answered)
}

/// The answer as JSON (the prediction, or `{"error": ...}` with the status
/// that fits), with its stage durations in `Server-Timing`.
pub fn into_response(answered: Answer) -> Response {
    let json = [(header::CONTENT_TYPE, "application/json")];
    let mut response = match answered.result {
        Ok(body) => (json, body).into_response(),
        Err(err) => {
            let body = serde_json::to_vec(&ErrorJson {
                error: err.message(),
            })
            .unwrap_or_default();
            (err.http_status(), json, body).into_response()
        }
    };
    if let Ok(value) = HeaderValue::from_str(&answered.timings.to_header()) {
        response.headers_mut().insert(server_timing::HEADER, value);
    }
    response
}

/// `server.receive`: the whole body, refused past the limit, past
/// `--body-timeout-s` or if cut short.
pub async fn receive(body: Body, limit: usize) -> Result<Bytes, RequestError> {
    axum::body::to_bytes(body, limit).await.map_err(|err| {
        let too_big = std::error::Error::source(&err)
            .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
        if too_big {
            too_large(limit)
        } else if is_body_timeout(&err) {
            RequestError::BodyTimedOut(err.to_string())
        } else {
            RequestError::Malformed(format!(
                "the request body could not be read (truncated?): {err}"
            ))
        }
    })
}

/// Undoes `Content-Encoding: gzip` (part of receiving, as tonic's gRPC
/// decompression is); any other coding is refused by name.
pub fn inflate(headers: &HeaderMap, body: Bytes, limit: usize) -> Result<Bytes, RequestError> {
    let coding = headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase());
    match coding.as_deref() {
        None | Some("identity") => Ok(body),
        Some("gzip") => gzip::decompress(&body, limit)
            .map(Bytes::from)
            .map_err(|e| match e {
                GunzipError::TooLarge { .. } => too_large(limit),
                GunzipError::Invalid(_) => RequestError::Malformed(e.to_string()),
            }),
        Some(other) => Err(RequestError::Malformed(format!(
            "Content-Encoding '{}' is not supported (send gzip or none)",
            echo(other)
        ))),
    }
}
