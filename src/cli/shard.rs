//! `--shard I/N` and `--shards N`: which share of a run this process takes,
//! from the flag or from the launcher's environment (src/shard).

use crate::run::plan::PlanError;
use crate::shard::{Shard, ShardError};
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
    /// Kubernetes Indexed Job; or set IMGWIRE_SHARDS).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub shards: Option<u32>,
}

impl ShardArgs {
    /// This process's shard, from the flag, else the environment, else the
    /// whole run; a refusal names the flag or variable to fix.
    pub fn resolve(&self) -> Result<Shard, PlanError> {
        let env = |name: &str| std::env::var(name).ok();
        let shards = self.shards.map(|n| n as usize);
        Shard::resolve(self.shard.as_deref(), shards, env).map_err(|e| {
            let flag = match &e {
                ShardError::CountMissing { .. } => "--shards",
                _ => "--shard",
            };
            PlanError::new(flag, e.to_string())
        })
    }
}
