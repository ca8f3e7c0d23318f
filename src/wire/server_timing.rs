//! W3C `Server-Timing` text: how the server's stage durations travel back
//! (a REST header, and the same text in a gRPC trailer). Only durations
//! cross the wire, never timestamps, so two machines' clocks never mix.

use crate::stage::Stage;
use std::fmt::Write;
use std::time::Duration;

/// Why `Server-Timing` text could not be read.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ServerTimingError {
    #[error("bad metric name '{name}' in Server-Timing '{text}'")]
    BadName { name: String, text: String },
    #[error("bad dur '{value}' for '{name}' in Server-Timing")]
    BadDuration { name: String, value: String },
    #[error("negative or infinite dur for '{name}' in Server-Timing")]
    OutOfRange { name: String },
}

/// The header (and trailer) name.
pub const HEADER: &str = "server-timing";

/// A server's stage durations for one request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerTimings {
    entries: Vec<(Stage, Duration)>,
}

impl ServerTimings {
    pub fn record(&mut self, stage: Stage, duration: Duration) {
        self.entries.push((stage, duration));
    }

    pub fn entries(&self) -> &[(Stage, Duration)] {
        &self.entries
    }

    pub fn total(&self) -> Duration {
        self.entries.iter().map(|(_, d)| *d).sum()
    }

    /// Formats as `receive;dur=0.012, decode;dur=3.5` (milliseconds, as the
    /// standard says, with nanosecond precision kept).
    pub fn to_header(&self) -> String {
        let mut text = String::new();
        for (i, (stage, duration)) in self.entries.iter().enumerate() {
            let metric = stage.server_metric().unwrap_or(stage.name());
            let sep = if i == 0 { "" } else { ", " };
            let _ = write!(
                text,
                "{sep}{metric};dur={:.6}",
                duration.as_nanos() as f64 / 1e6
            );
        }
        text
    }

    /// Parses `Server-Timing` text. Metrics this tool does not know (a proxy's,
    /// say) and metrics without `dur` are skipped; text that breaks the
    /// grammar is an error that says what was wrong.
    pub fn parse(text: &str) -> Result<Self, ServerTimingError> {
        let mut timings = ServerTimings::default();
        for metric in split_outside_quotes(text, ',') {
            let metric = metric.trim();
            if metric.is_empty() {
                continue;
            }
            let mut parts = split_outside_quotes(metric, ';').into_iter();
            let name = parts.next().unwrap_or_default().trim();
            if name.is_empty() || !name.chars().all(is_token_char) {
                return Err(ServerTimingError::BadName {
                    name: name.into(),
                    text: text.into(),
                });
            }
            let mut duration = None;
            for param in parts {
                let (key, value) = param
                    .split_once('=')
                    .map(|(k, v)| (k.trim(), v.trim().trim_matches('"')))
                    .unwrap_or((param.trim(), ""));
                if key.eq_ignore_ascii_case("dur") {
                    let ms: f64 = value.parse().map_err(|_| ServerTimingError::BadDuration {
                        name: name.into(),
                        value: value.into(),
                    })?;
                    if !ms.is_finite() || ms < 0.0 {
                        return Err(ServerTimingError::OutOfRange { name: name.into() });
                    }
                    duration = Some(Duration::from_nanos((ms * 1e6).round() as u64));
                }
            }
            if let (Some(stage), Some(duration)) = (Stage::from_server_metric(name), duration) {
                timings.record(stage, duration);
            }
        }
        Ok(timings)
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            parts.push(&text[start..i]);
            start = i + 1;
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_nanosecond_precision() {
        let mut t = ServerTimings::default();
        t.record(Stage::ServerReceive, Duration::from_nanos(1_234_567));
        t.record(Stage::ServerDecode, Duration::from_nanos(42));
        let text = t.to_header();
        assert_eq!(text, "receive;dur=1.234567, decode;dur=0.000042");
        assert_eq!(ServerTimings::parse(&text).unwrap(), t);
    }

    #[test]
    fn skips_unknown_metrics_and_reads_quoted_params() {
        let t =
            ServerTimings::parse(r#"cdn-cache;desc="HIT, fast", decode;desc="a;b";dur=2.5, infer"#)
                .unwrap();
        assert_eq!(
            t.entries(),
            &[(Stage::ServerDecode, Duration::from_micros(2500))]
        );
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in [
            "decode;dur=abc",
            "decode;dur=-1",
            "bad name;dur=1",
            ";dur=1",
            "decode;dur=inf",
        ] {
            assert!(
                ServerTimings::parse(bad).is_err(),
                "{bad} should be rejected"
            );
        }
        assert_eq!(ServerTimings::parse("").unwrap().entries(), &[]);
    }
}
