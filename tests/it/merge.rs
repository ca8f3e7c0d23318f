//! `imgwire merge` on real shards: three `bench --shard i/3` processes
//! against one `imgwire serve`, each also writing every counted request's
//! wall latency (`--raw-latencies`); the merged percentiles equal the pooled
//! samples' within the histograms' precision, counts are exact and the
//! throughput is the shards' sum. And the same shards as JSON lines on
//! stdin among log lines (`--export-json -`, as `kubectl logs` gives them).

use crate::common;

use common::serve_process::{imgwire, serve_process};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Shards of one run: every shard of a test gets this run id.
pub const RUN_ID: &str = "merge-test-run";

/// `imgwire bench` for shard `index` of 3: a closed run of 300 requests
/// over 6 workers, REST and gRPC, against `imgwire serve`.
pub fn shard_command(rest: &str, grpc: &str, index: usize) -> Command {
    let mut command = imgwire();
    command
        .args(["bench", "--load", "closed", "-c", "6", "--requests", "300"])
        .args(["--bursts", "4", "--warmup", "1", "--warmup-max", "2"])
        .args(["--sizes", "48x64", "--payloads", "binary"])
        .args([
            "--protocols",
            "rest,grpc",
            "--rest-url",
            rest,
            "--grpc-url",
            grpc,
        ])
        .args([
            "--shard",
            &format!("{index}/3"),
            "--run-id",
            RUN_ID,
            "--quiet",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Waits for every shard; each one's stdout (panics with its stderr on
/// failure).
pub fn finish(shards: Vec<Child>) -> Vec<String> {
    shards
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{stderr}");
            String::from_utf8(out.stdout).unwrap()
        })
        .collect()
}

/// Three shards' JSON files in `dir`, of one run, with their raw latencies
/// in `dir/raw-I`.
pub fn three_shards(dir: &Path) -> Vec<PathBuf> {
    let (_server, rest, grpc, _) = serve_process(&[]);
    let jsons: Vec<PathBuf> = (0..3)
        .map(|i| dir.join(format!("shard-{i}.json")))
        .collect();
    let children = (0..3)
        .map(|i| {
            let raw = dir.join(format!("raw-{i}"));
            let mut command = shard_command(&rest, &grpc, i);
            command.arg("--export-json").arg(&jsons[i]);
            command.arg("--raw-latencies").arg(&raw);
            command.spawn().expect("a shard starts")
        })
        .collect();
    finish(children);
    jsons
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// `imgwire merge ARGS`: its exit status, stdout and stderr.
pub fn merge(args: &[&std::ffi::OsStr]) -> (bool, String, String) {
    let out = imgwire()
        .arg("merge")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

/// `merge` of `jsons` into DIR/merged.json, .md and .html: the JSON, the
/// tables printed, and the Markdown and HTML together.
fn merged_of(dir: &Path, jsons: &[PathBuf]) -> (Value, String, String) {
    let json = dir.join("merged.json");
    let (markdown, html) = (dir.join("merged.md"), dir.join("merged.html"));
    let mut args: Vec<&std::ffi::OsStr> = jsons.iter().map(|p| p.as_os_str()).collect();
    args.extend(["--export-json".as_ref(), json.as_os_str()]);
    args.extend(["--export-markdown".as_ref(), markdown.as_os_str()]);
    args.extend(["--export-html".as_ref(), html.as_os_str()]);
    let (ok, stdout, stderr) = merge(&args);
    assert!(ok, "{stderr}");
    let pages = [markdown, html].map(|p| std::fs::read_to_string(p).unwrap());
    (read_json(&json), stdout, pages.concat())
}

/// Every shard's raw latencies of scenario `stem`, sorted.
fn pooled_samples(dir: &Path, stem: &str) -> Vec<u64> {
    let mut pooled: Vec<u64> = (0..3)
        .flat_map(|i| {
            let raw = dir.join(format!("raw-{i}/{stem}.txt"));
            let text = std::fs::read_to_string(raw).unwrap();
            text.lines()
                .map(|l| l.parse::<u64>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    pooled.sort_unstable();
    pooled
}

/// The exact nearest-rank percentile of sorted samples.
fn nearest_rank(sorted: &[u64], q: f64) -> u64 {
    sorted[((q * sorted.len() as f64).ceil() as usize).max(1) - 1]
}

#[test]
fn merged_percentiles_are_the_pooled_samples_and_counts_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let jsons = three_shards(dir.path());
    let (merged, stdout, markdown) = merged_of(dir.path(), &jsons);
    assert!(stdout.contains("Shards (*: stands out"), "{stdout}");
    // Once in the Markdown, once over the HTML's shard table.
    let caption = "Merged from 3 of 3 shards (0, 1, 2)";
    assert_eq!(markdown.matches(caption).count(), 2, "{markdown}");
    assert!(markdown.contains("class=\"shard-table\""), "{markdown}");
    let shards: Vec<Value> = jsons.iter().map(|j| read_json(j)).collect();
    assert_eq!(merged["merged"]["present"], serde_json::json!([0, 1, 2]));
    assert_eq!(merged["run_id"], RUN_ID);
    let undocumented = crate::schema_doc::undocumented(&merged, 0);
    assert!(
        undocumented.is_empty(),
        "not in docs/json-schema.md: {undocumented:?}"
    );
    assert_eq!(
        merged["settings"]["concurrency"], 6,
        "the shares add back up"
    );
    assert_eq!(merged["settings"]["requests_per_run"], 300);
    for (at, scenario) in merged["scenarios"].as_array().unwrap().iter().enumerate() {
        let stem = format!("48x64-binary-{}", scenario["protocol"].as_str().unwrap());
        let pooled = pooled_samples(dir.path(), &stem);
        // Counts: the flags' 300 requests, the pooled samples, the sum.
        assert_eq!(scenario["requests"], 300, "{stem}");
        assert_eq!(pooled.len(), 300, "{stem}");
        assert_eq!(scenario["errors"], 0, "{stem}");
        let latency = &scenario["latency"]["uncorrected"];
        assert_eq!(latency["count"], 300);
        assert_eq!(latency["max_ns"], *pooled.last().unwrap(), "{stem}: max");
        let mean = pooled.iter().sum::<u64>() as f64 / 300.0;
        let merged_mean = latency["mean_ns"].as_f64().unwrap();
        // Each shard's mean is whole nanoseconds (rounded down), and so is
        // their weighted mean: within 2 ns below the pooled samples'.
        assert!(
            merged_mean <= mean && mean - merged_mean < 2.0,
            "{stem}: {merged_mean} vs {mean}"
        );
        for (key, q) in [
            ("p50_ns", 0.5),
            ("p90_ns", 0.9),
            ("p99_ns", 0.99),
            ("p999_ns", 0.999),
        ] {
            let exact = nearest_rank(&pooled, q) as f64;
            let got = latency[key].as_f64().unwrap();
            // Within the histograms' 3 significant digits of the sample.
            assert!(
                (got - exact).abs() <= exact / 1000.0 + 1.0,
                "{stem} {key}: {got} vs {exact}"
            );
            assert_eq!(
                scenario["stages"]["wall"][key], latency[key],
                "{stem} {key}"
            );
        }
        let sum: f64 = (shards.iter())
            .map(|s| {
                s["scenarios"][at]["throughput"]["requests_per_s"]
                    .as_f64()
                    .unwrap()
            })
            .sum();
        let rps = scenario["throughput"]["requests_per_s"].as_f64().unwrap();
        assert!((rps - sum).abs() <= sum * 1e-9, "{stem}: {rps} vs {sum}");
        let windows = scenario["windows"].as_array().unwrap();
        assert_eq!(windows.len(), 4, "{stem}: windows aligned by index");
        let in_windows: u64 = windows
            .iter()
            .map(|w| w["requests"].as_u64().unwrap())
            .sum();
        assert_eq!(in_windows, 300, "{stem}");
        let hist = scenario["histograms"]["latency"].as_str().unwrap();
        assert_eq!(imgwire::report::histogram::decode(hist).unwrap().len(), 300);
    }
}

#[test]
fn shards_read_as_json_lines_among_log_lines_on_stdin() {
    let (_server, rest, grpc, _) = serve_process(&[]);
    let children = (0..3)
        .map(|i| {
            let mut command = shard_command(&rest, &grpc, i);
            command.args(["--export-json", "-"]).spawn().unwrap()
        })
        .collect();
    let outs = finish(children);
    let mut log = String::from("pod imgwire-bench-0 starting\n");
    for out in outs {
        assert_eq!(
            out.lines().count(),
            1,
            "one line and nothing else on stdout: {out}"
        );
        log.push_str(&out);
        log.push_str("{\"level\":\"info\",\"msg\":\"done\"}\n");
    }
    let mut child = imgwire()
        .args(["merge", "-", "--export-json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(log.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "the merged JSON alone: {stdout}");
    let merged: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(merged["merged"]["skipped_lines"], 4);
    assert!(stderr.contains("4 input lines skipped"), "{stderr}");
    assert!(
        stderr.contains("Shards (*: stands out"),
        "tables on stderr: {stderr}"
    );
    let origins: Vec<&str> = (merged["merged"]["shards"].as_array().unwrap().iter())
        .map(|r| r["origin"].as_str().unwrap())
        .collect();
    assert!(origins.contains(&"stdin line 2"), "{origins:?}");
    for scenario in merged["scenarios"].as_array().unwrap() {
        assert_eq!(scenario["requests"], 300);
    }
}
