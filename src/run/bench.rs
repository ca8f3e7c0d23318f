//! `imgwire bench`: starts the built-in servers (unless pointed elsewhere),
//! runs the plan's scenario matrix under the burst load, and writes each
//! scenario's results as soon as it finishes, so an interrupted run keeps
//! what it measured.

use crate::encoders::EncoderKind;
use crate::frame::Size;
use crate::net::threads::thread_namer;
use crate::protocol::Protocol;
use crate::report::table::{View, WIDTH};
use crate::report::{
    color_wanted, paint, table, BenchReport, ScenarioReport, Settings, SCHEMA_VERSION,
};
use crate::run::burst::RequestPlan;
use crate::run::endpoints::Endpoints;
use crate::run::foreign;
use crate::run::live_encode::LiveEncoder;
use crate::run::outputs::RunOutputs;
use crate::run::plan::{BenchPlan, EncodeMode, FramesOn, LoadModel, OutputPlan, Tables};
use crate::run::prepare::{prepare_pool, FramePool, FrameSource};
use crate::run::progress::RunProgress;
use crate::run::scenario_fold::{matrix, not_applicable};
use crate::run::scenario_measure::{run_scenario, ScenarioInputs};
use crate::run::schedule::Schedule;
use crate::server_trace::TraceCollector;
use crate::transport::Client;
use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Arc;

/// Called with the report after every change, for outputs beyond the run's
/// own (a sweep's `--export-json`).
pub type Progress<'a> = dyn FnMut(&BenchReport) -> Result<()> + 'a;

/// Runs the plan's matrix once, prints its tables, and returns the report.
pub fn run(plan: &BenchPlan) -> Result<BenchReport> {
    measure(plan, &mut |_| Ok(()))
}

/// Runs the plan's matrix once; `progress` sees the report as it grows.
/// The plan is checked again (`BenchPlan::check`) for plans built or
/// changed elsewhere than `BenchArgs::plan` (a sweep's points, tune's trials).
/// A run that stopped, or whose requests failed, is an error naming why.
pub fn measure(plan: &BenchPlan, progress: &mut Progress) -> Result<BenchReport> {
    let (report, stopped) = measure_to_end(plan, progress)?;
    stopped?;
    check_errors(&report)?;
    Ok(report)
}

/// Runs the plan's matrix once, as `measure` does, but returns the report
/// also where the run stopped (the error beside it) or requests failed
/// (counted in it): for a caller that judges such runs itself (the camera
/// capacity sweep). Errors before anything ran (no GPU, no server) are
/// still errors.
pub fn measure_to_end(
    plan: &BenchPlan,
    progress: &mut Progress,
) -> Result<(BenchReport, Result<()>)> {
    plan.check()?;
    crate::interrupt::set_note("no scenario had finished yet".into());
    // Before any server starts: without a GPU, one clear line.
    if plan.frames.encoder == EncoderKind::Nvjpeg {
        crate::gpu::probe(crate::gpu::GpuUse::Encoder)?;
    }
    if plan.frames.frames_on == FramesOn::Gpu {
        crate::gpu::probe(crate::gpu::GpuUse::Frames)?;
    }
    if plan.uses_builtin_servers() {
        crate::server::check_decoder_available(plan.server.decoder)?;
    }
    let mut outputs = RunOutputs::start(&plan.outputs)?;
    if let Some(addr) = plan.outputs.metrics_addr {
        let bound = crate::run::live_metrics::start(addr)?;
        eprintln!("imgwire: serving live metrics on http://{bound}/metrics");
    }
    let source = FrameSource::open(&plan.frames)?;
    let targets = Endpoints::start(plan)?;
    let mut report = new_report(plan, &source, &targets);
    let mut publish = |report: &BenchReport, outputs: &RunOutputs| {
        outputs.write(report, false).and_then(|()| progress(report))
    };
    publish(&report, &outputs)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(plan.load.client_threads)
        .thread_name_fn(thread_namer("client"))
        .enable_all()
        .build()
        .context("could not start the client runtime")?;
    let mut run = MatrixRun {
        plan,
        source: &source,
        targets: &targets,
        outputs: &mut outputs,
    };
    let outcome = runtime.block_on(run.run(&mut report, &mut publish));
    report.complete = outcome.is_ok();
    publish(&report, &outputs)?;
    outputs.write(&report, true)?;
    crate::run::live_metrics::linger();
    print_tables(&plan.outputs, &report);
    drop(runtime);
    drop(targets);
    Ok((report, outcome))
}

/// A run whose requests failed exits non-zero, naming the first failure.
fn check_errors(report: &BenchReport) -> Result<()> {
    let failed: usize = report.scenarios.iter().map(|s| s.errors).sum();
    if failed == 0 {
        return Ok(());
    }
    let example = report
        .scenarios
        .iter()
        .find_map(|s| {
            s.error_examples
                .first()
                .map(|e| format!("{}: {e}", s.label()))
        })
        .unwrap_or_default();
    bail!("{failed} requests failed (first: {example}); every scenario's errors are in the report")
}

/// One connected client per protocol of the run.
async fn connect_clients(plan: &BenchPlan, targets: &Endpoints) -> Result<foreign::Clients> {
    let mut clients = HashMap::new();
    for &protocol in &plan.matrix.protocols {
        let client = Client::connect(protocol, &targets.get(protocol).url, &plan.client).await?;
        clients.insert(protocol, Arc::new(client));
    }
    Ok(clients)
}

/// Called with the report and the outputs after every change.
type Publish<'a> = dyn FnMut(&BenchReport, &RunOutputs) -> Result<()> + 'a;

/// What the matrix runs with.
struct MatrixRun<'a, 'o> {
    plan: &'a BenchPlan,
    source: &'a FrameSource,
    targets: &'a Endpoints,
    outputs: &'a mut RunOutputs<'o>,
}

impl MatrixRun<'_, '_> {
    async fn run(&mut self, report: &mut BenchReport, publish: &mut Publish<'_>) -> Result<()> {
        let (plan, source, targets) = (self.plan, self.source, self.targets);
        let clients = connect_clients(plan, targets).await?;
        let foreign = foreign::connect(plan, &clients).await?;
        report.not_applicable = not_applicable(&plan.matrix, &foreign.wire);
        let traces = plan.targets.collect_traces;
        let traces = traces.map(TraceCollector::on).transpose()?;
        let progress = RunProgress::new(plan.outputs.quiet);
        let mut frames = SizeFrames::default();
        if let Some(check) = &targets.relay_check {
            let pool = prepare_pool(source, check.size, &plan.frames)?;
            report.relay_cost =
                Some(measure_relay_cost(plan, check, &pool, &foreign.wire, &progress).await?);
            frames.pools.insert(check.size, pool);
            publish(report, self.outputs)?;
        }
        let mut scenarios = matrix(
            &plan.matrix.sizes,
            &plan.matrix.payloads,
            &plan.matrix.protocols,
        );
        scenarios.retain(|s| foreign.wire.refusal(s.protocol, s.payload).is_none());
        let schedule = Schedule::of(plan);
        if let Some(at) = plan.start_at {
            // Every size's frames first: encoding them must not eat a slot.
            for scenario in scenarios.iter().filter(|s| s.payload.carries_image()) {
                frames.prepare(plan, source, scenario.size)?;
            }
            wait_until(at, &progress).await;
        }
        let epoch = std::time::Instant::now();
        progress.plan(scenarios.len(), plan.load.warmup_bursts + plan.load.bursts);
        for (index, &scenario) in scenarios.iter().enumerate() {
            let carries_image = scenario.payload.carries_image();
            if carries_image {
                frames.prepare(plan, source, scenario.size)?;
            }
            let pool = frames.pools.get(&scenario.size).filter(|_| carries_image);
            let live = frames.live.get(&scenario.size).filter(|_| carries_image);
            progress.start_scenario(index, scenarios.len(), &scenario.label());
            let inputs = ScenarioInputs {
                scenario,
                requests: RequestPlan {
                    client: clients[&scenario.protocol].clone(),
                    target: foreign.wire.clone(),
                    protocol: scenario.protocol,
                    payload: scenario.payload,
                    images: pool.map(|p| p.images.clone()).unwrap_or_default(),
                    epoch,
                    server_wire: targets.get(scenario.protocol).server_wire.clone(),
                    traceparent: plan.client.traceparent,
                    live: live.cloned(),
                },
                pool,
                content: source.content_label(),
                stats: foreign.stats.as_ref(),
                traces,
                progress: &progress,
                slot: schedule.map(|s| s.slot(index)),
            };
            let outcome = run_scenario(plan, inputs, self.outputs.trace.as_mut()).await;
            let model = plan.load.model;
            let line = progress_line(index + 1, scenarios.len(), &outcome.report, model);
            progress.finish_scenario(&line);
            report.scenarios.push(outcome.report);
            report.connects = crate::transport::ConnectTimes::of(&plan.matrix.protocols, &clients);
            // The note first: once a file holds the scenario, Ctrl-C names it.
            let note = self.outputs.kept_note(index + 1, scenarios.len());
            crate::interrupt::set_note(note);
            publish(report, self.outputs)?;
            if let Some(err) = outcome.fatal {
                return Err(err);
            }
        }
        Ok(())
    }
}

/// Each size's frames, made when a scenario first needs them: its pool,
/// or under `--encode live` its encoder threads.
#[derive(Default)]
struct SizeFrames {
    pools: HashMap<Size, FramePool>,
    live: HashMap<Size, Arc<LiveEncoder>>,
}

impl SizeFrames {
    fn prepare(&mut self, plan: &BenchPlan, source: &FrameSource, size: Size) -> Result<()> {
        let frames = &plan.frames;
        match frames.mode {
            EncodeMode::Pool if !self.pools.contains_key(&size) => {
                self.pools.insert(size, prepare_pool(source, size, frames)?);
            }
            EncodeMode::Live if !self.live.contains_key(&size) => {
                let threads = frames.encoder_threads();
                let live = LiveEncoder::start(source, size, frames, threads)?;
                self.live.insert(size, Arc::new(live));
            }
            _ => {}
        }
        Ok(())
    }
}

/// Waits for `--start-at`, saying how long; a start already past is said
/// as late (the shards' windows then do not line up by that much).
async fn wait_until(at: std::time::SystemTime, progress: &RunProgress) {
    match at.duration_since(std::time::SystemTime::now()) {
        Ok(wait) => {
            progress.note(&format!(
                "waiting {:.1} s for --start-at",
                wait.as_secs_f64()
            ));
            tokio::time::sleep(wait).await;
        }
        Err(past) => progress.note(&format!(
            "started {:.3} s late: --start-at was already past when set-up ended",
            past.duration().as_secs_f64()
        )),
    }
}

/// What the `--link` relay costs by itself, before the matrix.
async fn measure_relay_cost(
    plan: &BenchPlan,
    check: &crate::run::relay_cost::RelayCheck,
    pool: &FramePool,
    wire: &Arc<dyn crate::target::TargetWire>,
    progress: &RunProgress,
) -> Result<crate::report::RelayCost> {
    let bursts = plan.load.bursts.clamp(3, 10);
    progress.note(&format!(
        "measuring the relay's own cost ({bursts} bursts each way, no limits)"
    ));
    check
        .measure(pool, &plan.client, plan.load.concurrency, bursts, wire)
        .await
}

fn new_report(plan: &BenchPlan, source: &FrameSource, targets: &Endpoints) -> BenchReport {
    BenchReport {
        schema_version: SCHEMA_VERSION,
        imgwire_version: env!("CARGO_PKG_VERSION"),
        run_id: (plan.run_id.clone()).unwrap_or_else(|| run_id(std::time::SystemTime::now())),
        complete: false,
        machine: this_machine(),
        build: crate::report::machine::build(),
        settings: settings(plan, source, targets),
        relay_cost: None,
        not_applicable: Vec::new(),
        connects: Vec::new(),
        scenarios: Vec::new(),
        merged: None,
    }
}

/// `2026-11-25T15:45:12Z-4242`: when the run began (UTC) and its process.
fn run_id(now: std::time::SystemTime) -> String {
    format!("{}-{}", crate::shard::utc(now), std::process::id())
}

/// The machine this run measures from.
fn this_machine() -> crate::report::machine::Machine {
    use crate::encode::machine::{cpu_cores, cpu_model};
    crate::report::machine::Machine::this(cpu_model(), cpu_cores())
}

fn settings(plan: &BenchPlan, source: &FrameSource, targets: &Endpoints) -> Settings {
    let builtin = targets.builtin();
    let target = plan.targets.kind.target();
    let pool_size = source.pool_size(&plan.frames);
    let (quality, subsampling) = plan.frames.encoder.applied(plan.frames.encode);
    Settings {
        concurrency: plan.load.concurrency,
        bursts: plan.load.bursts,
        warmup_bursts: plan.load.warmup_bursts,
        frames: frames_description(plan, source),
        frame_pool_size: pool_size,
        image_files: source.image_files(),
        encoder: plan.frames.encoder,
        encode_mode: plan.frames.mode,
        encode_threads: (plan.frames.mode == EncodeMode::Live)
            .then(|| plan.frames.encoder_threads()),
        quality,
        subsampling,
        target: plan.targets.kind.name().to_string(),
        protocols_chosen: plan.matrix.protocols_default.as_ref().map(|why| {
            let names: Vec<&str> = plan.matrix.protocols.iter().map(|p| p.name()).collect();
            format!("{} ({why})", names.join(","))
        }),
        // A run never mixes built-in and remote servers (`check_targets`).
        server: target.server_description(&plan.targets, builtin),
        shard: plan
            .shard
            .is_sharded()
            .then(|| crate::report::ShardSettings {
                index: plan.shard.index,
                count: plan.shard.count,
                source: plan.shard.source.to_string(),
                start_at_unix_s: plan.start_at.map(crate::run::schedule::unix_s),
            }),
        server_decoder: target.server_decoder(builtin, plan.server.decoder),
        infer_ns: crate::report::summary::nanos(plan.server.infer),
        max_message_bytes: plan.server.max_message_bytes,
        rest_target: targets.get(Protocol::Rest).url.clone(),
        grpc_target: targets.get(Protocol::Grpc).url.clone(),
        tcp_target: targets.get(Protocol::Tcp).url.clone(),
        rest_url: plan.targets.url(Protocol::Rest).map(str::to_owned),
        grpc_url: plan.targets.url(Protocol::Grpc).map(str::to_owned),
        tcp_url: plan.targets.url(Protocol::Tcp).map(str::to_owned),
        h2: plan.client.h2,
        grpc_channels: plan.client.grpc_channels,
        rest_pool: plan.client.rest_pool,
        compression: plan.client.compression,
        link: plan.targets.link,
        link_shaping: plan
            .targets
            .link
            .map(|_| targets.link_shaping(plan.targets.link_backend)),
        client_threads: plan.load.client_threads,
        server_threads: builtin.then_some(plan.server.threads),
        load: crate::run::load::settings(&plan.load),
    }
}

/// What frames are sent and when they are encoded, as the header says it.
fn frames_description(plan: &BenchPlan, source: &FrameSource) -> String {
    if plan.frames.mode == EncodeMode::Live {
        let mut text = crate::run::live_encode::describe(
            source,
            plan.frames.encoder_threads(),
            plan.frames.frames_on,
        );
        if plan
            .matrix
            .payloads
            .contains(&crate::wire::PayloadKind::Basic)
        {
            text.push_str("; basic payloads carry no image and run as under --encode pool");
        }
        return text;
    }
    let pool_size = source.pool_size(&plan.frames);
    format!(
        "{}{}; {}",
        source.describe(pool_size),
        match plan.frames.frames_on {
            FramesOn::Cpu => "",
            FramesOn::Gpu => ", made by CUDA kernels",
        },
        if pool_size == 1 {
            "one frame reused by every request".into()
        } else {
            format!("a pool of {pool_size} frames, requests cycle through it")
        }
    )
}

fn progress_line(n: usize, total: usize, s: &ScenarioReport, model: LoadModel) -> String {
    if !s.measured() {
        return format!("[{n}/{total}] {:<24} failed", s.label());
    }
    let mut errors = if s.errors > 0 {
        format!(", {} errors", s.errors)
    } else {
        String::new()
    };
    if let Some(note) = s.schedule.as_ref().and_then(|t| t.note()) {
        errors.push_str(&format!(", {note}"));
    }
    format!(
        "[{n}/{total}] {:<24} {}, dominant {}{errors}",
        s.label(),
        progress_figure(s, model),
        s.dominant_stage.map_or("none", |d| d.name())
    )
}

/// The figure a progress line gives, in the load's own terms: seconds per
/// burst, requests a second under closed and open load, frames a second
/// under cameras; each with its p99.
fn progress_figure(s: &ScenarioReport, model: LoadModel) -> String {
    let p99_ms = s.load.latency.headline().p99_ns as f64 / 1e6;
    match (&s.load.cameras, model) {
        (Some(c), _) => format!(
            "{:.1} of {:.1} frames/s (p99 capture to result {p99_ms:.1} ms)",
            c.sustained_frames_per_s,
            c.streams as f64 * c.fps
        ),
        (None, LoadModel::Bursts) => format!(
            "{:.4} s/burst (p99 {:.4})",
            s.burst.mean_s(),
            s.burst.p99_s()
        ),
        (None, _) => format!(
            "{:.1} requests/s (p99 {p99_ms:.1} ms)",
            s.throughput.requests_per_s
        ),
    }
}

/// The tables, on stdout (on stderr when an export takes stdout), in colour
/// where wanted. A run that measured nothing has no table, only its error.
fn print_tables(outputs: &OutputPlan, report: &BenchReport) {
    let brief = match outputs.tables {
        _ if report.scenarios.is_empty() => return,
        Tables::None => return,
        Tables::Full => false,
        Tables::Brief => true,
    };
    let view = View {
        brief,
        width: (!outputs.wide).then_some(WIDTH),
    };
    let text = table::render(report, view);
    let to_stderr = outputs.takes_stdout();
    let terminal = match to_stderr {
        true => std::io::stderr().is_terminal(),
        false => std::io::stdout().is_terminal(),
    };
    let text = match color_wanted(outputs.color, terminal) {
        true => paint(&text),
        false => text,
    };
    match to_stderr {
        true => eprint!("{text}"),
        false => print!("{text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn run_ids_carry_the_utc_date_and_time() {
        let at = |secs| run_id(UNIX_EPOCH + Duration::from_secs(secs));
        assert!(at(0).starts_with("1970-01-01T00:00:00Z-"));
        assert!(
            at(1_795_189_512).starts_with("2026-11-20T15:45:12Z-"),
            "{}",
            at(1_795_189_512)
        );
        assert!(at(951_782_400).starts_with("2000-02-29T00:00:00Z-"));
    }
}
