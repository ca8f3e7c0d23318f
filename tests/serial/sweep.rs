//! A sweep is one plan per value: every output flag works in a sweep, each
//! value writing its own files (and flamegraph folder) instead of
//! overwriting one another's, and `--export-json` holding every value;
//! an on/off sweep (nodelay) sets the switch and prints the change it makes;
//! a JSON on stdout is one document, the tables going to stderr.

use crate::common;

use clap::Parser;

#[test]
fn every_output_of_a_sweep_is_written_once_per_value() {
    let _turn = crate::one_at_a_time(); // it profiles in process (--flamegraph)
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (json, csv, md, trace, fg) = (
        path("s.json"),
        path("c.csv"),
        path("m.md"),
        path("t.json"),
        path("fg"),
    );
    let load = common::SmallRun {
        bursts: "2",
        warmup: "0",
        ..common::SMALL_RUN
    };
    let mut argv = vec![
        "imgwire",
        "bench",
        "--sweep",
        "compression",
        "--payloads",
        "binary",
        "--protocols",
        "rest,grpc",
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
    argv.extend(load.args());
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

#[test]
fn a_nodelay_sweep_runs_nagle_off_then_on_and_gives_the_change_with_its_interval() {
    let _turn = crate::one_at_a_time(); // its interval wants no other bench beside it
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("s.json");
    let json_path = json.to_str().unwrap();
    let load = common::SmallRun {
        warmup: "0",
        ..common::SMALL_RUN
    };
    let mut args = vec!["bench", "--sweep", "nodelay"];
    args.extend(["--payloads", "binary", "--protocols", "rest,grpc"]);
    args.extend(load.args());
    args.extend(["--quiet", "--json", json_path]);
    let stdout = common::serve_process::run_ok(&args);
    let sweep: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let points = sweep["points"].as_array().unwrap();
    let nagle: Vec<(&str, bool)> = points
        .iter()
        .map(|p| {
            let h2 = &p["report"]["settings"]["h2"];
            (p["value"].as_str().unwrap(), h2["nagle"].as_bool().unwrap())
        })
        .collect();
    assert_eq!(
        nagle,
        [("on", false), ("off", true)],
        "TCP_NODELAY on, then off"
    );
    let table = stdout
        .split("Sweep of nodelay")
        .nth(1)
        .expect("the sweep's table");
    assert!(table.contains("Nagle adds (off vs on)"), "{table}");
    for protocol in ["REST", "gRPC"] {
        let row = table
            .lines()
            .find(|l| {
                l.trim_start()
                    .starts_with(&format!("48x64 binary {protocol} "))
            })
            .unwrap_or_else(|| panic!("no {protocol} row: {table}"));
        assert_eq!(
            row.matches('±').count(),
            2,
            "each value's mean and interval: {row}"
        );
        let verdicts = ["slower", "faster", "no clear difference"];
        assert!(verdicts.iter().any(|v| row.contains(v)), "{row}");
    }
}

#[test]
fn a_sweeps_json_on_stdout_is_one_document_with_the_tables_on_stderr() {
    let _turn = crate::one_at_a_time();
    let mut args = vec!["bench", "--sweep", "nodelay", "--payloads", "binary"];
    args.extend(["--protocols", "rest", "--sizes", "48x64", "--bursts", "2"]);
    args.extend(["--warmup", "0", "--export-json", "-"]);
    let out = common::serve_process::imgwire()
        .args(&args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let sweep: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(sweep["points"].as_array().map(Vec::len), Some(2));
    assert!(stderr.contains("Sweep of nodelay"), "{stderr}");
}
