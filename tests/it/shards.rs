//! Sharded runs of the real binary against one `imgwire serve`: the shards
//! split `--requests` and `--concurrency` so their parts add up to the
//! flags, each names its shard (from `--shard` or a launcher's variables),
//! and `--start-at` makes them wait together or says a start came late.

use crate::common;

use common::serve_process::{imgwire, serve_process};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// `imgwire bench` for one shard's share of a closed run of 31 requests
/// over 5 workers against `rest`.
fn shard_command(rest: &str) -> Command {
    let mut command = imgwire();
    command
        .args(["bench", "--load", "closed", "-c", "5", "--requests", "31"])
        .args([
            "--sizes",
            "48x64",
            "--payloads",
            "binary",
            "--protocols",
            "rest",
        ])
        .args(["--rest-url", rest])
        .stdin(Stdio::null());
    command
}

/// Starts one shard writing its JSON to `json`; `env` names the shard where
/// `shard` is None.
fn start_shard(rest: &str, json: &Path, shard: Option<&str>, env: &[(&str, &str)]) -> Child {
    let mut command = shard_command(rest);
    command
        .args(["--quiet", "--export-json"])
        .arg(json)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(shard) = shard {
        command.args(["--shard", shard]);
    }
    command.spawn().expect("a shard starts")
}

/// Each shard's (workers, counted requests, errors, shard source).
fn finish(shards: Vec<Child>, jsons: &[std::path::PathBuf]) -> Vec<(u64, u64, u64, String)> {
    for child in shards {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
    }
    jsons
        .iter()
        .map(|json| {
            let report: serde_json::Value =
                serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
            let scenario = &report["scenarios"][0];
            let settings = &report["settings"];
            (
                settings["concurrency"].as_u64().unwrap(),
                scenario["requests"].as_u64().unwrap(),
                scenario["errors"].as_u64().unwrap(),
                settings["shard"]["source"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn shards_split_the_load_so_their_parts_add_up_to_the_flags() {
    let (_server, rest, _, _) = serve_process(&[]);
    let dir = tempfile::tempdir().unwrap();
    let jsons: Vec<_> = (0..3)
        .map(|i| dir.path().join(format!("{i}.json")))
        .collect();
    let by_flag = (0..3)
        .map(|i| start_shard(&rest, &jsons[i], Some(&format!("{i}/3")), &[]))
        .collect();
    let parts = finish(by_flag, &jsons);
    // The independent count: the flags' own figures, 5 workers and 31
    // requests, against what each process reports it ran.
    assert_eq!(parts.iter().map(|p| p.0).sum::<u64>(), 5, "{parts:?}");
    assert_eq!(parts.iter().map(|p| p.1).sum::<u64>(), 31, "{parts:?}");
    assert!(
        parts.iter().all(|p| p.2 == 0 && p.3 == "--shard"),
        "{parts:?}"
    );

    // The same from Slurm's variables, as `srun -n 3` sets them.
    let by_slurm = (0..3)
        .map(|i| {
            let index = i.to_string();
            let env = [("SLURM_PROCID", index.as_str()), ("SLURM_NTASKS", "3")];
            start_shard(&rest, &jsons[i], None, &env)
        })
        .collect();
    let parts = finish(by_slurm, &jsons);
    assert_eq!(parts.iter().map(|p| p.1).sum::<u64>(), 31, "{parts:?}");
    assert!(parts.iter().all(|p| p.3 == "SLURM_PROCID"), "{parts:?}");
}

#[test]
fn a_past_start_time_is_said_late_and_the_header_names_the_shard() {
    let (_server, rest, _, _) = serve_process(&[]);
    let out = shard_command(&rest)
        .args(["--shard", "1/2", "--start-at", "1000000000"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("s late: --start-at was already past"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("shard 1 of 2 (from --shard)"), "{stdout}");
}

#[test]
fn a_start_time_gives_every_scenario_the_same_slot_in_every_shard() {
    let (_server, rest, _, _) = serve_process(&[]);
    let dir = tempfile::tempdir().unwrap();
    let start = std::time::SystemTime::now() + std::time::Duration::from_secs(3);
    let start = format!(
        "{:.3}",
        start
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    );
    let shards: Vec<_> = (0..2)
        .map(|i| {
            let json = dir.path().join(format!("{i}.json"));
            let mut command = imgwire();
            command
                .args([
                    "bench",
                    "--load",
                    "closed",
                    "-c",
                    "4",
                    "--duration",
                    "1",
                    "-n",
                    "4",
                ])
                .args(["--warmup", "1", "--warmup-max", "0", "--sizes", "48x64"])
                .args(["--payloads", "binary,basic", "--protocols", "rest"])
                .args(["--rest-url", &rest, "--quiet", "--start-at", &start])
                .args(["--shard", &format!("{i}/2"), "--export-json"])
                .arg(&json)
                .stdin(Stdio::null());
            (command.spawn().unwrap(), json)
        })
        .collect();
    let reports: Vec<serde_json::Value> = shards
        .into_iter()
        .map(|(mut child, json)| {
            assert!(child.wait().unwrap().success());
            serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap()
        })
        .collect();
    // One run id, made alike from --start-at by each shard.
    assert_eq!(reports[0]["run_id"], reports[1]["run_id"]);
    assert!(reports[0]["run_id"].as_str().unwrap().starts_with("start-"));
    let planned = |r: &serde_json::Value, k: usize| {
        r["scenarios"][k]["schedule"]["planned_counted_start_unix_s"]
            .as_f64()
            .unwrap()
    };
    // The slot, from the flags: a warm-up cap of 1 window (1 s / 4), 1 s
    // counted, 1 s + 10 % slack.
    let slot = 0.25 + 1.0 + 1.1;
    let first = start.parse::<f64>().unwrap() + 0.25;
    for report in &reports {
        assert!((planned(report, 0) - first).abs() < 1e-3, "{report}");
        assert!((planned(report, 1) - planned(report, 0) - slot).abs() < 1e-3);
        for scenario in report["scenarios"].as_array().unwrap() {
            let schedule = &scenario["schedule"];
            let started = schedule["counted_start_unix_s"].as_f64().unwrap();
            let due = schedule["planned_counted_start_unix_s"].as_f64().unwrap();
            // Never early; late by exactly what it says.
            assert!(started >= due, "{schedule}");
            assert!((schedule["late_s"].as_f64().unwrap() - (started - due)).abs() < 1e-3);
        }
    }
}
