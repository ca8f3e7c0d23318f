//! The v2 REST routes on the REST port: `GET /v2`, `/v2/health/live`,
//! `/v2/health/ready`, `/v2/models/stats`, and for the model (also under
//! `/v2/models/{m}/versions/{v}`) `GET` metadata, `GET .../ready`,
//! `POST .../infer` and `GET .../stats`. Infer reads the body as the seed's
//! routes do, answers through the shared request path, and every answer
//! carries `Server-Timing`. Unknown models are refused with Triton's 400
//! and `{"error": ...}`.

use super::rest_bodies::{RestInfer, HEADER_LENGTH};
use super::{UnknownModel, V2Service, MODEL_VERSION};
use crate::server::request::{answer, Answer, Received};
use crate::server::rest::{inflate, into_response, receive};
use crate::wire::json::ErrorJson;
use crate::wire::PayloadKind;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use http::{header, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;

/// The v2 routes, ready to merge into the REST server's router.
pub fn routes(service: Arc<V2Service>) -> Router {
    let model = "/v2/models/{model}";
    let versioned = "/v2/models/{model}/versions/{version}";
    Router::new()
        .route(
            "/v2",
            get(|| async { json(&super::metadata::server_json()) }),
        )
        .route("/v2/health/live", get(|| async { StatusCode::OK }))
        .route("/v2/health/ready", get(|| async { StatusCode::OK }))
        .route("/v2/models/stats", get(all_stats))
        .route(model, get(metadata))
        .route(versioned, get(metadata))
        .route(&format!("{model}/ready"), get(ready))
        .route(&format!("{versioned}/ready"), get(ready))
        .route(&format!("{model}/infer"), post(infer))
        .route(&format!("{versioned}/infer"), post(infer))
        .route(&format!("{model}/stats"), get(stats))
        .route(&format!("{versioned}/stats"), get(stats))
        .with_state(service)
}

/// A model (and maybe version) named in the path.
#[derive(Deserialize)]
struct ModelPath {
    model: String,
    #[serde(default)]
    version: String,
}

impl V2Service {
    /// Whether the path names this model.
    fn found(&self, at: &ModelPath) -> Result<(), UnknownModel> {
        self.find(&at.model, &at.version)
    }
}

/// Triton's answer to an unknown model: 400, `{"error": ...}`.
fn unknown(error: UnknownModel) -> Response {
    let body = ErrorJson {
        error: error.to_string(),
    };
    (StatusCode::BAD_REQUEST, json(&body)).into_response()
}

/// `value` as an `application/json` answer.
fn json(value: &impl Serialize) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn metadata(State(service): State<Arc<V2Service>>, Path(at): Path<ModelPath>) -> Response {
    match service.found(&at) {
        Ok(()) => json(&super::metadata::model_json(service.model())),
        Err(error) => unknown(error),
    }
}

async fn ready(State(service): State<Arc<V2Service>>, Path(at): Path<ModelPath>) -> Response {
    match service.found(&at) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(error) => unknown(error),
    }
}

async fn stats(State(service): State<Arc<V2Service>>, Path(at): Path<ModelPath>) -> Response {
    match service.found(&at) {
        Ok(()) => all_stats(State(service)).await,
        Err(error) => unknown(error),
    }
}

async fn all_stats(State(service): State<Arc<V2Service>>) -> Response {
    json(&service.stats.report(service.model(), MODEL_VERSION))
}

/// `POST .../infer`: JSON, or the binary tensor data extension when the
/// request has `Inference-Header-Content-Length`.
async fn infer(
    State(service): State<Arc<V2Service>>,
    Path(at): Path<ModelPath>,
    request: Request,
) -> Response {
    if let Err(error) = service.found(&at) {
        return unknown(error);
    }
    let (parts, body) = request.into_parts();
    let start = Instant::now();
    let limit = service.state.config.max_message_bytes;
    let received = receive(body, limit)
        .await
        .and_then(|body| inflate(&parts.headers, body, limit));
    let header_length = parts
        .headers
        .get(HEADER_LENGTH)
        .map(|v| v.to_str().unwrap_or("?"));
    let payload = match header_length {
        Some(_) => PayloadKind::Binary,
        None => PayloadKind::B64,
    };
    let format = RestInfer::new(service.model(), header_length);
    let answered = match received {
        Ok(body) => {
            let received = Received {
                payload,
                body,
                receive: start.elapsed(),
            };
            answer(&service.state, received, &format).await
        }
        Err(err) => Answer::refused(&service.state, err),
    };
    service.stats.record(&answered);
    let mut response = into_response(answered);
    if let Some(length) = format.binary_header_length() {
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        headers.insert(HEADER_LENGTH, HeaderValue::from(length));
    }
    response
}
