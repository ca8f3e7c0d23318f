//! A sweep is one plan per value: every output flag works in a sweep, each
//! value writing its own files (and flamegraph folder) instead of
//! overwriting one another's, and `--export-json` holding every value.

use clap::Parser;

#[test]
fn every_output_of_a_sweep_is_written_once_per_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (json, csv, md, trace, fg) = (
        path("s.json"),
        path("c.csv"),
        path("m.md"),
        path("t.json"),
        path("fg"),
    );
    let argv = [
        "imgwire",
        "bench",
        "--sweep",
        "compression",
        "--sizes",
        "48x64",
        "--payloads",
        "binary",
        "--protocols",
        "rest,grpc",
        "--bursts",
        "2",
        "--warmup",
        "0",
        "-c",
        "2",
        "--brief",
        "--export-json",
        &json,
        "--csv",
        &csv,
        "--markdown",
        &md,
        "--trace",
        &trace,
        "--flamegraph",
        &fg,
    ];
    imgwire::run(imgwire::Cli::try_parse_from(argv).unwrap()).unwrap();

    let sweep: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let values: Vec<&str> = sweep["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["none", "gzip"]);
    for value in values {
        for (stem, ext) in [("c", "csv"), ("m", "md"), ("t", "json")] {
            let file = dir.path().join(format!("{stem}-compression-{value}.{ext}"));
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            assert!(
                text.contains("48x64"),
                "{} holds no scenario",
                file.display()
            );
        }
        for protocol in ["rest", "grpc"] {
            let profile = dir
                .path()
                .join("fg")
                .join(format!("compression-{value}"))
                .join(format!("48x64-binary-{protocol}-client.pb.gz"));
            assert!(profile.is_file(), "{} missing", profile.display());
        }
    }
}
