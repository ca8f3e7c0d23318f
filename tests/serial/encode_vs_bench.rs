//! `imgwire encode --link`'s projection held against a real `imgwire bench
//! --link` through the built-in server: raw frames and turbojpeg q90 over a
//! slow emulated link, where the bytes on the link dominate. bench encodes
//! before its bursts, so the part it measures is the request's: transfer +
//! rtt + server decode. What both runs share (the request's headers, the
//! relay's scheduling, HTTP) cancels in the difference raw - JPEG, which
//! must match the projected difference within `TOLERANCE`: a property of
//! the two runs, not a wall-clock bound; retried once on a busy machine.

use crate::common;

use common::serve_process::imgwire;
use serde_json::Value;
use std::path::Path;
use std::process::Stdio;

/// How far the measured difference may stray from the projected one.
const TOLERANCE: f64 = 0.25;
/// 40 Mbit/s: a 240x320 raw frame (230,400 bytes) takes 46 ms, its JPEG a
/// few; the gap dwarfs the relay's and the machine's noise.
const LINK: &str = "bw=40mbit,rtt=0ms";
const SHARED: [&str; 10] = [
    "--sizes",
    "240x320",
    "--quality",
    "90",
    "--subsampling",
    "420",
    "--content",
    "natural",
    "--seed",
    "1",
];

fn run_to_json(args: &[&str], json: &Path) -> Value {
    let out = imgwire()
        .args(args)
        .args(["--export-json", json.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .expect("imgwire runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "imgwire {args:?}: {stderr}");
    serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap()
}

/// The projected request time per encoder: transfer + rtt + decode.
fn projected(dir: &Path) -> [f64; 2] {
    let mut args = vec!["encode", "--encoders", "none,turbojpeg", "--threads", "1"];
    args.extend(SHARED);
    args.extend(["--frames", "10", "--link", LINK]);
    let report = run_to_json(&args, &dir.join("encode.json"));
    let costs = report["link_costs"].as_array().unwrap();
    ["none", "turbojpeg"].map(|encoder| {
        let cost = costs
            .iter()
            .find(|c| c["encoder"] == encoder && c["decoder"] == "turbojpeg")
            .unwrap_or_else(|| panic!("no {encoder} cost: {costs:?}"));
        ["transfer_ns", "rtt_ns", "decode_ns"]
            .map(|key| cost[key].as_f64().unwrap())
            .iter()
            .sum()
    })
}

/// bench's median request time per encoder, and the image bytes it sent.
fn measured(dir: &Path) -> [(f64, f64); 2] {
    ["none", "turbojpeg"].map(|encoder| {
        let mut args = vec!["bench", "--payloads", "binary", "--protocols", "rest"];
        args.extend(SHARED);
        args.extend(["--encoder", encoder, "--link", LINK]);
        args.extend(["--concurrency", "1", "--bursts", "8", "--warmup", "1"]);
        let report = run_to_json(&args, &dir.join(format!("bench-{encoder}.json")));
        let scenario = &report["scenarios"][0];
        (
            scenario["latency"]["uncorrected"]["p50_ns"]
                .as_f64()
                .unwrap(),
            scenario["bytes"]["image_bytes"].as_f64().unwrap(),
        )
    })
}

/// The measured difference over the projected one, and what both were.
fn one_try() -> (f64, String) {
    let dir = tempfile::tempdir().unwrap();
    let [raw_projected, jpeg_projected] = projected(dir.path());
    let [(raw_wall, raw_bytes), (jpeg_wall, _)] = measured(dir.path());
    assert_eq!(raw_bytes, 240.0 * 320.0 * 3.0, "bench sent the raw frame");
    assert!(
        raw_wall > jpeg_wall,
        "raw {raw_wall} ns, JPEG {jpeg_wall} ns"
    );
    let ratio = (raw_wall - jpeg_wall) / (raw_projected - jpeg_projected);
    let figures = format!(
        "projected raw {raw_projected:.0} ns, JPEG {jpeg_projected:.0} ns; measured p50 raw \
         {raw_wall:.0} ns, JPEG {jpeg_wall:.0} ns; measured / projected difference {ratio:.3}"
    );
    (ratio, figures)
}

#[test]
fn the_projection_matches_a_real_bench_over_the_same_link() {
    let _turn = crate::one_at_a_time();
    let (ratio, figures) = one_try();
    if (ratio - 1.0).abs() <= TOLERANCE {
        return;
    }
    let (again, figures_again) = one_try();
    assert!(
        (again - 1.0).abs() <= TOLERANCE,
        "outside {TOLERANCE}: {figures}; again: {figures_again}"
    );
}
