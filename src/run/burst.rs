//! The seed's load model: bursts of C concurrent requests. One request is a
//! row of stages (serialize, transport, the server's, response); a burst is
//! timed from the first serialization to the last response parsed.

use crate::protocol::Protocol;
use crate::report::records::{check_fits, BurstResult, RequestRecord, TimingWarning};
use crate::run::live_encode::{LiveEncoder, LiveFrame};
use crate::stage::Stage;
use crate::target::TargetWire;
use crate::trace_context::TraceParent;
use crate::transport::Client;
use crate::wire::server_timing::ServerTimings;
use crate::wire::EncodedImage;
use crate::wire::PayloadKind;
use anyhow::Result;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What every request of a scenario shares.
#[derive(Clone)]
pub struct RequestPlan {
    pub client: Arc<Client>,
    /// Whose requests and answers: imgwire's, the seed's, a v2 server's...
    pub target: Arc<dyn TargetWire>,
    pub protocol: Protocol,
    pub payload: PayloadKind,
    pub images: Arc<Vec<EncodedImage>>,
    /// The instant every `started` is measured from.
    pub epoch: Instant,
    /// The built-in server's byte counters for this protocol (None when remote).
    pub server_wire: Option<Arc<crate::net::byte_count::WireCounters>>,
    /// Each request carries a fresh W3C `traceparent` (`trace_context`).
    pub traceparent: bool,
    /// `--encode live`: the encoder threads that make each request's frame
    /// at send time (None: requests take `images`, encoded before the run).
    pub live: Option<Arc<LiveEncoder>>,
}

/// The image a request carries: none, the pool's, or its own made live.
enum Carried<'a> {
    Nothing,
    Pooled(&'a EncodedImage),
    Live(LiveFrame),
}

impl Carried<'_> {
    /// Frame `frame` of the pool, or made and encoded now (`--encode live`).
    async fn of(plan: &RequestPlan, frame: usize) -> Result<Carried<'_>> {
        if !plan.payload.carries_image() {
            return Ok(Carried::Nothing);
        }
        if let Some(live) = &plan.live {
            return Ok(Carried::Live(live.frame(frame).await?));
        }
        Ok(match plan.images.len() {
            0 => Carried::Nothing,
            n => Carried::Pooled(&plan.images[frame % n]),
        })
    }

    fn image(&self) -> Option<&EncodedImage> {
        match self {
            Carried::Nothing => None,
            Carried::Pooled(image) => Some(image),
            Carried::Live(frame) => Some(&frame.image),
        }
    }

    /// A live frame's stages, ahead of the request's own: `generate`, then
    /// `encode` (the wait for a free encoder thread and the encoding).
    fn stages(&self) -> Option<[(Stage, Duration); 2]> {
        let Carried::Live(frame) = self else {
            return None;
        };
        Some([
            (Stage::Generate, frame.generate),
            (Stage::Encode, frame.waited + frame.encode),
        ])
    }
}

/// Runs one burst of `concurrency` requests; `burst` picks frames from the pool.
pub async fn run_burst(plan: &RequestPlan, concurrency: usize, burst: usize) -> BurstResult {
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|worker| {
            let plan = plan.clone();
            let frame = burst * concurrency + worker;
            tokio::spawn(async move { one_request(&plan, worker, frame).await })
        })
        .collect();
    let mut result = BurstResult {
        started: start.duration_since(plan.epoch),
        elapsed: Duration::ZERO,
        span: Duration::ZERO,
        records: Vec::with_capacity(concurrency),
        errors: Vec::new(),
    };
    for task in tasks {
        match task.await {
            Ok(Ok(record)) => result.records.push(record),
            Ok(Err(err)) => result.errors.push(format!("{err:#}")),
            Err(join) => result.errors.push(format!("request task failed: {join}")),
        }
    }
    result.elapsed = start.elapsed();
    result.span = result.elapsed;
    result
}

/// One request, from its frame (made live, or taken from the pool) to its
/// answer parsed, and the stages of its wall time.
pub(crate) async fn one_request(
    plan: &RequestPlan,
    worker: usize,
    frame: usize,
) -> Result<RequestRecord> {
    let start = Instant::now();
    let carried = Carried::of(plan, frame).await?;
    let image = carried.image();
    let serialize_start = Instant::now();
    // The tcp floor has no headers to carry one.
    let trace = (plan.traceparent && plan.protocol != Protocol::Tcp).then(TraceParent::new_root);
    let request =
        plan.target
            .serialize_traced(plan.protocol, plan.payload, image, trace.as_ref())?;
    let serialized = serialize_start.elapsed();
    let request_bytes = request.body.len();
    let exchange = plan.client.call(worker, request).await?;
    let parse_start = Instant::now();
    let sent = image.map(|i| &i.meta);
    plan.target
        .parse_response(plan.protocol, plan.payload, &exchange.body, sent)?;
    // One reading ends both the response stage and the request's wall time.
    let end = Instant::now();
    let (response, wall) = (end.duration_since(parse_start), end.duration_since(start));

    let mut record = RequestRecord {
        worker,
        started: start.duration_since(plan.epoch),
        roundtrip: exchange.roundtrip,
        request_bytes,
        response_bytes: exchange.body.len(),
        image_bytes: image.map_or(0, |i| i.bytes.len()),
        ..RequestRecord::default()
    };
    if let Some(trace) = trace {
        (record.trace_id, record.span_id) = (trace.trace_id, trace.span_id);
    }
    let parsed = exchange.server_timing.as_deref().map(ServerTimings::parse);
    let checked = parsed.map(|timings| {
        let timings = timings?;
        let answered = exchange.trace_response.as_ref().map(|v| v.as_bytes());
        check_trace_response(trace.as_ref(), answered)?;
        let server_total = timings
            .entries()
            .iter()
            .fold(Duration::ZERO, |sum, (_, d)| sum.saturating_add(*d));
        check_fits(server_total, exchange.roundtrip)?;
        Ok::<_, TimingWarning>(timings)
    });
    let server = match checked {
        Some(Ok(timings)) => timings,
        Some(Err(problem)) => {
            record.timing_warning = Some(problem);
            ServerTimings::default()
        }
        None => ServerTimings::default(),
    };
    let client = ClientTimes {
        made: carried.stages(),
        serialized,
        roundtrip: exchange.roundtrip,
        response,
        wall,
    };
    record.stages = client.stages(&server);
    Ok(record)
}

/// What the client timed of one request.
struct ClientTimes {
    /// A live frame's `generate` and `encode`.
    made: Option<[(Stage, Duration); 2]>,
    serialized: Duration,
    roundtrip: Duration,
    response: Duration,
    wall: Duration,
}

impl ClientTimes {
    /// Generate and encode (live frames), serialize, transport, the
    /// server's, response, residual, wall: one allocation.
    fn stages(&self, server: &ServerTimings) -> Vec<(Stage, Duration)> {
        let mut stages = Vec::with_capacity(7 + server.entries().len());
        stages.extend(self.made.iter().flatten().copied());
        stages.push((Stage::Serialize, self.serialized));
        let transport = self.roundtrip.saturating_sub(server.total());
        stages.push((Stage::Transport, transport));
        stages.extend_from_slice(server.entries());
        stages.push((Stage::Response, self.response));
        let attributed: Duration = stages.iter().map(|(_, d)| *d).sum();
        stages.push((Stage::Residual, self.wall.saturating_sub(attributed)));
        stages.push((Stage::Wall, self.wall));
        stages
    }
}

/// An answer's `traceresponse` must be of the trace its request carried:
/// a server that answers with another's has mixed requests up, and its
/// stages may be another request's.
/// Compared as text (version and trace id in place), so an answer costs
/// no parse.
fn check_trace_response(
    sent: Option<&TraceParent>,
    answered: Option<&[u8]>,
) -> Result<(), TimingWarning> {
    let (Some(sent), Some(answered)) = (sent, answered) else {
        return Ok(());
    };
    let own = sent.encode();
    match answered.len() == own.len() && answered[..35] == own[..35] {
        true => Ok(()),
        false => Err(TimingWarning::OtherTrace {
            sent: sent.trace_id_hex(),
            answered: String::from_utf8_lossy(&answered[..answered.len().min(80)]).into_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_of_another_trace_is_a_timing_warning() {
        let sent = TraceParent::new_root();
        let own = sent.child().to_string();
        let other = TraceParent::new_root().to_string();
        let check = |answered: &str| check_trace_response(Some(&sent), Some(answered.as_bytes()));
        assert_eq!(check(&own), Ok(()));
        assert_eq!(check_trace_response(Some(&sent), None), Ok(()));
        assert_eq!(check_trace_response(None, Some(other.as_bytes())), Ok(()));
        let other_version = own.replacen("00", "01", 1);
        for wrong in [other.as_str(), "garbage", &other_version] {
            let warning = check(wrong).unwrap_err();
            assert!(
                warning.to_string().contains(&sent.trace_id_hex()),
                "{warning}"
            );
        }
    }
}
