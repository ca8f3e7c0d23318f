//! The camera capacity sweep (`--streams 1,2 --encoder turbojpeg,none
//! --slo-ms MS`): every verdict is recomputed here from the point's own
//! report (failed, dropped and late shares, the capture-to-result p99), the
//! capacity from the verdicts, a client that cannot encode fast enough is
//! found short of the streams it was offered, and the flags a capacity
//! sweep cannot take are refused naming the flag.

use crate::common;

use common::serve_process::{bench_ok, imgwire, run_failing};
use serde_json::Value;

/// Runs a capacity sweep against the built-in servers with `args`; returns
/// its JSON, its terminal report and the folder its files went to.
fn sweep(args: &[&str]) -> (Value, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("cap.json");
    let html = dir.path().join("cap.html");
    let files = [
        "--export-json",
        json.to_str().unwrap(),
        "--export-html",
        html.to_str().unwrap(),
    ];
    let head = ["--bursts", "2", "--duration", "1", "--payloads", "binary"];
    let tables = bench_ok(&[&head[..], &["--protocols", "rest"], &files, args].concat());
    let report: Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    (report, tables, dir)
}

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

/// Whether a point's one scenario kept up by the documented rule, from its
/// report's own counts: none failed, at most 1 % dropped and 1 % late, the
/// corrected p99 within `slo_ms`.
fn kept_up(report: &Value, slo_ms: f64) -> bool {
    let s = &report["scenarios"][0];
    let cams = &s["cameras"];
    let share = |part: &str, of: &str| number(&cams[part]) / number(&cams[of]).max(1.0);
    let p99_ms = number(&s["latency"]["corrected"]["p99_ns"]) / 1e6;
    number(&s["errors"]) == 0.0
        && share("frames_dropped", "frames_offered") <= 0.01
        && share("frames_late", "frames_sent") <= 0.01
        && p99_ms <= slo_ms
}

/// Per encoder, the points' stream counts and verdicts, in run order.
fn verdicts(report: &Value, slo_ms: f64, encoder: &str) -> Vec<(u64, bool)> {
    let points = report["points"].as_array().unwrap();
    (points.iter())
        .filter(|p| p["encoder"] == encoder)
        .map(|p| {
            (
                p["streams"].as_u64().unwrap(),
                kept_up(&p["report"], slo_ms),
            )
        })
        .collect()
}

#[test]
fn each_verdict_and_capacity_follow_from_the_points_own_figures() {
    let slo_ms = 2000.0;
    let (report, tables, dir) = sweep(&[
        "--sizes",
        "90x160",
        "--streams",
        "2,1",
        "--fps",
        "10",
        "--encoder",
        "turbojpeg,none",
        "--slo-ms",
        "2000",
    ]);
    assert_eq!(report["sweep"], "streams");
    assert_eq!(report["keep_up"]["slo_ms"], slo_ms);
    for encoder in ["turbojpeg", "none"] {
        let tried = verdicts(&report, slo_ms, encoder);
        // Stream counts run rising; a count that falls behind ends the
        // encoder's sweep.
        let counts: Vec<u64> = tried.iter().map(|(n, _)| *n).collect();
        let expected: &[u64] = match tried.first() {
            Some((_, false)) => &[1],
            _ => &[1, 2],
        };
        assert_eq!(counts, expected, "{encoder}");
        let first_failing = tried.iter().find(|(_, ok)| !ok).map(|(n, _)| *n);
        let most = (tried.iter())
            .take_while(|(_, ok)| *ok)
            .last()
            .map_or(0, |(n, _)| *n);
        let capacity = (report["capacity"].as_array().unwrap().iter())
            .find(|c| c["encoder"] == encoder)
            .unwrap();
        assert_eq!(capacity["most_streams"].as_u64(), Some(most), "{capacity}");
        assert_eq!(capacity["first_failing_streams"].as_u64(), first_failing);
        for (streams, ok) in &tried {
            let judged = (report["judged"].as_array().unwrap().iter())
                .find(|j| j["encoder"] == encoder && j["streams"].as_u64() == Some(*streams))
                .unwrap();
            assert_eq!(judged["keeps_up"].as_bool(), Some(*ok), "{judged}");
            let offered = number(&judged["offered_frames_per_s"]);
            assert_eq!(offered, *streams as f64 * 10.0, "streams x fps");
            // The client CPU columns, from the point's own client_cpu.
            let point = (report["points"].as_array().unwrap().iter())
                .find(|p| p["encoder"] == encoder && p["streams"].as_u64() == Some(*streams))
                .unwrap();
            let cpu = &point["report"]["scenarios"][0]["client_cpu"];
            let of_cores =
                100.0 * number(&cpu["cpu_s"]) / (number(&cpu["wall_s"]) * number(&cpu["cores"]));
            let encoding = 100.0 * number(&cpu["encode_cpu_s"]) / number(&cpu["cpu_s"]);
            let near = |key: &str, want: f64| {
                let got = number(&judged[key]);
                assert!((got - want).abs() < 1e-6, "{key}: {got} vs {want}");
            };
            near("client_cpu_percent", of_cores);
            near("encode_share_percent", encoding);
            let page = dir
                .path()
                .join(format!("cap-{encoder}-streams-{streams}.html"));
            assert!(page.is_file(), "no page of its own: {}", page.display());
        }
    }
    assert!(
        tables.contains("most cameras that keep up: turbojpeg "),
        "{tables}"
    );
    let page = std::fs::read_to_string(dir.path().join("cap.html")).unwrap();
    assert!(page.contains("href=\"cap-none-streams-1.html\""), "{page}");
    assert!(page.contains("SLO 2000 ms"), "no SLO line in the page");
}

#[test]
fn one_encoder_thread_cannot_keep_up_with_sixteen_fast_cameras() {
    // 16 streams x 60 fps of 1080x1920 noise is ~1,000 frames a second for
    // one encoder thread that manages tens: the 16 point falls behind.
    let (report, tables, _dir) = sweep(&[
        "--sizes",
        "1080x1920",
        "--streams",
        "1,16",
        "--fps",
        "60",
        "--encode-threads",
        "1",
    ]);
    let tried = verdicts(&report, f64::INFINITY, "turbojpeg");
    assert!(
        !tried.last().unwrap().1,
        "the last point kept up: {tried:?}"
    );
    let capacity = &report["capacity"][0];
    assert!(
        capacity["most_streams"].as_u64().unwrap() < 16,
        "{capacity}"
    );
    let judged = report["judged"].as_array().unwrap().last().unwrap().clone();
    let why = judged["why_not"].to_string();
    assert!(why.contains("dropped") || why.contains("late"), "{judged}");
    assert!(tables.contains("did not keep up"), "{tables}");
}

#[test]
fn failed_frames_are_judged_and_every_encoder_still_runs() {
    // Inference of 100 ms against a 20 ms timeout: every frame fails.
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("cap.json");
    let out = imgwire()
        .args(["bench", "--no-color", "--wide", "--sizes", "90x160"])
        .args([
            "--payloads",
            "binary",
            "--protocols",
            "rest",
            "--duration",
            "1",
        ])
        .args([
            "--streams",
            "1,2",
            "--fps",
            "10",
            "--encoder",
            "turbojpeg,none",
        ])
        .args(["--infer-ms", "100", "--timeout-s", "20ms"])
        .args(["--export-json", json.to_str().unwrap()])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(!out.status.success(), "nothing was measured: {stdout}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: no point of the capacity sweep measured anything: ")
            && last.contains("--timeout-s"),
        "{stderr}"
    );
    // Each encoder's first point was run and judged, and the table and the
    // JSON were still written.
    let report: Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    let judged = report["judged"].as_array().unwrap();
    let tried: Vec<(&str, u64)> = (judged.iter())
        .map(|j| {
            (
                j["encoder"].as_str().unwrap(),
                j["streams"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(tried, [("turbojpeg", 1), ("none", 1)]);
    for j in judged {
        assert_eq!(
            (j["keeps_up"].as_bool(), j["measured"].as_bool()),
            (Some(false), Some(false))
        );
        assert!(
            j["why_not"][0].as_str().unwrap().contains("timed out"),
            "{j}"
        );
        assert_eq!(
            j["offered_frames_per_s"], 10.0,
            "streams x fps, measured or not"
        );
    }
    let row = "  none       1             10.0            -       -";
    assert!(stdout.contains(row), "{stdout}");
    assert!(stdout.contains("none 0 (1 did not keep up)"), "{stdout}");
}

#[test]
fn json_on_stdout_is_one_document_with_the_table_on_stderr() {
    let args = [
        "bench",
        "--no-color",
        "--sizes",
        "90x160",
        "--payloads",
        "binary",
    ];
    let sweep = [
        "--protocols",
        "rest",
        "--streams",
        "1,2",
        "--fps",
        "10",
        "--duration",
        "1",
    ];
    let out = imgwire()
        .args(args)
        .args(sweep)
        .args(["--slo-ms", "5000", "--export-json", "-"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(report["sweep"], "streams");
    assert!(String::from_utf8_lossy(&out.stderr).contains("most cameras that keep up"));
}

#[test]
fn flags_a_capacity_sweep_cannot_take_are_refused_naming_the_flag() {
    let refused = |args: &[&str], flag: &str| {
        let stderr = run_failing(&[&["bench"], args].concat());
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
    };
    refused(&["--encoder", "turbojpeg,none"], "--encoder");
    let cameras = ["--streams", "2,4", "--fps", "5"];
    refused(&[&cameras[..], &["--sweep", "pool"]].concat(), "--sweep");
    refused(&[&cameras[..], &["--shard", "0/2"]].concat(), "--shard");
    refused(&["--slo-ms", "50"], "--streams");
    refused(
        &[&cameras[..], &["--export-csv", "-"]].concat(),
        "--export-csv",
    );
    refused(
        &[&cameras[..], &["--slo-ms", "0"]].concat(),
        "milliseconds above 0",
    );
    let too_short = ["--streams", "2", "--fps", "0.5", "--duration", "1"];
    refused(&too_short, "--duration");
}
