//! Reading a `bench --json` report for `compare`: only the fields a
//! comparison needs, from a file whose schema version this build writes;
//! every failure names the file.

use crate::report::SCHEMA_VERSION;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a report could not be read for comparison.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("could not read '{}': {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("'{}' is not JSON: {source}", path.display())]
    NotJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("'{}' has no schema_version: is it a report from `imgwire bench --export-json`?", path.display())]
    NoSchemaVersion { path: PathBuf },
    #[error(
        "'{}' is an `imgwire {command}` report (its JSON says \"command\": \"{command}\"); \
         compare takes two `imgwire bench --export-json` reports (encoder results are compared \
         within one `imgwire encode` run, in its same-quality table)",
        path.display()
    )]
    OtherCommand { path: PathBuf, command: String },
    #[error(
        "'{}' has schema_version {found}; this imgwire compares version {SCHEMA_VERSION} only \
         (version {found} lacks the per-burst times the intervals need): run `imgwire bench \
         --export-json` again with this version",
        path.display()
    )]
    SchemaVersion { path: PathBuf, found: u64 },
    #[error("'{}' is not a complete bench report: {source}", path.display())]
    Shape {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// The parts of a report a comparison reads.
#[derive(Clone, Debug, Deserialize)]
pub struct Report {
    pub run_id: String,
    pub complete: bool,
    pub settings: Settings,
    pub scenarios: Vec<Scenario>,
    /// Absent from reports written before they were recorded.
    #[serde(default)]
    pub machine: Option<crate::report::machine::Machine>,
    #[serde(default)]
    pub build: Option<String>,
    pub imgwire_version: String,
    /// The whole `settings` object, for naming every one that differs.
    #[serde(skip)]
    pub settings_json: serde_json::Value,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Settings {
    pub concurrency: usize,
    pub bursts: usize,
    pub infer_ns: u64,
    pub server: String,
    /// The load (absent from reports written before closed and open load).
    #[serde(default)]
    pub load_model: Option<String>,
    #[serde(default)]
    pub rate_per_s: Option<f64>,
    #[serde(default)]
    pub duration_s: Option<f64>,
    #[serde(default)]
    pub requests_per_run: Option<usize>,
}

impl Report {
    /// The load in words: `10 bursts x 20 requests`, `closed load, 4
    /// workers for 10 s`, `open load at 200 requests/s over 4 connections
    /// for 10 s`, `cameras: 4 streams x 30 fps for 5 s`.
    pub fn load_words(&self) -> String {
        let s = &self.settings;
        let length = match (s.requests_per_run, s.duration_s) {
            (Some(n), _) => format!("{n} requests"),
            (None, Some(secs)) => format!("{secs} s"),
            (None, None) => "?".into(),
        };
        if let Some(c) = self.scenarios.iter().find_map(|s| s.cameras) {
            let streams = crate::report::plural(c.streams, "stream");
            return format!("cameras: {streams} x {} fps for {length}", c.fps);
        }
        match (s.load_model.as_deref(), s.rate_per_s) {
            (Some("open"), Some(rate)) => format!(
                "open load at {rate} requests/s over {} connections for {length}",
                s.concurrency
            ),
            (Some("closed"), _) => format!(
                "closed load, {} for {length}",
                crate::report::plural(s.concurrency, "worker")
            ),
            _ => format!("{} bursts x {} requests", s.bursts, s.concurrency),
        }
    }
}

/// One scenario: its key, its burst times and its stages.
#[derive(Clone, Debug, Deserialize)]
pub struct Scenario {
    pub size: String,
    pub payload: String,
    pub protocol: String,
    pub requests: usize,
    pub errors: usize,
    /// Why it measured nothing (absent or null when it did).
    #[serde(default)]
    pub failure: Option<String>,
    pub bytes: Bytes,
    pub burst: Burst,
    pub burst_ns: Vec<u64>,
    pub stages: BTreeMap<String, Stage>,
    pub stage_burst_means_ns: BTreeMap<String, Vec<u64>>,
    /// A camera run's figures (`--streams`; null or absent otherwise).
    #[serde(default)]
    pub cameras: Option<crate::report::cameras::CameraFigures>,
}

/// Bytes per request.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct Bytes {
    pub request_body_bytes: u64,
    pub wire_sent_bytes: u64,
}

#[derive(Clone, Copy, Debug, Deserialize)]
pub struct Burst {
    pub mean_ns: u64,
}

#[derive(Clone, Copy, Debug, Deserialize)]
pub struct Stage {
    pub mean_ns: u64,
}

impl Scenario {
    /// What matches a scenario across two reports: the fields of `on`
    /// (size, payload and protocol unless `--match` says fewer).
    pub fn key(&self, on: &[super::MatchField]) -> Vec<&str> {
        on.iter()
            .map(|field| match field {
                super::MatchField::Size => self.size.as_str(),
                super::MatchField::Payload => self.payload.as_str(),
                super::MatchField::Protocol => self.protocol.as_str(),
            })
            .collect()
    }

    /// How the comparison names it: `120x160 binary rest`.
    pub fn label(&self) -> String {
        format!("{} {} {}", self.size, self.payload, self.protocol)
    }

    /// Whether it has figures to compare.
    pub fn measured(&self) -> bool {
        self.failure.is_none() && self.requests > 0
    }
}

/// Reads and checks one report.
pub fn read(path: &Path) -> Result<Report, InputError> {
    let owned = || path.to_path_buf();
    let bytes = std::fs::read(path).map_err(|source| InputError::Read {
        path: owned(),
        source,
    })?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|source| InputError::NotJson {
            path: owned(),
            source,
        })?;
    if let Some(command) = value.get("command").and_then(serde_json::Value::as_str) {
        if command != "bench" {
            return Err(InputError::OtherCommand {
                path: owned(),
                command: command.to_string(),
            });
        }
    }
    let found = value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| InputError::NoSchemaVersion { path: owned() })?;
    if found != u64::from(SCHEMA_VERSION) {
        return Err(InputError::SchemaVersion {
            path: owned(),
            found,
        });
    }
    let settings_json = value.get("settings").cloned().unwrap_or_default();
    let mut report: Report = serde_json::from_value(value).map_err(|source| InputError::Shape {
        path: owned(),
        source,
    })?;
    report.settings_json = settings_json;
    Ok(report)
}
