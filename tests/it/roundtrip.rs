//! Every payload x protocol x encoder goes through real servers and back,
//! the server decodes and checks the image, and the stages add up.

use crate::common;

use common::{bench, scenarios, SmallRun};

/// Two sizes, one of them odd, 3 at once, 2 bursts after 1 warm-up burst.
const SMALL: [&str; 8] = SmallRun {
    size: "48x64,33x17",
    concurrency: "3",
    bursts: "2",
    warmup: "1",
}
.args();

fn run_all(extra: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let mut args = SMALL.to_vec();
    args.extend_from_slice(extra);
    let (result, report) = bench(dir.path(), &args);
    result.expect("bench succeeds");
    report.expect("JSON written")
}

#[test]
fn every_payload_protocol_and_encoder_round_trips() {
    for encoder in ["turbojpeg", "image-rs", "none"] {
        let report = run_all(&[
            "--encoder",
            encoder,
            "--content",
            "natural",
            "--protocols",
            "rest,grpc",
        ]);
        assert_eq!(report["complete"], true);
        let scenarios = scenarios(&report);
        assert_eq!(
            scenarios.len(),
            2 * 3 * 2,
            "sizes x payloads x protocols for {encoder}"
        );
        for s in scenarios {
            let label = format!("{encoder} {} {} {}", s["size"], s["payload"], s["protocol"]);
            assert_eq!(s["requests"], 6, "{label}");
            assert_eq!(s["errors"], 0, "{label}: {}", s["error_examples"]);
            let stages = &s["stages"];
            for stage in [
                "serialize",
                "transport",
                "server.receive",
                "server.deserialize",
                "server.respond",
                "response",
                "residual",
                "wall",
            ] {
                assert_eq!(stages[stage]["count"], 6, "{label}: stage {stage}");
            }
            let share = s["residual_share"].as_f64().unwrap();
            assert!(
                (0.0..1.0).contains(&share),
                "{label}: residual share {share}"
            );
            if s["payload"] != "basic" {
                assert_eq!(
                    stages["server.decode"]["count"], 6,
                    "{label}: the server decoded every image"
                );
                assert_eq!(
                    stages["encode"]["count"], 1,
                    "{label}: one pooled frame encoded"
                );
                assert!(s["bytes"]["image_bytes"].as_f64().unwrap() > 0.0, "{label}");
            } else {
                assert!(
                    stages.get("server.decode").is_none(),
                    "{label}: basic decodes nothing"
                );
            }
        }
    }
}

#[test]
fn raw_frames_carry_exactly_width_height_channels_bytes() {
    let report = run_all(&[
        "--encoder",
        "none",
        "--payloads",
        "binary",
        "--protocols",
        "grpc",
    ]);
    for s in scenarios(&report) {
        let (w, h) = (s["width"].as_u64().unwrap(), s["height"].as_u64().unwrap());
        assert_eq!(
            s["bytes"]["image_bytes"].as_f64().unwrap(),
            (w * h * 3) as f64
        );
    }
}

#[test]
fn base64_grows_the_body_by_four_thirds() {
    let report = run_all(&[
        "--payloads",
        "b64,binary",
        "--protocols",
        "rest",
        "--sizes",
        "240x320",
    ]);
    let body = |payload: &str| {
        scenarios(&report)
            .iter()
            .find(|s| s["payload"] == payload)
            .map(|s| {
                (
                    s["bytes"]["image_bytes"].as_f64().unwrap(),
                    s["bytes"]["request_body_bytes"].as_f64().unwrap(),
                )
            })
            .unwrap()
    };
    let (image, binary_body) = body("binary");
    assert_eq!(binary_body, image, "REST binary sends the JPEG as the body");
    let (_, b64_body) = body("b64");
    let base64_len = (image / 3.0).ceil() * 4.0;
    assert!(
        b64_body > base64_len && b64_body < base64_len + 200.0,
        "b64 body {b64_body} vs base64 {base64_len}"
    );
}

#[test]
fn server_decoder_none_skips_decoding_and_says_so() {
    let report = run_all(&["--server-decoder", "none", "--payloads", "binary"]);
    assert_eq!(report["settings"]["server_decoder"], "none");
    for s in scenarios(&report) {
        assert!(s["stages"].get("server.decode").is_none());
        assert_eq!(s["errors"], 0);
    }
}

#[test]
fn image_files_are_fitted_to_each_size() {
    let dir = tempfile::tempdir().unwrap();
    let img = image::RgbImage::from_fn(50, 20, |x, y| image::Rgb([x as u8 * 5, y as u8 * 12, 90]));
    img.save(dir.path().join("a.png")).unwrap();
    let images = dir.path().to_str().unwrap().to_string();
    let report = run_all(&[
        "--images",
        &images,
        "--payloads",
        "binary",
        "--protocols",
        "rest",
    ]);
    for s in scenarios(&report) {
        assert_eq!(s["errors"], 0, "{}", s["error_examples"]);
        assert!(s["content"].as_str().unwrap().starts_with("files:"));
    }
}

#[test]
fn the_tcp_floor_sends_exactly_what_rest_would_send() {
    let report = run_all(&["--protocols", "rest,tcp"]);
    for s in scenarios(&report).iter().filter(|s| s["protocol"] == "tcp") {
        let label = format!("{} {}", s["size"], s["payload"]);
        assert_eq!(s["errors"], 0, "{label}: {}", s["error_examples"]);
        let rest = scenarios(&report)
            .iter()
            .find(|r| {
                r["protocol"] == "rest" && r["size"] == s["size"] && r["payload"] == s["payload"]
            })
            .unwrap();
        assert_eq!(
            s["bytes"]["request_body_bytes"], rest["bytes"]["request_body_bytes"],
            "{label}: same body as REST"
        );
        assert!(
            s["bytes"]["response_body_bytes"].as_u64()
                < rest["bytes"]["response_body_bytes"].as_u64(),
            "{label}: the floor answers less than REST's JSON"
        );
        assert!(
            s["stages"].get("server.receive").is_none(),
            "{label}: the floor has no server stages"
        );
        assert_eq!(s["stages"]["transport"]["count"], 6, "{label}");
    }
}

#[test]
fn wire_bytes_are_counted_at_the_socket() {
    // SMALL's sizes plus one where the image dwarfs the JSON and the headers.
    let report = run_all(&[
        "--payloads",
        "basic,b64,binary",
        "--protocols",
        "rest,grpc,tcp",
        "--sizes",
        "240x320",
    ]);
    for s in scenarios(&report) {
        let label = format!("{} {} {}", s["size"], s["payload"], s["protocol"]);
        let b = &s["bytes"];
        let (body, sent, received) = (
            b["request_body_bytes"].as_f64().unwrap(),
            b["wire_sent_bytes"].as_f64().unwrap(),
            b["wire_received_bytes"].as_f64().unwrap(),
        );
        match s["protocol"].as_str().unwrap() {
            // The floor's framing is a 4-byte length, each way, nothing else.
            "tcp" => {
                let answer = b["response_body_bytes"].as_f64().unwrap();
                assert_eq!(sent, body + 4.0, "{label}");
                assert_eq!(received, answer + 4.0, "{label}");
            }
            // HTTP/1.1 request line and headers; HTTP/2 frames and headers.
            _ => assert!(
                sent > body + 20.0 && sent < body + 600.0,
                "{label}: sent {sent} for a {body}-byte body"
            ),
        }
        if s["payload"] == "b64" && s["size"] == "240x320" {
            let percent = b["wire_overhead_percent"].as_f64().unwrap();
            assert!(
                (33.0..40.0).contains(&percent),
                "{label}: base64 costs a third more, got {percent}%"
            );
        }
    }
}

#[test]
fn http2_knobs_reach_both_sides_and_the_report() {
    let report = run_all(&[
        "--protocols",
        "rest-h2,grpc",
        "--payloads",
        "binary",
        "--h2-stream-window",
        "4194304",
        "--h2-connection-window",
        "16777216",
        "--h2-max-frame",
        "1048576",
        "--h2-adaptive-window",
        "--grpc-channels",
        "3",
    ]);
    let settings = &report["settings"];
    assert_eq!(settings["grpc_channels"], 3);
    assert_eq!(settings["h2"]["stream_window_bytes"], 4194304);
    assert_eq!(settings["h2"]["max_frame_bytes"], 1048576);
    assert_eq!(settings["h2"]["adaptive_window"], true);
    for s in scenarios(&report) {
        assert_eq!(s["errors"], 0, "{}", s["error_examples"]);
    }
}

#[test]
fn a_sweep_runs_the_matrix_once_per_value() {
    let report = run_all(&[
        "--sweep",
        "channels",
        "--protocols",
        "grpc",
        "--payloads",
        "binary",
    ]);
    assert_eq!(report["sweep"], "channels");
    let points = report["points"].as_array().unwrap();
    let values: Vec<&str> = points
        .iter()
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["1", "2", "4", "8", "20"]);
    for point in points {
        let channels = point["value"].as_str().unwrap().parse::<u64>().unwrap();
        assert_eq!(point["report"]["settings"]["grpc_channels"], channels);
        for s in point["report"]["scenarios"].as_array().unwrap() {
            assert_eq!(s["errors"], 0);
        }
    }
}
