//! `imgwire compare` as a CI gate and as a reader of two runs: a gate that
//! could not compare fails with its own status (4); every setting that
//! differs (the encoder and the build among them) is named, with the
//! change in bytes per request; runs that do not compare are warned about;
//! REST can be set against gRPC with `--match size,payload`; an `encode`
//! report is named as such; a move of every scenario the same way is
//! called possible drift; and every command's file flags are spelled alike.

use crate::common;

use common::process::{compare, imgwire, text};
use common::SMALL_RUN;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A small real run against the built-in servers, its report at dir/name.
fn bench(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let json = dir.join(name);
    let mut args = vec!["bench", "--payloads", "binary", "--brief"];
    args.extend(SMALL_RUN.args());
    args.extend(["--export-json", json.to_str().unwrap()]);
    args.extend_from_slice(extra);
    let out = imgwire(&args);
    assert!(out.status.success(), "bench failed: {}", text(&out.stderr));
    json
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A copy of `report` at `to`, changed by `edit`.
fn edited(report: &Path, to: &str, edit: impl Fn(&mut Value)) -> PathBuf {
    let mut value = read_json(report);
    edit(&mut value);
    let to = report.with_file_name(to);
    std::fs::write(&to, serde_json::to_vec(&value).unwrap()).unwrap();
    to
}

fn scenarios_mut(report: &mut Value) -> &mut Vec<Value> {
    report["scenarios"].as_array_mut().unwrap()
}

#[test]
fn a_gate_that_could_not_compare_fails_with_its_own_status() {
    let dir = tempfile::tempdir().unwrap();
    let a = bench(dir.path(), "a.json", &["--protocols", "rest"]);
    let nothing_matches = edited(&a, "grpc.json", |r| {
        for s in scenarios_mut(r) {
            s["protocol"] = "grpc".into();
        }
    });
    let incomplete = edited(&a, "incomplete.json", |r| r["complete"] = false.into());
    let all_failed = edited(&a, "failed.json", |r| {
        for s in scenarios_mut(r) {
            s["requests"] = 0.into();
            s["errors"] = 6.into();
            s["failure"] = "every REST request of a burst failed".into();
        }
    });
    let cases = [
        (&nothing_matches, "no scenario of B matched"),
        (&incomplete, "B is incomplete"),
        (&all_failed, "B measured nothing (every REST request"),
    ];
    for (b, why) in cases {
        let gate = compare(&a, b, &["--fail-if-slower", "10"]);
        let stderr = text(&gate.stderr);
        assert_eq!(gate.status.code(), Some(4), "{why}: {stderr}");
        assert!(stderr.contains(why), "{stderr}");
        assert!(stderr.contains("could not compare"), "{stderr}");
        // Without the gate it is a report, not a failure.
        let plain = compare(&a, b, &[]);
        assert!(plain.status.success(), "{}", text(&plain.stderr));
    }
    // A failed pair is not compared as "faster -100 %".
    let plain = text(&compare(&a, &all_failed, &[]).stdout);
    assert!(!plain.contains("faster"), "{plain}");
    assert!(
        plain.contains("not compared: 48x64 binary rest: B measured nothing"),
        "{plain}"
    );
}

/// The settings a comparison's JSON names as differing.
fn differing_settings(comparison: &Value) -> Vec<&str> {
    let differences = comparison["differences"].as_array().unwrap();
    differences
        .iter()
        .filter_map(|d| d["setting"].as_str())
        .collect()
}

#[test]
fn every_setting_that_differs_is_named_with_the_bytes_per_request() {
    let dir = tempfile::tempdir().unwrap();
    let a = bench(
        dir.path(),
        "q90.json",
        &["--protocols", "grpc", "--quality", "90"],
    );
    let b = bench(
        dir.path(),
        "q50.json",
        &[
            "--protocols",
            "grpc",
            "--quality",
            "50",
            "--grpc-channels",
            "2",
            "--encoder",
            "image-rs",
        ],
    );
    // Another build of imgwire wrote B.
    let b = edited(&b, "q50-build.json", |r| r["build"] = "9.9.9 debug".into());
    let json = dir.path().join("cmp.json");
    let out = compare(&a, &b, &["--export-json", json.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let flat = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    let build_a = read_json(&a)["build"].as_str().unwrap().to_string();
    for named in [
        "quality 90 -> 50",
        "grpc_channels 1 -> 2",
        "encoder turbojpeg -> image-rs",
        &format!("build {build_a} -> 9.9.9 debug"),
    ] {
        assert!(flat.contains(named), "{named} not named: {stdout}");
    }
    let comparison = read_json(&json);
    let named_in_json = differing_settings(&comparison);
    for setting in ["quality", "grpc_channels", "encoder", "build"] {
        assert!(
            named_in_json.contains(&setting),
            "{setting}: {named_in_json:?}"
        );
    }
    assert!(
        !stdout.contains("rest_target"),
        "random built-in ports are no setting: {stdout}"
    );
    let bodies = &comparison["scenarios"][0]["request_body_bytes"];
    let (body_a, body_b) = (bodies[0].as_u64().unwrap(), bodies[1].as_u64().unwrap());
    assert!(body_b < body_a, "q50 is smaller: {bodies}");
    let change = format!("{:+.1} %", (body_b as f64 / body_a as f64 - 1.0) * 100.0);
    assert!(stdout.contains(&change), "{change} not in {stdout}");

    // Another machine and a link against loopback: named and warned about.
    let elsewhere = edited(&b, "elsewhere.json", |r| {
        r["machine"]["hostname"] = "another-host".into();
        r["settings"]["link"] = serde_json::json!({"bandwidth_bits_per_s": 1e9, "rtt_ns": 2000000});
    });
    let out = compare(&a, &elsewhere, &["--json", json.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("machine.hostname"), "{stdout}");
    assert!(
        stdout.contains("warning: not comparable: another machine"),
        "{stdout}"
    );
    assert!(
        stdout.contains("warning: not comparable: B ran over an emulated --link"),
        "{stdout}"
    );
    let comparison = read_json(&json);
    assert_eq!(
        comparison["warnings"].as_array().unwrap().len(),
        2,
        "{comparison}"
    );
}

#[test]
fn rest_in_a_is_set_against_grpc_in_b_with_match_size_payload() {
    let dir = tempfile::tempdir().unwrap();
    let a = bench(dir.path(), "rest.json", &["--protocols", "rest"]);
    let b = bench(dir.path(), "grpc.json", &["--protocols", "grpc"]);
    let unmatched = text(&compare(&a, &b, &[]).stdout);
    assert!(
        unmatched.contains("Only in A (not compared)"),
        "{unmatched}"
    );
    let out = compare(
        &a,
        &b,
        &["--match", "size,payload", "--fail-if-slower", "1000"],
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("48x64 binary rest -> grpc: "), "{stdout}");
    assert!(
        stdout.contains("paired on size, payload (--match)"),
        "{stdout}"
    );
    assert!(!stdout.contains("Only in"), "{stdout}");
}

#[test]
fn an_encode_report_is_named_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let a = bench(dir.path(), "a.json", &["--protocols", "rest"]);
    let encode = dir.path().join("encode.json");
    let out = imgwire(&[
        "encode",
        "--sizes",
        "48x64",
        "--quality",
        "90",
        "--encoders",
        "turbojpeg",
        "--threads",
        "1",
        "--frames",
        "2",
        "--export-json",
        encode.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = compare(&a, &encode, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is an `imgwire encode` report"), "{stderr}");
    assert!(!stderr.contains("--json again"), "{stderr}");
}

/// Every scenario slower by half, nothing else changed: the note says the
/// machine may have drifted rather than the code.
#[test]
fn every_scenario_moving_the_same_way_is_called_possible_drift() {
    let dir = tempfile::tempdir().unwrap();
    let run = bench(dir.path(), "run.json", &["--protocols", "rest,grpc"]);
    // Steady bursts (a real run of three may hold one slow first burst),
    // then the same three times slower.
    let times = |scale: u64| {
        move |r: &mut Value| {
            for s in scenarios_mut(r) {
                let bursts: Vec<u64> = [100_000, 101_000, 99_000, 100_500, 99_500]
                    .map(|ns| ns * scale)
                    .to_vec();
                s["burst"]["mean_ns"] = (bursts.iter().sum::<u64>() / 5).into();
                s["burst_ns"] = bursts.into();
            }
        }
    };
    let a = edited(&run, "a.json", times(1));
    let slower = edited(&run, "slower.json", times(3));
    let stdout = text(&compare(&a, &slower, &[]).stdout);
    assert!(
        stdout.contains("every one of the 2 scenarios is slower"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the machine most likely drifted"),
        "{stdout}"
    );
    assert!(stdout.contains("settings: the same in A and B"), "{stdout}");
}

/// Every command that writes a report file takes `--export-json` (with
/// `--json` as its alias) and spells each export the same way: `--export-X`
/// with `--X` as its alias, as `bench` does.
#[test]
fn file_flags_are_spelled_the_same_in_every_command() {
    use clap::CommandFactory;
    let cli = imgwire::Cli::command();
    let bench = cli.find_subcommand("bench").unwrap();
    for name in ["bench", "encode", "compare", "tune", "merge"] {
        let command = cli.find_subcommand(name).unwrap();
        let export_json = command
            .get_arguments()
            .find(|a| a.get_long() == Some("export-json"))
            .unwrap_or_else(|| panic!("{name} has no --export-json"));
        let aliases = export_json.get_visible_aliases().unwrap_or_default();
        assert!(aliases.contains(&"json"), "{name}: --json is no alias");
        for arg in command.get_arguments() {
            let long = arg.get_long().unwrap_or_default();
            assert!(
                !["json", "csv", "markdown", "html"].contains(&long),
                "{name} --{long}: spell it --export-{long}"
            );
            let Some(format) = long.strip_prefix("export-") else {
                continue;
            };
            let in_bench = bench.get_arguments().find(|a| a.get_long() == Some(long));
            let in_bench = in_bench.unwrap_or_else(|| panic!("bench has no --{long} ({name})"));
            let bench_aliases = in_bench.get_visible_aliases().unwrap_or_default();
            let aliases = arg.get_visible_aliases().unwrap_or_default();
            assert_eq!(aliases, bench_aliases, "{name} --{long}'s aliases");
            assert!(
                aliases.is_empty() || aliases == [format],
                "{name} --{long}: {aliases:?}"
            );
        }
    }
    let merge = cli.find_subcommand("merge").unwrap();
    for long in [
        "export-json",
        "export-csv",
        "export-markdown",
        "export-html",
    ] {
        assert!(
            merge.get_arguments().any(|a| a.get_long() == Some(long)),
            "merge has no --{long}"
        );
    }
}
