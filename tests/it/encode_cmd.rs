//! `imgwire encode` run for real through the library, as the binary runs
//! it: the CPU encoders measured at every thread count with sane quality
//! figures, the GPU rows saying why they are missing where no GPU is, and
//! bad flags refused before anything is measured.

use clap::Parser;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Runs `imgwire encode ARGS --json DIR/out.json --csv DIR/out.csv`.
fn encode(dir: &Path, args: &[&str]) -> (anyhow::Result<()>, Option<Value>, Option<String>) {
    let json = dir.join("out.json");
    let csv = dir.join("out.csv");
    let (json_text, csv_text) = (json.to_str().unwrap(), csv.to_str().unwrap());
    let mut argv = vec!["imgwire", "encode", "--json", json_text, "--csv", csv_text];
    argv.extend_from_slice(args);
    let result = imgwire::run(imgwire::Cli::try_parse_from(argv).expect("arguments parse"));
    let report = std::fs::read(&json)
        .ok()
        .map(|b| serde_json::from_slice(&b).expect("the JSON parses"));
    (result, report, std::fs::read_to_string(&csv).ok())
}

fn rows<'a>(report: &'a Value, encoder: &str) -> Vec<&'a Value> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["encoder"] == encoder)
        .collect()
}

const NO_DRIVER: &str =
    "no CUDA driver library (libcuda.so) found: --encoders nvjpeg needs an NVIDIA GPU and driver";

#[test]
fn cpu_encoders_are_measured_at_every_thread_count_with_sane_quality() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--sizes",
        "120x160",
        "--frames",
        "6",
        "--threads",
        "2,1",
        "--quality",
        "90",
    ];
    let (result, report, csv) = encode(dir.path(), &args);
    result.expect("the comparison runs");
    let report = report.expect("the JSON was written");
    assert_eq!(report["schema_version"], 1);
    assert!(report["machine"]["cpu_cores"].as_u64().unwrap() >= 1);
    for encoder in ["turbojpeg", "image-rs"] {
        let measured = rows(&report, encoder);
        let threads: Vec<u64> = measured
            .iter()
            .map(|r| r["threads"].as_u64().unwrap())
            .collect();
        assert_eq!(threads, [1, 2], "{encoder}");
        for row in measured {
            assert_eq!(row["frames"], 6);
            assert!(row["p50_frame_ns"].as_u64().unwrap() > 0);
            assert!(row["p99_frame_ns"].as_u64() >= row["p50_frame_ns"].as_u64());
            assert!(row["megapixels_per_s"].as_f64().unwrap() > 0.0);
            assert!(row["bits_per_pixel"].as_f64().unwrap() > 0.1);
            let psnr = row["psnr_rgb_db"].as_f64().unwrap();
            assert!(psnr > 30.0 && psnr < 60.0, "{encoder}: PSNR {psnr}");
            assert!(row["psnr_y_db"].as_f64().unwrap() > 30.0);
            let ssim = row["ssim_y"].as_f64().unwrap();
            assert!(ssim > 0.8 && ssim <= 1.0, "{encoder}: SSIM {ssim}");
        }
    }
    assert_eq!(rows(&report, "image-rs")[0]["subsampling"], "444");
    assert_eq!(report["reference_sweep"].as_array().unwrap().len(), 9);
    let pairs = report["same_quality"].as_array().unwrap();
    assert!(
        pairs
            .iter()
            .any(|p| p["encoder"] == "image-rs" && p["threads"] == 1),
        "{pairs:?}"
    );
    let csv = csv.expect("the CSV was written");
    let header_cells = csv.lines().next().unwrap().split(',').count();
    assert_eq!(
        csv.lines()
            .filter(|l| l.starts_with("measured,120x160,turbojpeg,90,"))
            .count(),
        2
    );
    assert_eq!(
        csv.lines().filter(|l| l.starts_with("reference,")).count(),
        9
    );
    for line in csv.lines() {
        assert_eq!(line.split(',').count(), header_cells, "{line}");
    }
    gpu_rows_say_why_they_are_missing(&report);
}

/// The reference sweep reaches q100; an encoder whose PSNR lies past it
/// anyway (noise frames: 4:2:0 turbojpeg loses their chroma at any quality,
/// image-rs keeps it at 4:4:4) is paired with the sweep's end and marked
/// out of range, never passed off as the same quality.
#[test]
fn same_quality_pairs_past_the_sweep_are_marked_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--encoders",
        "turbojpeg,image-rs",
        "--sizes",
        "120x160",
        "--content",
        "noise",
        "--frames",
        "4",
        "--threads",
        "1",
        "--quality",
        "90,95",
    ];
    let (result, report, _) = encode(dir.path(), &args);
    result.expect("the comparison runs");
    let report = report.expect("the JSON was written");
    let sweep = report["reference_sweep"].as_array().unwrap();
    let qualities: Vec<u64> = sweep
        .iter()
        .map(|p| p["quality"].as_u64().unwrap())
        .collect();
    assert_eq!(qualities.last(), Some(&100), "{qualities:?}");
    let best = sweep
        .iter()
        .map(|p| p["psnr_rgb_db"].as_f64().unwrap())
        .fold(f64::NEG_INFINITY, f64::max);
    let pairs = report["same_quality"].as_array().unwrap();
    assert_eq!(pairs.len(), 2, "{pairs:?}");
    for pair in pairs {
        let psnr = pair["psnr_rgb_db"].as_f64().unwrap();
        assert!(
            psnr > best + 1.0,
            "noise keeps image-rs above the sweep: {pair}"
        );
        assert_eq!(pair["reference_quality"], 100, "{pair}");
        assert_eq!(pair["out_of_range"], "above", "{pair}");
    }
}

/// Without a driver, each GPU encoder is one row holding the error's own
/// line and no figures; with one, they are measured like the others.
fn gpu_rows_say_why_they_are_missing(report: &Value) {
    for encoder in ["nvjpeg", "nvjpeg-device"] {
        let gpu_rows = rows(report, encoder);
        assert!(!gpu_rows.is_empty(), "{encoder} has rows");
        if imgwire::gpu::driver_present() {
            continue;
        }
        assert_eq!(gpu_rows.len(), 1, "{encoder}: {gpu_rows:?}");
        assert_eq!(gpu_rows[0]["error"], NO_DRIVER);
        assert!(gpu_rows[0].get("threads").is_none() && gpu_rows[0].get("psnr_rgb_db").is_none());
    }
    if !imgwire::gpu::driver_present() {
        assert_eq!(report["machine"]["gpu_error"], NO_DRIVER);
    }
}

#[test]
fn nvjpeg_alone_without_a_gpu_stops_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--sizes", "64x64", "--frames", "2", "--encoders", "nvjpeg"];
    let (result, report, _) = encode(dir.path(), &args);
    match result {
        Err(error) => {
            let text = format!("{error:#}");
            assert!(!text.contains('\n'), "{text}");
            if !imgwire::gpu::driver_present() {
                assert_eq!(text, NO_DRIVER);
            }
            assert!(report.is_none(), "nothing is written when nothing ran");
        }
        Ok(()) => assert!(
            imgwire::gpu::driver_present(),
            "nvjpeg ran without a driver"
        ),
    }
}

#[test]
fn bad_inputs_are_refused_naming_their_flag_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder");
    let missing_text = missing.to_str().unwrap();
    let cases: [(&[&str], &str); 3] = [
        (
            &["--encoders", "turbojpeg", "--images", missing_text],
            "--images",
        ),
        (
            &[
                "--encoders",
                "turbojpeg",
                "--export-json",
                &format!("{missing_text}/o.json"),
            ],
            "--export-json",
        ),
        (
            &[
                "--encoders",
                "turbojpeg",
                "--export-csv",
                dir.path().to_str().unwrap(),
            ],
            "--export-csv",
        ),
    ];
    for (extra, flag) in cases {
        let mut argv = vec!["imgwire", "encode", "--sizes", "16x16", "--frames", "1"];
        argv.extend_from_slice(extra);
        let cli = imgwire::Cli::try_parse_from(argv).unwrap();
        let error = imgwire::run(cli).expect_err(flag);
        assert!(format!("{error:#}").contains(flag), "{flag}: {error:#}");
    }
    for bad in [
        ["--threads", "0"],
        ["--quality", "101"],
        ["--encoders", "opencv"],
    ] {
        let mut argv = vec!["imgwire", "encode"];
        argv.extend_from_slice(&bad);
        assert!(imgwire::Cli::try_parse_from(argv).is_err(), "{bad:?}");
    }
}

/// The folder `scripts/fetch-photos.sh` filled: `IMGWIRE_PHOTOS`, or the
/// script's default `out/photos`.
fn photos_dir() -> PathBuf {
    std::env::var_os("IMGWIRE_PHOTOS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("out/photos"),
        PathBuf::from,
    )
}

#[test]
#[ignore = "needs scripts/fetch-photos.sh"]
fn real_photographs_compress_and_survive_like_photographs() {
    let photos = photos_dir();
    assert!(
        photos.is_dir(),
        "{} is missing: run scripts/fetch-photos.sh first (or set IMGWIRE_PHOTOS)",
        photos.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--images",
        photos.to_str().unwrap(),
        "--sizes",
        "360x640",
        "--frames",
        "5",
        "--threads",
        "1",
        "--encoders",
        "turbojpeg,image-rs",
    ];
    let (result, report, _) = encode(dir.path(), &args);
    result.expect("the comparison runs on the photographs");
    let report = report.unwrap();
    for row in rows(&report, "turbojpeg")
        .into_iter()
        .chain(rows(&report, "image-rs"))
    {
        assert!(row["frame_pool_size"].as_u64().unwrap() >= 5, "{row}");
        let bits = row["bits_per_pixel"].as_f64().unwrap();
        assert!((0.3..=6.0).contains(&bits), "{bits} bits/pixel");
        assert!(row["psnr_rgb_db"].as_f64().unwrap() > 30.0, "{row}");
    }
}
