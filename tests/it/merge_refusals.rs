//! What `imgwire merge` refuses and what it warns about, on variants of
//! real shards' reports (three `bench --shard i/3` processes, their JSON
//! edited the way a mistake would make it): a refusal is one line naming
//! the difference, the file and the flag that fixes it, with a non-zero
//! exit; a warning lets the merge go on and says so.

use crate::merge::{merge, read_json, three_shards};

use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// Writes `report` beside the shards as `name`.
fn variant(dir: &Path, name: &str, report: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(report).unwrap()).unwrap();
    path
}

/// `merge` of `paths` must fail with one line holding every one of `said`.
fn refused(paths: &[&Path], said: &[&str]) {
    let args: Vec<&OsStr> = paths.iter().map(|p| p.as_os_str()).collect();
    let (ok, stdout, stderr) = merge(&args);
    assert!(!ok, "merged: {stdout}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    for words in said {
        assert!(stderr.contains(words), "{words:?} not in: {stderr}");
    }
}

#[test]
fn shards_that_are_not_one_run_are_refused_naming_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let shards = three_shards(d);
    let (a, b, c) = (&shards[0], &shards[1], &shards[2]);
    let one = read_json(b);
    let edit = |name: &str, change: &dyn Fn(&mut Value)| {
        let mut report = one.clone();
        change(&mut report);
        variant(d, name, &report)
    };

    let run = edit("run.json", &|r| r["run_id"] = "another-run".into());
    refused(&[a, &run, c], &["run.json", "another-run", "--run-id"]);
    let encoder = edit("encoder.json", &|r| {
        r["settings"]["encoder"] = "image-rs".into()
    });
    refused(
        &[a, &encoder, c],
        &["encoder.json", "settings.encoder", "image-rs"],
    );
    let duplicate = edit("dup.json", &|r| r["settings"]["shard"]["index"] = 0.into());
    refused(
        &[a, &duplicate, c],
        &["dup.json", "both shard 0", "--shard I/N"],
    );
    let count = edit("count.json", &|r| {
        r["settings"]["shard"]["count"] = 4.into()
    });
    refused(
        &[a, &count, c],
        &["count.json", "shard of 4", "--shard I/N"],
    );
    let fewer = edit("fewer.json", &|r| {
        r["scenarios"].as_array_mut().unwrap().pop();
    });
    refused(&[a, &fewer, c], &["fewer.json", "--protocols"]);
    let old = edit("old.json", &|r| {
        for s in r["scenarios"].as_array_mut().unwrap() {
            s.as_object_mut().unwrap().remove("histograms");
        }
    });
    refused(&[a, &old, c], &["old.json", "no histograms", "older"]);
    let version = edit("v2.json", &|r| r["schema_version"] = 2.into());
    refused(&[a, &version, c], &["v2.json", "schema_version 2"]);
    let whole = edit("whole.json", &|r| {
        r["settings"].as_object_mut().unwrap().remove("shard");
    });
    refused(
        &[a, &whole, c],
        &["whole.json", "not a shard", "--shard I/N"],
    );
    let other = variant(d, "other.json", &serde_json::json!({ "hello": 1 }));
    refused(&[a, &other], &["other.json", "not an imgwire bench JSON"]);
    let log = d.join("log.txt");
    std::fs::write(&log, "just a log\nwith no report\n").unwrap();
    refused(&[a, &log], &["log.txt", "not an imgwire bench JSON"]);
}

#[test]
fn missing_shards_a_late_start_and_a_saturated_client_are_warned_and_marked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let shards = three_shards(d);
    let mut late = read_json(&shards[2]);
    late["scenarios"][0]["schedule"] = serde_json::json!({
        "planned_start_unix_s": 1000.0, "counted_start_unix_s": 1003.0,
        "late_s": 3.0, "overran_s": 0.0
    });
    late["scenarios"][1]["client_cpu"] = serde_json::json!({
        "cpu_s": 1.9, "wall_s": 1.0, "cores": 2, "share_of_cores": 0.95, "saturated": true
    });
    let late = variant(d, "late.json", &late);
    let merged = d.join("merged.json");
    let args: Vec<&OsStr> = vec![
        shards[0].as_os_str(),
        late.as_os_str(),
        "--export-json".as_ref(),
        merged.as_os_str(),
    ];
    let (ok, stdout, stderr) = merge(&args);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("warning: 1 of 3 shards are missing (index 1)"),
        "{stderr}"
    );
    assert!(stderr.contains("started 3.00 s late"), "{stderr}");
    assert!(stderr.contains("client saturated"), "{stderr}");
    assert!(
        stdout.contains("2 of 3 shards (0, 2; missing: 1)"),
        "{stdout}"
    );
    let report = read_json(&merged);
    let section = &report["merged"];
    assert_eq!(section["missing"], serde_json::json!([1]));
    let rows = section["shards"].as_array().unwrap();
    let marks = |index: u64, scenario: usize| -> Vec<String> {
        let row = rows
            .iter()
            .filter(|r| r["index"] == index)
            .nth(scenario)
            .expect("a row per shard and scenario");
        serde_json::from_value(row["marks"].clone()).unwrap()
    };
    assert!(
        marks(2, 0).iter().any(|m| m == "started 3.00 s late"),
        "{rows:?}"
    );
    assert!(
        marks(2, 1).iter().any(|m| m == "client saturated"),
        "{rows:?}"
    );
    assert_eq!(rows[0]["late_s"], Value::Null, "shard 0 ran on no schedule");
    // Two of three shards: the merged counts are theirs, not the flags'.
    let two: u64 = [&shards[0], &shards[2]]
        .iter()
        .map(|p| read_json(p)["scenarios"][0]["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(report["scenarios"][0]["requests"], two);
}
