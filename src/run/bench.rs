//! `imgwire bench`: starts the built-in servers (unless pointed elsewhere),
//! runs the scenario matrix under the burst load, and writes each scenario's
//! results as soon as it finishes, so an interrupted run keeps what it measured.

use crate::cli::{default_threads, BenchArgs};
use crate::encode::EncodeSettings;
use crate::frame::{FileFrames, Size};
use crate::profile::write_profiles;
use crate::report::csv::CsvExporter;
use crate::report::json::JsonExporter;
use crate::report::trace::Trace;
use crate::report::{
    table, write_atomically, BenchReport, Exporter, ScenarioReport, Settings, SCHEMA_VERSION,
};
use crate::run::burst::{run_burst, RequestPlan};
use crate::run::prepare::{prepare_pool, FramePool, FrameSource};
use crate::run::scenario::{matrix, Scenario, ScenarioRun};
use crate::run::targets::Targets;
use crate::server::thread_namer;
use crate::transport::counting::WireBytes;
use crate::protocol::Protocol;
use crate::transport::{Client, ClientSettings};
use anyhow::{anyhow, bail, Context, Result};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Runs the benchmark `args` describes (or its sweep); prints the tables and
/// returns the report.
pub fn run(args: &BenchArgs) -> Result<BenchReport> {
    if let Some(factor) = args.sweep {
        return crate::run::sweep::run(args, factor);
    }
    measure(args, true)
}

/// Runs the scenario matrix once; `print` shows its tables.
pub fn measure(args: &BenchArgs, print: bool) -> Result<BenchReport> {
    if args.encoder == crate::encode::EncoderKind::Nvjpeg {
        crate::gpu::probe(crate::gpu::GpuUse::Encoder)?; // before any server starts: no GPU, one clear line
    }
    let source = match &args.images {
        Some(dir) => FrameSource::Files(FileFrames::open(dir)?),
        None => FrameSource::Pattern {
            content: args.content,
            seed: args.seed,
        },
    };
    let targets = Targets::start(args)?;
    let mut report = BenchReport {
        schema_version: SCHEMA_VERSION,
        imgwire_version: env!("CARGO_PKG_VERSION"),
        complete: false,
        settings: settings(
            args,
            &source,
            targets.link_shaping(),
            targets.builtin(),
            targets.get(Protocol::Rest).url.clone(),
            targets.get(Protocol::Grpc).url.clone(),
            targets.get(Protocol::Tcp).url.clone(),
        ),
        relay_cost: None,
        scenarios: Vec::new(),
    };
    let outputs = Outputs {
        json: args.json.clone(),
        csv: args.csv.clone(),
    };
    outputs.write(&report)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(report.settings.client_threads)
        .thread_name_fn(thread_namer("client"))
        .enable_all()
        .build()
        .context("could not start the client runtime")?;
    let outcome = runtime.block_on(run_matrix(args, &source, &targets, &mut report, &outputs));
    report.complete = outcome.is_ok();
    outputs.write(&report)?;
    if print {
        print!("{}", table::render(&report, args.brief));
    }
    drop(runtime);
    drop(targets);
    outcome?;
    let failed: usize = report.scenarios.iter().map(|s| s.errors).sum();
    if failed > 0 {
        let example = report
            .scenarios
            .iter()
            .find_map(|s| {
                s.error_examples
                    .first()
                    .map(|e| format!("{}: {e}", s.label()))
            })
            .unwrap_or_default();
        bail!("{failed} requests failed (first: {example}); every scenario's errors are in the report");
    }
    Ok(report)
}

async fn run_matrix(
    args: &BenchArgs,
    source: &FrameSource,
    targets: &Targets,
    report: &mut BenchReport,
    outputs: &Outputs,
) -> Result<()> {
    let client_settings = ClientSettings {
        max_message_bytes: args.server.max_message_mb as usize * 1024 * 1024,
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs_f64(args.timeout_s),
        concurrency: args.concurrency as usize,
        h2: args.server.h2_tuning(),
        grpc_channels: args.grpc_channels as usize,
        rest_pool: args.rest_pool.unwrap_or(args.concurrency) as usize,
        compression: args.compression,
    };
    let mut clients = HashMap::new();
    for &protocol in &args.protocols {
        let client =
            Client::connect(protocol, &targets.get(protocol).url, &client_settings).await?;
        clients.insert(protocol, Arc::new(client));
    }
    let settings = EncodeSettings {
        quality: args.quality,
        subsampling: args.subsampling,
    };
    let mut pools: HashMap<Size, FramePool> = HashMap::new();
    let pool_for = |size| prepare_pool(source, size, args.frames as usize, args.encoder, settings);
    if let Some(check) = &targets.relay_check {
        let pool = pool_for(check.size)?;
        let bursts = (args.bursts as usize).clamp(3, 10);
        eprintln!("measuring the relay's own cost ({bursts} bursts each way, no limits)");
        let cost = check
            .measure(&pool, &client_settings, args.concurrency as usize, bursts)
            .await?;
        pools.insert(check.size, pool);
        report.relay_cost = Some(cost);
        outputs.write(report)?;
    }
    let epoch = std::time::Instant::now();
    let mut trace = Trace::default();
    let scenarios = matrix(&args.sizes, &args.payloads, &args.protocols);
    for (index, scenario) in scenarios.iter().enumerate() {
        if scenario.payload.carries_image() && !pools.contains_key(&scenario.size) {
            pools.insert(scenario.size, pool_for(scenario.size)?);
        }
        let pool = scenario
            .payload
            .carries_image()
            .then(|| &pools[&scenario.size]);
        let plan = RequestPlan {
            client: clients[&scenario.protocol].clone(),
            protocol: scenario.protocol,
            payload: scenario.payload,
            images: pool.map(|p| p.images.clone()).unwrap_or_default(),
            epoch,
            server_wire: targets.get(scenario.protocol).server_wire.clone(),
        };
        let result = run_scenario(args, *scenario, &plan, pool, source, &mut trace).await;
        let (scenario_report, fatal) = match result {
            Ok(r) => (r, None),
            Err((r, e)) => (r, Some(e)),
        };
        eprintln!(
            "{}",
            progress_line(index + 1, scenarios.len(), &scenario_report)
        );
        report.scenarios.push(scenario_report);
        outputs.write(report)?;
        if let Some(path) = &args.trace {
            trace.write(path)?;
        }
        if let Some(err) = fatal {
            return Err(err);
        }
    }
    Ok(())
}

type ScenarioOutcome = std::result::Result<ScenarioReport, (ScenarioReport, anyhow::Error)>;

async fn run_scenario(
    args: &BenchArgs,
    scenario: Scenario,
    plan: &RequestPlan,
    pool: Option<&FramePool>,
    source: &FrameSource,
    trace: &mut Trace,
) -> ScenarioOutcome {
    let concurrency = args.concurrency as usize;
    let mut warmup = Vec::new();
    let mut counted = Vec::new();
    let mut fatal = None;
    let mut sampler = None;
    let mut remote_profile = None;
    let mut wire_start = None;
    for burst in 0..(args.warmup + args.bursts) as usize {
        if burst == args.warmup as usize {
            wire_start = Some((plan.client.wire_bytes(), plan.server_wire_bytes()));
        }
        if burst == args.warmup as usize && args.flamegraph.is_some() {
            if let Some(url) = &args.rest_url {
                let seconds = profile_window(&warmup, args.bursts);
                let url = url.clone();
                remote_profile = Some(tokio::spawn(async move {
                    crate::profile::fetch_remote(&url, seconds).await
                }));
            }
            match crate::profile::Sampler::start(args.profile_hz) {
                Ok(s) => sampler = Some(s),
                Err(e) => fatal = Some(e),
            }
        }
        if fatal.is_some() {
            break;
        }
        let result = run_burst(plan, concurrency, burst).await;
        let every_request_failed = result.records.is_empty() && !result.errors.is_empty();
        if every_request_failed {
            fatal = Some(anyhow!(
                "every request of a burst failed, so the run stopped ({}): {}",
                plan.client_url_hint(),
                result.errors[0]
            ));
        }
        if burst < args.warmup as usize {
            warmup.push(result);
        } else {
            counted.push(result);
        }
        if fatal.is_some() {
            break;
        }
    }
    let profile = sampler.map(crate::profile::Sampler::stop);
    let (wire, server_wire) = match wire_start {
        Some((client, server)) => (
            plan.client.wire_bytes().since(client),
            plan.server_wire_bytes()
                .zip(server)
                .map(|(now, then)| now.since(then)),
        ),
        None => Default::default(),
    };
    if args.trace.is_some() {
        let label = format!(
            "{} {} {}",
            scenario.size,
            scenario.payload.name(),
            scenario.protocol.label()
        );
        trace.add_scenario(&label, &warmup, &counted);
    }
    let report = ScenarioRun {
        scenario,
        encoder: args.encoder.name(),
        content: source_label(source, args),
        pool,
        warmup,
        counted,
        wire,
        server_wire,
    }
    .into_report();
    let mut report = report;
    if let (Some(profile), Some(dir)) = (profile, &args.flamegraph) {
        let stem = format!(
            "{}-{}-{}",
            scenario.size,
            scenario.payload.name(),
            scenario.protocol.name()
        );
        let written = profile
            .and_then(|p| write_profiles(&p, dir, &stem, args.profile_hz, report.dominant_stage));
        match written {
            Ok(mut summary) => {
                if let Some(task) = remote_profile {
                    let fetched = match task.await {
                        Ok(result) => result,
                        Err(e) => Err(anyhow!("the profile fetch failed: {e}")),
                    };
                    summary.add_remote(dir, &stem, fetched);
                }
                report.profile = Some(summary)
            }
            Err(e) => fatal = fatal.or(Some(e)),
        }
    }
    match fatal {
        Some(err) => Err((report, err)),
        None => Ok(report),
    }
}

/// Seconds of remote profile to ask for: what the counted bursts should take,
/// judged from the warm-up bursts (at least 1 s, at most 300 s).
fn profile_window(warmup: &[crate::run::burst::BurstResult], bursts: u32) -> u64 {
    let per_burst =
        warmup.iter().map(|b| b.elapsed.as_secs_f64()).sum::<f64>() / warmup.len().max(1) as f64;
    (per_burst * f64::from(bursts)).ceil().clamp(1.0, 300.0) as u64
}

impl RequestPlan {
    /// What the built-in server's sockets have moved so far (None when remote).
    fn server_wire_bytes(&self) -> Option<WireBytes> {
        self.server_wire.as_ref().map(|c| c.read())
    }

    fn client_url_hint(&self) -> &'static str {
        match self.protocol {
            Protocol::Rest | Protocol::RestH2 => "is the server at --rest-url still up?",
            Protocol::Grpc => "is the server at --grpc-url still up?",
            Protocol::Tcp => "is the echo server at --tcp-url still up?",
        }
    }
}

fn source_label(source: &FrameSource, args: &BenchArgs) -> String {
    match source {
        FrameSource::Pattern { content, .. } => content.name().to_string(),
        FrameSource::Files(_) => format!(
            "files:{}",
            args.images
                .as_ref()
                .map_or(String::new(), |p| p.display().to_string())
        ),
    }
}

fn settings(
    args: &BenchArgs,
    source: &FrameSource,
    link_shaping: String,
    builtin: bool,
    rest: String,
    grpc: String,
    tcp: String,
) -> Settings {
    let remote = args.rest_url.is_some() || args.grpc_url.is_some() || args.tcp_url.is_some();
    let config = args.server.config();
    Settings {
        concurrency: args.concurrency as usize,
        bursts: args.bursts as usize,
        warmup_bursts: args.warmup as usize,
        frames: format!(
            "{}; {}",
            source.describe(),
            if args.frames == 1 {
                "one frame reused by every request (as the seed)".into()
            } else {
                format!(
                    "a pool of {} frames, requests cycle through it",
                    args.frames
                )
            }
        ),
        frame_pool_size: args.frames as usize,
        encoder: args.encoder.name(),
        quality: args.quality,
        subsampling: args.subsampling,
        server: match (builtin, remote) {
            (true, false) => "built-in, in process".into(),
            (true, true) => "built-in for some protocols, remote for others".into(),
            _ => "remote".into(),
        },
        server_decoder: builtin.then_some(args.server.server_decoder),
        infer_ms: args.server.infer_ms,
        max_message_bytes: config.max_message_bytes,
        rest_target: rest,
        grpc_target: grpc,
        tcp_target: tcp,
        h2: args.server.h2_tuning(),
        grpc_channels: args.grpc_channels as usize,
        rest_pool: args.rest_pool.unwrap_or(args.concurrency) as usize,
        compression: args.compression,
        link: args.link,
        link_shaping: args.link.map(|_| link_shaping),
        client_threads: args
            .client_threads
            .map_or_else(default_threads, |t| t as usize),
        server_threads: builtin.then_some(config.threads),
    }
}

fn progress_line(n: usize, total: usize, s: &ScenarioReport) -> String {
    let errors = if s.errors > 0 {
        format!(", {} errors", s.errors)
    } else {
        String::new()
    };
    format!(
        "[{n}/{total}] {:<24} {:.4} s/burst (p99 {:.4}), dominant {}{errors}",
        s.label(),
        s.seconds_per_burst.mean,
        s.seconds_per_burst.p99,
        s.dominant_stage
    )
}

/// The files a run writes as it goes.
struct Outputs {
    json: Option<PathBuf>,
    csv: Option<PathBuf>,
}

impl Outputs {
    fn write(&self, report: &BenchReport) -> Result<()> {
        let targets: [(&Option<PathBuf>, &dyn Exporter); 2] =
            [(&self.json, &JsonExporter), (&self.csv, &CsvExporter)];
        for (path, exporter) in targets {
            if let Some(path) = path {
                write_atomically(exporter, report, path)?;
            }
        }
        Ok(())
    }
}
