//! Which share of a run this process is: `--shard I/N`, or the index and
//! count a launcher put in the environment (a Kubernetes Indexed Job,
//! Slurm, an MPI launcher), and how a load splits across the shards so
//! their sum is the load the user asked for.

mod run_id;
mod split;
mod start_at;

pub use run_id::{launch_run_id, utc};
pub use split::{shard_seed, split_count, split_rate, SplitError};
pub use start_at::{parse_start_at, StartAtError};

use std::fmt;

/// This process's place among the shards: `index` counts from 0, as the
/// launchers do (JOB_COMPLETION_INDEX, SLURM_PROCID, MPI ranks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
    pub source: ShardSource,
}

/// Where the shard's index and count came from, for the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShardSource {
    /// `--shard I/N` on the command line.
    Flag,
    /// A launcher's environment: the variable that gave the index.
    Env(&'static str),
}

/// The environment variables that name a shard, in the order they are
/// tried: (index variable, count variable). Kubernetes sets no count, so
/// its manifest passes one in `IMGWIRE_SHARDS` (or `--shards`).
pub const LAUNCHER_VARIABLES: [(&str, &str); 4] = [
    ("JOB_COMPLETION_INDEX", "IMGWIRE_SHARDS"),
    ("SLURM_PROCID", "SLURM_NTASKS"),
    ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
    ("PMI_RANK", "PMI_SIZE"),
];

/// Why a shard could not be worked out; each message names the flag or
/// variable to fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShardError {
    #[error("--shard {0:?} is not INDEX/COUNT (e.g. --shard 0/4; the index counts from 0)")]
    NotIndexSlashCount(String),
    #[error(
        "shard index {index} is not below the shard count {count} (from {source_name}): \
         indexes run from 0 to {last}",
        last = count.saturating_sub(1)
    )]
    IndexPastCount {
        index: usize,
        count: usize,
        source_name: String,
    },
    #[error("{0}: the shard count must be at least 1")]
    NoShards(String),
    #[error("{variable}={value:?} is not a whole number; unset it or give --shard I/N")]
    NotANumber { variable: String, value: String },
}

impl Shard {
    /// The one process of an unsharded run.
    pub fn whole() -> Shard {
        Shard {
            index: 0,
            count: 1,
            source: ShardSource::Flag,
        }
    }

    /// Whether the run is split at all.
    pub fn is_sharded(&self) -> bool {
        self.count > 1
    }

    /// Parses `--shard I/N`.
    pub fn from_flag(text: &str) -> Result<Shard, ShardError> {
        let wrong = || ShardError::NotIndexSlashCount(text.to_string());
        let (index, count) = text.split_once('/').ok_or_else(wrong)?;
        let index: usize = index.trim().parse().map_err(|_| wrong())?;
        let count: usize = count.trim().parse().map_err(|_| wrong())?;
        Shard::checked(index, count, ShardSource::Flag)
    }

    /// The shard a launcher's environment names, if any: the first of
    /// [`LAUNCHER_VARIABLES`] whose index variable is set and whose count is
    /// known. `shards_flag` (`--shards N`) gives the count where the
    /// launcher sets none.
    pub fn from_env(
        get: impl Fn(&str) -> Option<String>,
        shards_flag: Option<usize>,
    ) -> Result<Option<Shard>, ShardError> {
        for (index_variable, count_variable) in LAUNCHER_VARIABLES {
            let Some(index) = get(index_variable) else {
                continue;
            };
            let index = number(index_variable, &index)?;
            // An index without a count (an Indexed Job that is not a
            // sharded imgwire run, say) names no shard.
            let count = match (shards_flag, get(count_variable)) {
                (Some(count), _) => count,
                (None, Some(count)) => number(count_variable, &count)?,
                (None, None) => continue,
            };
            return Shard::checked(index, count, ShardSource::Env(index_variable)).map(Some);
        }
        Ok(None)
    }

    /// The shard of this process: `--shard` first, then the environment,
    /// else the whole run.
    pub fn resolve(
        flag: Option<&str>,
        shards_flag: Option<usize>,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Shard, ShardError> {
        match flag {
            Some(text) => Shard::from_flag(text),
            None => Ok(Shard::from_env(get, shards_flag)?.unwrap_or_else(Shard::whole)),
        }
    }

    fn checked(index: usize, count: usize, source: ShardSource) -> Result<Shard, ShardError> {
        let source_name = source.to_string();
        if count == 0 {
            return Err(ShardError::NoShards(source_name));
        }
        if index >= count {
            return Err(ShardError::IndexPastCount {
                index,
                count,
                source_name,
            });
        }
        Ok(Shard {
            index,
            count,
            source,
        })
    }
}

impl fmt::Display for ShardSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShardSource::Flag => f.write_str("--shard"),
            ShardSource::Env(variable) => f.write_str(variable),
        }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&words(self.index, self.count, &self.source))
    }
}

/// A shard in words, for messages and the report's header:
/// `shard 3 of 8 (from SLURM_PROCID)`: the index counts from 0, as the
/// launchers' do.
pub fn words(index: usize, count: usize, source: &dyn fmt::Display) -> String {
    format!("shard {index} of {count} (from {source})")
}

fn number(variable: &str, value: &str) -> Result<usize, ShardError> {
    value.trim().parse().map_err(|_| ShardError::NotANumber {
        variable: variable.to_string(),
        value: value.to_string(),
    })
}

#[cfg(test)]
mod tests;
