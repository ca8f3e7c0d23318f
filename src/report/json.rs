//! `--json PATH`: the whole report as pretty JSON (docs/json-schema.md).

use super::{BenchReport, Exporter};
use anyhow::Result;

pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn render(&self, report: &BenchReport) -> Result<Vec<u8>> {
        let mut bytes = serde_json::to_vec_pretty(report)?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}
