//! `bench --streams N --fps F`: cameras as an open load whose arrivals are
//! frames. The counts add up (offered = streams x fps x duration, sent +
//! dropped = offered, sustained = completed over the run's own elapsed
//! time), a client that cannot encode fast enough drops or delays frames
//! with encode its dominant stage, and the flags that conflict with the
//! cameras are refused naming the flag.

use crate::common;

use common::serve_process::{bench_ok, run_failing};
use serde_json::Value;

/// Runs `bench` against the built-in servers with `args`, quietly; returns
/// its JSON report's one scenario, its terminal report, and its Markdown
/// and HTML pages one after the other.
fn cameras(args: &[&str]) -> (Value, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("run.json");
    let (markdown, html) = (dir.path().join("run.md"), dir.path().join("run.html"));
    let files = [
        "--export-json",
        json.to_str().unwrap(),
        "--export-markdown",
        markdown.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ];
    let one_cell = [
        "--bursts",
        "2",
        "--payloads",
        "binary",
        "--protocols",
        "rest",
    ];
    let tables = bench_ok(&[&one_cell[..], &files, args].concat());
    let report: Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    let scenarios = report["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 1, "{scenarios:?}");
    let read = |path| std::fs::read_to_string(path).unwrap();
    let pages = read(markdown) + &read(html);
    (scenarios[0].clone(), tables, pages)
}

fn count(value: &Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("not a count: {value}"))
}

#[test]
fn camera_counts_add_up_from_the_reports_own_figures() {
    let (s, tables, pages) = cameras(&[
        "--sizes",
        "48x64",
        "--streams",
        "3",
        "--fps",
        "20",
        "--duration",
        "1.5",
        "--max-in-flight",
        "2",
    ]);
    let cams = &s["cameras"];
    assert_eq!(count(&cams["streams"]), 3);
    assert_eq!(cams["fps"], 20.0);
    assert_eq!(count(&cams["max_in_flight"]), 2);
    let offered = count(&cams["frames_offered"]);
    assert_eq!(offered, 3 * 20 * 3 / 2, "streams x fps x duration: {cams}");
    let (sent, dropped) = (count(&cams["frames_sent"]), count(&cams["frames_dropped"]));
    assert_eq!(sent + dropped, offered, "{cams}");
    assert!(count(&cams["frames_late"]) <= sent, "{cams}");
    let completed = count(&cams["frames_completed"]);
    assert_eq!(completed, count(&s["requests"]), "{cams}");
    assert_eq!(sent, completed + count(&s["errors"]), "{cams}");
    // Sustained: completed frames over the run's elapsed time (the windows
    // the run was cut into laid end to end), or its duration (1.5 s) where
    // the last answer came sooner.
    let windows = s["windows"].as_array().unwrap();
    let elapsed_s = windows.iter().map(|w| count(&w["span_ns"])).sum::<u64>() as f64 / 1e9;
    let sustained = cams["sustained_frames_per_s"].as_f64().unwrap();
    let expected = completed as f64 / elapsed_s.max(1.5);
    assert!(
        (sustained - expected).abs() <= expected * 0.01,
        "{sustained} vs {completed} / {elapsed_s} s"
    );
    // Latency counts from capture (the due time): corrected, at least the
    // uncorrected.
    let latency = &s["latency"];
    assert!(count(&latency["corrected"]["p50_ns"]) >= count(&latency["uncorrected"]["p50_ns"]));
    let line = format!("cameras: 3 x 20 fps for 1.5 s: {offered} offered, {sent} sent (");
    assert!(tables.contains(&line), "{line} in {tables}");
    assert_eq!(
        pages.to_lowercase().matches(&line).count(),
        2,
        "Markdown and HTML: {pages}"
    );
    assert!(tables.contains("cameras: 3 streams x 20 fps"), "{tables}");
    let header = ": cameras, 3 streams x 20 fps, at most 2 frames in flight per stream";
    assert!(tables.contains(header), "{header} in {tables}");
}

/// 6 x 30 fps of 1080x1920 on one encoder thread: more than it encodes
/// (the server does not decode, so the client's encoder is what falls
/// behind).
pub const OVERLOADED: [&str; 12] = [
    "--sizes",
    "1080x1920",
    "--streams",
    "6",
    "--fps",
    "30",
    "--duration",
    "1",
    "--encode-threads",
    "1",
    "--server-decoder",
    "none",
];

#[test]
fn one_encoder_thread_behind_many_cameras_drops_or_delays_frames() {
    let (s, _, _) = cameras(&OVERLOADED);
    let cams = &s["cameras"];
    assert_eq!(count(&cams["frames_offered"]), 180, "{cams}");
    let missed = count(&cams["frames_dropped"]) + count(&cams["frames_late"]);
    assert!(
        missed > 0,
        "one encoder thread kept up with 180 frames/s: {cams}"
    );
    assert_eq!(s["dominant_stage"], "encode", "{}", s["stages"]);
    let sustained = cams["sustained_frames_per_s"].as_f64().unwrap();
    assert!(sustained < 180.0, "{cams}");
}

/// `imgwire bench --sizes 64x64 ARGS`'s refusal: its stderr.
fn refused(args: &[&str]) -> String {
    let argv = [&["bench", "--sizes", "64x64"], args].concat();
    run_failing(&argv).trim().to_string()
}

#[test]
fn flags_that_conflict_with_cameras_are_refused_naming_the_flag() {
    let cases: [(&[&str], &str); 9] = [
        (&["--streams", "2"], "--fps"),
        (&["--fps", "30"], "--streams"),
        (&["--max-in-flight", "2", "--fps", "30"], "--streams"),
        (&["--streams", "2", "--fps", "30", "--rate", "9"], "--rate"),
        (
            &["--streams", "2", "--fps", "30", "--load", "open"],
            "--load",
        ),
        (
            &["--streams", "2", "--fps", "30", "--load", "bursts"],
            "--load",
        ),
        (
            &["--streams", "2", "--fps", "30", "--encode", "pool"],
            "--encode pool",
        ),
        (
            &["--streams", "2", "--fps", "30", "--requests", "9"],
            "--requests",
        ),
        (
            &["--streams", "2", "--fps", "30", "-c", "4"],
            "--concurrency",
        ),
    ];
    for (args, flag) in cases {
        let err = refused(args);
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(err.contains("--streams"), "{args:?}: {err}");
    }
}
