//! Reading shards' reports for `imgwire merge`: whole JSON files, or JSON
//! lines (stdin's `-`, or a file that is a log) among which the lines that
//! are not a bench report (log lines, progress) are skipped and counted.
//! Every refusal names the file (or the line) it is about.

use crate::report::{BenchReport, SCHEMA_VERSION};
use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;
use std::io::BufRead;
use std::path::Path;

/// One shard's report as read: where it came from, its JSON (the checks
/// compare settings key by key and read fields this build may not know)
/// and the report itself.
pub struct ShardInput {
    /// `'a.json'`, or `stdin line 3`.
    pub origin: String,
    pub value: Value,
    pub report: BenchReport,
}

/// Every report read, and how many lines were not one.
#[derive(Default)]
pub struct Inputs {
    pub shards: Vec<ShardInput>,
    pub skipped_lines: usize,
}

/// The longest line read as one report: far above any real report (a few
/// hundred kilobytes), it keeps a stream of garbage from filling memory.
const MAX_LINE_BYTES: u64 = 256 << 20;

/// Reads every path (`-`: stdin, as JSON lines).
pub fn read_all(paths: &[std::path::PathBuf]) -> Result<Inputs> {
    let mut inputs = Inputs::default();
    for path in paths {
        if path.as_os_str() == "-" {
            read_lines(std::io::stdin().lock(), "stdin", &mut inputs)?;
            continue;
        }
        read_file(path, &mut inputs)?;
    }
    Ok(inputs)
}

/// A file holding one report (pretty or on one line), or a log of lines
/// among which reports stand one a line.
fn read_file(path: &Path, inputs: &mut Inputs) -> Result<()> {
    let origin = format!("'{}'", path.display());
    let bytes = std::fs::read(path).with_context(|| format!("could not read {origin}"))?;
    if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
        inputs.shards.push(shard(origin, value)?);
        return Ok(());
    }
    let before = inputs.shards.len();
    read_lines(bytes.as_slice(), &origin, inputs)?;
    if inputs.shards.len() == before {
        bail!("{origin} is not an imgwire bench JSON report, nor a log holding one on a line");
    }
    Ok(())
}

/// JSON lines: each line that is a bench report is read as a shard, every
/// other line skipped and counted.
pub fn read_lines(input: impl BufRead, name: &str, inputs: &mut Inputs) -> Result<()> {
    let mut input = input.take(MAX_LINE_BYTES + 1);
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        input.set_limit(MAX_LINE_BYTES + 1);
        let read = input
            .read_until(b'\n', &mut line)
            .with_context(|| format!("could not read {name}"))?;
        if read == 0 {
            break;
        }
        if read as u64 > MAX_LINE_BYTES {
            bail!("{name} line {number} is longer than {MAX_LINE_BYTES} bytes: not a report");
        }
        match report_line(&line) {
            Some(value) => {
                let origin = format!("{name} line {number}");
                inputs.shards.push(shard(origin, value)?);
            }
            None => inputs.skipped_lines += 1,
        }
    }
    Ok(())
}

/// The line as JSON, where it is an object with a `schema_version` (a
/// report of some imgwire command; `shard` says which).
fn report_line(line: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(line).ok()?.trim();
    if !text.starts_with('{') {
        return None;
    }
    let value: Value = serde_json::from_str(text).ok()?;
    value.get("schema_version").is_some().then_some(value)
}

/// One report checked on its own: a bench report, of this schema, from a
/// shard, with the histograms a merge adds.
fn shard(origin: String, value: Value) -> Result<ShardInput> {
    if let Some(command) = value.get("command").and_then(Value::as_str) {
        bail!("{origin} is an `imgwire {command}` report; merge takes `imgwire bench` reports");
    }
    let version = value.get("schema_version").and_then(Value::as_u64);
    let Some(version) = version.filter(|_| value.get("scenarios").is_some()) else {
        bail!("{origin} is not an imgwire bench JSON report (no schema_version and scenarios)");
    };
    if version != u64::from(SCHEMA_VERSION) {
        bail!(
            "{origin} has schema_version {version}; this imgwire merges version \
             {SCHEMA_VERSION}: run its shards again with this imgwire"
        );
    }
    if value.pointer("/settings/shard").is_none_or(Value::is_null) {
        bail!(
            "{origin} is not a shard's report (no settings.shard): merge takes the reports of \
             `imgwire bench --shard I/N` (or a launcher's variables)"
        );
    }
    let report: BenchReport = serde_json::from_value(value.clone())
        .map_err(|e| anyhow!("{origin} is not a complete bench report: {e}"))?;
    if let Some(old) = report
        .scenarios
        .iter()
        .find(|s| s.measured() && !s.histograms.contains_key(crate::report::histogram::LATENCY))
    {
        bail!(
            "{origin} has no histograms (scenario {}): it was written by an imgwire older than \
             merge; run its shards again with this imgwire",
            old.label()
        );
    }
    Ok(ShardInput {
        origin,
        value,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_that_are_not_reports_are_skipped_and_counted() {
        let text = "starting\n{\"level\":\"info\"}\n\nprogress 3/10\n[1,2]\n";
        let mut inputs = Inputs::default();
        read_lines(text.as_bytes(), "stdin", &mut inputs).unwrap();
        assert_eq!(inputs.skipped_lines, 5);
        assert!(inputs.shards.is_empty());
    }

    #[test]
    fn a_report_of_another_kind_is_refused_naming_the_line() {
        let mut inputs = Inputs::default();
        let other = "log\n{\"schema_version\":3,\"command\":\"encode\"}\n";
        let err = read_lines(other.as_bytes(), "stdin", &mut inputs)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("stdin line 2") && err.contains("encode"),
            "{err}"
        );
        let old = "{\"schema_version\":2,\"scenarios\":[]}\n";
        let err = read_lines(old.as_bytes(), "stdin", &mut inputs)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("schema_version 2"), "{err}");
    }
}
