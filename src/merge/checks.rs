//! What makes shards one run, checked before anything is added: the same
//! shard count, each index once, one run id, the same settings (less what
//! differs by design from shard to shard), the same scenarios in the
//! same order, and cameras at one `--fps` and `--max-in-flight`. A refusal is one line naming the difference, the files and
//! the flag that fixes it; what a merge can go on with (missing shards, a
//! run stopped early, another build) is a warning.

use super::input::ShardInput;
use crate::report::cameras::CameraFigures;
use anyhow::{bail, Result};
use serde_json::Value;

/// Settings that differ between the shards of one run by design: the
/// shard itself, each shard's share of the load, its frame seed, its own
/// machine's threads and the relay or namespace it made for itself.
pub const PER_SHARD_SETTINGS: [&str; 12] = [
    "shard",
    "concurrency",
    "rest_pool",
    "requests_per_run",
    "rate_per_s",
    "frames",
    "client_threads",
    "server_threads",
    "rest_target",
    "grpc_target",
    "tcp_target",
    "link_shaping",
];

/// Where the shards send: a shard on another network (its own namespace,
/// another data centre) may reach the same service at another address, or
/// each shard one replica of it; the merge says so and goes on.
pub const SERVER_ADDRESSES: [&str; 3] = ["rest_url", "grpc_url", "tcp_url"];

/// The shards, sorted by index, checked to be of one run; the warnings
/// a merge goes on with.
pub fn check(shards: &mut [ShardInput]) -> Result<Vec<String>> {
    let Some(first) = shards.first() else {
        bail!("no shard report was given (merge SHARD.json... or - for JSON lines on stdin)");
    };
    let count = shard_of(first).count;
    for shard in shards.iter() {
        let other = shard_of(shard).count;
        if other != count {
            bail!(
                "{} is a shard of {other}, {} of {count}: shards of one run share their count \
                 (--shard I/N with the same N, or the launcher's)",
                shard.origin,
                first.origin
            );
        }
    }
    shards.sort_by_key(|s| shard_of(s).index);
    for pair in shards.windows(2) {
        if shard_of(&pair[0]).index == shard_of(&pair[1]).index {
            bail!(
                "{} and {} are both shard {}: each shard of a run needs its own index \
                 (--shard I/N)",
                pair[0].origin,
                pair[1].origin,
                shard_of(&pair[0]).index
            );
        }
    }
    let first = &shards[0];
    for shard in &shards[1..] {
        same_run(first, shard)?;
        same_settings(first, shard)?;
        same_scenarios(first, shard)?;
        same_cameras(first, shard)?;
    }
    Ok(warnings(shards, count))
}

fn shard_of(input: &ShardInput) -> &crate::report::ShardSettings {
    (input.report.settings.shard.as_ref()).expect("input::shard refuses reports without one")
}

fn same_run(first: &ShardInput, shard: &ShardInput) -> Result<()> {
    let (a, b) = (&first.report.run_id, &shard.report.run_id);
    if a != b {
        bail!(
            "{} has run id {b:?}, {} {a:?}: shards of different runs (give every shard the same \
             --run-id)",
            shard.origin,
            first.origin
        );
    }
    Ok(())
}

/// Every setting but the per-shard ones must be equal.
fn same_settings(first: &ShardInput, shard: &ShardInput) -> Result<()> {
    let settings = |input: &ShardInput| match input.value.get("settings") {
        Some(Value::Object(map)) => map.clone(),
        _ => Default::default(),
    };
    let (a, b) = (settings(first), settings(shard));
    let keys = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k)));
    let checked = |k: &&String| !PER_SHARD_SETTINGS.contains(&k.as_str());
    let checked_here = |k: &&String| checked(k) && !SERVER_ADDRESSES.contains(&k.as_str());
    for key in keys.filter(checked_here) {
        let (x, y) = (a.get(key), b.get(key));
        if x != y {
            let show = |v: Option<&Value>| v.map_or("absent".into(), Value::to_string);
            bail!(
                "{} differs from {} in settings.{key} ({} vs {}): the shards of one run are \
                 started with the same flags (only --shard differs)",
                shard.origin,
                first.origin,
                show(y),
                show(x)
            );
        }
    }
    Ok(())
}

fn same_scenarios(first: &ShardInput, shard: &ShardInput) -> Result<()> {
    let labels = |input: &ShardInput| -> Vec<String> {
        input.report.scenarios.iter().map(|s| s.label()).collect()
    };
    let (a, b) = (labels(first), labels(shard));
    if a != b {
        bail!(
            "{} ran the scenarios [{}], {} [{}]: shards of one run run the same matrix (the \
             same --sizes, --payloads and --protocols)",
            shard.origin,
            b.join(", "),
            first.origin,
            a.join(", ")
        );
    }
    Ok(())
}

/// A camera run's shards each run their share of the streams at the same
/// `--fps` and `--max-in-flight`: the merged streams are their sum, which
/// only means one thing where every stream ran alike.
fn same_cameras(first: &ShardInput, shard: &ShardInput) -> Result<()> {
    let pairs = first.report.scenarios.iter().zip(&shard.report.scenarios);
    for (a, b) in pairs {
        let describe = |c: Option<CameraFigures>| match c {
            Some(c) => format!("--fps {} --max-in-flight {}", c.fps, c.max_in_flight),
            None => "no cameras".to_string(),
        };
        let (x, y) = (a.load.cameras, b.load.cameras);
        let alike = match (x, y) {
            (Some(x), Some(y)) => x.fps == y.fps && x.max_in_flight == y.max_in_flight,
            (x, y) => x.is_none() && y.is_none(),
        };
        if !alike {
            bail!(
                "{} ran {} with {}, {} with {}: the shards of one camera run share --fps and \
                 --max-in-flight (only --shard differs)",
                shard.origin,
                a.label(),
                describe(y),
                first.origin,
                describe(x)
            );
        }
    }
    Ok(())
}

/// What the merge goes on with but says: missing shards, a run stopped
/// early, another build.
fn warnings(shards: &[ShardInput], count: usize) -> Vec<String> {
    let mut out = Vec::new();
    let missing = missing(shards, count);
    if !missing.is_empty() {
        out.push(format!(
            "{} of {count} shards are missing (index {}): the merged figures hold only the \
             shards given, so throughput is short of the whole run's",
            missing.len(),
            list(&missing)
        ));
    }
    for shard in shards.iter().filter(|s| !s.report.complete) {
        out.push(format!(
            "{} is of a run that stopped early (\"complete\": false)",
            shard.origin
        ));
    }
    out.extend(
        SERVER_ADDRESSES
            .iter()
            .filter_map(|key| addresses(shards, key)),
    );
    let version = |s: &ShardInput| s.value.get("imgwire_version").cloned();
    if let Some(other) = shards.iter().find(|s| version(s) != version(&shards[0])) {
        out.push(format!(
            "{} was written by imgwire {}, {} by {}",
            other.origin,
            version(other).unwrap_or_default(),
            shards[0].origin,
            version(&shards[0]).unwrap_or_default()
        ));
    }
    out
}

/// The warning where the shards sent to more than one address.
fn addresses(shards: &[ShardInput], key: &str) -> Option<String> {
    let value = |s: &ShardInput| s.value["settings"].get(key).cloned().unwrap_or_default();
    let seen = crate::report::text::unique(shards.iter().map(value));
    (seen.len() > 1).then(|| {
        let shown: Vec<String> = seen.iter().map(Value::to_string).collect();
        format!(
            "the shards sent to {} addresses (settings.{key}: {}): merged as one run against \
             one service, which holds only if each address reaches it (or a replica of it)",
            seen.len(),
            shown.join(", ")
        )
    })
}

/// The indexes below `count` that no shard has.
pub fn missing(shards: &[ShardInput], count: usize) -> Vec<usize> {
    (0..count)
        .filter(|i| !shards.iter().any(|s| shard_of(s).index == *i))
        .collect()
}

/// `0, 2, 3`.
pub fn list(indexes: &[usize]) -> String {
    let words: Vec<String> = indexes.iter().map(ToString::to_string).collect();
    words.join(", ")
}
