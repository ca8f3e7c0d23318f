//! The one request path every protocol shares: a received body is
//! deserialized, queued for a decode slot, decoded, run through the stand-in
//! model and answered, each step timed as its stage. REST and gRPC only turn
//! their requests into a `Received` and the `Answer` into their responses.

use super::pipeline::{process_image, timed, too_large, RequestError, ServerState};
use crate::stage::Stage;
use crate::wire::server_timing::ServerTimings;
use crate::wire::{ImageMeta, PayloadKind};
use bytes::Bytes;
use std::time::Duration;

/// A request body as a protocol adapter received it.
pub struct Received {
    pub payload: PayloadKind,
    /// The whole body, unframed and inflated.
    pub body: Bytes,
    /// `server.receive`: from the request's headers to its whole body read.
    pub receive: Duration,
}

/// What a request body held.
pub enum Deserialized {
    /// The basic request: structured data, nothing to decode.
    Structured,
    /// Image bytes and what the client declared about them.
    Image { bytes: Bytes, meta: ImageMeta },
}

/// How one protocol's bodies are read and written: the only part of a
/// request's work that differs between REST (JSON, raw bytes) and gRPC
/// (protobuf).
pub trait BodyFormat: Sync {
    /// `server.deserialize`: a body of `payload`'s shape -> what it carries.
    fn deserialize(&self, payload: PayloadKind, body: Bytes) -> Result<Deserialized, RequestError>;

    /// `server.respond`: the prediction as this protocol's response body.
    fn prediction(&self) -> Bytes;
}

/// How a request ended, and the stages it went through: the timings travel
/// back whether it succeeded or not.
pub struct Answer {
    /// The response body, or why the request was refused.
    pub result: Result<Bytes, RequestError>,
    pub timings: ServerTimings,
}

impl Answer {
    /// A request refused before its body was whole: no stage was timed.
    pub fn refused(error: RequestError) -> Self {
        Answer {
            result: Err(error),
            timings: ServerTimings::default(),
        }
    }
}

/// Answers one received request, in `format`'s bodies.
pub async fn answer(state: &ServerState, request: Received, format: &impl BodyFormat) -> Answer {
    let mut timings = ServerTimings::default();
    timings.record(Stage::ServerReceive, request.receive);
    let result = respond(state, request, format, &mut timings).await;
    Answer { result, timings }
}

async fn respond(
    state: &ServerState,
    request: Received,
    format: &impl BodyFormat,
    timings: &mut ServerTimings,
) -> Result<Bytes, RequestError> {
    let limit = state.config.max_message_bytes;
    if request.body.len() > limit {
        return Err(too_large(limit));
    }
    let deserialized = timed(timings, Stage::ServerDeserialize, || {
        format.deserialize(request.payload, request.body)
    })?;
    if let Deserialized::Image { bytes, meta } = deserialized {
        process_image(state, bytes, meta, timings).await?;
    }
    Ok(timed(timings, Stage::ServerRespond, || format.prediction()))
}
