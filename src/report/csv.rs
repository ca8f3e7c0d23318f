//! `--csv PATH`: one row per scenario x stage, for spreadsheets and pandas.

use super::{BenchReport, Exporter};
use anyhow::Result;
use std::fmt::Write;

pub struct CsvExporter;

pub const HEADER: &str = "size,payload,protocol,encoder,content,stage,count,mean_ns,p50_ns,p90_ns,p99_ns,max_ns,seconds_per_burst_mean,request_body_bytes";

impl Exporter for CsvExporter {
    fn render(&self, report: &BenchReport) -> Result<Vec<u8>> {
        let mut out = String::from(HEADER);
        out.push('\n');
        for s in &report.scenarios {
            // Alphabetical by stage name, as schema version 1 has it.
            let mut stages: Vec<_> = s.stages.iter().collect();
            stages.sort_by_key(|(stage, _)| stage.name());
            for (stage, m) in stages {
                writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{},{},{},{},{:.6},{:.0}",
                    s.scenario.size,
                    s.scenario.payload.name(),
                    s.scenario.protocol.name(),
                    s.encoder.name(),
                    s.content,
                    stage.name(),
                    m.count,
                    m.mean_ns,
                    m.p50_ns,
                    m.p90_ns,
                    m.p99_ns,
                    m.max_ns,
                    s.seconds_per_burst.mean,
                    s.bytes.request_body_bytes
                )?;
            }
        }
        Ok(out.into_bytes())
    }
}
