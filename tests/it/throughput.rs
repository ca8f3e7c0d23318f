//! Throughput is one figure per scenario, whatever the load model: the
//! completed requests over the wall time the run took. Checked against
//! runs whose request count and elapsed time are known (an open run of N
//! requests at a fixed rate, a closed run's windows, the seed's bursts),
//! and in every output (text, CSV, Markdown, JSON) at once.

use crate::common;

use common::{scenarios, SmallRun, SMALL_RUN};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// What one run wrote: the JSON, the CSV's first row, the Markdown and the
/// text it printed.
struct Outputs {
    json: Value,
    csv_rps: f64,
    markdown: String,
    text: String,
}

fn run(dir: &Path, load: SmallRun, extra: &[&str]) -> Outputs {
    let file = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let (json, csv, markdown) = (file("out.json"), file("out.csv"), file("out.md"));
    let mut args = vec![
        "bench",
        "--payloads",
        "binary",
        "--protocols",
        "rest",
        "--server-decoder",
        "none",
        "--export-json",
        &json,
        "--export-csv",
        &csv,
        "--export-markdown",
        &markdown,
    ];
    args.extend(load.args());
    args.extend_from_slice(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_imgwire"))
        .args(&args)
        .env("NO_COLOR", "1")
        .output()
        .expect("imgwire runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(&csv).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = header.iter().position(|c| *c == "requests_per_s").unwrap();
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    Outputs {
        json: serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap(),
        csv_rps: first[column].parse().unwrap(),
        markdown: std::fs::read_to_string(&markdown).unwrap(),
        text,
    }
}

/// The scenario's requests per second, the same in every output.
fn requests_per_s(out: &Outputs) -> f64 {
    let s = &scenarios(&out.json)[0];
    let rps = s["throughput"]["requests_per_s"].as_f64().unwrap();
    assert_eq!(
        s["throughput_rps"].as_f64(),
        Some(rps),
        "one figure in JSON"
    );
    assert!(
        (out.csv_rps - rps).abs() < 1e-3,
        "CSV {} vs {rps}",
        out.csv_rps
    );
    let shown = format!("{} requests, {rps:.1} requests/s", s["requests"]);
    let text = out.text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains(&shown), "{shown:?} not in\n{}", out.text);
    assert!(
        out.markdown.contains(&format!("{rps:.1}")),
        "{rps:.1} not in\n{}",
        out.markdown
    );
    if let Some([lo, hi]) = s["throughput"]["requests_per_s_ci95"]
        .as_array()
        .map(|ci| [ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap()])
    {
        assert!(lo <= rps && rps <= hi, "{rps} outside {lo}-{hi}");
    }
    rps
}

/// N requests due at R per second span (N-1)/R seconds at least, so no
/// more than N / ((N-1)/R) come back per second; and no fewer than N over
/// the whole command's time.
#[test]
fn an_open_run_of_n_requests_at_a_fixed_rate_has_that_rate() {
    let dir = tempfile::tempdir().unwrap();
    let (n, rate) = (40.0, 50.0);
    let started = Instant::now();
    let load = SmallRun {
        concurrency: "4",
        bursts: "4",
        warmup: "0",
        ..SMALL_RUN
    };
    let open = ["--load", "open", "--rate", "50", "--requests", "40"];
    let out = run(dir.path(), load, &open);
    let wall = started.elapsed().as_secs_f64();
    assert_eq!(scenarios(&out.json)[0]["requests"].as_f64(), Some(n));
    let rps = requests_per_s(&out);
    assert!(
        rps <= n / ((n - 1.0) / rate) * 1.001,
        "{rps} req/s at --rate {rate}"
    );
    assert!(rps >= n / wall, "{rps} req/s, {n} requests in {wall} s");
}

/// A closed run's windows tile its span: requests over the windows' total
/// length. The windows' values (mean latencies) are far shorter and must
/// not stand in for time.
#[test]
fn a_closed_runs_throughput_is_its_requests_over_its_elapsed_time() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let load = SmallRun {
        concurrency: "3",
        bursts: "5",
        warmup: "0",
        ..SMALL_RUN
    };
    let out = run(dir.path(), load, &["--load", "closed", "--requests", "60"]);
    let wall = started.elapsed().as_secs_f64();
    let s = &scenarios(&out.json)[0];
    let requests = s["requests"].as_f64().unwrap();
    assert_eq!(requests, 60.0);
    let window_s = s["window_ns"].as_f64().unwrap() / 1e9;
    let elapsed = window_s * 5.0;
    let rps = requests_per_s(&out);
    let expected = requests / elapsed;
    assert!(
        (rps - expected).abs() <= 0.01 * expected,
        "{rps} req/s, {requests} requests in {elapsed} s"
    );
    assert!(
        rps >= requests / wall,
        "{rps} req/s beyond {requests} in {wall} s"
    );
    let concurrency = 3.0;
    let p50_s = s["latency"]["uncorrected"]["p50_ns"].as_f64().unwrap() / 1e9;
    assert!(
        rps <= 10.0 * concurrency / p50_s,
        "{rps} req/s from 3 workers at {p50_s} s each"
    );
}

/// The seed's bursts: requests over the bursts' summed durations.
#[test]
fn bursts_throughput_is_requests_over_burst_time() {
    let dir = tempfile::tempdir().unwrap();
    let load = SmallRun {
        concurrency: "4",
        ..SMALL_RUN
    };
    let out = run(dir.path(), load, &[]);
    let s = &scenarios(&out.json)[0];
    let burst_s: f64 = s["burst_ns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ns| ns.as_f64().unwrap() / 1e9)
        .sum();
    let rps = requests_per_s(&out);
    let expected = s["requests"].as_f64().unwrap() / burst_s;
    assert!(
        (rps - expected).abs() <= 1e-6 * expected,
        "{rps} vs {expected}"
    );
}
