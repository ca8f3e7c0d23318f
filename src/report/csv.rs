//! `--export-csv PATH`: one row per scenario x stage, for spreadsheets and
//! pandas. Every row carries the run and its settings, so files from many
//! runs concatenate; durations are integer nanoseconds, stages come in
//! request order.

use super::text::csv_field;
use super::{BenchReport, Exporter, ScenarioReport};
use crate::stage::Stage;
use anyhow::Result;

pub struct CsvExporter;

pub const HEADER: &str = "run_id,size,payload,protocol,encoder,quality,subsampling,content,\
concurrency,bursts,compression,server_decoder,stage,count,mean_ns,p50_ns,p90_ns,p99_ns,max_ns,\
wall_percent,burst_mean_ns,requests,errors,request_body_bytes,wire_sent_bytes";

impl Exporter for CsvExporter {
    fn render(&self, report: &BenchReport) -> Result<Vec<u8>> {
        let mut out = String::from(HEADER);
        out.push('\n');
        for s in &report.scenarios {
            let settings = settings_fields(report, s);
            let wall = s.stage(Stage::Wall).map_or(0, |m| m.mean_ns);
            for stage in Stage::ALL {
                let Some(m) = s.stage(stage) else {
                    continue;
                };
                let in_request = !matches!(stage, Stage::Generate | Stage::Encode | Stage::Wall);
                let wall_percent = match in_request && wall > 0 {
                    true => format!("{:.2}", m.mean_ns as f64 / wall as f64 * 100.0),
                    false => String::new(),
                };
                let fields = [
                    stage.name().to_string(),
                    m.count.to_string(),
                    m.mean_ns.to_string(),
                    m.p50_ns.to_string(),
                    m.p90_ns.to_string(),
                    m.p99_ns.to_string(),
                    m.max_ns.to_string(),
                    wall_percent,
                    s.burst.mean_ns.to_string(),
                    s.requests.to_string(),
                    s.errors.to_string(),
                    s.bytes.request_body_bytes.to_string(),
                    s.bytes.wire_sent_bytes.to_string(),
                ];
                let row: Vec<String> = settings.iter().cloned().chain(fields).collect();
                out.push_str(&row.join(","));
                out.push('\n');
            }
        }
        Ok(out.into_bytes())
    }
}

/// The columns every row of a scenario shares, up to the stage.
fn settings_fields(report: &BenchReport, s: &ScenarioReport) -> Vec<String> {
    let settings = &report.settings;
    // Quality and subsampling mean nothing for a request without an image.
    let image = s.encoder != crate::encode::EncoderKind::None;
    vec![
        csv_field(&report.run_id),
        s.scenario.size.to_string(),
        s.scenario.payload.name().into(),
        s.scenario.protocol.name().into(),
        s.encoder.name().into(),
        settings
            .quality
            .filter(|_| image)
            .map_or(String::new(), |q| q.to_string()),
        settings
            .subsampling
            .filter(|_| image)
            .map_or(String::new(), |sub| sub.label().to_string()),
        csv_field(&s.content),
        settings.concurrency.to_string(),
        settings.bursts.to_string(),
        settings.compression.name().into(),
        settings
            .server_decoder
            .map_or("remote".to_string(), |d| d.name().to_string()),
    ]
}
