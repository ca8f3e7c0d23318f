//! Helpers shared by the integration tests: run `imgwire bench` through the
//! library against real servers on 127.0.0.1:0, and read its JSON back.
#![allow(dead_code)]

pub mod fixture;
pub mod process;
pub mod raw_http;
pub mod serve_process;

use clap::Parser;
use imgwire::cli::{Command, ServerArgs};
use imgwire::server::{ServerConfig, Servers};
use imgwire::transport::ClientSettings;
use std::path::Path;
use std::time::Duration;

/// The plan `imgwire bench ARGS` resolves to.
pub fn bench_plan(args: &[&str]) -> imgwire::run::plan::BenchPlan {
    try_bench_plan(args).expect("the plan resolves")
}

/// The plan `imgwire bench ARGS` resolves to, or its refusal.
pub fn try_bench_plan(
    args: &[&str],
) -> Result<imgwire::run::plan::BenchPlan, imgwire::run::plan::PlanError> {
    let mut argv = vec!["imgwire", "bench"];
    argv.extend_from_slice(args);
    let cli = imgwire::Cli::try_parse_from(argv).expect("test arguments parse");
    let Command::Bench(bench_args) = cli.command else {
        unreachable!("a bench command line")
    };
    bench_args.plan()
}

/// Runs `imgwire bench ARGS` in process, keeping the report.
pub fn bench_report(args: &[&str]) -> anyhow::Result<imgwire::report::BenchReport> {
    imgwire::run::bench::run(&try_bench_plan(args)?)
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("a bound address").port()
}

/// A script of `targets/TARGET/` (run.sh, stop.sh).
pub fn target_script(target: &str, name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("targets")
        .join(target)
        .join(name)
}

/// Runs `imgwire bench ARGS --json DIR/out.json` in process; returns the
/// command's result and the JSON it wrote (if any).
pub fn bench(dir: &Path, args: &[&str]) -> (anyhow::Result<()>, Option<serde_json::Value>) {
    let json = dir.join("out.json");
    let json_text = json.to_str().unwrap().to_string();
    let mut argv = vec!["imgwire", "bench", "--brief", "--json", &json_text];
    argv.extend_from_slice(args);
    let cli = imgwire::Cli::try_parse_from(argv).expect("test arguments parse");
    let result = imgwire::run(cli);
    let report = std::fs::read(&json)
        .ok()
        .map(|b| serde_json::from_slice(&b).expect("the JSON report parses"));
    (result, report)
}

/// Client settings for tests that drive a transport directly: limits as
/// `bench` has them by default, short timeouts, library HTTP/2 settings.
pub fn client_settings(concurrency: usize, rest_pool: usize) -> ClientSettings {
    ClientSettings {
        max_message_bytes: 64 << 20,
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(10),
        concurrency,
        h2: Default::default(),
        grpc_channels: 1,
        rest_pool,
        compression: Default::default(),
        tls: Default::default(),
        traceparent: true,
    }
}

/// The server settings a plain `imgwire serve` would use.
pub fn default_server_config() -> ServerConfig {
    let cli = imgwire::Cli::parse_from(["imgwire", "serve"]);
    match cli.command {
        Command::Serve(args) => args.server.config(),
        _ => unreachable!(),
    }
}

pub fn server_config(extra: &[&str]) -> ServerConfig {
    let mut argv = vec!["imgwire", "serve"];
    argv.extend_from_slice(extra);
    match imgwire::Cli::parse_from(argv).command {
        Command::Serve(args) => ServerArgs::config(&args.server),
        _ => unreachable!(),
    }
}

/// Both built-in servers on free loopback ports.
pub fn start_servers(config: ServerConfig) -> Servers {
    Servers::start(config, &imgwire::server::Binds::loopback())
        .expect("servers start on 127.0.0.1:0")
}

pub fn scenarios(report: &serde_json::Value) -> &Vec<serde_json::Value> {
    report["scenarios"]
        .as_array()
        .expect("scenarios is an array")
}

/// The load of a small run, quick on two cores: frames of `size`,
/// `concurrency` requests at once, `bursts` counted bursts after `warmup`
/// warm-up ones. Start from [`SMALL_RUN`] and change what a test is about:
/// `SmallRun { bursts: "10", ..SMALL_RUN }.args()`.
#[derive(Clone, Copy)]
pub struct SmallRun<'a> {
    pub size: &'a str,
    pub concurrency: &'a str,
    pub bursts: &'a str,
    pub warmup: &'a str,
}

/// One 48x64 size, 2 at once, 3 bursts after 1 warm-up burst.
pub const SMALL_RUN: SmallRun<'static> = SmallRun {
    size: "48x64",
    concurrency: "2",
    bursts: "3",
    warmup: "1",
};

impl<'a> SmallRun<'a> {
    /// `--sizes SIZE -c CONCURRENCY -n BURSTS --warmup WARMUP`.
    pub const fn args(&self) -> [&'a str; 8] {
        let SmallRun {
            size,
            concurrency,
            bursts,
            warmup,
        } = *self;
        [
            "--sizes",
            size,
            "-c",
            concurrency,
            "-n",
            bursts,
            "--warmup",
            warmup,
        ]
    }
}

/// The flags of a small binary REST run against `rest_url`: one 48x64 size,
/// `bursts` bursts at concurrency 2, no warmup.
pub fn small_rest_flags<'a>(rest_url: &'a str, bursts: &'a str) -> Vec<&'a str> {
    let load = SmallRun {
        bursts,
        warmup: "0",
        ..SMALL_RUN
    };
    let mut flags = vec!["--protocols", "rest", "--payloads", "binary"];
    flags.extend(load.args());
    flags.extend(["--rest-url", rest_url]);
    flags
}

/// Asserts a finished `imgwire` process succeeded (showing its stdout and
/// stderr if not) and returns its stdout.
pub fn successful_stdout(out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Asserts a scenario ran `requests` requests with no error, naming
/// `context` and the scenario (and its error examples) if not.
pub fn assert_ran_clean(s: &imgwire::report::ScenarioReport, requests: usize, context: &str) {
    assert_eq!(
        (s.errors, s.requests),
        (0, requests),
        "{context} {}: {:?}",
        s.label(),
        s.error_examples
    );
}

/// The flags of a small gRPC run of basic (imageless) requests against
/// `grpc_url`: one 32x48 size, `n` bursts at concurrency `n`, no warmup.
pub fn small_grpc_basic_flags<'a>(grpc_url: &'a str, n: &'a str) -> Vec<&'a str> {
    let load = SmallRun {
        size: "32x48",
        concurrency: n,
        bursts: n,
        warmup: "0",
    };
    let mut flags = vec!["--grpc-url", grpc_url, "--protocols", "grpc"];
    flags.extend(["--payloads", "basic"]);
    flags.extend(load.args());
    flags
}
