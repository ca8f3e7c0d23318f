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
    assert!(stdout.contains("shard 1 of 0-1 (from --shard)"), "{stdout}");
}
