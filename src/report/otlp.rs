//! `--export-otlp PATH`: every counted request as an OpenTelemetry trace,
//! in OTLP JSON as the OpenTelemetry Collector's file exporter writes it:
//! one `{"resourceSpans": [...]}` object a line, one line per counted burst
//! or window, appended as each scenario finishes (so memory stays bounded
//! and an interrupted run keeps its finished scenarios). Each request is a
//! client span with its stages as children; the server's stages sit inside
//! the round trip, placed as the Perfetto trace places them
//! (`request_spans`). `--trace-sample F` keeps a deterministic share F of
//! the requests.

use super::records::{BurstResult, RequestRecord};
use super::request_spans::{Placed, RequestSpans};
use super::Scenario;
use crate::output::OutputPath;
use crate::trace_context::TraceParent;
use anyhow::{Context, Result};
use serde_json::{json, Value};
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// OTLP's `SpanKind`: the request is the client's call, its stages work
/// inside it.
const KIND_INTERNAL: u8 = 1;
const KIND_CLIENT: u8 = 3;

/// Keeps a share of the requests it is shown, evenly spread and the same
/// on every run: the k-th is kept when `floor((k + 1) F) > floor(k F)`.
#[derive(Clone, Debug)]
pub struct Sampler {
    fraction: f64,
    seen: u64,
}

impl Sampler {
    pub fn new(fraction: f64) -> Sampler {
        Sampler { fraction, seen: 0 }
    }

    pub fn keep(&mut self) -> bool {
        let k = self.seen as f64;
        self.seen += 1;
        ((k + 1.0) * self.fraction).floor() > (k * self.fraction).floor()
    }
}

/// One scenario's counted bursts, to append to the export.
pub struct ScenarioSpans<'a> {
    pub scenario: &'a Scenario,
    /// The shard's index (0 when unsharded).
    pub shard: usize,
    pub counted: &'a [BurstResult],
    /// The instant the records' `started` count from.
    pub epoch: Instant,
}

/// Empties the file, so a run appends to nothing of an earlier one's.
pub fn start(path: &OutputPath) -> Result<()> {
    path.write(&[])
}

/// Appends the scenario's sampled requests, one line per burst that kept
/// any. Returns how many requests it wrote.
pub fn append(path: &OutputPath, spans: &ScenarioSpans, sampler: &mut Sampler) -> Result<usize> {
    let epoch_unix = SystemTime::now()
        .checked_sub(spans.epoch.elapsed())
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut written = 0;
    for burst in spans.counted {
        let kept: Vec<&RequestRecord> = burst.records.iter().filter(|_| sampler.keep()).collect();
        if kept.is_empty() {
            continue;
        }
        let span_list: Vec<Value> = kept
            .iter()
            .flat_map(|record| request_spans(spans, record, epoch_unix))
            .collect();
        written += kept.len();
        serde_json::to_writer(&mut out, &traces_data(spans, span_list))?;
        out.push(b'\n');
    }
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path.path)
        .with_context(|| format!("could not open {} '{}'", path.flag, path.path.display()))?;
    file.write_all(&out)
        .with_context(|| format!("could not write {} '{}'", path.flag, path.path.display()))?;
    Ok(written)
}

/// One line: the resource (imgwire, this shard), its scope, the spans.
fn traces_data(spans: &ScenarioSpans, span_list: Vec<Value>) -> Value {
    json!({ "resourceSpans": [{
        "resource": { "attributes": [
            string("service.name", "imgwire"),
            string("service.version", env!("CARGO_PKG_VERSION")),
            int("imgwire.shard", spans.shard as u64),
        ]},
        "scopeSpans": [{
            "scope": { "name": "imgwire", "version": env!("CARGO_PKG_VERSION") },
            "spans": span_list,
        }],
    }]})
}

/// A request's spans: the client span, its stages, the server's stages
/// as children of the round trip.
fn request_spans(
    spans: &ScenarioSpans,
    record: &RequestRecord,
    epoch_unix: Duration,
) -> Vec<Value> {
    let placed = RequestSpans::of(record);
    // The request's own trace, as its traceparent sent it (so a server's
    // spans join it), else a fresh one (`--no-traceparent`).
    let root = match record.trace_id_hex() {
        Some(_) => TraceParent {
            trace_id: record.trace_id,
            span_id: record.span_id,
            sampled: true,
        },
        None => TraceParent::new_root(),
    };
    let scenario = spans.scenario;
    let mut out = vec![span(
        &root,
        None,
        &placed.request,
        KIND_CLIENT,
        epoch_unix,
        vec![
            string("imgwire.scenario", &scenario.label()),
            string("imgwire.protocol", scenario.protocol.name()),
            string("imgwire.payload", scenario.payload.name()),
            string("imgwire.size", &scenario.size.to_string()),
            int("imgwire.worker", record.worker as u64),
            int("imgwire.request_bytes", record.request_bytes as u64),
            int("imgwire.response_bytes", record.response_bytes as u64),
        ],
    )];
    let child = |parent: &TraceParent, p: &Placed, attributes: Vec<Value>| {
        let id = parent.child();
        (
            id,
            span(&id, Some(parent), p, KIND_INTERNAL, epoch_unix, attributes),
        )
    };
    let client = || vec![string("imgwire.side", "client")];
    for made in &placed.made {
        out.push(child(&root, made, client()).1);
    }
    out.push(child(&root, &placed.serialize, client()).1);
    let mut round_trip_attributes = client();
    round_trip_attributes.push(int(
        "imgwire.transport_ns",
        placed.transport.as_nanos() as u64,
    ));
    let (round_trip, round_trip_span) = child(&root, &placed.round_trip, round_trip_attributes);
    out.push(round_trip_span);
    for (_, stage) in &placed.server {
        out.push(child(&round_trip, stage, vec![string("imgwire.side", "server")]).1);
    }
    out.push(child(&root, &placed.response, client()).1);
    out
}

fn span(
    id: &TraceParent,
    parent: Option<&TraceParent>,
    placed: &Placed,
    kind: u8,
    epoch_unix: Duration,
    attributes: Vec<Value>,
) -> Value {
    let start = epoch_unix + placed.start;
    let mut span = json!({
        "traceId": id.trace_id_hex(),
        "spanId": id.span_id_hex(),
        "name": placed.name,
        "kind": kind,
        "startTimeUnixNano": start.as_nanos().to_string(),
        "endTimeUnixNano": (start + placed.duration).as_nanos().to_string(),
        "attributes": attributes,
        "status": {},
    });
    if let Some(parent) = parent {
        span["parentSpanId"] = parent.span_id_hex().into();
    }
    span
}

fn string(key: &str, value: &str) -> Value {
    json!({ "key": key, "value": { "stringValue": value } })
}

/// OTLP JSON writes 64-bit integers as strings.
fn int(key: &str, value: u64) -> Value {
    json!({ "key": key, "value": { "intValue": value.to_string() } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sampler_keeps_its_share_evenly_and_everything_at_one() {
        let kept = |f: f64, n: usize| {
            let mut s = Sampler::new(f);
            (0..n).filter(|_| s.keep()).count()
        };
        assert_eq!(kept(1.0, 1000), 1000);
        assert_eq!(kept(0.1, 1000), 100);
        assert_eq!(kept(0.25, 10), 2);
        let mut s = Sampler::new(0.5);
        let pattern: Vec<bool> = (0..4).map(|_| s.keep()).collect();
        assert_eq!(pattern, [false, true, false, true]);
    }
}
