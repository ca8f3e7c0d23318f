//! Helpers shared by the integration tests: run `imgwire bench` through the
//! library against real servers on 127.0.0.1:0, and read its JSON back.
#![allow(dead_code)]

pub mod raw_http;

use clap::Parser;
use imgwire::cli::{Command, ServerArgs};
use imgwire::server::{ServerConfig, Servers};
use imgwire::transport::ClientSettings;
use std::path::Path;
use std::time::Duration;

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
