//! What a server that is not imgwire's says of its own time, read from its
//! statistics before and after a scenario (Triton's statistics extension,
//! TorchServe's metrics), and the cells a target cannot take at all. Both
//! are reported as the server said them: nothing here splits a request's
//! time where the server did not.

use crate::protocol::Protocol;
use crate::stage::Stage;
use crate::wire::PayloadKind;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// How every output labels stages taken from a server's statistics.
pub const SERVER_STATS_LABEL: &str = "from the server's statistics (mean per request)";

/// A scenario's server-side stages as the server's own counters give them:
/// the change over the scenario's counted bursts, divided by the requests
/// the server counted.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ServerStats {
    /// Where the figures were read, in words (`Triton statistics, GET
    /// http://127.0.0.1:8000/v2/models/decode/stats`).
    pub source: String,
    /// Always [`SERVER_STATS_LABEL`].
    pub label: &'static str,
    /// Requests the server counted between the two readings (it may count
    /// other clients' requests too).
    pub requests: u64,
    /// Each stage's mean per request, nanoseconds, under its name.
    #[serde(serialize_with = "means_by_name")]
    pub mean_ns: BTreeMap<Stage, u64>,
    /// Why there are no figures, where a reading failed (the run goes on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl ServerStats {
    /// Figures with their source and label.
    pub fn new(source: String, requests: u64, mean_ns: BTreeMap<Stage, u64>) -> Self {
        ServerStats {
            source,
            label: SERVER_STATS_LABEL,
            requests,
            mean_ns,
            problem: None,
        }
    }

    /// No figures, and why.
    pub fn failed(source: String, problem: String) -> Self {
        ServerStats {
            problem: Some(problem),
            ..ServerStats::new(source, 0, BTreeMap::new())
        }
    }
}

fn means_by_name<S: Serializer>(means: &BTreeMap<Stage, u64>, s: S) -> Result<S::Ok, S::Error> {
    let by_name: BTreeMap<&str, u64> = means.iter().map(|(k, v)| (k.name(), *v)).collect();
    by_name.serialize(s)
}

/// A payload x protocol cell the target cannot take: not measured, shown
/// as `n/a` with the reason, never silently dropped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct NotApplicable {
    pub payload: PayloadKind,
    pub protocol: Protocol,
    pub reason: String,
}

impl NotApplicable {
    /// How the tables name the cell: `basic x REST`.
    pub fn cell(&self) -> String {
        format!("{} x {}", self.payload.name(), self.protocol.label())
    }
}

/// Each distinct reason once, in first-seen order, with the cells it
/// covers (`basic x REST`), as the tables list them under the figures.
pub fn by_reason(cells: &[NotApplicable]) -> Vec<(&str, Vec<String>)> {
    let mut reasons: Vec<(&str, Vec<String>)> = Vec::new();
    for cell in cells {
        match reasons.iter_mut().find(|(r, _)| *r == cell.reason) {
            Some((_, covered)) => covered.push(cell.cell()),
            None => reasons.push((&cell.reason, vec![cell.cell()])),
        }
    }
    reasons
}

/// Whether the target cannot take `payload` over `protocol`.
pub fn cannot_take(cells: &[NotApplicable], payload: PayloadKind, protocol: Protocol) -> bool {
    cells
        .iter()
        .any(|c| c.payload == payload && c.protocol == protocol)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(payload: PayloadKind, protocol: Protocol, reason: &str) -> NotApplicable {
        NotApplicable {
            payload,
            protocol,
            reason: reason.into(),
        }
    }

    #[test]
    fn cells_group_by_reason_in_first_seen_order() {
        let cells = [
            cell(PayloadKind::Basic, Protocol::Rest, "images only"),
            cell(PayloadKind::B64, Protocol::Grpc, "no text"),
            cell(PayloadKind::Basic, Protocol::Grpc, "images only"),
        ];
        assert_eq!(
            by_reason(&cells),
            vec![
                (
                    "images only",
                    vec!["basic x REST".into(), "basic x gRPC".into()]
                ),
                ("no text", vec!["b64 x gRPC".into()]),
            ]
        );
        assert!(cannot_take(&cells, PayloadKind::B64, Protocol::Grpc));
        assert!(!cannot_take(&cells, PayloadKind::B64, Protocol::Rest));
    }

    #[test]
    fn stats_serialize_stage_names_and_leave_out_no_problem() {
        let means = BTreeMap::from([(Stage::ServerInfer, 1_500), (Stage::ServerQueue, 20)]);
        let json = serde_json::to_value(ServerStats::new("here".into(), 4, means)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "source": "here", "label": SERVER_STATS_LABEL, "requests": 4,
                "mean_ns": { "server.infer": 1500, "server.queue": 20 }
            })
        );
        let failed = ServerStats::failed("there".into(), "no answer".into());
        assert_eq!(
            serde_json::to_value(failed).unwrap()["problem"],
            "no answer"
        );
    }
}
