//! How one load splits across shards: whole counts (concurrency, workers,
//! requests) with the remainder given to the first shards, rates evenly,
//! and a frame seed per shard that differs between shards yet reproduces.

use super::Shard;

/// A share that would leave some shard with nothing to do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "{flag} {total} split over {count} shards leaves shards {first_idle} to {last} with none: \
     give {flag} at least {count}, or run fewer shards"
)]
pub struct SplitError {
    pub flag: &'static str,
    pub total: u64,
    pub count: usize,
    pub first_idle: usize,
    pub last: usize,
}

/// This shard's part of `total` (named by `flag` in the refusal): every
/// shard gets `total / count`, and the first `total % count` shards one
/// more, so the parts add up to `total` exactly.
pub fn split_count(total: u64, shard: &Shard, flag: &'static str) -> Result<u64, SplitError> {
    let count = shard.count as u64;
    if total < count {
        return Err(SplitError {
            flag,
            total,
            count: shard.count,
            first_idle: total as usize,
            last: shard.count - 1,
        });
    }
    let extra = u64::from((shard.index as u64) < total % count);
    Ok(total / count + extra)
}

/// This shard's part of an open-load rate: an even share (rates need no
/// remainder; the shares add up to the rate).
pub fn split_rate(rate_per_s: f64, shard: &Shard) -> f64 {
    rate_per_s / shard.count as f64
}

/// The frame seed of this shard: the run's own seed when unsharded, else
/// one mixed with the index (SplitMix64's finaliser), so that shards send
/// different frames and a rerun of shard i sends the same ones.
pub fn shard_seed(seed: u64, shard: &Shard) -> u64 {
    if !shard.is_sharded() {
        return seed;
    }
    let mut z = seed ^ (shard.index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
