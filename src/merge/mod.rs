//! `imgwire merge`: shards' JSON reports made into one report, exactly:
//! histograms added (never percentiles averaged), counts summed, windows
//! aligned by index; refused where the shards are not of one run, and a
//! per-shard table that shows a shard standing out.

mod checks;
pub mod command;
pub mod input;
mod scenario;
pub mod shards;
mod windows;

use crate::report::merged::MergedSection;
use crate::report::{BenchReport, Settings};
use anyhow::{Context, Result};
use input::ShardInput;

/// Merges the shards read into one report, or says why they are not one
/// run.
pub fn merge(inputs: input::Inputs) -> Result<BenchReport> {
    let mut shards = inputs.shards;
    let mut warnings = checks::check(&mut shards)?;
    let rows = shards::rows(&shards);
    warnings.extend(shards::warnings(&rows));
    let count = shards[0]
        .report
        .settings
        .shard
        .as_ref()
        .map_or(1, |s| s.count);
    let section = MergedSection {
        shard_count: count,
        present: (shards.iter())
            .filter_map(|s| s.report.settings.shard.as_ref().map(|s| s.index))
            .collect(),
        missing: checks::missing(&shards, count),
        skipped_lines: inputs.skipped_lines,
        warnings,
        shards: rows,
    };
    let scenarios = (0..shards[0].report.scenarios.len())
        .map(|at| {
            let parts: Vec<&crate::report::ScenarioReport> =
                shards.iter().map(|s| &s.report.scenarios[at]).collect();
            scenario::merge(&parts).with_context(|| parts[0].label())
        })
        .collect::<Result<Vec<_>>>()?;
    let first = &shards[0].report;
    Ok(BenchReport {
        schema_version: first.schema_version,
        imgwire_version: crate::report::this_version(),
        run_id: first.run_id.clone(),
        complete: shards.iter().all(|s| s.report.complete),
        machine: first.machine.clone(),
        build: first.build.clone(),
        settings: settings(&shards),
        relay_cost: None,
        scenarios,
        not_applicable: first.not_applicable.clone(),
        connects: connects(&shards),
        merged: Some(section),
    })
}

/// The lowest shard's settings with the shards' shares of the load added
/// back up, and no shard of its own.
fn settings(shards: &[ShardInput]) -> Settings {
    let all = || shards.iter().map(|s| &s.report.settings);
    let mut settings = shards[0].report.settings.clone();
    settings.concurrency = all().map(|s| s.concurrency).sum();
    settings.rest_pool = all().map(|s| s.rest_pool).sum();
    settings.load.rate_per_s = all().map(|s| s.load.rate_per_s).sum();
    settings.load.requests_per_run = all().map(|s| s.load.requests_per_run).sum();
    settings.shard = None;
    settings
}

/// Each protocol's connections over every shard, their mean time to open
/// weighted by how many each shard opened.
fn connects(shards: &[ShardInput]) -> Vec<crate::transport::ConnectTimes> {
    let mut merged: Vec<crate::transport::ConnectTimes> = Vec::new();
    let read = shards.iter().flat_map(|s| {
        let list = s.value.get("connects").and_then(|c| c.as_array().cloned());
        list.unwrap_or_default()
    });
    for entry in read {
        let (Some(protocol), Some(connections), Some(mean_ns)) = (
            serde_json::from_value(entry["protocol"].clone()).ok(),
            entry["connections"].as_u64(),
            entry["mean_ns"].as_u64(),
        ) else {
            continue;
        };
        match merged.iter_mut().find(|c| c.protocol == protocol) {
            Some(c) => {
                let total = c.connections + connections;
                let weighted = u128::from(c.mean_ns) * u128::from(c.connections)
                    + u128::from(mean_ns) * u128::from(connections);
                c.mean_ns = (weighted / u128::from(total.max(1))) as u64;
                c.connections = total;
            }
            None => merged.push(crate::transport::ConnectTimes {
                protocol,
                connections,
                mean_ns,
            }),
        }
    }
    merged
}
