//! `--flamegraph` profiles the real pipeline: the 1080x1920 b64 REST
//! scenario's client flamegraph holds base64 encoding and JSON serialization,
//! its server flamegraph JSON parsing, base64 decoding and libjpeg-turbo.

mod common;

use std::io::Read;

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
