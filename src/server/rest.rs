//! The REST server (axum, HTTP/1.1 and HTTP/2 cleartext): the seed's routes
//! `POST /basic`, `/base64` and `/binary`, beside the routes another module
//! brings (the Open Inference Protocol's, which reuse the reading and
//! answering here). An adapter: it reads and inflates the body, hands it to
//! the shared request path and turns the answer into a response with a
//! `Server-Timing` header.

use super::bodies::RestBodies;
use super::refusal::{too_large, RequestError};
use super::request::{answer, Answer, Received};
use super::{profile_route, stats_route, stopped, ServerState};
use crate::wire::gzip::{self, GunzipError};
use crate::wire::json::ErrorJson;
use crate::wire::server_timing;
use crate::wire::PayloadKind;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::watch;

/// Serves the seed's routes and the routes in `others` (the Open Inference
/// Protocol's) on one port.
pub async fn serve(
    listener: super::counted::CountingListener,
    state: Arc<ServerState>,
    others: Router,
    signal: watch::Receiver<bool>,
) {
    let route = |payload: PayloadKind| {
        post(
            move |State(state): State<Arc<ServerState>>, request: Request| {
                handle(state, payload, request)
            },
        )
    };
    let profiling = state.config.profiling;
    let mut app = Router::new()
        .route("/basic", route(PayloadKind::Basic))
        .route("/base64", route(PayloadKind::B64))
        .route("/binary", route(PayloadKind::Binary))
        .route("/healthz", get(|| async { "ok" }))
        .route("/stats", get(stats_route::stats));
    if profiling {
        app = app.route("/debug/pprof/profile", get(profile_route::profile));
    }
    let app = app
        .with_state(state)
        .merge(others)
        .layer(DefaultBodyLimit::disable());
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(stopped(signal))
        .await;
    if let Err(err) = result {
        eprintln!("error: the REST server stopped: {err}");
    }
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
                error: err.to_string(),
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

/// `server.receive`: the whole body, refused past the limit or if cut short.
pub async fn receive(body: Body, limit: usize) -> Result<Bytes, RequestError> {
    axum::body::to_bytes(body, limit).await.map_err(|err| {
        let too_big = std::error::Error::source(&err)
            .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
        if too_big {
            too_large(limit)
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
            "Content-Encoding '{other}' is not supported (send gzip or none)"
        ))),
    }
}
