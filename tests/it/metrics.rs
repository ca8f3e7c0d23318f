//! `--metrics-addr` serves the counted bursts in the Prometheus text format
//! while the run goes (the final figures agree with the report, warm-up left
//! out); `imgwire serve` counts its answers on its REST port's `/metrics`;
//! and (ignored, scripts/test.sh) a real Prometheus scrapes a running bench
//! and its PromQL p99 lands in the report's p99's bucket or the next, with
//! every query of deploy/grafana/imgwire.json answered.

use crate::common;

use common::raw_http::http;
use imgwire::metrics::buckets::{bounds, bucket_of};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Stdio};

const SCENARIO: &str = "48x64 binary REST";

/// `imgwire bench ARGS --metrics-addr ADDR --json DIR/out.json`, started;
/// the child and the address it says it serves on.
fn start_bench(dir: &Path, addr: &str, args: &[&str]) -> (Child, SocketAddr) {
    let json = dir.join("out.json");
    let mut child = common::serve_process::imgwire()
        .args(["bench", "--quiet", "--sizes", "48x64", "--payloads", "binary"])
        .args(["--protocols", "rest", "--metrics-addr", addr, "--json"])
        .arg(&json)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut lines = stderr.lines();
    let line = lines.next().expect("a line on stderr").unwrap();
    let bound = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("no address in {line}"));
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, bound.parse().unwrap())
}

fn scrape(addr: SocketAddr) -> Option<String> {
    std::net::TcpStream::connect(addr).ok()?;
    let exchange = http(addr, "GET", "/metrics", &[], b"");
    assert_eq!(exchange.status, 200);
    let content_type = exchange.header("content-type").unwrap_or_default();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    Some(exchange.text().to_string())
}

/// The value of the sample `name{...}` whose labels include every one of
/// `labels` (`key="value"`).
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .find(|l| labels.iter().all(|label| l.contains(label)))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
}

fn report(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("out.json")).unwrap()).unwrap()
}

#[test]
fn the_last_scrape_holds_every_counted_request_and_no_warm_up() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["-c", "2", "-n", "40", "--warmup", "3", "--warmup-max", "0"];
    let (mut child, addr) = start_bench(dir.path(), "127.0.0.1:0", &args);
    let mut last = String::new();
    while let Some(text) = scrape(addr) {
        last = text;
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(child.wait().unwrap().success());
    let report = report(dir.path());
    let requests = report["scenarios"][0]["requests"].as_f64().unwrap();
    assert_eq!(requests, 2.0 * 40.0, "the counted bursts alone");
    let scenario = format!("scenario=\"{SCENARIO}\"");
    let base = [scenario.as_str(), "protocol=\"rest\"", "shard=\"0\""];
    assert_eq!(sample(&last, "imgwire_requests_total", &base), Some(requests), "{last}");
    assert_eq!(sample(&last, "imgwire_errors_total", &base), Some(0.0));
    assert!(sample(&last, "imgwire_sent_bytes_total", &base).unwrap() > requests * 1000.0);
    assert!(sample(&last, "imgwire_client_cpu_seconds_total", &base).unwrap() > 0.0);
    let wall = [scenario.as_str(), "stage=\"wall\""];
    assert_eq!(sample(&last, "imgwire_stage_seconds_count", &wall), Some(requests));
    let buckets: Vec<f64> = last
        .lines()
        .filter(|l| l.starts_with("imgwire_stage_seconds_bucket{") && l.contains("stage=\"wall\""))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(buckets.len(), bounds().len() + 1);
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "cumulative");
    assert_eq!(buckets.last(), Some(&requests), "+Inf holds every request");
    let decode = [scenario.as_str(), "stage=\"server.decode\""];
    assert_eq!(sample(&last, "imgwire_stage_seconds_count", &decode), Some(requests));
}

#[test]
fn a_taken_metrics_address_is_refused_by_flag() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = common::serve_process::imgwire()
        .args(["bench", "--sizes", "48x64", "-n", "1", "--metrics-addr", &addr])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&format!("--metrics-addr {addr}")), "{stderr}");
}

#[test]
fn serve_counts_its_answers_and_their_stages_on_its_rest_port() {
    let (_server, rest, _, _) = common::serve_process::serve_process(&[]);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("out.json");
    common::serve_process::run_ok(&[
        "bench", "--quiet", "--rest-url", &rest, "--protocols", "rest", "--payloads",
        "binary", "--sizes", "48x64", "-c", "2", "-n", "5", "--json", json.to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let counted = report["scenarios"][0]["requests"].as_f64().unwrap();
    let addr: SocketAddr = rest.trim_start_matches("http://").trim_end_matches('/').parse().unwrap();
    let text = scrape(addr).unwrap();
    let ok = ["protocol=\"rest\"", "outcome=\"ok\""];
    let answered = sample(&text, "imgwire_server_requests_total", &ok).unwrap();
    assert!(answered >= counted && counted == 10.0, "{answered} answered, {counted} counted");
    let decode = ["stage=\"server.decode\"", "protocol=\"rest\""];
    assert_eq!(sample(&text, "imgwire_server_stage_seconds_count", &decode), Some(answered));
    assert!(sample(&text, "imgwire_server_stage_seconds_total", &decode).unwrap() > 0.0);
}
