//! Past one machine, for real on this one (issue 24): a one-node Slurm
//! (deploy/slurm/one-node.sh) runs shards of `imgwire bench` under `srun`
//! and through the sbatch example users copy, and `imgwire merge` makes one
//! report of them; deploy/k8s's manifests validate against the Kubernetes
//! schemas and pass `imgwire bench` and `serve` flags they accept, and
//! run.sh merges the pods' logs (a stand-in kubectl, real shards); the image
//! of deploy/build-image.sh runs imgwire in a chroot. Ignored in a plain
//! `cargo test`: they need root, slurm-wlm, munge, buildah and PyPI's
//! kubernetes-validate, which scripts/install-scale-out.sh installs
//! (scripts/test.sh runs it, then `-- --ignored scale_out::`).
//!
//! This file holds what the three share: the repository's scripts, commands
//! that must succeed, the shards' and the merged reports.

mod image;
mod manifests;
mod run_sh;
mod slurm;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The reason every test here is ignored in a plain `cargo test`.
const NEEDS: &str = "needs slurm-wlm/munge/buildah: scripts/test.sh installs them";

/// A path inside the repository.
fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The binary under test, as a path for scripts and launchers.
fn imgwire_binary() -> &'static str {
    env!("CARGO_BIN_EXE_imgwire")
}

/// Runs `command` to its end and returns its output once it exited 0;
/// otherwise fails naming `what` with both streams.
fn succeed(command: &mut Command, what: &str) -> Output {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{what} did not start: {e} ({NEEDS})"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A JSON file.
fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A scenario's name across reports: size, payload, protocol.
fn scenario_key(scenario: &Value) -> String {
    ["size", "payload", "protocol"]
        .map(|field| scenario[field].as_str().unwrap_or("?").to_string())
        .join(" ")
}

/// A counter of a scenario as a whole number.
fn count(scenario: &Value, field: &str) -> u64 {
    scenario[field].as_u64().unwrap_or_else(|| {
        panic!(
            "{field} of {} is {}",
            scenario_key(scenario),
            scenario[field]
        )
    })
}

/// The shard reports `shard-0.json` .. `shard-{n-1}.json` of `dir`, checked:
/// exactly those files, each naming its own shard of `n` from `source`,
/// each scenario run without errors.
fn shard_reports(dir: &Path, n: usize, source: &str) -> Vec<Value> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("shard-") && name.ends_with(".json"))
        .collect();
    names.sort();
    let expected: Vec<String> = (0..n).map(|i| format!("shard-{i}.json")).collect();
    assert_eq!(names, expected, "the shards' reports in {}", dir.display());
    (0..n)
        .map(|index| {
            let report = read_json(&dir.join(&expected[index]));
            let shard = &report["settings"]["shard"];
            assert_eq!(shard["index"].as_u64(), Some(index as u64), "{shard}");
            assert_eq!(shard["count"].as_u64(), Some(n as u64), "{shard}");
            assert_eq!(shard["source"].as_str(), Some(source), "{shard}");
            let scenarios = report["scenarios"].as_array().expect("scenarios");
            assert!(!scenarios.is_empty(), "shard {index} ran no scenario");
            for scenario in scenarios {
                assert!(count(scenario, "requests") > 0, "shard {index}: {scenario}");
                assert_eq!(count(scenario, "errors"), 0, "shard {index}: {scenario}");
            }
            report
        })
        .collect()
}

/// Each scenario's (requests, errors) summed over `reports`.
fn summed_counts(reports: &[Value]) -> BTreeMap<String, (u64, u64)> {
    let mut sums = BTreeMap::new();
    for scenario in reports
        .iter()
        .flat_map(|r| r["scenarios"].as_array().unwrap())
    {
        let sum = sums.entry(scenario_key(scenario)).or_insert((0, 0));
        sum.0 += count(scenario, "requests");
        sum.1 += count(scenario, "errors");
    }
    sums
}

/// `imgwire merge FILES... --export-json OUT`, its JSON.
fn merge(files: &[PathBuf], out: &Path) -> Value {
    let mut command = Command::new(imgwire_binary());
    command
        .arg("merge")
        .args(files)
        .arg("--export-json")
        .arg(out);
    succeed(&mut command, "imgwire merge");
    read_json(out)
}

/// The merged report says what the shards said: per scenario the summed
/// requests and errors, rows of every shard (indexes 0..n; a row a shard,
/// or a shard and scenario) whose requests add up to the same total, and no
/// shard missing.
fn assert_merge_adds_up(shards: &[Value], merged: &Value) {
    let merged_counts = summed_counts(std::slice::from_ref(merged));
    assert_eq!(merged_counts, summed_counts(shards), "{merged}");
    let rows = merged["merged"]["shards"]
        .as_array()
        .expect("merged.shards");
    let indexes: BTreeSet<u64> = rows.iter().map(|row| count(row, "index")).collect();
    let expected: BTreeSet<u64> = (0..shards.len() as u64).collect();
    assert_eq!(indexes, expected, "merged.shards: {rows:?}");
    let total: u64 = merged_counts.values().map(|(requests, _)| requests).sum();
    let by_rows: u64 = rows.iter().map(|row| count(row, "requests")).sum();
    assert_eq!(by_rows, total, "merged.shards: {rows:?}");
    let missing = &merged["merged"]["missing"];
    assert!(
        missing.as_array().is_some_and(Vec::is_empty),
        "merged.missing: {missing}"
    );
}

/// Unix seconds `ahead_s` from now: a start time every shard waits for.
fn start_in(ahead_s: u64) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    now.as_secs() + ahead_s
}
