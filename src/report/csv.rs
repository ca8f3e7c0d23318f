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
            for (stage, m) in &s.stages {
                writeln!(
                    out,
                    "{},{},{},{},{},{stage},{},{},{},{},{},{},{:.6},{:.0}",
                    s.size,
                    s.payload.name(),
                    s.protocol.name(),
                    s.encoder,
                    s.content,
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
