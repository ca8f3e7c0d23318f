//! The REST server (axum, HTTP/1.1): the seed's routes `POST /basic`,
//! `/base64` and `/binary`, each answering with a `Server-Timing` header.

use super::pipeline::{process_image, timed, too_large, RequestError};
use super::{stopped, ServerState};
use crate::stage::Stage;
use crate::wire::gzip::{self, GunzipError};
use crate::wire::json::{self, Base64Json, BasicJson, ErrorJson};
use crate::wire::server_timing::{self, ServerTimings};
use crate::wire::{content, ImageFormat, ImageMeta, PayloadKind};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::watch;

pub async fn serve(
    listener: super::counted::CountingListener,
    state: Arc<ServerState>,
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
        .route("/healthz", get(|| async { "ok" }));
    if profiling {
        app = app.route("/debug/pprof/profile", get(profile));
    }
    let app = app.layer(DefaultBodyLimit::disable()).with_state(state);
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(stopped(signal))
        .await;
    if let Err(err) = result {
        eprintln!("error: the REST server stopped: {err}");
    }
}

async fn handle(state: Arc<ServerState>, payload: PayloadKind, request: Request) -> Response {
    let mut timings = ServerTimings::default();
    let result = answer(&state, payload, request, &mut timings).await;
    let mut response = match result {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(err) => {
            let body = serde_json::to_vec(&ErrorJson {
                error: err.to_string(),
            })
            .unwrap_or_default();
            (
                err.http_status(),
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response()
        }
    };
    if let Ok(value) = HeaderValue::from_str(&timings.to_header()) {
        response.headers_mut().insert(server_timing::HEADER, value);
    }
    response
}

async fn answer(
    state: &ServerState,
    payload: PayloadKind,
    request: Request,
    timings: &mut ServerTimings,
) -> Result<Vec<u8>, RequestError> {
    let (parts, body) = request.into_parts();
    let start = Instant::now();
    let limit = state.config.max_message_bytes;
    let body = inflate(&parts.headers, receive(body, limit).await?, limit)?;
    timings.record(Stage::ServerReceive, start.elapsed());
    match payload {
        PayloadKind::Basic => {
            timed(timings, Stage::ServerDeserialize, || {
                serde_json::from_slice::<BasicJson>(&body)
                    .map(|_| ())
                    .map_err(|e| {
                        RequestError::Malformed(format!("body is not the basic JSON request: {e}"))
                    })
            })?;
        }
        PayloadKind::B64 => {
            let (bytes, meta) =
                timed(timings, Stage::ServerDeserialize, || deserialize_b64(&body))?;
            process_image(state, Bytes::from(bytes), meta, timings).await?;
        }
        PayloadKind::Binary => {
            let meta = timed(timings, Stage::ServerDeserialize, || {
                meta_from_headers(&parts.headers)
            })?;
            process_image(state, body, meta, timings).await?;
        }
    }
    Ok(timed(timings, Stage::ServerRespond, || {
        serde_json::to_vec(&content::prediction_json()).unwrap_or_default()
    }))
}

/// `server.receive`: the whole body, refused past the limit or if cut short.
async fn receive(body: Body, limit: usize) -> Result<Bytes, RequestError> {
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
fn inflate(headers: &HeaderMap, body: Bytes, limit: usize) -> Result<Bytes, RequestError> {
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

fn deserialize_b64(body: &[u8]) -> Result<(Vec<u8>, ImageMeta), RequestError> {
    let parsed: Base64Json = serde_json::from_slice(body).map_err(|e| {
        RequestError::Malformed(format!("body is not the base64 JSON request: {e}"))
    })?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(parsed.image.as_bytes())
        .map_err(|e| RequestError::Malformed(format!("field `image` is not valid base64: {e}")))?;
    Ok((bytes, parsed.meta()))
}

fn meta_from_headers(headers: &HeaderMap) -> Result<ImageMeta, RequestError> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| RequestError::Malformed(format!("header {name} is missing")))
    };
    let number = |name: &str| {
        text(name)?
            .parse::<u32>()
            .map_err(|_| RequestError::Malformed(format!("header {name} is not a whole number")))
    };
    let format = text(json::headers::FORMAT)?;
    Ok(ImageMeta {
        width: number(json::headers::WIDTH)?,
        height: number(json::headers::HEIGHT)?,
        channels: number(json::headers::CHANNELS)?,
        format: ImageFormat::parse(format).ok_or_else(|| {
            RequestError::Malformed(format!(
                "header x-image-format '{format}' is not jpeg or raw"
            ))
        })?,
    })
}

/// `GET /debug/pprof/profile?seconds=N` (default 30, at most 300): samples
/// the whole server process for N seconds and answers a gzip-compressed
/// pprof protobuf, as Go's net/http/pprof does.
async fn profile(uri: http::Uri) -> Response {
    let seconds = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("seconds="))
        .map_or(Ok(30), str::parse::<u64>);
    let seconds = match seconds {
        Ok(s) if (1..=300).contains(&s) => s,
        _ => {
            return (
                http::StatusCode::BAD_REQUEST,
                "seconds must be a whole number from 1 to 300\n",
            )
                .into_response()
        }
    };
    let sampler = match crate::profile::Sampler::start(997) {
        Ok(sampler) => sampler,
        Err(e) => {
            return (
                http::StatusCode::CONFLICT,
                format!("{e:#} (is another profile running?)\n"),
            )
                .into_response()
        }
    };
    tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
    let encoded = tokio::task::spawn_blocking(move || {
        sampler.stop().and_then(|r| crate::profile::pprof_gz(&r))
    })
    .await;
    match encoded {
        Ok(Ok(bytes)) => {
            ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
        }
        Ok(Err(e)) => (http::StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}\n")).into_response(),
        Err(e) => (http::StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}
