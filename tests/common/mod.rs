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

/// The flags of a small binary REST run against `rest_url`: one 48x64 size,
/// `bursts` bursts at concurrency 2, no warmup.
pub fn small_rest_flags<'a>(rest_url: &'a str, bursts: &'a str) -> Vec<&'a str> {
    vec![
        "--protocols",
        "rest",
        "--payloads",
        "binary",
        "--sizes",
        "48x64",
        "--bursts",
        bursts,
        "--warmup",
        "0",
        "-c",
        "2",
        "--rest-url",
        rest_url,
    ]
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
    vec![
        "--grpc-url",
        grpc_url,
        "--protocols",
        "grpc",
        "--payloads",
        "basic",
        "--sizes",
        "32x48",
        "--bursts",
        n,
        "--warmup",
        "0",
        "--concurrency",
        n,
    ]
}
