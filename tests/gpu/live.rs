//! The live pipeline on the GPU (`--encode live --frames-on gpu`, and
//! cameras with nvJPEG): without CUDA, one clear line before anything
//! starts; on an NVIDIA machine (ignored here; scripts/gpu-check.sh runs
//! them) every request's frame is drawn by the kernels on its encoder
//! thread's stream, encoded there, sent, and decoded by the server.

use imgwire::gpu::{self, GpuError, GpuUse};
use serde_json::Value;
use std::process::Command;

/// `bench` with `args` on the built-in servers, one binary REST scenario:
/// the binary at `IMGWIRE_BIN` (scripts/gpu-check.sh sets it on a machine
/// where this one was carried), else the one cargo built.
fn bench(args: &[&str]) -> std::process::Output {
    let bin = std::env::var("IMGWIRE_BIN").unwrap_or(env!("CARGO_BIN_EXE_imgwire").into());
    Command::new(bin)
        .args([
            "bench",
            "--no-color",
            "--payloads",
            "binary",
            "--protocols",
            "rest",
        ])
        .args(["--warmup", "1", "--warmup-max", "0"])
        .args(args)
        .output()
        .expect("imgwire runs")
}

#[test]
fn live_frames_on_the_gpu_without_cuda_fail_at_once_with_one_line() {
    if gpu::driver_present() {
        gpu::probe(GpuUse::Frames).expect("a CUDA driver is present, so a GPU should be found");
        return;
    }
    for args in [
        &["--encode", "live", "--frames-on", "gpu", "--sizes", "64x64"][..],
        &["--streams", "2", "--fps", "5", "--frames-on", "gpu"][..],
    ] {
        let out = bench(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        let no_driver = GpuError::NoDriver(GpuUse::Frames);
        assert_eq!(stderr, format!("error: {no_driver}\n"), "{args:?}");
    }
}

/// Runs a live GPU bench with `encoder`; returns its one scenario.
fn live_on_gpu(encoder: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("live.json");
    let out = bench(&[
        "--encode",
        "live",
        "--frames-on",
        "gpu",
        "--encoder",
        encoder,
        "--encode-threads",
        "2",
        "--sizes",
        "360x640",
        "--content",
        "natural",
        "--concurrency",
        "4",
        "--bursts",
        "3",
        "--json",
        json.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{encoder}: {stderr}");
    let report: Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    report["scenarios"][0].clone()
}

#[test]
#[ignore = "needs an NVIDIA GPU and driver"]
fn live_frames_drawn_on_the_gpu_reach_the_server_decoded() {
    for encoder in ["nvjpeg", "turbojpeg"] {
        let s = live_on_gpu(encoder);
        assert_eq!(s["errors"], 0, "{encoder}: {s}");
        let requests = s["requests"].as_u64().unwrap();
        assert_eq!(requests, 12, "{encoder}: 3 bursts of 4");
        // generate and encode are stages of every request, and the server
        // decoded every frame it was sent.
        for stage in ["generate", "encode", "server.decode"] {
            let count = s["stages"][stage]["count"].as_u64();
            assert_eq!(count, Some(requests), "{encoder} {stage}: {s}");
        }
        let body = s["bytes"]["request_body_bytes"].as_u64().unwrap();
        assert!(body < 360 * 640 * 3, "{encoder}: a JPEG, not raw: {body}");
    }
}
