//! `--json PATH`: the whole report as JSON (docs/json-schema.md), pretty
//! in a file and one compact line on stdout (`-`, so that a log of several
//! shards holds one report a line); and what reads it back (`imgwire
//! merge`): stages by name, a scenario's size from its text.

use super::{BenchReport, Exporter, Scenario};
use crate::protocol::Protocol;
use crate::stage::Stage;
use crate::wire::PayloadKind;
use anyhow::Result;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The JSON report, indented (a file).
pub struct JsonExporter;

/// The JSON report on one compact line (stdout: `--export-json -`), so
/// that `kubectl logs` of a shard, or the logs of several, hold each report
/// on a line of its own.
pub struct JsonLineExporter;

impl Exporter for JsonExporter {
    fn render(&self, report: &BenchReport) -> Result<Vec<u8>> {
        let mut bytes = serde_json::to_vec_pretty(report)?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

impl Exporter for JsonLineExporter {
    fn render(&self, report: &BenchReport) -> Result<Vec<u8>> {
        let mut bytes = serde_json::to_vec(report)?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

/// The JSON exporter for `output`: one line on stdout, indented in a file.
pub fn exporter_for(output: &crate::output::OutputPath) -> &'static dyn Exporter {
    match output.is_stdout() {
        true => &JsonLineExporter,
        false => &JsonExporter,
    }
}

/// `stages` and `stage_burst_means_ns` read back: keyed by stage name.
pub fn stages_by_name<'de, D, T>(deserializer: D) -> Result<BTreeMap<Stage, T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    let by_name = BTreeMap::<String, T>::deserialize(deserializer)?;
    by_name
        .into_iter()
        .map(|(name, value)| Ok((stage_named::<D::Error>(&name)?, value)))
        .collect()
}

/// `dominant_stage` read back: a stage's name, or `none`.
pub fn stage_or_none<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Stage>, D::Error> {
    let name = String::deserialize(deserializer)?;
    match name.as_str() {
        "none" => Ok(None),
        name => stage_named(name).map(Some),
    }
}

fn stage_named<E: serde::de::Error>(name: &str) -> Result<Stage, E> {
    Stage::ALL
        .into_iter()
        .find(|s| s.name() == name)
        .ok_or_else(|| E::custom(format!("no stage is named '{name}'")))
}

/// A scenario's key fields as the JSON has them (the size as text).
#[derive(Deserialize)]
struct ScenarioFields {
    size: String,
    payload: PayloadKind,
    protocol: Protocol,
}

impl<'de> Deserialize<'de> for Scenario {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let fields = ScenarioFields::deserialize(deserializer)?;
        let size = fields
            .size
            .parse()
            .map_err(|e| serde::de::Error::custom(format!("size '{}': {e}", fields.size)))?;
        Ok(Scenario {
            size,
            payload: fields.payload,
            protocol: fields.protocol,
        })
    }
}
