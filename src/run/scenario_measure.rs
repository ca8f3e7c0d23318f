//! Measuring one scenario: its warm-up (until stable) and counted bursts or
//! windows, the socket byte counters around the counted ones, and the CPU
//! profiler over them.

use crate::client_cpu::{ClientCpu, CpuMark};
use crate::net::byte_count::WireBytes;
use crate::profile::{write_profiles, ProfileSummary, Sampler, SideProfile, StackView};
use crate::report::load_figures::LoadFigures;
use crate::report::otlp;
use crate::report::records::{BurstResult, RequestRecord};
use crate::report::server_stats::ServerStats;
use crate::report::server_trace_join::ServerTraceJoin;
use crate::report::trace::Trace;
use crate::report::{Scenario, ScenarioReport};
use crate::run::burst::RequestPlan;
use crate::run::live_metrics;
use crate::run::load::Load;
use crate::run::plan::{BenchPlan, FlamegraphPlan, TargetPlan};
use crate::run::prepare::FramePool;
use crate::run::scenario_fold::ScenarioRun;
use crate::run::schedule::Slot;
use crate::server_trace::TraceCollector;
use crate::stage::Stage;
use crate::target::{StatsReading, StatsSource};
use crate::transport::remote_profile;
use anyhow::{anyhow, Result};
use tokio::task::JoinHandle;

/// What one scenario needs besides the plan.
pub struct ScenarioInputs<'a> {
    pub scenario: Scenario,
    pub requests: RequestPlan,
    pub pool: Option<&'a FramePool>,
    /// The frames' content as the report names it.
    pub content: String,
    /// The target's own statistics, read around the counted bursts.
    pub stats: Option<&'a StatsSource>,
    /// The server's own trace, joined to the counted requests after their
    /// run (`--collect-traces`).
    pub traces: Option<&'a TraceCollector>,
    pub progress: &'a crate::run::progress::RunProgress,
    /// The scenario's slot where `--start-at` gave the run a schedule.
    pub slot: Option<Slot>,
}

/// A scenario's report, and the error that stopped the run after it (the
/// report still holds what was measured before).
pub struct ScenarioOutcome {
    pub report: ScenarioReport,
    pub fatal: Option<anyhow::Error>,
}

/// Runs the scenario's bursts, profiles the counted ones where asked, adds
/// them to `trace` where one is kept, and folds them into a report.
pub async fn run_scenario(
    plan: &BenchPlan,
    inputs: ScenarioInputs<'_>,
    trace: Option<&mut Trace>,
) -> ScenarioOutcome {
    let mut bursts = Bursts::default();
    if let Some(dir) = plan.outputs.save_requests() {
        bursts.fatal = save_first_request(dir, &inputs).await.err();
    }
    let (profiler, figures) = run_load(plan, &inputs, &mut bursts).await;
    let slot_timing = (inputs.slot.zip(bursts.counted_started))
        .map(|(slot, started)| slot.timing(started, std::time::SystemTime::now()));
    let server_trace = join_server_trace(plan, &inputs, &mut bursts.counted).await;
    if let Some(dir) = plan.outputs.raw_latencies() {
        let written = write_raw_latencies(dir, &inputs.scenario, &bursts.counted);
        bursts.fatal = bursts.fatal.take().or(written.err());
    }
    let (wire, server_wire) = bursts.wire_since_start(&inputs.requests).await;
    let server_stats = match (inputs.stats, bursts.stats_start.take()) {
        (Some(stats), Some(before)) => Some(server_stats_since(stats, before).await),
        _ => None,
    };
    if let Some(trace) = trace {
        trace.add_scenario(&inputs.scenario.label(), &bursts.warmup, &bursts.counted);
    }
    let otlp_error = export_otlp(plan, &inputs, &bursts.counted).err();
    bursts.fatal = bursts.fatal.take().or(otlp_error);
    let mut report = ScenarioRun {
        scenario: inputs.scenario,
        encoder: plan.frames.encoder,
        content: inputs.content,
        pool: inputs.pool,
        warmup: bursts.warmup,
        counted: bursts.counted,
        wire,
        server_wire,
    }
    .into_report();
    report.server_stats = server_stats;
    report.server_trace = server_trace;
    report.client_cpu = bursts.client_cpu;
    report.schedule = slot_timing;
    report.load = figures;
    if let Some(corrected) = report.load.latency_corrected_histogram.take() {
        report.histograms.insert(
            crate::report::histogram::LATENCY_CORRECTED.into(),
            corrected,
        );
    }
    report.load.throughput_rps = report.throughput.requests_per_s;
    if report.requests == 0 {
        // No figures: nothing to judge stable, and the reason in their place.
        report.load.stable = None;
        report.failure = Some(match &bursts.fatal {
            Some(e) => format!("{e:#}"),
            None => report
                .error_examples
                .first()
                .cloned()
                .unwrap_or_else(|| "no request completed".into()),
        });
    }
    let mut fatal = bursts.fatal;
    if let (Some(profiler), Some(flamegraph)) = (profiler, plan.outputs.flamegraph()) {
        let stem = inputs.scenario.file_stem();
        match profiler
            .finish(&flamegraph, &stem, report.dominant_stage)
            .await
        {
            Ok(summary) => {
                let trace = plan.outputs.trace().map(|t| t.path.as_path());
                report.profile = Some(summary.with_trace(trace));
            }
            Err(e) => fatal = fatal.or(Some(e)),
        }
    }
    ScenarioOutcome { report, fatal }
}

/// Gives the counted requests their server stages from the server's own
/// trace, where `--collect-traces` receives one.
async fn join_server_trace(
    plan: &BenchPlan,
    inputs: &ScenarioInputs<'_>,
    counted: &mut [BurstResult],
) -> Option<ServerTraceJoin> {
    let traces = inputs.traces?;
    Some(traces.join(counted, plan.targets.collect_traces_wait).await)
}

/// The scenario's warm-up, until stable or capped, then its counted bursts
/// or windows; the profiler runs over the counted ones where asked.
async fn run_load(
    plan: &BenchPlan,
    inputs: &ScenarioInputs<'_>,
    bursts: &mut Bursts,
) -> (Option<Profiler>, LoadFigures) {
    let load = Load {
        plan: &plan.load,
        requests: &inputs.requests,
    };
    if let Some(slot) = inputs.slot {
        Slot::wait_for(slot.start).await;
    }
    let window_fits = || inputs.slot.is_none_or(|slot| slot.warmup_window_fits());
    while bursts.fatal.is_none() && load.keeps_warming(&bursts.warmup) && window_fits() {
        let result = load.warmup_unit(bursts.warmup.len()).await;
        inputs.progress.burst_done(result.elapsed);
        bursts.fatal = every_request_failed(plan, inputs.scenario.protocol, &result);
        bursts.warmup.push(result);
    }
    if let Some(slot) = inputs.slot {
        keep_warm_until_counted(&load, &slot, bursts.warmup.len()).await;
    }
    let mut profiler = None;
    if bursts.fatal.is_none() {
        profiler = bursts.start_counting(plan, inputs).await;
    }
    let mut figures = LoadFigures::default();
    if bursts.fatal.is_none() {
        let protocol = inputs.scenario.protocol;
        let mut fatal = None;
        bursts.counted_started = Some(std::time::SystemTime::now());
        let live = live_metrics::BurstSource {
            scenario: &inputs.scenario,
            shard: plan.shard.index,
            cpu_start: bursts.cpu_start.as_ref(),
        };
        let mut record_live = |records: &[&RequestRecord], errors: usize, span, cameras| {
            live_metrics::record_counted(&live, records, errors, span);
            if let Some(tally) = cameras {
                live_metrics::record_frames(&live, tally);
            }
        };
        let counted = load
            .counted(bursts.warmup.len(), &mut record_live, |burst| {
                inputs.progress.burst_done(burst.elapsed);
                fatal = every_request_failed(plan, protocol, burst);
                fatal.is_some()
            })
            .await;
        bursts.client_cpu = bursts
            .cpu_start
            .as_ref()
            .map(|mark| mark.since(client_cores()));
        if let Some(cpu) = &bursts.client_cpu {
            live_metrics::record_client_cpu(&live, cpu);
        }
        bursts.fatal = fatal;
        bursts.counted = counted.bursts;
        figures = counted.figures;
    }
    figures.stable = load.stability(&bursts.warmup);
    figures.warmup_extra = bursts.warmup.len().saturating_sub(plan.load.warmup_bursts);
    figures.concurrency = plan.load.concurrency;
    (profiler, figures)
}

/// Under a schedule, a warm-up that ended early goes on with uncounted
/// windows while a whole one fits before the planned counted start (so the
/// server is not left idle), then waits for that start.
async fn keep_warm_until_counted(load: &Load<'_>, slot: &Slot, first_frame: usize) {
    let mut index = first_frame;
    while slot.warmup_window_fits() {
        load.warmup_unit(index).await;
        index += 1;
    }
    Slot::wait_for(slot.counted_start).await;
}

/// A burst in which no request succeeded stops the run: the server is down
/// or refuses everything, and more bursts would only repeat it.
fn every_request_failed(
    plan: &BenchPlan,
    protocol: crate::protocol::Protocol,
    result: &BurstResult,
) -> Option<anyhow::Error> {
    let first = result
        .errors
        .first()
        .filter(|_| result.records.is_empty())?;
    let whose = match plan.targets.url(protocol) {
        Some(url) => format!("the server at {} ({url})", TargetPlan::flag(protocol)),
        None => "the built-in server".to_string(),
    };
    Some(anyhow!(
        "every {} request of a burst to {whose} failed, so the run stopped: {first}",
        protocol.label(),
    ))
}

/// The bursts of one scenario as they come in.
#[derive(Default)]
struct Bursts {
    warmup: Vec<BurstResult>,
    counted: Vec<BurstResult>,
    /// Client and server socket counters when the counted bursts began.
    wire_start: Option<(WireBytes, Option<WireBytes>)>,
    /// The target's own counters when the counted bursts began.
    stats_start: Option<Result<StatsReading>>,
    /// The process's CPU clocks when the counted bursts began, and the
    /// client's use over them.
    cpu_start: Option<CpuMark>,
    client_cpu: Option<ClientCpu>,
    /// When the counted bursts began, on this machine's clock.
    counted_started: Option<std::time::SystemTime>,
    fatal: Option<anyhow::Error>,
}

/// The cores the client can run on (the built-in server shares them).
fn client_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Bursts {
    /// Reads the counters the counted bursts are measured against and
    /// starts the profiler where asked (None, or `fatal` set, otherwise).
    async fn start_counting(
        &mut self,
        plan: &BenchPlan,
        inputs: &ScenarioInputs<'_>,
    ) -> Option<Profiler> {
        self.wire_start = Some(settled_wire_now(&inputs.requests).await);
        if let Some(stats) = inputs.stats {
            self.stats_start = Some(stats.read().await);
        }
        self.cpu_start = Some(CpuMark::now());
        let flamegraph = plan.outputs.flamegraph()?;
        Profiler::start(&flamegraph, &self.warmup, plan)
            .map_err(|e| self.fatal = Some(e))
            .ok()
    }

    /// What the client's (and the built-in server's) sockets moved during
    /// the counted bursts.
    async fn wire_since_start(&self, requests: &RequestPlan) -> (WireBytes, Option<WireBytes>) {
        let Some((client, server)) = self.wire_start else {
            return Default::default();
        };
        let (client_now, server_now) = settled_wire_now(requests).await;
        (
            client_now.since(client),
            server_now.zip(server).map(|(now, then)| now.since(then)),
        )
    }
}

/// `--raw-latencies DIR`: every counted request's wall latency, one a line,
/// in `DIR/SCENARIO.txt`.
fn write_raw_latencies(
    dir: &std::path::Path,
    scenario: &Scenario,
    counted: &[BurstResult],
) -> Result<()> {
    use std::fmt::Write;
    let mut text = String::new();
    for record in counted.iter().flat_map(|b| &b.records) {
        let wall = crate::report::summary::nanos(record.stage(Stage::Wall));
        writeln!(text, "{wall}").expect("writing to a String cannot fail");
    }
    let path = dir.join(format!("{}.txt", scenario.file_stem()));
    crate::output::OutputPath::new(path, "--raw-latencies").write(text.as_bytes())
}

/// `--export-otlp`: the scenario's counted requests, sampled, appended.
fn export_otlp(plan: &BenchPlan, inputs: &ScenarioInputs, counted: &[BurstResult]) -> Result<()> {
    let Some(path) = plan.outputs.otlp() else {
        return Ok(());
    };
    let spans = otlp::ScenarioSpans {
        scenario: &inputs.scenario,
        shard: plan.shard.index,
        counted,
        epoch: inputs.requests.epoch,
    };
    let sampler = &mut otlp::Sampler::new(plan.outputs.trace_sample);
    otlp::append(path, &spans, sampler).map(drop)
}

/// `--save-requests`: the scenario's first request, as it will be sent
/// (under `--encode live`, with frame 0 made and encoded as a request's).
async fn save_first_request(dir: &std::path::Path, inputs: &ScenarioInputs<'_>) -> Result<()> {
    let requests = &inputs.requests;
    let carries_image = requests.payload.carries_image();
    let live = match (&requests.live, carries_image) {
        (Some(live), true) => Some(live.frame(0).await?.image),
        _ => None,
    };
    let image = live.as_ref().or(requests.images.first());
    let image = image.filter(|_| carries_image);
    let request = requests
        .target
        .serialize(requests.protocol, requests.payload, image)?;
    crate::run::replay::save_request(dir, &inputs.scenario, &request)
}

/// The server's own figures for the counted bursts: its counters now, less
/// `before`. A failed reading is reported in place of the figures.
async fn server_stats_since(stats: &StatsSource, before: Result<StatsReading>) -> ServerStats {
    let source = stats.describe();
    match (before, stats.read().await) {
        (Ok(before), Ok(after)) => after.since(&before, source),
        (Err(e), _) | (_, Err(e)) => ServerStats::failed(source, format!("{e:#}")),
    }
}

/// The counters once the built-in server's have caught up: it counts an
/// answer's bytes when its write returns, which can be after the client
/// has read them and finished the burst, so the server's sent count may lag
/// what the client received by the last answers. Waits (200 ms at most,
/// then takes what it has) until it does not.
async fn settled_wire_now(requests: &RequestPlan) -> (WireBytes, Option<WireBytes>) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(200);
    loop {
        let (client, server) = wire_now(requests);
        let caught_up = server.is_none_or(|server| server.sent >= client.received);
        if caught_up || std::time::Instant::now() >= deadline {
            return (client, server);
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}

fn wire_now(requests: &RequestPlan) -> (WireBytes, Option<WireBytes>) {
    (
        requests.client.wire_bytes(),
        requests.server_wire.as_ref().map(|c| c.read()),
    )
}

/// The sampler over this process, and the remote server's profile being
/// fetched alongside when the REST target is remote.
struct Profiler {
    sampler: Sampler,
    remote: Option<JoinHandle<Result<Vec<u8>>>>,
}

impl Profiler {
    fn start(
        flamegraph: &FlamegraphPlan,
        warmup: &[BurstResult],
        plan: &BenchPlan,
    ) -> Result<Self> {
        let remote = plan.targets.rest_url.clone().map(|url| {
            let seconds = profile_window(warmup, plan.load.bursts);
            let side = crate::transport::http_get::SideGet::of(&plan.client);
            tokio::spawn(async move { remote_profile::fetch_remote(&url, seconds, &side).await })
        });
        Ok(Profiler {
            sampler: Sampler::start(flamegraph.hz)?,
            remote,
        })
    }

    async fn finish(
        self,
        flamegraph: &FlamegraphPlan,
        stem: &str,
        dominant: Option<Stage>,
    ) -> Result<ProfileSummary> {
        let report = self.sampler.stop()?;
        let server = match self.remote {
            None => SideProfile::Local,
            Some(task) => SideProfile::Remote(match task.await {
                Ok(result) => result,
                Err(e) => Err(anyhow!("the profile fetch failed: {e}")),
            }),
        };
        let (dir, hz) = (&flamegraph.dir, flamegraph.hz);
        let view = StackView {
            threads: flamegraph.threads,
            frames: flamegraph.frames,
        };
        write_profiles(&report, server, dir, stem, hz, dominant, view)
    }
}

/// Seconds of remote profile to ask for: what the counted bursts should take,
/// judged from the warm-up bursts (at least 1 s, at most 300 s).
fn profile_window(warmup: &[BurstResult], bursts: usize) -> u64 {
    let per_burst =
        warmup.iter().map(|b| b.elapsed.as_secs_f64()).sum::<f64>() / warmup.len().max(1) as f64;
    (per_burst * bursts as f64).ceil().clamp(1.0, 300.0) as u64
}
