//! What a camera run (`--streams N --fps F`) and a live-encode run give
//! the outputs beyond the terminal line: the client's CPU split between its
//! encoder threads and transport, the camera figures as CSV columns, a
//! merge of two camera runs' reports, and `compare` of two camera runs.
//! Every run is a real `bench` against the built-in servers on loopback.

use crate::common;

use common::serve_process::{bench_ok, run_failing, run_ok};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A finished `bench` run: its JSON report (and where it was written), its
/// CSV, its terminal report and its Markdown page.
struct Run {
    json: Value,
    json_path: PathBuf,
    csv: String,
    tables: String,
    markdown: String,
}

/// Runs `bench` on binary REST (480x640 unless `args` give `--sizes`)
/// against the built-in servers with `args`, writing `DIR/NAME.json`,
/// `DIR/NAME.csv` and `DIR/NAME.md`.
fn bench(dir: &Path, name: &str, args: &[&str]) -> Run {
    let json_path = dir.join(format!("{name}.json"));
    let csv_path = dir.join(format!("{name}.csv"));
    let markdown = dir.join(format!("{name}.md"));
    let size = match args.contains(&"--sizes") {
        true => &[][..],
        false => &["--sizes", "480x640"][..],
    };
    let files = [
        "--export-json",
        json_path.to_str().unwrap(),
        "--export-csv",
        csv_path.to_str().unwrap(),
        "--export-markdown",
        markdown.to_str().unwrap(),
    ];
    let one_cell = ["--payloads", "binary", "--protocols", "rest"];
    let tables = bench_ok(&[size, &one_cell, &files, args].concat());
    Run {
        json: serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap(),
        json_path,
        csv: std::fs::read_to_string(csv_path).unwrap(),
        tables,
        markdown: std::fs::read_to_string(markdown).unwrap(),
    }
}

/// A camera run of `streams` x `fps` for `duration` seconds.
fn cameras(dir: &Path, name: &str, streams: u32, fps: u32, duration: &str) -> Run {
    let (streams, fps) = (streams.to_string(), fps.to_string());
    let args = ["--streams", &streams, "--fps", &fps, "--duration", duration];
    bench(dir, name, &args)
}

/// The run's one scenario.
fn scenario(report: &Value) -> &Value {
    let scenarios = report["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 1, "{scenarios:?}");
    &scenarios[0]
}

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

/// The client CPU object's encode and whole seconds, checked to add up
/// with transport.
fn encode_and_whole(run: &Run) -> (f64, f64) {
    let cpu = &scenario(&run.json)["client_cpu"];
    let (encode, whole) = (number(&cpu["encode_cpu_s"]), number(&cpu["cpu_s"]));
    let transport = number(&cpu["transport_cpu_s"]);
    assert!((encode + transport - whole).abs() < 1e-9, "{cpu}");
    (encode, whole)
}

#[test]
fn live_encoding_shows_in_the_clients_cpu_split_and_a_pool_shows_none() {
    let dir = tempfile::tempdir().unwrap();
    let split = "Client CPU split: encoding frames ";
    // Some 60 frames of 480x640 each: about 2 ms of encoding a frame, well
    // over /proc's 10 ms tick per encoder thread.
    let camera = cameras(dir.path(), "cameras", 2, 30, "1");
    let live = bench(
        dir.path(),
        "live",
        &["--encode", "live", "--bursts", "15", "-c", "4"],
    );
    for (run, what) in [(&camera, "cameras"), (&live, "--encode live")] {
        let (encode, whole) = encode_and_whole(run);
        assert!(
            encode > 0.0 && encode <= whole,
            "{what}: {encode} of {whole}"
        );
        assert!(run.tables.contains(split), "{}", run.tables);
        assert!(run.markdown.contains(split), "{}", run.markdown);
    }
    let pool = bench(dir.path(), "pool", &["--bursts", "15", "-c", "4"]);
    let (encode, whole) = encode_and_whole(&pool);
    assert_eq!(encode, 0.0, "nothing is encoded during a pool's run");
    assert!(whole > 0.0);
    assert!(!pool.tables.contains(split), "{}", pool.tables);
    assert!(!pool.markdown.contains(split), "{}", pool.markdown);
}

/// A CSV with no quoted commas: its header, and its rows as header ->
/// cell maps (each row as long as the header).
fn csv_rows(text: &str) -> Vec<Vec<(String, String)>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let rows = lines.filter(|line| !line.contains('"')).map(|line| {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), header.len(), "{line}");
        header
            .iter()
            .zip(cells)
            .map(|(h, c)| (h.to_string(), c.to_string()))
            .collect()
    });
    rows.collect()
}

fn cell<'a>(row: &'a [(String, String)], column: &str) -> &'a str {
    let found = row.iter().find(|(h, _)| h == column);
    &found.unwrap_or_else(|| panic!("no column {column}")).1
}

const CAMERA_COLUMNS: [&str; 10] = [
    "camera_streams",
    "camera_fps",
    "camera_max_in_flight",
    "camera_duration_s",
    "frames_offered",
    "frames_sent",
    "frames_late",
    "frames_dropped",
    "frames_completed",
    "sustained_frames_per_s",
];

#[test]
fn a_camera_runs_csv_rows_carry_its_figures_and_other_runs_leave_them_empty() {
    let dir = tempfile::tempdir().unwrap();
    let camera = cameras(dir.path(), "cameras", 3, 10, "1.5");
    let rows = csv_rows(&camera.csv);
    assert!(
        rows.len() > 5,
        "a row per stage and the latency rows: {rows:?}"
    );
    let figures = &scenario(&camera.json)["cameras"];
    for row in &rows {
        let offered: u64 = cell(row, "frames_offered").parse().unwrap();
        assert_eq!(offered, 3 * 10 * 3 / 2, "streams x fps x duration: {row:?}");
        assert_eq!(cell(row, "camera_streams"), "3");
        assert_eq!(cell(row, "camera_fps"), "10");
        assert_eq!(cell(row, "camera_duration_s"), "1.5");
        assert_eq!(cell(row, "camera_max_in_flight"), "1");
        // The CSV says what the JSON says.
        for (column, key) in [
            ("frames_sent", "frames_sent"),
            ("frames_late", "frames_late"),
            ("frames_dropped", "frames_dropped"),
            ("frames_completed", "frames_completed"),
        ] {
            assert_eq!(cell(row, column), figures[key].to_string(), "{column}");
        }
        let sustained: f64 = cell(row, "sustained_frames_per_s").parse().unwrap();
        assert!((sustained - number(&figures["sustained_frames_per_s"])).abs() < 0.001);
    }
    let pool = bench(dir.path(), "pool", &["--bursts", "2", "-c", "2"]);
    let rows = csv_rows(&pool.csv);
    assert!(!rows.is_empty());
    for row in &rows {
        for column in CAMERA_COLUMNS {
            assert_eq!(cell(row, column), "", "{column} of a bursts run: {row:?}");
        }
    }
}

/// Shard `index` of 2 of a camera run (run id `cams`) at `fps`.
fn camera_shard(dir: &Path, index: usize, streams: u32, fps: u32) -> Run {
    let shard = format!("{index}/2");
    let (streams, fps) = (streams.to_string(), fps.to_string());
    let args = [
        "--shard",
        &shard,
        "--run-id",
        "cams",
        "--streams",
        &streams,
        "--fps",
        &fps,
        "--duration",
        "1",
    ];
    bench(dir, &format!("shard{index}-{fps}"), &args)
}

fn count(value: &Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("not a count: {value}"))
}

#[test]
fn merged_camera_shards_sum_their_streams_frames_and_sustained_rate() {
    let dir = tempfile::tempdir().unwrap();
    let shards = [0, 1].map(|i| camera_shard(dir.path(), i, 3, 20));
    let parts: Vec<&Value> = shards
        .iter()
        .map(|s| &scenario(&s.json)["cameras"])
        .collect();
    // --streams 3 over 2 shards: 2 and 1, each at the full 20 fps.
    assert_eq!(count(&parts[0]["streams"]), 2, "{}", parts[0]);
    assert_eq!(count(&parts[1]["streams"]), 1, "{}", parts[1]);
    assert_eq!(count(&parts[0]["frames_offered"]), 40, "{}", parts[0]);
    let merged_path = dir.path().join("merged.json");
    let paths = shards.each_ref().map(|s| s.json_path.to_str().unwrap());
    run_ok(&[
        "merge",
        paths[0],
        paths[1],
        "--export-json",
        merged_path.to_str().unwrap(),
    ]);
    let merged: Value = serde_json::from_slice(&std::fs::read(&merged_path).unwrap()).unwrap();
    let cams = &scenario(&merged)["cameras"];
    assert_eq!(count(&cams["streams"]), 3, "{cams}");
    assert_eq!(cams["fps"], 20.0);
    assert_eq!(cams["duration_s"], 1.0);
    assert_eq!(count(&cams["max_in_flight"]), 1);
    for key in [
        "frames_offered",
        "frames_sent",
        "frames_late",
        "frames_dropped",
        "frames_completed",
    ] {
        let sum: u64 = parts.iter().map(|p| count(&p[key])).sum();
        assert_eq!(count(&cams[key]), sum, "{key}: {cams}");
    }
    assert_eq!(
        count(&cams["frames_offered"]),
        3 * 20,
        "streams x fps x duration"
    );
    let sustained: f64 = parts
        .iter()
        .map(|p| number(&p["sustained_frames_per_s"]))
        .sum();
    assert!((number(&cams["sustained_frames_per_s"]) - sustained).abs() < 1e-9);
    assert_eq!(
        count(&cams["frames_completed"]),
        count(&scenario(&merged)["requests"])
    );
}

#[test]
fn camera_shards_at_different_fps_are_not_merged() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        camera_shard(dir.path(), 0, 2, 20),
        camera_shard(dir.path(), 1, 2, 30),
    );
    let paths = [&a, &b].map(|s| s.json_path.to_str().unwrap());
    let err = run_failing(&["merge", paths[0], paths[1]]);
    assert!(
        err.contains("--fps 30") && err.contains("--fps 20"),
        "{err}"
    );
    assert!(err.contains("share --fps"), "{err}");
}

/// Whether a camera run kept up, from its own counts: none failed, at
/// most 1 % dropped and 1 % late.
fn kept_up(cams: &Value) -> bool {
    let n = |key: &str| count(&cams[key]) as f64;
    let share = |part: &str, of: &str| n(part) / n(of).max(1.0);
    n("frames_completed") == n("frames_sent")
        && share("frames_dropped", "frames_offered") <= 0.01
        && share("frames_late", "frames_sent") <= 0.01
}

/// `imgwire compare A B EXTRA --export-json DIR/compare.json`: its text
/// and its JSON.
fn compare(dir: &Path, [a, b]: [&Run; 2], extra: &[&str]) -> (String, Value) {
    let json = dir.join("compare.json");
    let paths = [a, b].map(|r| r.json_path.to_str().unwrap());
    let mut args = vec!["compare", paths[0], paths[1]];
    args.extend(extra);
    args.extend(["--export-json", json.to_str().unwrap()]);
    let text = run_ok(&args);
    (
        text,
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap(),
    )
}

#[test]
fn compare_sets_two_camera_runs_side_by_side_and_says_which_kept_up() {
    let dir = tempfile::tempdir().unwrap();
    let easy = cameras(dir.path(), "easy", 2, 5, "1");
    let hard = bench(dir.path(), "hard", &crate::cameras::OVERLOADED);
    let (text, comparison) = compare(dir.path(), [&easy, &hard], &["--match", "payload,protocol"]);
    let pair = &comparison["scenarios"][0]["cameras"];
    let (a, b) = (
        &scenario(&easy.json)["cameras"],
        &scenario(&hard.json)["cameras"],
    );
    assert_eq!((&pair["a"], &pair["b"]), (a, b));
    assert!(
        !kept_up(b),
        "one encoder thread kept up with 180 frames/s: {b}"
    );
    assert_eq!(pair["kept_up"], serde_json::json!([kept_up(a), kept_up(b)]));
    let sustained = |c: &Value| number(&c["sustained_frames_per_s"]);
    let (sa, sb) = (sustained(a), sustained(b));
    let change = number(&pair["sustained_change_percent"]);
    assert!((change - (sb / sa - 1.0) * 100.0).abs() < 1e-6, "{pair}");
    let counts = format!(
        "frames offered 10 -> 180, sent {} -> {}, late {} -> {}, dropped {} -> {}",
        a["frames_sent"],
        b["frames_sent"],
        a["frames_late"],
        b["frames_late"],
        a["frames_dropped"],
        b["frames_dropped"]
    );
    assert!(text.contains(&counts), "{counts} in {text}");
    let loads = "cameras: A 2 x 5 fps for 1 s, B 6 x 30 fps for 1 s";
    assert!(text.contains(loads), "{text}");
    let sustained = format!("sustained {sa:.1} -> {sb:.1} frames/s ({change:+.1} %); ");
    assert!(text.contains(&sustained), "{sustained} in {text}");
    let verdict = match kept_up(a) {
        true => "A kept up, B did not (",
        false => "neither kept up (",
    };
    assert!(text.contains(verdict), "{verdict} in {text}");
    // The header states each run's load in its own terms.
    for (side, load) in [
        ("a", "cameras: 2 streams x 5 fps for 1 s"),
        ("b", "cameras: 6 streams x 30 fps for 1 s"),
    ] {
        assert_eq!(comparison[side]["load"], load);
        assert!(text.contains(&format!(", {load})")), "{load} in {text}");
    }
}

#[test]
fn runs_without_cameras_compare_without_camera_figures() {
    let dir = tempfile::tempdir().unwrap();
    let pool = bench(dir.path(), "pool", &["--bursts", "2", "-c", "2"]);
    let (text, comparison) = compare(dir.path(), [&pool, &pool], &[]);
    assert!(
        comparison["scenarios"][0]["cameras"].is_null(),
        "{comparison}"
    );
    assert!(!text.contains("cameras:"), "{text}");
}
