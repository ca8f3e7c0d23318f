//! The OTLP/HTTP JSON receiver behind `--collect-traces`: `POST /v1/traces`
//! on a thread and single-threaded runtime of its own (named `traces-*`, so
//! its CPU is not counted as the client's), holding each trace's Triton
//! timestamps until a join takes them. Bounded: a body of at most
//! [`MAX_BODY_BYTES`] (gzip'd or not), at most [`MAX_TRACES`] traces held;
//! what is past a bound is refused or dropped and counted, never a reason to
//! stop the run.

use super::otlp_json;
use super::triton::Timeline;
use crate::net::own_thread::serve_on_own_thread;
use anyhow::{bail, Result};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::post;
use http::{HeaderMap, StatusCode};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::Notify;

/// The largest export body taken (after gzip); OTLP exporters send
/// batches of a few MB at most.
pub const MAX_BODY_BYTES: usize = 64 << 20;
/// The most traces held between two joins (about 60 bytes each).
pub const MAX_TRACES: usize = 1_000_000;

/// What the receiver holds and has counted.
#[derive(Default)]
struct Held {
    timelines: HashMap<[u8; 16], Timeline>,
    /// A request's id -> the trace the server recorded it under, where the
    /// two differ (Triton did not take the request's `traceparent`).
    traced_as: HashMap<[u8; 16], [u8; 16]>,
    /// Traces dropped because [`MAX_TRACES`] were held.
    dropped: u64,
    /// Exports refused: not JSON, not OTLP, too large.
    refused_exports: u64,
}

struct Shared {
    held: Mutex<Held>,
    arrived: Notify,
}

/// A running receiver; it lives as long as the process.
pub struct TraceCollector {
    shared: Arc<Shared>,
    /// The URL a server's exporter sends to.
    pub url: String,
}

/// The process's receiver: a sweep's or tune's runs share it.
static COLLECTOR: OnceLock<(SocketAddr, TraceCollector)> = OnceLock::new();

impl TraceCollector {
    /// The process's receiver on `addr`, started by the first run that
    /// asks (then `addr` must be the one asked before).
    pub fn on(addr: SocketAddr) -> Result<&'static TraceCollector> {
        if let Some((asked, collector)) = COLLECTOR.get() {
            if addr != *asked {
                bail!(
                    "--collect-traces {addr}: this process already receives traces at {}",
                    collector.url
                );
            }
            return Ok(collector);
        }
        let collector = TraceCollector::start(addr)?;
        Ok(&COLLECTOR.get_or_init(|| (addr, collector)).1)
    }

    /// Listens on `addr` (port 0: any free port; give the server a fixed
    /// one) and receives on a thread of its own.
    fn start(addr: SocketAddr) -> Result<TraceCollector> {
        let shared = Arc::new(Shared {
            held: Mutex::new(Held::default()),
            arrived: Notify::new(),
        });
        let app = axum::Router::new()
            .route("/v1/traces", post(receive))
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(Arc::clone(&shared));
        let bound = serve_on_own_thread(addr, app, "traces-receiver", "--collect-traces")?;
        Ok(TraceCollector {
            shared,
            url: format!("http://{bound}/v1/traces"),
        })
    }

    /// Where the traces come from, in words, with what was dropped.
    pub fn describe(&self) -> String {
        let held = self.shared.held.lock().expect("trace lock");
        let mut source = format!("OTLP/HTTP JSON received at {}", self.url);
        if held.dropped > 0 {
            source.push_str(&format!(
                " ({} traces dropped: more than {MAX_TRACES} held)",
                held.dropped
            ));
        }
        if held.refused_exports > 0 {
            source.push_str(&format!(
                " ({} exports refused: not OTLP JSON, or over {} MiB)",
                held.refused_exports,
                MAX_BODY_BYTES >> 20
            ));
        }
        source
    }

    /// Whether every one of `wanted` has a complete timeline.
    pub(super) fn holds_complete(&self, wanted: &[[u8; 16]]) -> bool {
        let held = self.shared.held.lock().expect("trace lock");
        wanted.iter().all(|id| {
            held.timeline_of(id)
                .is_some_and(|timeline| timeline.stages().is_ok())
        })
    }

    /// Resolves when the next export arrives.
    pub(super) async fn arrival(&self) {
        self.shared.arrived.notified().await
    }

    /// Every timeline held, by the id of the request it is of, leaving none.
    pub(super) fn take_all(&self) -> HashMap<[u8; 16], Timeline> {
        let mut held = self.shared.held.lock().expect("trace lock");
        let mut timelines = std::mem::take(&mut held.timelines);
        for (request, trace) in std::mem::take(&mut held.traced_as) {
            if let Some(timeline) = timelines.remove(&trace) {
                timelines.insert(request, timeline);
            }
        }
        timelines
    }
}

impl Held {
    /// The timeline of the request `id`: under its own trace, or the one
    /// the server recorded it under.
    fn timeline_of(&self, id: &[u8; 16]) -> Option<&Timeline> {
        let trace = self.traced_as.get(id).unwrap_or(id);
        self.timelines.get(trace)
    }
}

/// `POST /v1/traces`: an `ExportTraceServiceRequest` in JSON, plain or gzip'd.
async fn receive(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let answer = match (header("content-type"), header("content-encoding")) {
        (kind, _) if kind.contains("protobuf") => Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "imgwire --collect-traces reads OTLP/HTTP JSON: set the exporter's protocol to \
             http/json",
        )),
        (_, "gzip") => crate::wire::gzip::decompress(&body, MAX_BODY_BYTES)
            .map_err(|_| (StatusCode::BAD_REQUEST, "the gzip'd body did not inflate"))
            .and_then(|plain| hold(&shared, &plain)),
        (_, "" | "identity") => hold(&shared, &body),
        _ => Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "imgwire --collect-traces takes gzip or no content encoding",
        )),
    };
    match answer {
        Ok(()) => {
            shared.arrived.notify_waiters();
            (StatusCode::OK, "{}")
        }
        Err(refusal) => {
            shared.held.lock().expect("trace lock").refused_exports += 1;
            refusal
        }
    }
}

/// Keeps the Triton timestamps of one export's spans.
fn hold(shared: &Shared, body: &[u8]) -> Result<(), (StatusCode, &'static str)> {
    let (spans, _unreadable) = otlp_json::parse(body)
        .map_err(|_| (StatusCode::BAD_REQUEST, "not an OTLP JSON trace export"))?;
    let mut held = shared.held.lock().expect("trace lock");
    for span in spans {
        let new = !held.timelines.contains_key(&span.trace_id);
        if new && held.timelines.len() >= MAX_TRACES {
            held.dropped += 1;
            continue;
        }
        if let Some(request) = span.request_id.filter(|id| *id != span.trace_id) {
            held.traced_as.insert(request, span.trace_id);
        }
        let timeline = held.timelines.entry(span.trace_id).or_default();
        for (name, at) in &span.events {
            timeline.take(name, *at);
        }
    }
    Ok(())
}
