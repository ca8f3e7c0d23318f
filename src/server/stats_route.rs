//! `GET /stats` on the REST port: how many requests the server refused,
//! of each kind, since it started (JSON).

use super::ServerState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::header;
use std::sync::Arc;

/// `{"refused": {"malformed": N, ...}, "refused_total": N}`.
pub async fn stats(State(state): State<Arc<ServerState>>) -> Response {
    let body = serde_json::to_vec(&state.refusals.snapshot()).unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
