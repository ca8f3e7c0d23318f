//! `--shard I/N` and `--shards N`: which share of a run this process takes,
//! from the flag or from the launcher's environment (src/shard).

use crate::run::plan::PlanError;
use crate::shard::Shard;
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct ShardArgs {
    /// Run shard I of N (I from 0 to N-1): this process takes its share of
    /// the load (concurrency, requests, rate) and its own frame seed. Without
    /// it, a launcher's environment names the shard where set
    /// (JOB_COMPLETION_INDEX, SLURM_PROCID/SLURM_NTASKS,
    /// OMPI_COMM_WORLD_RANK/SIZE, PMI_RANK/PMI_SIZE).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// How many shards there are where the launcher says only the index (a
    /// Kubernetes Indexed Job; or set IMGWIRE_SHARDS): JOB_COMPLETION_INDEX
    /// names a shard only with one of the two.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub shards: Option<u32>,
    /// Start measuring at TIME (RFC 3339, e.g. 2026-12-06T10:00:00Z, or Unix
    /// seconds), so shards on different machines run together: each sets up
    /// (servers, connections, frames of the first size), then waits for it.
    /// A start already past is reported as late, not refused.
    #[arg(long, value_name = "TIME", value_parser = start_time)]
    pub start_at: Option<std::time::SystemTime>,
    /// The run id every shard's report carries, so `imgwire merge` knows
    /// the shards belong together (default for a shard: slurm-JOB.STEP
    /// under Slurm, else one made from --start-at; a lone run makes its
    /// own from its start time and process id).
    #[arg(long, value_name = "ID", value_parser = run_id)]
    pub run_id: Option<String>,
}

fn run_id(text: &str) -> Result<String, String> {
    let fits = |c: char| c.is_ascii_alphanumeric() || "-_.:".contains(c);
    match !text.is_empty() && text.len() <= 128 && text.chars().all(fits) {
        true => Ok(text.to_string()),
        false => Err("a run id is 1 to 128 letters, digits and - _ . :".into()),
    }
}

fn start_time(text: &str) -> Result<std::time::SystemTime, String> {
    crate::shard::parse_start_at(text).map_err(|e| e.to_string())
}

impl ShardArgs {
    /// This process's shard, from the flag, else the environment, else the
    /// whole run; a refusal names the flag or variable to fix.
    pub fn resolve(&self) -> Result<Shard, PlanError> {
        let env = |name: &str| std::env::var(name).ok();
        let shards = self.shards.map(|n| n as usize);
        Shard::resolve(self.shard.as_deref(), shards, env)
            .map_err(|e| PlanError::new("--shard", e.to_string()))
    }

    /// The run id a shard's report carries: `--run-id`, else one every
    /// shard of the same launch makes alike (None: the run makes its own).
    pub fn shared_run_id(&self, shard: &Shard) -> Option<String> {
        let env = |name: &str| std::env::var(name).ok();
        (self.run_id.clone()).or_else(|| {
            shard
                .is_sharded()
                .then(|| crate::shard::launch_run_id(env, self.start_at))
                .flatten()
        })
    }
}
