//! `GET /stats` on the REST port: how many requests the server refused,
//! of each kind, since it started, and its decodes: how many run now, the
//! most that ever ran at once against the slots, and how many outlived
//! their request (JSON).

use super::decode_gauge::DecodeSnapshot;
use super::refusal::RefusalSnapshot;
use super::ServerState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::header;
use serde::Serialize;
use std::sync::Arc;

/// What `GET /stats` answers.
#[derive(Serialize)]
struct Stats {
    #[serde(flatten)]
    refusals: RefusalSnapshot,
    decodes: DecodeSnapshot,
}

/// `{"refused": {"malformed": N, ...}, "refused_total": N, "decodes":
/// {"slots": N, "running": N, "peak": N, "finished": N, "orphaned": N}}`.
pub async fn stats(State(state): State<Arc<ServerState>>) -> Response {
    let stats = Stats {
        refusals: state.refusals.snapshot(),
        decodes: state.decodes.snapshot(),
    };
    let body = serde_json::to_vec(&stats).unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
