//! deploy/k8s/run.sh from apply to merged report, with no cluster: a
//! stand-in `kubectl` first on PATH answers the calls run.sh makes (the
//! Job's uid, its conditions, its pods, their logs) and refuses any other,
//! and the pods' logs are those of real shards of `imgwire bench` run as an
//! Indexed Job runs them (JOB_COMPLETION_INDEX, IMGWIRE_SHARDS,
//! `--export-json -`, stdout and stderr in one log) against one `imgwire
//! serve`. run.sh's own `imgwire merge -` makes the report.

use super::{assert_merge_adds_up, imgwire_binary, read_json, repo_path, succeed};
use crate::common::serve_process::serve_process;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};

/// The Job's uid as the stand-in tells it; pods are listed only under it.
const UID: &str = "uid-of-this-run";

/// kubectl as run.sh calls it, answered from $STAND_IN.
const KUBECTL: &str = r#"#!/usr/bin/env bash
set -euo pipefail
echo "$*" >>"$STAND_IN/calls"
case "$*" in
  "delete job imgwire-bench --ignore-not-found --wait=true") ;;
  "apply -f -") cat >"$STAND_IN/applied.yaml" ;;
  "get job imgwire-bench -o jsonpath={.metadata.uid}") printf '%s' "$JOB_UID" ;;
  "get job imgwire-bench -o jsonpath={.status.conditions[*].type}") printf 'Complete' ;;
  "get pods -l controller-uid=$JOB_UID -o name")
    for log in "$STAND_IN"/pods/*.log; do name="${log##*/}"; echo "pod/${name%.log}"; done ;;
  "logs pod/"*) cat "$STAND_IN/pods/${2#pod/}.log" ;;
  *) echo "kubectl stand-in: run.sh made a call a cluster would not answer so: $*" >&2; exit 1 ;;
esac
"#;

/// Runs shard `index` of 2 as a pod of the Job would, its stdout and
/// stderr into `log` (as `kubectl logs` gives both).
fn run_pod(index: usize, rest: &str, log: &Path) {
    let file = std::fs::File::create(log).unwrap();
    let status = Command::new(imgwire_binary())
        .args(["bench", "--load", "closed", "-c", "4", "--requests", "40"])
        .args(["--run-id", "imgwire-bench-uid-of-this-run"])
        .args([
            "--sizes",
            "48x64",
            "--payloads",
            "binary",
            "--protocols",
            "rest",
        ])
        .args(["--rest-url", rest, "--export-json", "-"])
        .env("JOB_COMPLETION_INDEX", index.to_string())
        .env("IMGWIRE_SHARDS", "2")
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "{}",
        std::fs::read_to_string(log).unwrap()
    );
}

/// The one line of `log` that is a bench report.
fn report_line(log: &Path) -> Value {
    let text = std::fs::read_to_string(log).unwrap();
    let reports: Vec<Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|value| value["scenarios"].is_array())
        .collect();
    assert_eq!(
        reports.len(),
        1,
        "one report line in {}:\n{text}",
        log.display()
    );
    reports.into_iter().next().unwrap()
}

#[test]
#[ignore = "needs slurm-wlm/munge/buildah: scripts/test.sh installs them"]
fn run_sh_applies_the_job_and_merges_its_pods_logs() {
    let (_server, rest, _, _) = serve_process(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (bin, stand_in) = (dir.path().join("bin"), dir.path().join("stand-in"));
    std::fs::create_dir_all(stand_in.join("pods")).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    let kubectl = bin.join("kubectl");
    std::fs::write(&kubectl, KUBECTL).unwrap();
    let executable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(&kubectl, executable).unwrap();
    std::os::unix::fs::symlink(imgwire_binary(), bin.join("imgwire")).unwrap();
    let mut shards = Vec::new();
    for index in 0..2 {
        let log = stand_in.join(format!("pods/imgwire-bench-{index}-x7k2p.log"));
        run_pod(index, &rest, &log);
        let report = report_line(&log);
        assert_eq!(
            report["settings"]["shard"]["source"],
            "JOB_COMPLETION_INDEX"
        );
        shards.push(report);
    }

    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let merged_json = dir.path().join("merged.json");
    succeed(
        Command::new(repo_path("deploy/k8s/run.sh"))
            .args(["2", "4", "1", "--export-json"])
            .arg(&merged_json)
            .env("PATH", path)
            .env("STAND_IN", &stand_in)
            .env("JOB_UID", UID)
            .env("IMGWIRE_LOGS", dir.path().join("logs"))
            .current_dir(dir.path()),
        "deploy/k8s/run.sh",
    );
    let applied = std::fs::read_to_string(stand_in.join("applied.yaml")).unwrap();
    assert!(applied.contains("completions: 2"), "{applied}");
    let calls = std::fs::read_to_string(stand_in.join("calls")).unwrap();
    let logs_read = calls.lines().filter(|c| c.starts_with("logs ")).count();
    assert_eq!(logs_read, 2, "{calls}");
    assert_merge_adds_up(&shards, &read_json(&merged_json));
}
