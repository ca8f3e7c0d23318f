//! The load models against real servers on 127.0.0.1:0: closed runs send
//! exactly --requests or stop at --duration, open runs past the server's
//! capacity show coordinated omission corrected, a --concurrency list
//! gives one curve point per value, and a warm-up that cannot agree marks
//! its scenario unstable in every output.

use crate::common;

use clap::Parser;
use common::{bench, scenarios};
use std::time::Instant;

const ONE_CELL: [&str; 6] = [
    "--sizes",
    "48x64",
    "--payloads",
    "binary",
    "--server-decoder",
    "none",
];

fn run(extra: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let mut args = ONE_CELL.to_vec();
    args.extend_from_slice(extra);
    let (result, report) = bench(dir.path(), &args);
    result.expect("bench succeeds");
    report.expect("JSON written")
}

fn ns(value: &serde_json::Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is no number"))
        / 1e9
}

/// One connection, one server thread spending D per request, requests due
/// at `rate` > 1/D: request k waits for the k before it, so it finishes no
/// earlier than (k+1)·D and is due at k/rate; counted from its due time its
/// latency is at least k·(D - 1/rate), which half the requests exceed at
/// k = N/2 - 1. Counted from its actual send it is its own service time,
/// and the services run one after another, so they sum to at most the
/// run's wall time: the median is at most twice the mean, 2·wall/N.
#[test]
fn open_load_past_capacity_counts_latency_from_the_due_time() {
    let (rate, seconds, service) = (40.0, 2.0, 0.05);
    let started = Instant::now();
    let report = run(&[
        "--protocols",
        "rest",
        "--load",
        "open",
        "--rate",
        "40",
        "--duration",
        "2",
        "-c",
        "1",
        "--server-threads",
        "1",
        "--infer-ms",
        "50",
        "--warmup",
        "0",
        "--bursts",
        "4",
    ]);
    let wall = started.elapsed().as_secs_f64();
    let s = &scenarios(&report)[0];
    let n = rate * seconds;
    assert_eq!(s["errors"], 0, "{}", s["error_examples"]);
    assert_eq!(s["requests"].as_f64(), Some(n), "every due request is sent");
    let (corrected, uncorrected) = (&s["latency"]["corrected"], &s["latency"]["uncorrected"]);
    let queued = (n / 2.0 - 1.0) * (service - 1.0 / rate);
    assert!(
        ns(&corrected["p50_ns"]) >= 0.9 * queued,
        "{corrected} vs {queued} s"
    );
    let capacity = 1.0 / service;
    let behind = seconds * (1.0 - capacity / rate);
    assert!(
        ns(&corrected["p99_ns"]) >= 0.9 * behind,
        "{corrected} vs {behind} s"
    );
    assert!(
        ns(&uncorrected["p50_ns"]) <= 2.0 * wall / n,
        "{uncorrected}: one connection serves one request at a time ({wall} s)"
    );
    for field in ["p50_ns", "p90_ns", "p99_ns", "max_ns"] {
        assert!(ns(&corrected[field]) >= ns(&uncorrected[field]), "{field}");
    }
    assert_eq!(report["settings"]["load_model"], "open");
    assert_eq!(report["settings"]["rate_per_s"], 40.0);
}

#[test]
fn closed_load_sends_exactly_the_requests_asked_for() {
    let report = run(&[
        "--protocols",
        "rest,grpc,tcp",
        "--load",
        "closed",
        "--requests",
        "37",
        "-c",
        "3",
        "--warmup",
        "0",
        "--bursts",
        "5",
    ]);
    assert_eq!(report["settings"]["requests_per_run"], 37);
    for s in scenarios(&report) {
        assert_eq!(s["errors"], 0, "{}", s["error_examples"]);
        assert_eq!(s["requests"], 37, "{}", s["protocol"]);
        let windows = s["window_values_ns"].as_array().unwrap();
        assert!((1..=5).contains(&windows.len()), "{windows:?}");
        assert!(
            s["latency"]["corrected"].is_null(),
            "closed load has no due times"
        );
        assert!(s["throughput_rps"].as_f64().unwrap() > 0.0);
        assert!(s["stable"].is_null(), "no warm-up, no judgement");
    }
}

/// The run lasts at least --duration (no request starts after it) and at
/// most one request beyond (those in flight finish).
#[test]
fn closed_load_for_a_duration_stops_after_it() {
    let report = run(&[
        "--protocols",
        "tcp",
        "--load",
        "closed",
        "--duration",
        "1",
        "-c",
        "2",
        "--warmup",
        "0",
        "--bursts",
        "4",
    ]);
    let s = &scenarios(&report)[0];
    let span = ns(&s["window_ns"]) * 4.0;
    let longest = ns(&s["latency"]["uncorrected"]["max_ns"]);
    assert!(span >= 1.0 - 1e-6, "ran {span} s");
    assert!(
        span <= 1.0 + longest + 1.0,
        "ran {span} s, longest request {longest} s"
    );
}

#[test]
fn a_concurrency_list_gives_one_curve_point_per_value() {
    let report = run(&[
        "--protocols",
        "rest,tcp",
        "--load",
        "closed",
        "--requests",
        "12",
        "--concurrency",
        "1,2,3",
        "--warmup",
        "0",
        "--bursts",
        "2",
    ]);
    assert_eq!(report["sweep"], "concurrency");
    assert_eq!(report["points"].as_array().unwrap().len(), 3);
    let curves = report["curves"].as_array().unwrap();
    assert_eq!(curves.len(), 2, "one curve per scenario");
    for curve in curves {
        let levels: Vec<u64> = curve["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["concurrency"].as_u64().unwrap())
            .collect();
        assert_eq!(levels, [1, 2, 3], "{curve}");
        for point in curve["points"].as_array().unwrap() {
            assert!(point["throughput_rps"].as_f64().unwrap() > 0.0, "{point}");
            assert!(
                point["p99_ns"].as_u64() >= point["p50_ns"].as_u64(),
                "{point}"
            );
        }
    }
}

/// With one warm-up burst and no room for more, the last three cannot
/// agree: the scenario is marked unstable in JSON, CSV and Markdown.
#[test]
fn a_warmup_that_cannot_agree_marks_the_scenario_unstable() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, md) = (dir.path().join("r.csv"), dir.path().join("r.md"));
    let (csv_arg, md_arg) = (csv.to_str().unwrap(), md.to_str().unwrap());
    let mut args = ONE_CELL.to_vec();
    args.extend_from_slice(&[
        "--protocols",
        "rest",
        "-c",
        "2",
        "--bursts",
        "2",
        "--warmup",
        "1",
        "--warmup-max",
        "0",
        "--stability",
        "0.0001",
        "--csv",
        csv_arg,
        "--markdown",
        md_arg,
    ]);
    let (result, report) = bench(dir.path(), &args);
    result.unwrap();
    let s = &scenarios(report.as_ref().unwrap())[0];
    assert_eq!(s["stable"], false);
    assert_eq!(s["warmup_extra"], 0);
    assert_eq!(s["warmup_burst_ns"].as_array().unwrap().len(), 1);
    let csv = std::fs::read_to_string(csv).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let stable = header
        .iter()
        .position(|c| *c == "stable")
        .expect("a stable column");
    let cell = |line: &str| line.split(',').nth(stable).map(str::to_string);
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| cell(l).as_deref() == Some("false")),
        "{csv}"
    );
    let md = std::fs::read_to_string(md).unwrap();
    assert!(md.contains("~ |") && md.contains("~: unstable"), "{md}");
}

/// Three warm-up bursts always agree within 1000 % of their mean (none is
/// more than three times it): stable, with no extra burst.
#[test]
fn a_warmup_that_agrees_is_stable_without_extra_bursts() {
    let report = run(&[
        "--protocols",
        "tcp",
        "-c",
        "2",
        "--bursts",
        "2",
        "--warmup",
        "3",
        "--stability",
        "1000",
    ]);
    let s = &scenarios(&report)[0];
    assert_eq!(s["stable"], true);
    assert_eq!(s["warmup_extra"], 0);
    assert_eq!(s["window_values_ns"].as_array().unwrap().len(), 2);
}

#[test]
fn load_flags_that_disagree_are_refused_naming_the_flag() {
    for (args, flag) in [
        (&["--load", "closed", "--rate", "5"][..], "--rate"),
        (&["--duration", "1"][..], "--load closed"),
        (&["--concurrency", "1,2", "--sweep", "pool"][..], "--sweep"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut all = ONE_CELL.to_vec();
        all.extend_from_slice(args);
        let (result, _) = bench(dir.path(), &all);
        let err = format!("{:#}", result.unwrap_err());
        assert!(err.contains(flag), "{args:?}: {err}");
    }
    let parsed = imgwire::Cli::try_parse_from(["imgwire", "bench", "--load", "open"]);
    let err = parsed.unwrap_err().to_string();
    assert!(err.contains("--rate"), "{err}");
}

/// `--load` and `--model` are two flags: naming a model leaves the load
/// model alone, and the other way round.
#[test]
fn the_load_model_and_the_target_model_are_apart() {
    let plan = common::bench_plan(&["--model", "decode", "--load", "closed"]);
    assert_eq!(plan.load.model, imgwire::run::plan::LoadModel::Closed);
    assert_eq!(plan.targets.model.as_deref(), Some("decode"));
    let plan = common::bench_plan(&["--model", "decode"]);
    assert_eq!(plan.load.model, imgwire::run::plan::LoadModel::Bursts);
}

/// Under open load CSV and Markdown carry the latency from the due time
/// and from the actual send, side by side.
#[test]
fn open_load_latency_reaches_csv_and_markdown_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, md) = (dir.path().join("r.csv"), dir.path().join("r.md"));
    let mut args = ONE_CELL.to_vec();
    args.extend_from_slice(&[
        "--protocols",
        "tcp",
        "--load",
        "open",
        "--rate",
        "100",
        "--requests",
        "20",
        "--warmup",
        "0",
        "--csv",
        csv.to_str().unwrap(),
        "--markdown",
        md.to_str().unwrap(),
    ]);
    let (result, _) = bench(dir.path(), &args);
    result.unwrap();
    let csv = std::fs::read_to_string(csv).unwrap();
    for kind in ["latency_uncorrected", "latency_corrected"] {
        let row = csv
            .lines()
            .find(|l| l.contains(kind))
            .unwrap_or_else(|| panic!("{csv}"));
        assert!(row.contains(",latency,20,"), "{row}");
    }
    let md = std::fs::read_to_string(md).unwrap();
    assert!(
        md.contains("| p50 | p99 | p50 uncorrected | p99 uncorrected |"),
        "{md}"
    );
}
