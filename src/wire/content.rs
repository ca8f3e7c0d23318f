//! The fixed contents the seed benchmark sends and answers with: one basic
//! request and one prediction, the same on REST and gRPC.

use super::json::{BasicJson, PredictionJson};
use super::proto::imgwire::{BasicRequest, PredictionResponse};
use std::collections::BTreeMap;

/// Entries in the basic request's map, as in the seed.
pub const BASIC_MAP_ENTRIES: usize = 100;
/// Scores in a prediction.
pub const PREDICTION_SCORES: usize = 100;
/// Labels in a prediction's map.
pub const PREDICTION_LABELS: usize = 10;

pub fn basic_json() -> BasicJson {
    BasicJson {
        field1: "imgwire basic request: field one".into(),
        field2: "imgwire basic request: field two".into(),
        field3: 42,
        field4: (0..BASIC_MAP_ENTRIES)
            .map(|i| (format!("key{i:03}"), i as i32))
            .collect(),
    }
}

/// The basic request's content, built once: like the frame pool, the
/// content exists before any request, and the `serialize` stage times only
/// turning it into a body (JSON here, protobuf in `shared_basic_proto`).
pub fn shared_basic_json() -> &'static BasicJson {
    static CONTENT: std::sync::OnceLock<BasicJson> = std::sync::OnceLock::new();
    CONTENT.get_or_init(basic_json)
}

/// The basic request's protobuf message, built once (`shared_basic_json`).
pub fn shared_basic_proto() -> &'static BasicRequest {
    static CONTENT: std::sync::OnceLock<BasicRequest> = std::sync::OnceLock::new();
    CONTENT.get_or_init(basic_proto)
}

pub fn basic_proto() -> BasicRequest {
    let json = basic_json();
    BasicRequest {
        field1: json.field1,
        field2: json.field2,
        field3: json.field3,
        field4: json.field4.into_iter().collect(),
    }
}

pub fn prediction_json() -> PredictionJson {
    PredictionJson {
        prediction1: (0..PREDICTION_SCORES).map(|i| i as f32 / 100.0).collect(),
        prediction2: (0..PREDICTION_LABELS)
            .map(|i| (format!("label{i}"), i as i32))
            .collect::<BTreeMap<_, _>>(),
    }
}

pub fn prediction_proto() -> PredictionResponse {
    let json = prediction_json();
    PredictionResponse {
        prediction1: json.prediction1,
        prediction2: json.prediction2.into_iter().collect(),
    }
}

/// A response whose prediction is not the shape the built-in server sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unexpected response: {scores} scores and {labels} labels, expected {PREDICTION_SCORES} and {PREDICTION_LABELS}")]
pub struct UnexpectedPrediction {
    pub scores: usize,
    pub labels: usize,
}

/// Checks a parsed prediction has the shape the built-in server sends.
pub fn check_prediction(scores: usize, labels: usize) -> Result<(), UnexpectedPrediction> {
    if scores == PREDICTION_SCORES && labels == PREDICTION_LABELS {
        Ok(())
    } else {
        Err(UnexpectedPrediction { scores, labels })
    }
}
