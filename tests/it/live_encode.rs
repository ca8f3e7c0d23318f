//! `bench --encode live`: every request's frame made and encoded at send
//! time, so `generate` and `encode` are request stages inside the wall
//! time, each request sends other pixels, a starved encoder shows as the
//! dominant stage, and the flags that mean nothing live are refused.

use crate::common;

use common::serve_process::{bench_ok, imgwire, run_failing};
use serde_json::Value;
use std::process::Stdio;

/// Runs `bench` against the built-in servers with `args`, quietly, and
/// returns its JSON report, its trace (`--trace`) and its tables.
fn bench(args: &[&str]) -> (Value, Value, String) {
    let (report, trace, tables, _) = bench_with_html(args);
    (report, trace, tables)
}

/// `bench`, and its HTML page (`--export-html`) too.
fn bench_with_html(args: &[&str]) -> (Value, Value, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let (json, trace) = (dir.path().join("run.json"), dir.path().join("trace.json"));
    let html = dir.path().join("run.html");
    let files = [
        "-q",
        "--export-json",
        json.to_str().unwrap(),
        "--trace",
        trace.to_str().unwrap(),
        "--export-html",
        html.to_str().unwrap(),
    ];
    let tables = bench_ok(&[&files[..], args].concat());
    let read = |path| serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let html = std::fs::read_to_string(&html).unwrap();
    (read(&json), read(&trace), tables, html)
}

/// Whether a chart's legend names `stage` (each name a text of its own).
fn legend_has(chart: &str, stage: &str) -> bool {
    chart.lines().any(|line| line.trim() == stage)
}

/// The stacked stage chart of 96x128 binary in an HTML page.
fn stage_chart(html: &str) -> &str {
    let at = html
        .find("stages-96x128-binary")
        .expect("the binary stage chart");
    let end = html[at..].find("</svg>").expect("the chart's end");
    &html[at..at + end]
}

/// The scenario of `payload` over `protocol`.
fn scenario<'a>(report: &'a Value, payload: &str, protocol: &str) -> &'a Value {
    let scenarios = report["scenarios"].as_array().unwrap();
    let found = scenarios
        .iter()
        .find(|s| s["payload"] == payload && s["protocol"] == protocol);
    found.unwrap_or_else(|| panic!("no {payload} {protocol} scenario in {scenarios:?}"))
}

fn u64_of(value: &Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("not a count: {value}"))
}

/// The stages' total time over the scenario's requests, per request: each
/// stage's mean weighted by how many requests have it (a request without
/// the server's stages counts zero for them).
fn stages_per_request(s: &Value) -> f64 {
    let requests = u64_of(&s["requests"]) as f64;
    let stages = s["stages"].as_object().unwrap();
    let in_wall = stages.iter().filter(|(name, _)| *name != "wall");
    in_wall
        .map(|(_, m)| (u64_of(&m["mean_ns"]) * u64_of(&m["count"])) as f64)
        .sum::<f64>()
        / requests
}

const SMALL_RUN: [&str; 10] = [
    "--sizes",
    "96x128",
    "--payloads",
    "basic,binary",
    "--protocols",
    "rest,grpc",
    "--concurrency",
    "3",
    "--bursts",
    "4",
];

#[test]
fn live_frames_are_made_and_encoded_inside_every_request() {
    let live_args = [
        &SMALL_RUN[..],
        &["--encode", "live", "--encode-threads", "2"],
    ]
    .concat();
    let (live, _, tables, html) = bench_with_html(&live_args);
    // The stage bars stack the live frame's making and encoding too.
    let chart = stage_chart(&html);
    assert!(
        legend_has(chart, "encode") && legend_has(chart, "generate"),
        "{chart}"
    );
    assert_eq!(live["settings"]["encode_mode"], "live");
    assert_eq!(live["settings"]["encode_threads"], 2);
    for protocol in ["rest", "grpc"] {
        let s = scenario(&live, "binary", protocol);
        let requests = u64_of(&s["requests"]);
        assert!(requests >= 12, "{s}");
        for stage in ["generate", "encode"] {
            assert_eq!(
                u64_of(&s["stages"][stage]["count"]),
                requests,
                "{stage}: {s}"
            );
            let bursts = s["stage_burst_means_ns"][stage].as_array().unwrap();
            assert_eq!(bursts.len(), 4, "{stage} per counted burst");
        }
        let wall = u64_of(&s["stages"]["wall"]["mean_ns"]) as f64;
        let stages = stages_per_request(s);
        // Means are whole nanoseconds: one of rounding per stage at most.
        assert!(
            (stages - wall).abs() <= 16.0,
            "stages {stages} vs wall {wall}"
        );
        assert_eq!(u64_of(&s["bytes"]["raw_frame_bytes"]), 96 * 128 * 3);
        assert!(u64_of(&s["bytes"]["image_bytes"]) > 0, "{s}");
        // The basic payload carries no image: nothing made for it.
        let basic = scenario(&live, "basic", protocol);
        assert!(basic["stages"].get("encode").is_none(), "{basic}");
    }
    let header = tables.lines().find(|l| l.starts_with("frames:")).unwrap();
    assert!(
        header.contains("generated and encoded live per request by 2 encoder threads"),
        "{header}"
    );
    let encode_row = tables
        .lines()
        .find(|l| l.trim_start().starts_with("encode"));
    let encode_row = encode_row.expect("an encode row");
    assert!(!encode_row.contains("per frame"), "{encode_row}");
    assert!(
        !encode_row.trim_end().ends_with('-'),
        "a share of wall: {encode_row}"
    );

    // The same flags under the default pool: made once, per frame only.
    let (pool, _, tables, html) = bench_with_html(&SMALL_RUN);
    let chart = stage_chart(&html);
    assert!(!legend_has(chart, "encode"), "per frame: {chart}");
    assert!(legend_has(chart, "serialize"), "{chart}");
    assert_eq!(pool["settings"]["encode_mode"], "pool");
    assert!(pool["settings"]["encode_threads"].is_null());
    let s = scenario(&pool, "binary", "rest");
    for stage in ["generate", "encode"] {
        assert_eq!(u64_of(&s["stages"][stage]["count"]), 1, "one frame: {s}");
        assert!(s["stage_burst_means_ns"].get(stage).is_none(), "{s}");
    }
    let wall = u64_of(&s["stages"]["wall"]["mean_ns"]) as f64;
    let in_request = stages_per_request(s)
        - (1.0 / u64_of(&s["requests"]) as f64)
            * (u64_of(&s["stages"]["generate"]["mean_ns"])
                + u64_of(&s["stages"]["encode"]["mean_ns"])) as f64;
    assert!((in_request - wall).abs() <= 16.0, "{in_request} vs {wall}");
    assert!(tables.contains("encode (per frame)"), "{tables}");
}

/// Every request's `request_bytes` in the trace, for one scenario label.
fn request_sizes(trace: &Value, label: &str) -> Vec<u64> {
    let events = trace["traceEvents"].as_array().unwrap();
    let requests = events
        .iter()
        .filter(|e| e["cat"] == "request" && e["name"] == label);
    requests
        .map(|e| u64_of(&e["args"]["request_bytes"]))
        .collect()
}

#[test]
fn each_live_request_sends_a_frame_of_its_own() {
    let args = [
        "--sizes",
        "96x128",
        "--payloads",
        "binary",
        "--protocols",
        "rest",
        "--concurrency",
        "4",
        "--bursts",
        "3",
    ];
    let live_args = [&args[..], &["--encode", "live"]].concat();
    let label = "96x128 binary REST";
    let (_, trace, _) = bench(&live_args);
    let mut live = request_sizes(&trace, label);
    assert!(live.len() >= 12, "{live:?}");
    // Each request's track draws its frame's making and encoding too.
    let events = trace["traceEvents"].as_array().unwrap();
    for stage in ["generate", "encode"] {
        let drawn = events
            .iter()
            .filter(|e| e["cat"] == "stage" && e["name"] == stage);
        assert_eq!(drawn.count(), live.len(), "{stage} spans");
    }
    live.sort_unstable();
    live.dedup();
    // Moving noise encodes to another size almost every frame.
    assert!(live.len() > 1, "one size for every live frame: {live:?}");
    let (_, trace, _) = bench(&args);
    let mut pooled = request_sizes(&trace, label);
    pooled.dedup();
    assert_eq!(pooled.len(), 1, "the pool's one frame: {pooled:?}");
}

#[test]
fn one_encoder_thread_for_eight_requests_makes_encode_dominant() {
    let (report, _, _) = bench(&[
        "--sizes",
        "1080x1920",
        "--payloads",
        "binary",
        "--protocols",
        "rest",
        "--concurrency",
        "8",
        "--bursts",
        "2",
        "--encode",
        "live",
        "--encode-threads",
        "1",
        "--server-decoder",
        "none",
    ]);
    let s = scenario(&report, "binary", "rest");
    assert_eq!(s["dominant_stage"], "encode", "{}", s["stages"]);
    let mean = |stage: &str| u64_of(&s["stages"][stage]["mean_ns"]);
    // Requests queue for the one encoder: the wait and the encoding are
    // most of the wall time, more than everything after them together.
    assert!(2 * mean("encode") > mean("wall"), "{}", s["stages"]);
}

/// `imgwire bench --sizes 64x64 ARGS`'s refusal: its stderr.
fn refused(args: &[&str]) -> String {
    let argv = [&["bench", "--sizes", "64x64"], args].concat();
    run_failing(&argv).trim().to_string()
}

#[test]
fn flags_that_mean_nothing_live_are_refused_naming_the_flag() {
    let cases: [(&[&str], &str); 4] = [
        (&["--encode-threads", "2"], "--encode-threads"),
        (&["--encode", "live", "--frames", "4"], "--frames"),
        (
            &["--encode", "live", "--payloads", "basic"],
            "--payloads basic",
        ),
        (&["--encode", "live", "--frames-on", "gpu"], "--frames-on"),
    ];
    for (args, flag) in cases {
        let err = refused(args);
        assert!(err.contains(flag), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
    let zero = refused(&["--encode", "live", "--encode-threads", "0"]);
    assert!(
        zero.lines().next().unwrap().contains("--encode-threads"),
        "{zero}"
    );
    // nvJPEG encodes live (one encoder and CUDA stream per thread) where a
    // GPU is; without one, the run stops at once in one line saying so.
    let out = imgwire()
        .args(["bench", "-q", "--sizes", "64x64", "--payloads", "binary"])
        .args(["--protocols", "rest", "--bursts", "2"])
        .args(["--encode", "live", "--encoder", "nvjpeg"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("--encoder nvjpeg"), "{err}");
    }
}

#[test]
fn live_frames_from_image_files_take_the_files_in_turn() {
    let dir = tempfile::tempdir().unwrap();
    let gradient =
        image::RgbImage::from_fn(80, 60, |x, y| image::Rgb([x as u8 * 3, y as u8 * 4, 90]));
    gradient.save(dir.path().join("a.png")).unwrap();
    let checks = image::RgbImage::from_fn(80, 60, |x, y| match (x / 5 + y / 5) % 2 {
        0 => image::Rgb([250, 250, 250]),
        _ => image::Rgb([10, 40, 10]),
    });
    checks.save(dir.path().join("b.png")).unwrap();
    let images = dir.path().to_str().unwrap();
    let (report, trace, tables) = bench(&[
        "--images",
        images,
        "--sizes",
        "64x64",
        "--payloads",
        "binary",
        "--protocols",
        "rest",
        "--concurrency",
        "2",
        "--bursts",
        "3",
        "--encode",
        "live",
    ]);
    assert_eq!(report["settings"]["frame_pool_size"], 2, "the base frames");
    let header = tables.lines().find(|l| l.starts_with("frames:")).unwrap();
    assert!(
        header.contains("2 image files in") && header.contains("one after another"),
        "{header}"
    );
    let mut sizes = request_sizes(&trace, "64x64 binary REST");
    sizes.sort_unstable();
    sizes.dedup();
    assert!(
        sizes.len() > 1,
        "the two files encode to other sizes: {sizes:?}"
    );
}

/// The body `--save-requests` keeps of the 64x64 binary REST scenario.
fn saved_body(mode: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().to_str().unwrap();
    common::serve_process::run_ok(&[
        "bench",
        "-q",
        "--sizes",
        "64x64",
        "--payloads",
        "binary",
        "--protocols",
        "rest",
        "--bursts",
        "1",
        "--warmup",
        "0",
        "--warmup-max",
        "0",
        "--encode",
        mode,
        "--save-requests",
        saved,
    ]);
    std::fs::read(dir.path().join("64x64-binary-rest.body")).unwrap()
}

#[test]
fn a_saved_live_request_carries_frame_zero_as_the_pool_does() {
    let live = saved_body("live");
    assert!(live.starts_with(&[0xFF, 0xD8]), "a JPEG body");
    // Frame 0 has not moved yet: the pool's one frame, encoded alike.
    assert_eq!(live, saved_body("pool"));
}

/// `imgwire compare`'s JSON for two `bench` runs of `a` and `b` flags.
fn compared(a: &[&str], b: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, flags) in [("a.json", a), ("b.json", b)] {
        let path = dir.path().join(name).to_str().unwrap().to_string();
        let run = [
            &["bench", "-q", "--sizes", "96x128", "--payloads", "binary"][..],
            &[
                "--protocols",
                "rest",
                "--bursts",
                "4",
                "--export-json",
                &path,
            ],
            flags,
        ]
        .concat();
        common::serve_process::run_ok(&run);
        paths.push(path);
    }
    let out = common::serve_process::run_ok(&["compare", &paths[0], &paths[1], "--json", "-"]);
    serde_json::from_str(&out).unwrap()
}

/// The stages a comparison's first scenario compared, and its settings
/// that differ.
fn compared_stages_and_differences(comparison: &Value) -> (Vec<String>, Vec<String>) {
    let names = |list: &Value, key: &str| -> Vec<String> {
        let items = list.as_array().unwrap().iter();
        items
            .map(|s| s[key].as_str().unwrap().to_string())
            .collect()
    };
    let stages = names(&comparison["scenarios"][0]["stages"], "stage");
    (stages, names(&comparison["differences"], "setting"))
}

#[test]
fn compare_sets_live_encode_stages_side_by_side_only_when_both_are_live() {
    let live = |threads| ["--encode", "live", "--encode-threads", threads];
    let (stages, differences) = compared_stages_and_differences(&compared(&live("1"), &live("2")));
    assert!(
        stages.contains(&"encode".into()) && stages.contains(&"generate".into()),
        "{stages:?}"
    );
    assert!(
        differences.contains(&"encode_threads".into()),
        "{differences:?}"
    );
    // Per frame of the pool in A: nothing per request to set against B's.
    let (stages, differences) = compared_stages_and_differences(&compared(&[], &live("2")));
    assert!(!stages.contains(&"encode".into()), "{stages:?}");
    assert!(stages.contains(&"serialize".into()), "{stages:?}");
    assert!(
        differences.contains(&"encode_mode".into()),
        "{differences:?}"
    );
}
