//! What `imgwire bench --metrics-addr` exports (`metrics` serves it): the
//! counted requests while the run goes (each burst as it ends; a closed or
//! open run's about every second; warm-up left out), by scenario,
//! stage, protocol and shard. One registry per process, started by the first run that asks
//! and kept while the process lives, so a sweep's or tune's runs add to the
//! same counters on the same port.

use crate::client_cpu::{ClientCpu, CpuMark};
use crate::metrics::endpoint;
use crate::metrics::registry::{Batch, Kind, Labels, Registry};
use crate::report::records::RequestRecord;
use crate::report::Scenario;
use crate::run::load::cameras::CameraTally;
use crate::stage::Stage;
use anyhow::{bail, Result};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub const STAGE_SECONDS: &str = "imgwire_stage_seconds";
pub const REQUESTS: &str = "imgwire_requests_total";
pub const ERRORS: &str = "imgwire_errors_total";
pub const SENT_BYTES: &str = "imgwire_sent_bytes_total";
pub const RECEIVED_BYTES: &str = "imgwire_received_bytes_total";
pub const CLIENT_CPU: &str = "imgwire_client_cpu_seconds_total";
pub const ENCODE_CPU: &str = "imgwire_client_encode_cpu_seconds_total";
pub const COUNTED_SECONDS: &str = "imgwire_counted_seconds_total";
pub const FRAMES: &str = "imgwire_frames_total";
pub const SCENARIO_INFO: &str = "imgwire_scenario_info";

const FAMILIES: [(&str, Kind, &str); 10] = [
    (STAGE_SECONDS, Kind::Histogram, "Each counted request's stage durations (wall: the whole request), seconds."),
    (REQUESTS, Kind::Counter, "Counted requests that completed."),
    (ERRORS, Kind::Counter, "Counted requests that failed."),
    (SENT_BYTES, Kind::Counter, "Request bytes of the completed counted requests (bodies as sent)."),
    (RECEIVED_BYTES, Kind::Counter, "Response bytes of the completed counted requests."),
    (CLIENT_CPU, Kind::Counter, "CPU seconds the client's threads used during the scenario's counted run (the built-in server's and relays' left out)."),
    (ENCODE_CPU, Kind::Counter, "The part of the client's CPU seconds its encoder threads used (--encode live and cameras; 0 otherwise): the rest went to transport."),
    (COUNTED_SECONDS, Kind::Counter, "Wall seconds of counted bursts or windows."),
    (FRAMES, Kind::Counter, "A camera run's frames (--streams), by kind: offered, sent, late (ready more than a frame interval after capture), dropped (not sent)."),
    (SCENARIO_INFO, Kind::Gauge, "1 for each scenario run: its size and payload."),
];

/// Client CPU is read at most this often (a reading walks /proc).
const CPU_EVERY: Duration = Duration::from_millis(200);

/// The process's live metrics.
struct Live {
    registry: Arc<Registry>,
    addr: SocketAddr,
    cpu_read: Mutex<Option<Instant>>,
}

static LIVE: OnceLock<Live> = OnceLock::new();

/// Starts serving on `addr` unless this process already does (then `addr`
/// must be the one asked before). Returns the address bound.
pub fn start(addr: SocketAddr) -> Result<SocketAddr> {
    if let Some(live) = LIVE.get() {
        if addr.port() != 0 && addr != live.addr {
            bail!(
                "--metrics-addr {addr}: this process already serves /metrics on {}",
                live.addr
            );
        }
        return Ok(live.addr);
    }
    let registry = Arc::new(Registry::new(&FAMILIES));
    let bound = endpoint::serve(addr, Arc::clone(&registry))?;
    let live = Live {
        registry,
        addr: bound,
        cpu_read: Mutex::new(None),
    };
    Ok(LIVE.get_or_init(|| live).addr)
}

/// Where a counted burst came from.
pub struct BurstSource<'a> {
    pub scenario: &'a Scenario,
    /// The shard's index ("0" when unsharded).
    pub shard: usize,
    /// The process's CPU clocks when the scenario's counted run began.
    pub cpu_start: Option<&'a CpuMark>,
}

/// Adds counted requests: a burst, or what a closed or open run completed
/// in its last `span` of wall time (a no-op unless `start` was called).
pub fn record_counted(
    source: &BurstSource,
    records: &[&RequestRecord],
    errors: usize,
    span: Duration,
) {
    let Some(live) = LIVE.get() else { return };
    let scenario = source.scenario;
    let base = base_labels(source);
    let cpu = live
        .cpu_due()
        .then_some(source.cpu_start)
        .flatten()
        .map(|mark| {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            mark.since(cores)
        });
    let stage_labels = |stage: Stage| {
        let mut labels = base.clone();
        labels.insert(1, ("stage", stage.name().to_string()));
        labels
    };
    let stage_labels: Vec<(Stage, Labels)> =
        Stage::ALL.iter().map(|&s| (s, stage_labels(s))).collect();
    live.registry.update(|batch| {
        for record in records {
            for (stage, duration) in &record.stages {
                if let Some((_, labels)) = stage_labels.iter().find(|(s, _)| s == stage) {
                    batch.observe(STAGE_SECONDS, labels, duration.as_secs_f64());
                }
            }
        }
        let sent: usize = records.iter().map(|r| r.request_bytes).sum();
        let received: usize = records.iter().map(|r| r.response_bytes).sum();
        batch.add(REQUESTS, &base, records.len() as f64);
        batch.add(ERRORS, &base, errors as f64);
        batch.add(SENT_BYTES, &base, sent as f64);
        batch.add(RECEIVED_BYTES, &base, received as f64);
        batch.add(COUNTED_SECONDS, &base, span.as_secs_f64());
        if let Some(cpu) = cpu {
            set_client_cpu(batch, &base, &cpu);
        }
        let mut info = base.clone();
        info.push(("size", scenario.size.to_string()));
        info.push(("payload", scenario.payload.name().to_string()));
        batch.set(SCENARIO_INFO, &info, 1.0);
    });
}

/// A camera run's counts so far (its counted run's), each a `kind`.
pub fn record_frames(source: &BurstSource, tally: CameraTally) {
    let Some(live) = LIVE.get() else { return };
    let base = base_labels(source);
    let kinds = [
        ("offered", tally.offered),
        ("sent", tally.sent),
        ("late", tally.late),
        ("dropped", tally.dropped),
    ];
    live.registry.update(|batch| {
        for (kind, count) in kinds {
            let mut labels = base.clone();
            labels.push(("kind", kind.to_string()));
            batch.set(FRAMES, &labels, count as f64);
        }
    });
}

/// The client's CPU over the scenario's whole counted run, once it ends
/// (the readings between bursts are at most every 200 ms).
pub fn record_client_cpu(source: &BurstSource, cpu: &ClientCpu) {
    let Some(live) = LIVE.get() else { return };
    let labels = base_labels(source);
    live.registry
        .update(|batch| set_client_cpu(batch, &labels, cpu));
}

/// The client's CPU seconds so far, and the encoder threads' part of them.
fn set_client_cpu(batch: &mut Batch, labels: &Labels, cpu: &ClientCpu) {
    batch.set(CLIENT_CPU, labels, cpu.cpu_s);
    batch.set(ENCODE_CPU, labels, cpu.encode_cpu_s);
}

fn base_labels(source: &BurstSource) -> Labels {
    vec![
        ("scenario", source.scenario.label()),
        ("protocol", source.scenario.protocol.name().to_string()),
        ("shard", source.shard.to_string()),
    ]
}

/// How long the end of a run waits after its last scrape's answer left
/// the registry, for the connection to write it out.
const SEND_GRACE: Duration = Duration::from_millis(100);

/// The longest a run's end waits for a last scrape.
const LINGER_CAP: Duration = Duration::from_secs(60);

/// Once the run is over: where something has scraped `/metrics` during the
/// run, keeps serving until it scrapes once more after the last update (so
/// the final figures reach it), waiting at most twice the interval seen
/// between its scrapes plus a second (and never over a minute). Returns
/// whether it waited for one.
pub fn linger() -> bool {
    let Some(live) = LIVE.get() else { return false };
    let times = live.registry.times();
    let (Some(updated), [Some(last), previous]) = (times.updated, times.rendered) else {
        return false;
    };
    if last > updated {
        return false;
    }
    let interval = previous.map_or(Duration::from_secs(15), |p| last.duration_since(p));
    let deadline = Instant::now() + (interval * 2 + Duration::from_secs(1)).min(LINGER_CAP);
    while Instant::now() < deadline {
        let times = live.registry.times();
        let rendered_after = times.rendered[0].filter(|at| *at > updated);
        if rendered_after.is_some_and(|at| times.sent.is_some_and(|sent| sent >= at)) {
            // The body is handed to hyper; give it a moment to reach the socket.
            std::thread::sleep(SEND_GRACE);
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

impl Live {
    /// Whether the client's CPU should be read again now.
    fn cpu_due(&self) -> bool {
        let mut last = self.cpu_read.lock().unwrap_or_else(|e| e.into_inner());
        let due = last.is_none_or(|at| at.elapsed() >= CPU_EVERY);
        if due {
            *last = Some(Instant::now());
        }
        due
    }
}
