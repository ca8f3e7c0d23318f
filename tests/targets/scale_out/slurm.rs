//! A real one-node Slurm (deploy/slurm/one-node.sh: munged, slurmctld and
//! slurmd on this machine): `srun -n 4` runs four shards of `imgwire bench`
//! against one `imgwire serve`, the sbatch example users copy does the same
//! as a batch job, and `imgwire merge` makes one report of the shards.

use super::{
    assert_merge_adds_up, imgwire_binary, merge, read_json, repo_path, shard_reports, start_in,
    NEEDS,
};
use crate::common::serve_process::serve_process;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};

/// One cluster at a time: one-node.sh's daemons listen on fixed ports.
static ONE_CLUSTER: Mutex<()> = Mutex::new(());

/// Shards per run: more than the 2 cores here (srun -O overcommits).
const SHARDS: usize = 4;

/// How long srun or sbatch may take before the test gives up on them.
const LAUNCH_LIMIT_S: &str = "180";

/// The bench flags every shard gets: a closed loop on tiny frames, so the
/// four shards and the server share 2 cores without starving; a fixed
/// warm-up keeps them in step, as deploy/ advises.
const LOAD: [&str; 12] = [
    "--load",
    "closed",
    "-c",
    "8",
    "--sizes",
    "48x64",
    "--payloads",
    "binary",
    "--warmup",
    "3",
    "--warmup-max",
    "0",
];

/// A one-node Slurm in a temporary folder, stopped when dropped.
struct OneNodeSlurm {
    dir: tempfile::TempDir,
    conf: String,
    _turn: MutexGuard<'static, ()>,
}

impl OneNodeSlurm {
    fn start() -> OneNodeSlurm {
        let turn = ONE_CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("bash")
            .arg(repo_path("deploy/slurm/one-node.sh"))
            .arg("start")
            .arg(dir.path())
            .output()
            .expect("bash runs");
        // Built before the check so that Drop stops what did start.
        let slurm = OneNodeSlurm {
            conf: String::from_utf8_lossy(&out.stdout).trim().to_string(),
            dir,
            _turn: turn,
        };
        assert!(
            out.status.success(),
            "deploy/slurm/one-node.sh start failed ({NEEDS}):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        slurm
    }

    /// A Slurm client command (srun, sbatch) of this cluster, bounded in time.
    fn client(&self, program: &str) -> Command {
        let mut command = Command::new("timeout");
        command
            .args([LAUNCH_LIMIT_S, program])
            .env("SLURM_CONF", &self.conf);
        command
    }

    /// The Slurm daemons' logs, for a failure's message.
    fn logs(&self) -> String {
        ["slurmctld.log", "slurmd.log"]
            .map(|name| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default())
            .join("\n")
    }
}

impl Drop for OneNodeSlurm {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo_path("deploy/slurm/one-node.sh"))
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}

/// The shards' report files of `dir`.
fn shard_files(dir: &Path) -> Vec<PathBuf> {
    (0..SHARDS)
        .map(|i| dir.join(format!("shard-{i}.json")))
        .collect()
}

#[test]
#[ignore = "needs slurm-wlm/munge/buildah: scripts/test.sh installs them"]
fn srun_runs_four_shards_whose_merge_adds_up() {
    let slurm = OneNodeSlurm::start();
    let (_server, rest, grpc, _) = serve_process(&[]);
    let dir = tempfile::tempdir().unwrap();
    let start_at = start_in(3).to_string();
    // Each task names its report by its own SLURM_PROCID (srun substitutes
    // nothing in the arguments): the shell runs in the task.
    // No --run-id: every task makes slurm-<job>.<step> from srun's
    // variables, and the merge checks they agree.
    let task =
        r#"out="$1"; shift; exec "$0" bench "$@" --export-json "$out/shard-$SLURM_PROCID.json""#;
    let out = slurm
        .client("srun")
        .args(["-O", "-n", &SHARDS.to_string(), "--kill-on-bad-exit=0"])
        .args(["bash", "-c", task, imgwire_binary()])
        .arg(dir.path())
        .args(LOAD)
        .args(["--duration", "2", "--protocols", "rest,grpc"])
        .args(["--rest-url", &rest, "--grpc-url", &grpc])
        .args(["--start-at", &start_at, "--quiet", "--brief"])
        .current_dir(dir.path())
        .output()
        .expect("srun runs");
    assert!(
        out.status.success(),
        "srun -n {SHARDS} imgwire bench failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        slurm.logs()
    );
    let shards = shard_reports(dir.path(), SHARDS, "SLURM_PROCID");
    for report in &shards {
        let shard = &report["settings"]["shard"];
        assert_eq!(
            shard["start_at_unix_s"].as_f64(),
            Some(start_at.parse::<f64>().unwrap()),
            "{shard}"
        );
    }
    // The shards' workers add up to -c 8: each ran its share.
    let workers: u64 = shards
        .iter()
        .map(|r| r["settings"]["concurrency"].as_u64().unwrap())
        .sum();
    assert_eq!(workers, 8);

    let merged = merge(&shard_files(dir.path()), &dir.path().join("merged.json"));
    assert_merge_adds_up(&shards, &merged);
}

#[test]
#[ignore = "needs slurm-wlm/munge/buildah: scripts/test.sh installs them"]
fn the_sbatch_example_runs_its_shards_and_merges_them() {
    let slurm = OneNodeSlurm::start();
    let (_server, rest, _, _) = serve_process(&[]);
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let job_log = dir.path().join("job.log");
    // The script's own #SBATCH lines ask for 4 nodes of 16 CPUs; this one
    // node of 2 takes the 4 tasks overcommitted.
    let status = slurm
        .client("sbatch")
        .args(["--wait", "--nodes=1", "--ntasks=4", "--cpus-per-task=1"])
        .arg("--overcommit")
        .arg(format!("--output={}", job_log.display()))
        .arg(repo_path("deploy/slurm/imgwire.sbatch"))
        .args(LOAD)
        .args([
            "--duration",
            "1",
            "--protocols",
            "rest",
            "--rest-url",
            &rest,
        ])
        .env("IMGWIRE", imgwire_binary())
        .env("IMGWIRE_OUT", &out_dir)
        .env("IMGWIRE_START_AHEAD_S", "3")
        .current_dir(dir.path())
        .status()
        .expect("sbatch runs");
    let log = std::fs::read_to_string(&job_log).unwrap_or_default();
    // The shards' part first, so that a failing merge is told apart.
    let shards = shard_reports(&out_dir, SHARDS, "SLURM_PROCID");
    assert!(status.success(), "the batch job failed ({status}):\n{log}");
    for (index, report) in shards.iter().enumerate() {
        let tables = std::fs::read_to_string(out_dir.join(format!("shard-{index}.txt"))).unwrap();
        assert!(
            tables.contains(&format!("shard {index} of")),
            "shard-{index}.txt: {tables}"
        );
        assert_eq!(report["scenarios"].as_array().unwrap().len(), 1);
    }
    assert_merge_adds_up(&shards, &read_json(&out_dir.join("merged.json")));
    for name in ["merged.md", "merged.html"] {
        let written = std::fs::metadata(out_dir.join(name)).map_or(0, |m| m.len());
        assert!(written > 0, "{name} not written:\n{log}");
    }
}
