//! The values people type, through the real binary: durations (`5s`,
//! `500ms`, `2m`), bit rates (`1Gbit`, `1gbps`), `localhost:PORT`
//! addresses (`serve`'s and `--metrics-addr`) and URLs, named and
//! portrait sizes, and `--images` folders holding files that do not
//! decode. Each run is small (tiny frames, few
//! bursts) against real servers on loopback.

use crate::common;

use common::serve_process::imgwire;
use common::{SmallRun, SMALL_RUN};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

struct Outcome {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Outcome {
    let out = imgwire()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("imgwire runs");
    Outcome {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A small bench against the built-in servers (one size, binary REST, two
/// bursts of one request) with `extra` flags, writing its JSON into `dir`.
fn small_bench(dir: &Path, extra: &[&str]) -> (Outcome, Option<serde_json::Value>) {
    let json = dir.join("out.json");
    let load = SmallRun {
        concurrency: "1",
        bursts: "2",
        warmup: "0",
        ..SMALL_RUN
    };
    let mut args = vec!["bench", "--payloads", "binary", "--protocols", "rest"];
    args.extend(["--no-color", "--json", json.to_str().unwrap()]);
    // The load's flags, but its size where `extra` gives its own.
    let [sizes_flag, size, load_flags @ ..] = load.args();
    if !extra.contains(&sizes_flag) {
        args.extend([sizes_flag, size]);
    }
    args.extend(load_flags);
    args.extend_from_slice(extra);
    let outcome = run(&args);
    let report = std::fs::read(&json)
        .ok()
        .map(|b| serde_json::from_slice(&b).expect("the JSON parses"));
    (outcome, report)
}

#[test]
fn durations_and_rates_take_the_spellings_people_type() {
    let dir = tempfile::tempdir().unwrap();
    let (outcome, report) = small_bench(
        dir.path(),
        &[
            "--load",
            "closed",
            "--duration",
            "300ms",
            "--timeout-s",
            "2m",
            "--infer-ms",
            "1ms",
            "--idle-timeout-s",
            "90s",
            "--link",
            "bw=1Gbit,rtt=1ms",
        ],
    );
    assert!(outcome.ok, "{}", outcome.stderr);
    let settings = &report.expect("JSON written")["settings"];
    assert_eq!(settings["duration_s"], 0.3, "{settings}");
    assert_eq!(settings["infer_ns"], 1_000_000, "{settings}");
    assert_eq!(settings["link"]["bits_per_second"], 1e9, "{settings}");
    let (outcome, report) = small_bench(
        dir.path(),
        &[
            "--duration",
            "1",
            "--load",
            "closed",
            "--link",
            "bw=100mbps",
        ],
    );
    assert!(outcome.ok, "{}", outcome.stderr);
    let settings = &report.unwrap()["settings"];
    assert_eq!(settings["duration_s"], 1.0, "a plain number is seconds");
    assert_eq!(settings["link"]["bits_per_second"], 1e8, "{settings}");
}

#[test]
fn bad_values_name_the_flag_and_the_spellings_it_takes() {
    let cases: [(&[&str], &str, &str); 7] = [
        (
            &["bench", "--duration", "5x"],
            "--duration",
            "5s, 500ms, 2m",
        ),
        (
            &["bench", "--timeout-s", "0s"],
            "--timeout-s",
            "more than 0",
        ),
        (&["bench", "--infer-ms", "2m"], "--infer-ms", "60s"),
        (&["bench", "--link", "bw=fast"], "--link", "1gbps"),
        (&["bench", "--sizes", "1080i"], "--sizes", "1080p"),
        (
            &["bench", "--rest-url", "localhost"],
            "--rest-url",
            "localhost:8000",
        ),
        (
            &["serve", "--rest-addr", "here:80"],
            "--rest-addr",
            "localhost:8080",
        ),
    ];
    for (args, flag, spelling) in cases {
        let outcome = run(args);
        assert!(!outcome.ok, "{args:?} should fail");
        let stderr = outcome.stderr;
        assert!(stderr.contains(flag), "{args:?}: names {flag}: {stderr}");
        assert!(
            stderr.contains(spelling),
            "{args:?}: shows {spelling}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// `imgwire serve` listening on `localhost:0` for all three servers; the
/// process (killed on drop) and its banner's REST, gRPC and TCP ports.
fn serve_on_localhost() -> (common::serve_process::ServeProcess, [String; 3]) {
    let mut child = imgwire()
        .args([
            "serve",
            "--rest-addr",
            "localhost:0",
            "--grpc-addr",
            "localhost:0",
        ])
        .args(["--tcp-addr", "localhost:0", "--header-timeout-s", "5s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("imgwire serve starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut port = || {
        let line = lines.next().expect("a banner line").unwrap();
        assert!(
            line.contains("://127.0.0.1:"),
            "localhost is 127.0.0.1: {line}"
        );
        line.rsplit(':').next().unwrap().to_string()
    };
    let ports = [port(), port(), port()];
    std::thread::spawn(move || lines.for_each(drop));
    (common::serve_process::ServeProcess(child), ports)
}

#[test]
fn every_address_flag_takes_localhost_port() {
    let (_server, [rest, grpc, tcp]) = serve_on_localhost();
    let dir = tempfile::tempdir().unwrap();
    let (rest, grpc, tcp) = (
        format!("localhost:{rest}"),
        format!("localhost:{grpc}"),
        format!("localhost:{tcp}"),
    );
    let (outcome, report) = small_bench(
        dir.path(),
        &[
            "--protocols",
            "rest,grpc,tcp",
            "--rest-url",
            &rest,
            "--grpc-url",
            &grpc,
            "--tcp-url",
            &tcp,
        ],
    );
    assert!(outcome.ok, "{}", outcome.stderr);
    let report = report.unwrap();
    let settings = &report["settings"];
    assert_eq!(settings["rest_target"], format!("http://{rest}"));
    assert_eq!(settings["grpc_target"], format!("http://{grpc}"));
    assert_eq!(settings["tcp_target"], format!("tcp://{tcp}"));
    for scenario in common::scenarios(&report) {
        assert_eq!(scenario["errors"], 0, "{}", scenario["error_examples"]);
    }
}

/// `--metrics-addr` listens where `serve`'s address flags do: `localhost:0`
/// is 127.0.0.1 on a free port, and a bad address names the flag.
#[test]
fn the_metrics_address_takes_localhost_port() {
    let dir = tempfile::tempdir().unwrap();
    let (outcome, report) = small_bench(dir.path(), &["--metrics-addr", "localhost:0"]);
    assert!(outcome.ok, "{}", outcome.stderr);
    assert!(report.is_some(), "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("serving live metrics on http://127.0.0.1:"),
        "{}",
        outcome.stderr
    );
    let (bad, _) = small_bench(dir.path(), &["--metrics-addr", "localhost:99999"]);
    assert!(!bad.ok, "an out-of-range port is refused");
    assert!(bad.stderr.contains("--metrics-addr"), "{}", bad.stderr);
    assert!(bad.stderr.contains("localhost:8080"), "{}", bad.stderr);
}

#[test]
fn named_sizes_are_landscape_and_a_portrait_one_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let (outcome, report) = small_bench(dir.path(), &["--sizes", "360p,96x64"]);
    assert!(outcome.ok, "{}", outcome.stderr);
    let sizes: Vec<String> = common::scenarios(&report.unwrap())
        .iter()
        .map(|s| s["size"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sizes, ["360x640", "96x64"]);
    let warning = "warning: portrait 96x64: the seed's sizes are HEIGHTxWIDTH, did you mean 64x96?";
    assert_eq!(
        outcome.stderr.matches(warning).count(),
        1,
        "{}",
        outcome.stderr
    );
    assert!(
        !outcome.stderr.contains("portrait 360x640"),
        "{}",
        outcome.stderr
    );
}

/// A 120x80 (WxH) picture as JPEG or PNG bytes.
fn picture(format: image::ImageFormat) -> Vec<u8> {
    let image = image::RgbImage::from_fn(120, 80, |x, y| {
        image::Rgb([(x * 2) as u8, (y * 3) as u8, ((x + y) % 256) as u8])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

/// A folder of two good photos and, when asked, a JPEG cut to its first
/// half (as `head -c` leaves a download cut short).
fn photo_folder(with_truncated: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = picture(image::ImageFormat::Jpeg);
    std::fs::write(dir.path().join("a.jpg"), &jpeg).unwrap();
    std::fs::write(dir.path().join("b.png"), picture(image::ImageFormat::Png)).unwrap();
    if with_truncated {
        std::fs::write(dir.path().join("c-cut.jpg"), &jpeg[..jpeg.len() / 2]).unwrap();
    }
    dir
}

#[test]
fn an_images_file_that_does_not_decode_stops_the_run_naming_it() {
    let photos = photo_folder(true);
    let cut = photos.path().join("c-cut.jpg").display().to_string();
    let out = tempfile::tempdir().unwrap();
    let images = photos.path().to_str().unwrap();
    let (outcome, _) = small_bench(out.path(), &["--images", images]);
    assert!(!outcome.ok, "a truncated JPEG was sent");
    assert!(outcome.stderr.contains(&cut), "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("--skip-bad-images"),
        "{}",
        outcome.stderr
    );
    assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
    let encode = run(&["encode", "--images", images, "--encoders", "image-rs"]);
    assert!(
        !encode.ok && encode.stderr.contains(&cut),
        "{}",
        encode.stderr
    );
}

#[test]
fn skipped_images_are_counted_and_every_good_file_is_sent_by_default() {
    let photos = photo_folder(true);
    let out = tempfile::tempdir().unwrap();
    let images = photos.path().to_str().unwrap();
    let args = ["--images", images, "--skip-bad-images", "--sizes", "40x60"];
    let (outcome, report) = small_bench(out.path(), &args);
    assert!(outcome.ok, "{}", outcome.stderr);
    let settings = report.unwrap()["settings"].clone();
    // Both good files make the pool, with no --frames given.
    assert_eq!(settings["frame_pool_size"], 2, "{settings}");
    let read = settings["image_files"]["read"].as_array().unwrap();
    let names: Vec<&str> = read.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a.jpg", "b.png"]);
    for file in read {
        assert_eq!(
            (file["width"].as_u64(), file["height"].as_u64()),
            (Some(120), Some(80))
        );
        let bits = file["file_bytes"].as_f64().unwrap() * 8.0 / (120.0 * 80.0);
        assert!(
            (file["bits_per_pixel"].as_f64().unwrap() - bits).abs() < 1e-6,
            "{file}"
        );
    }
    let skipped = &settings["image_files"]["skipped"][0];
    assert_eq!(skipped["name"], "c-cut.jpg", "{settings}");
    // The header says the same: files, pixels, bits per pixel, the skipped.
    let header = outcome.stdout.replace("\n  ", " ");
    assert!(header.contains("frames: 2 image files in"), "{header}");
    assert!(
        header.contains("a.jpg ") && header.contains("120x80 (WxH)"),
        "{header}"
    );
    assert!(header.contains("bits/pixel"), "{header}");
    assert!(
        header.contains("1 skipped (--skip-bad-images): c-cut.jpg"),
        "{header}"
    );
    // --frames still chooses, and the header says how many are used.
    let (outcome, report) = small_bench(out.path(), &[&args[..], &["--frames", "1"]].concat());
    assert!(outcome.ok, "{}", outcome.stderr);
    assert_eq!(report.unwrap()["settings"]["frame_pool_size"], 1);
    let header = outcome.stdout.replace("\n  ", " ");
    assert!(header.contains("the first 1 used (--frames)"), "{header}");
}

#[test]
fn encode_lists_the_files_it_read_and_those_it_skipped() {
    let photos = photo_folder(true);
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("encode.json");
    let encode = run(&[
        "encode",
        "--images",
        photos.path().to_str().unwrap(),
        "--skip-bad-images",
        "--encoders",
        "turbojpeg",
        "--threads",
        "1",
        "--frames",
        "2",
        "--sizes",
        "40x60",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(encode.ok, "{}", encode.stderr);
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let frames = report["settings"]["frames"].as_str().unwrap();
    assert!(
        frames.contains("a.jpg ") && frames.contains("b.png "),
        "{frames}"
    );
    assert!(frames.contains("120x80 (WxH)"), "{frames}");
    assert!(
        frames.contains("1 skipped: c-cut.jpg: does not decode"),
        "{frames}"
    );
    assert_eq!(
        report["rows"][0]["frame_pool_size"], 2,
        "one frame per file"
    );
}

#[test]
fn fetch_photos_puts_a_relative_folder_where_the_user_stands() {
    // With every photograph already there, the script downloads nothing:
    // it must find them relative to the directory it is run from.
    let here = tempfile::tempdir().unwrap();
    let photos = here.path().join("mine/photos");
    std::fs::create_dir_all(&photos).unwrap();
    for name in ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"] {
        std::fs::write(photos.join(name), b"x").unwrap();
    }
    std::fs::write(photos.join("hubble_deep_field.jpg"), b"x").unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fetch-photos.sh");
    let out = std::process::Command::new(script)
        .arg("mine/photos")
        .current_dir(here.path())
        // No pip: a run that looked elsewhere fails instead of downloading.
        .env("PATH", "/nonexistent:/usr/bin:/bin")
        .env("PYTHONPATH", "/nonexistent")
        .env("PIP_NO_INDEX", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("already in mine/photos"), "{stdout}");
}
