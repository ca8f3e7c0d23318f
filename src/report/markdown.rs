//! `--export-markdown PATH`: one Markdown table of every scenario (seconds
//! per burst, p99, bytes, the dominant stage), to paste into a pull request.

use super::stages::stage_name;
use super::{megabytes, BenchReport, Exporter};
use anyhow::Result;
use std::fmt::Write;

pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn render(&self, report: &BenchReport) -> Result<Vec<u8>> {
        let s = &report.settings;
        let mut out = format!(
            "imgwire {}: {} concurrent requests x {} counted bursts, encoder {}, compression {}\n\n",
            report.imgwire_version,
            s.concurrency,
            s.bursts,
            s.encoder.name(),
            s.compression.name()
        );
        out.push_str(
            "| size | payload | protocol | s/burst | p99 s/burst | MB/request | wire MB sent | dominant stage | errors |\n\
             | --- | --- | --- | ---: | ---: | ---: | ---: | --- | ---: |\n",
        );
        for r in &report.scenarios {
            writeln!(
                out,
                "| {} | {} | {} | {:.4} | {:.4} | {:.3} | {:.3} | {} | {} |",
                r.scenario.size,
                r.scenario.payload.name(),
                r.scenario.protocol.label(),
                r.burst.mean_s(),
                r.burst.p99_s(),
                megabytes(r.bytes.request_body_bytes),
                megabytes(r.bytes.wire_sent_bytes),
                stage_name(r.dominant_stage),
                r.errors
            )?;
        }
        Ok(out.into_bytes())
    }
}
