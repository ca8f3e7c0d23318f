//! The one request path every protocol shares: a received body is
//! deserialized, queued for a decode slot, decoded, run through the stand-in
//! model and answered, each step timed as its stage. REST and gRPC only turn
//! their requests into a `Received` and the `Answer` into their responses.

use super::pipeline::{process_image, timed, ServerState};
use super::refusal::{too_large, RequestError};
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
    /// It is counted among `state`'s refusals.
    pub fn refused(state: &ServerState, error: RequestError) -> Self {
        state.refusals.record(&error);
        Answer {
            result: Err(error),
            timings: ServerTimings::default(),
        }
    }
}

/// Answers one received request, in `format`'s bodies; a refusal is
/// counted among `state`'s.
pub async fn answer(state: &ServerState, request: Received, format: &impl BodyFormat) -> Answer {
    let mut timings = ServerTimings::default();
    timings.record(Stage::ServerReceive, request.receive);
    let result = respond(state, request, format, &mut timings).await;
    if let Err(error) = &result {
        state.refusals.record(error);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::ServerConfig;

    /// Bodies that are the prediction themselves: `b"structured"` is the
    /// basic request, anything else is refused as malformed.
    struct Echo;

    impl BodyFormat for Echo {
        fn deserialize(
            &self,
            _payload: PayloadKind,
            body: Bytes,
        ) -> Result<Deserialized, RequestError> {
            match &body[..] {
                b"structured" => Ok(Deserialized::Structured),
                _ => Err(RequestError::Malformed("not structured".into())),
            }
        }

        fn prediction(&self) -> Bytes {
            Bytes::from_static(b"prediction")
        }
    }

    fn state(max_message_bytes: usize) -> ServerState {
        ServerState::new(ServerConfig::for_tests(max_message_bytes))
    }

    fn run(state: &ServerState, body: &'static [u8]) -> Answer {
        let request = Received {
            payload: PayloadKind::Basic,
            body: Bytes::from_static(body),
            receive: Duration::from_millis(3),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(answer(state, request, &Echo))
    }

    fn stages(answer: &Answer) -> Vec<Stage> {
        answer.timings.entries().iter().map(|(s, _)| *s).collect()
    }

    #[test]
    fn times_every_stage_it_runs_in_order() {
        let answered = run(&state(100), b"structured");
        assert_eq!(&answered.result.as_ref().unwrap()[..], b"prediction");
        assert_eq!(
            stages(&answered),
            [
                Stage::ServerReceive,
                Stage::ServerDeserialize,
                Stage::ServerRespond
            ]
        );
        assert_eq!(answered.timings.entries()[0].1, Duration::from_millis(3));
    }

    #[test]
    fn refusals_keep_the_stages_that_ran() {
        let malformed = run(&state(100), b"garbage");
        assert!(matches!(malformed.result, Err(RequestError::Malformed(_))));
        assert_eq!(
            stages(&malformed),
            [Stage::ServerReceive, Stage::ServerDeserialize]
        );
        let over = run(&state(4), b"structured");
        let error = over.result.as_ref().unwrap_err();
        assert!(error.to_string().contains("--max-message-mb"), "{error}");
        assert_eq!(stages(&over), [Stage::ServerReceive]);
        let refused = refusals_after(&[b"garbage", b"structured", b"structured"]);
        assert_eq!(refused.refused["malformed"], 1);
        assert_eq!(refused.refused_total, 1);
    }

    fn refusals_after(bodies: &[&'static [u8]]) -> crate::server::RefusalSnapshot {
        let state = state(100);
        for body in bodies {
            run(&state, body);
        }
        state.refusals.snapshot()
    }
}
