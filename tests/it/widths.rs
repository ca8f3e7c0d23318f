//! One width rule for every command: each line the binary prints, on
//! stdout and on stderr, fits 100 columns unless `--wide` (prose wraps,
//! command lines break before a flag, a table too wide splits into blocks
//! of columns). Tiny runs against the built-in servers; nothing here
//! depends on how fast they were.

use crate::common;

use common::serve_process::imgwire;
use serde_json::Value;
use std::path::Path;

/// The columns every line fits.
const WIDTH: usize = 100;

/// A tiny bench on loopback (two requests a burst unless `-c` is given).
const TINY: [&str; 6] = ["--sizes", "48x64", "--bursts", "2", "--warmup", "1"];

/// Runs `imgwire ARGS` with `NO_COLOR=1`; its exit status, stdout and
/// stderr.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = imgwire()
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("imgwire runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// Runs `imgwire ARGS`, which must exit 0; its stdout and stderr.
fn run_ok(args: &[&str]) -> (String, String) {
    let (status, stdout, stderr) = run(args);
    assert_eq!(status, Some(0), "imgwire {args:?}: {stderr}");
    (stdout, stderr)
}

/// Every line of `text` fits `WIDTH` columns.
fn assert_fits(what: &str, text: &str) {
    for line in text.lines() {
        assert!(
            line.chars().count() <= WIDTH,
            "{what}: a line of {} columns:\n{line}\n\nthe whole output:\n{text}",
            line.chars().count()
        );
    }
}

/// `imgwire bench TINY EXTRA` fits, stdout and stderr; its stdout.
fn bench_fits(extra: &[&str]) -> String {
    let mut args = vec!["bench"];
    args.extend(TINY);
    args.extend(extra);
    if !extra.contains(&"-c") {
        args.extend(["-c", "2"]);
    }
    let (stdout, stderr) = run_ok(&args);
    assert_fits(&format!("bench {extra:?} stdout"), &stdout);
    assert_fits(&format!("bench {extra:?} stderr"), &stderr);
    stdout
}

#[test]
fn bench_fits_the_width_by_default_and_with_rest_h2() {
    bench_fits(&[]);
    let all = ["--payloads", "basic,b64,binary"];
    let stdout = bench_fits(&[&all[..], &["--protocols", "rest,rest-h2,grpc"]].concat());
    // The factor table with every column, split to fit.
    for header in [
        "+HTTP/2",
        "+gRPC framing",
        "gRPC-REST/1.1",
        "largest stage gap",
    ] {
        assert!(stdout.contains(header), "{header} missing:\n{stdout}");
    }
    // --wide keeps it one table: the rule's one way out.
    let mut wide = vec!["bench", "--wide", "--protocols", "rest,rest-h2,grpc"];
    wide.extend(TINY);
    wide.extend(all);
    wide.extend(["-c", "2"]);
    let (stdout, _) = run_ok(&wide);
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("+gRPC framing") && l.contains("largest stage gap")),
        "{stdout}"
    );
}

#[test]
fn every_sweep_fits_the_width() {
    let binary = ["--payloads", "binary", "--brief"];
    for factor in [
        "window",
        "frame",
        "channels",
        "compression",
        "pool",
        "tls",
        "nodelay",
    ] {
        let stdout = bench_fits(&[&binary[..], &["--sweep", factor]].concat());
        assert!(stdout.contains(&format!("Sweep of {factor}")), "{stdout}");
    }
    // A concurrency sweep with more values than one table's width holds.
    let levels = ["-c", "1,2,3,4,5,6,7,8,9,10", "--protocols", "rest"];
    let stdout = bench_fits(&[&binary[..], &levels[..]].concat());
    assert!(stdout.contains("Sweep of concurrency"), "{stdout}");
}

#[test]
fn tune_fits_the_width() {
    let (stdout, stderr) = run_ok(&[
        "tune",
        "--sizes",
        "48x64",
        "-c",
        "2",
        "-n",
        "3",
        "--warmup",
        "1",
        "--server-decoder",
        "none",
        "--budget-s",
        "2",
        "--confirm-rounds",
        "1",
    ]);
    assert_fits("tune stdout", &stdout);
    assert_fits("tune stderr", &stderr);
    // The reproduce command is longer than the width: broken before a flag,
    // it still reads as one command line.
    let reproduce = stdout
        .split("reproduce: ")
        .nth(1)
        .expect("a reproduce line");
    let joined = reproduce.replace(" \\\n    ", " ");
    let command = joined.lines().next().unwrap();
    assert!(
        command.starts_with("imgwire bench --sizes 48x64"),
        "{stdout}"
    );
    assert!(command.contains("--server-decoder none"), "{stdout}");
}

/// Every figure of a bench JSON that `compare` reads, multiplied by
/// `factor`: the same run, uniformly slower.
fn slowed(report: &Value, factor: u64) -> Value {
    let mut report = report.clone();
    let times = |v: &mut Value| {
        if let Some(ns) = v.as_u64() {
            *v = Value::from(ns * factor);
        }
    };
    for s in report["scenarios"].as_array_mut().unwrap() {
        s["burst_ns"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .for_each(times);
        times(&mut s["burst"]["mean_ns"]);
        for means in s["stage_burst_means_ns"]
            .as_object_mut()
            .unwrap()
            .values_mut()
        {
            means.as_array_mut().unwrap().iter_mut().for_each(times);
        }
        for stage in s["stages"].as_object_mut().unwrap().values_mut() {
            times(&mut stage["mean_ns"]);
        }
    }
    report
}

#[test]
fn compare_and_its_fail_if_slower_fit_the_width() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let mut args = vec!["bench", "--quiet", "--export-json", a.to_str().unwrap()];
    args.extend(TINY);
    args.extend(["-c", "2"]);
    run_ok(&args);
    let report: Value = serde_json::from_slice(&std::fs::read(&a).unwrap()).unwrap();
    let b = dir.path().join("b.json");
    std::fs::write(&b, serde_json::to_vec(&slowed(&report, 1000)).unwrap()).unwrap();
    let compare = |x: &Path, y: &Path| {
        let (x, y) = (x.to_str().unwrap(), y.to_str().unwrap());
        run(&["compare", x, y, "--fail-if-slower", "10"])
    };
    let (status, stdout, stderr) = compare(&a, &b);
    assert_eq!(
        status,
        Some(3),
        "every scenario is slower: {stdout}{stderr}"
    );
    assert!(stdout.contains("--fail-if-slower 10: slower"), "{stdout}");
    assert_fits("compare stdout", &stdout);
    assert_fits("compare stderr", &stderr);
    // B against itself: nothing slower, the gate passes.
    let (status, stdout, stderr) = compare(&b, &b);
    assert_eq!(status, Some(0), "{stdout}{stderr}");
    assert_fits("compare stdout (pass)", &stdout);
}

#[test]
fn encode_fits_the_width() {
    let (stdout, stderr) = run_ok(&[
        "encode",
        "--sizes",
        "48x64",
        "--frames",
        "2",
        "--threads",
        "1",
    ]);
    assert!(stdout.contains("turbojpeg"), "{stdout}");
    assert_fits("encode stdout", &stdout);
    assert_fits("encode stderr", &stderr);
}
