//! `--flamegraph` profiles the real pipeline: the 1080x1920 b64 REST
//! scenario's client flamegraph holds base64 encoding and JSON serialization,
//! its server flamegraph JSON parsing, base64 decoding and libjpeg-turbo;
//! libjpeg-turbo's SIMD assembly is named, not "Unknown"; the SVGs fold
//! the runtime's frames and the protobufs keep them.

use crate::common;

use std::io::Read;
use std::sync::MutexGuard;

/// One CPU profiler per process: the tests that profile take turns.
fn profiler_turn() -> MutexGuard<'static, ()> {
    crate::one_at_a_time()
}

fn frames_in(svg: &str) -> Vec<String> {
    svg.split("<title>")
        .skip(1)
        .filter_map(|t| t.split(" (").next())
        .map(|t| {
            t.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        })
        .collect()
}

fn holds(frames: &[String], needle: &str) -> bool {
    frames.iter().any(|f| f.contains(needle))
}

#[test]
fn flamegraphs_show_the_work_of_each_side_by_name() {
    let _turn = profiler_turn();
    let dir = tempfile::tempdir().unwrap();
    let fg = dir.path().join("fg");
    let fg_arg = fg.to_str().unwrap().to_string();
    let (result, report) = common::bench(
        dir.path(),
        &[
            "--sizes",
            "1080x1920",
            "--payloads",
            "b64",
            "--protocols",
            "rest",
            "--bursts",
            "6",
            "--flamegraph",
            &fg_arg,
        ],
    );
    result.unwrap();
    let read = |side: &str| {
        std::fs::read_to_string(fg.join(format!("1080x1920-b64-rest-{side}.svg"))).unwrap()
    };
    let client = frames_in(&read("client"));
    let server = frames_in(&read("server"));
    assert!(holds(&client, "base64::engine"), "client base64 encoding");
    assert!(
        holds(&server, "serde_json::de") || holds(&server, "serde_json::read"),
        "server JSON parsing"
    );
    assert!(holds(&server, "base64::engine"), "server base64 decoding");
    assert!(
        holds(&server, "tj3Decompress8") || holds(&server, "decode_mcu"),
        "libjpeg-turbo decoding"
    );
    assert!(
        !holds(&client, "tj3Decompress8"),
        "decoding is the server's, not the client's"
    );

    let mut pb = Vec::new();
    let gz = std::fs::File::open(fg.join("1080x1920-b64-rest-server.pb.gz")).unwrap();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut pb)
        .unwrap();
    assert!(pb.len() > 100, "a pprof protobuf with samples");

    let profile = &common::scenarios(report.as_ref().unwrap())[0]["profile"];
    assert_eq!(profile["files"].as_array().unwrap().len(), 4);
    assert!(profile["server_samples"].as_i64().unwrap() > 0);
    assert_eq!(profile["hottest"].as_array().unwrap().len(), 3);
}

/// A pprof protobuf's samples as (thread, frame names leaf first, count).
fn samples_of(pb_gz: &std::path::Path) -> Vec<(Vec<String>, i64)> {
    use pprof::protos::Message;
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(pb_gz).unwrap())
        .read_to_end(&mut raw)
        .unwrap();
    let profile = pprof::protos::Profile::decode(raw.as_slice()).unwrap();
    let text = |i: i64| profile.string_table[i as usize].clone();
    let name_of = |location_id: &u64| {
        let location = profile.location.iter().find(|l| l.id == *location_id);
        let function_id = location.unwrap().line[0].function_id;
        let function = profile.function.iter().find(|f| f.id == function_id);
        text(function.unwrap().name)
    };
    profile
        .sample
        .iter()
        .map(|s| (s.location_id.iter().map(name_of).collect(), s.value[0]))
        .collect()
}

fn profile_run(dir: &std::path::Path, extra: &[&str]) -> std::path::PathBuf {
    let fg = dir.join("fg");
    let mut args = vec![
        "--sizes",
        "1080x1920",
        "--payloads",
        "binary",
        "--protocols",
        "rest",
        "--bursts",
        "6",
        "--flamegraph",
        fg.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (result, _) = common::bench(dir, &args);
    result.unwrap();
    fg
}

/// libjpeg-turbo's SIMD kernels are assembly whose symbols have no size:
/// a profile of the server decoding large JPEGs names them (by the nearest
/// preceding symbol) instead of counting them "Unknown".
#[test]
fn a_server_decode_profile_is_almost_all_named() {
    let _turn = profiler_turn();
    let dir = tempfile::tempdir().unwrap();
    let fg = profile_run(dir.path(), &[]);
    let samples = samples_of(&fg.join("1080x1920-binary-rest-server.pb.gz"));
    let total: i64 = samples.iter().map(|(_, n)| n).sum();
    let unknown: i64 = samples
        .iter()
        .filter(|(frames, _)| frames.iter().any(|f| f == "Unknown" || f.is_empty()))
        .map(|(_, n)| n)
        .sum();
    assert!(total >= 50, "only {total} server samples");
    let share = unknown as f64 / total as f64;
    assert!(
        share < 0.05,
        "{unknown} of {total} server samples hold an unnamed frame"
    );
    let simd = samples
        .iter()
        .any(|(frames, _)| frames.first().is_some_and(|f| f.starts_with("jsimd_")));
    assert!(
        simd,
        "libjpeg-turbo's SIMD kernels are named by their symbol"
    );
}

/// The SVG folds the runtime's frames (tokio's harness, thread start,
/// catch_unwind) into `[runtime]`, so the decode sits a few frames above the
/// root; the .pb.gz keeps every frame, and `--flamegraph-full-stacks` draws
/// them all.
#[test]
fn the_svg_folds_the_runtime_and_the_protobuf_keeps_every_frame() {
    let _turn = profiler_turn();
    let runtime = ["catch_unwind", "start_thread", "run_worker", "poll_future"];
    let dir = tempfile::tempdir().unwrap();
    let fg = profile_run(dir.path(), &[]);
    let folded =
        frames_in(&std::fs::read_to_string(fg.join("1080x1920-binary-rest-server.svg")).unwrap());
    assert!(holds(&folded, "[runtime]"), "{folded:?}");
    for frame in runtime {
        assert!(!holds(&folded, frame), "{frame} is drawn: {folded:?}");
    }
    assert!(holds(&folded, "decode_mcu"), "the work stays");
    let full_stacks = samples_of(&fg.join("1080x1920-binary-rest-server.pb.gz"));
    let kept = |name: &str| {
        full_stacks
            .iter()
            .any(|(frames, _)| frames.iter().any(|f| f.contains(name)))
    };
    assert!(
        kept("catch_unwind") && kept("start_thread"),
        "the .pb.gz keeps the runtime"
    );

    let full_dir = tempfile::tempdir().unwrap();
    let fg = profile_run(full_dir.path(), &["--flamegraph-full-stacks"]);
    let full =
        frames_in(&std::fs::read_to_string(fg.join("1080x1920-binary-rest-server.svg")).unwrap());
    assert!(!holds(&full, "[runtime]"));
    assert!(holds(&full, "catch_unwind") && holds(&full, "start_thread"));
}
