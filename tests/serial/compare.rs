//! `imgwire compare` as a user meets it: two real runs against the built-in
//! servers compared (the same scenario twice: no clear difference; with
//! `--infer-ms 20` against without: slower, and `--fail-if-slower` exits
//! 3), scenarios only one file has, and files it refuses, each by name.

use crate::common;

use common::process::{compare, imgwire, text};
use common::{SmallRun, SMALL_RUN};
use serde_json::Value;
use std::path::{Path, PathBuf};

// One bench run at a time: two runs side by side would slow each other
// down, and that is not the noise the intervals are about.
use crate::one_at_a_time as one_run_at_a_time;

/// One small run of 120x160 binary over REST to the built-in servers on
/// free ports, `bursts` counted, its report written to `dir/name`.
fn bench(dir: &Path, name: &str, bursts: &str, extra: &[&str]) -> PathBuf {
    let json = dir.join(name);
    let load = SmallRun {
        size: "120x160",
        bursts,
        warmup: "2",
        ..SMALL_RUN
    };
    let mut args = vec!["bench", "--payloads", "binary", "--protocols", "rest"];
    args.extend(load.args());
    args.extend(["--brief", "--json", json.to_str().unwrap()]);
    args.extend_from_slice(extra);
    let out = {
        let _alone = one_run_at_a_time();
        imgwire(&args)
    };
    assert!(out.status.success(), "bench failed: {}", text(&out.stderr));
    json
}

/// The burst verdict of the one scenario in a comparison's JSON.
fn burst_verdict(comparison: &Value) -> &str {
    comparison["scenarios"][0]["burst"]["verdict"]
        .as_str()
        .unwrap()
}

/// Two runs of the same scenario, compared until one comparison says "no
/// clear difference" (six tries at most): a 95 % interval calls a
/// difference between identical runs in about one comparison of twenty by
/// design, and a busy machine's drift between runs adds to that (under
/// `stress-ng --cpu 2` on two cores, three tries in a row all differed).
/// Returns the baseline run, the verdicts seen and the last comparison's text.
fn same_scenario_twice(dir: &Path) -> (PathBuf, Vec<String>, String) {
    let mut verdicts = Vec::new();
    for attempt in 0..6 {
        let first = bench(dir, &format!("first-{attempt}.json"), "5", &[]);
        let second = bench(dir, &format!("second-{attempt}.json"), "5", &[]);
        let json = dir.join(format!("same-{attempt}.json"));
        let args = ["--json", json.to_str().unwrap(), "--fail-if-slower", "10"];
        let out = compare(&first, &second, &args);
        let stdout = text(&out.stdout);
        let comparison: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        assert!(comparison["scenarios"][0]["stages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["stage"] == "server.decode"));
        verdicts.push(burst_verdict(&comparison).to_string());
        if verdicts.last().unwrap() == "no_clear_difference" {
            assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
            assert!(stdout.contains("120x160 binary rest: "), "{stdout}");
            return (first, verdicts, stdout);
        }
    }
    panic!("two runs of the same scenario always differed: {verdicts:?}");
}

#[test]
fn runs_compare_by_their_bursts_noise_and_a_regression_fails_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let (first, _, same_text) = same_scenario_twice(dir.path());
    assert!(same_text.contains("no clear difference ("), "{same_text}");
    let inferring = bench(dir.path(), "infer.json", "5", &["--infer-ms", "20"]);

    let slower = compare(&first, &inferring, &["--fail-if-slower", "10"]);
    let stdout = text(&slower.stdout);
    assert_eq!(slower.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("120x160 binary rest: "), "{stdout}");
    assert!(stdout.contains("slower +"), "{stdout}");
    let stderr = text(&slower.stderr);
    assert!(stderr.contains("--fail-if-slower 10"), "{stderr}");
    assert!(stderr.contains("120x160 binary rest"), "{stderr}");

    // The same files give the same words: the resampling is seeded.
    let again = compare(&first, &inferring, &["--fail-if-slower", "10"]);
    assert_eq!(text(&again.stdout), stdout);
    // Without the limit, the regression is reported and the exit is clean.
    assert!(compare(&first, &inferring, &[]).status.success());
}

/// A copy of `report` with its scenarios' protocol renamed, so nothing
/// matches across the two files.
fn with_protocol(report: &Path, protocol: &str, to: &Path) -> PathBuf {
    let mut value: Value = serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
    for scenario in value["scenarios"].as_array_mut().unwrap() {
        scenario["protocol"] = Value::from(protocol);
    }
    std::fs::write(to, serde_json::to_vec(&value).unwrap()).unwrap();
    to.to_path_buf()
}

#[test]
fn unmatched_scenarios_are_listed_and_bad_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let real = bench(dir.path(), "real.json", "2", &[]);
    let other = with_protocol(&real, "grpc", &dir.path().join("other.json"));
    let out = compare(&real, &other, &[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("Only in A (not compared): 120x160 binary rest"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Only in B (not compared): 120x160 binary grpc"),
        "{stdout}"
    );

    let old = dir.path().join("old.json");
    std::fs::write(&old, r#"{"schema_version": 2, "scenarios": []}"#).unwrap();
    let not_json = dir.path().join("notes.txt");
    std::fs::write(&not_json, "hello").unwrap();
    let missing = dir.path().join("missing.json");
    let cases = [
        (&old, "schema_version 2"),
        (&not_json, "is not JSON"),
        (&missing, "could not read"),
    ];
    for (bad, why) in cases {
        let out = compare(&real, bad, &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(why), "{stderr}");
        assert!(
            stderr.contains(bad.file_name().unwrap().to_str().unwrap()),
            "the error should name the file: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
