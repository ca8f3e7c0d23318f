//! `--trace PATH`: a Chrome trace-event JSON file (open it in
//! https://ui.perfetto.dev or chrome://tracing). One track per client worker,
//! each request a span with its stages as child spans; the server's stages
//! sit inside the round-trip span, placed from the durations it reported
//! (centred, since only durations, never clock readings, cross the wire).
//! Track 0 holds the scenarios and their bursts.

use super::records::{BurstResult, RequestRecord};
use super::request_spans::{Placed, RequestSpans};
use super::summary::nanos;
use crate::output::OutputPath;
use anyhow::Result;
use serde::Serialize;
use std::time::Duration;

const CLIENT_PID: u32 = 1;
const BURST_TRACK: u32 = 0;

/// One trace event: `X` (a complete span) or `M` (a track's name).
#[derive(Clone, Debug, Serialize)]
struct Event {
    name: String,
    cat: &'static str,
    ph: &'static str,
    /// Microseconds since the run began.
    ts: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    dur: Option<f64>,
    pid: u32,
    tid: u32,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    args: serde_json::Value,
}

/// The events of a whole run, added scenario by scenario.
#[derive(Default)]
pub struct Trace {
    events: Vec<Event>,
    named_tracks: u32,
}

fn micros(duration: Duration) -> f64 {
    nanos(duration) as f64 / 1e3
}

impl Trace {
    /// Adds a scenario's warm-up and counted bursts.
    pub fn add_scenario(&mut self, label: &str, warmup: &[BurstResult], counted: &[BurstResult]) {
        let bursts: Vec<(&BurstResult, &'static str)> = warmup
            .iter()
            .map(|b| (b, "warm-up"))
            .chain(counted.iter().map(|b| (b, "counted")))
            .collect();
        let (Some(first), Some(last)) = (bursts.first(), bursts.last()) else {
            return;
        };
        let end = last.0.started + last.0.elapsed;
        self.span(
            BURST_TRACK,
            label.to_string(),
            "scenario",
            first.0.started,
            end - first.0.started,
            serde_json::Value::Null,
        );
        for (index, (burst, kind)) in bursts.iter().enumerate() {
            let args = serde_json::json!({ "requests": burst.records.len(), "errors": burst.errors.len() });
            self.span(
                BURST_TRACK,
                format!("{kind} burst {index}"),
                "burst",
                burst.started,
                burst.elapsed,
                args,
            );
            for record in &burst.records {
                self.add_request(label, record);
            }
        }
    }

    fn add_request(&mut self, label: &str, record: &RequestRecord) {
        let tid = record.worker as u32 + 1;
        self.name_tracks_up_to(tid);
        let spans = RequestSpans::of(record);
        let mut args = serde_json::json!({ "request_bytes": record.request_bytes, "response_bytes": record.response_bytes });
        if let Some(trace_id) = record.trace_id_hex() {
            args["trace_id"] = trace_id.into();
        }
        let request = &spans.request;
        self.span(
            tid,
            label.to_string(),
            "request",
            request.start,
            request.duration,
            args,
        );
        let null = || serde_json::Value::Null;
        for made in &spans.made {
            self.placed(tid, made, "stage", null());
        }
        self.placed(tid, &spans.serialize, "stage", null());
        let transport = serde_json::json!({ "transport_ns": nanos(spans.transport) });
        self.placed(tid, &spans.round_trip, "stage", transport);
        for (_, placed) in &spans.server {
            self.placed(tid, placed, "server", null());
        }
        self.placed(tid, &spans.response, "stage", null());
    }

    fn placed(&mut self, tid: u32, placed: &Placed, cat: &'static str, args: serde_json::Value) {
        let name = placed.name.to_string();
        self.span(tid, name, cat, placed.start, placed.duration, args);
    }

    fn span(
        &mut self,
        tid: u32,
        name: String,
        cat: &'static str,
        start: Duration,
        dur: Duration,
        args: serde_json::Value,
    ) {
        self.events.push(Event {
            name,
            cat,
            ph: "X",
            ts: micros(start),
            dur: Some(micros(dur)),
            pid: CLIENT_PID,
            tid,
            args,
        });
    }

    fn name_tracks_up_to(&mut self, tid: u32) {
        while self.named_tracks <= tid {
            let track = self.named_tracks;
            let name = if track == BURST_TRACK {
                "bursts".to_string()
            } else {
                format!("client worker {}", track - 1)
            };
            self.events.push(Event {
                name: "thread_name".into(),
                cat: "__metadata",
                ph: "M",
                ts: 0.0,
                dur: None,
                pid: CLIENT_PID,
                tid: track,
                args: serde_json::json!({ "name": name }),
            });
            self.named_tracks += 1;
        }
    }

    /// Writes the trace in the JSON object form, `displayTimeUnit` ms.
    pub fn write(&self, path: &OutputPath) -> Result<()> {
        let file = serde_json::json!({ "traceEvents": self.events, "displayTimeUnit": "ms" });
        path.write(&serde_json::to_vec(&file)?)
    }
}
