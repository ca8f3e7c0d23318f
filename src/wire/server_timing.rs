//! W3C `Server-Timing` text: how the server's stage durations travel back
//! (a REST header, and the same text in a gRPC trailer). Only durations
//! cross the wire, never timestamps, so two machines' clocks never mix.
//! What a client keeps of a server's text is bounded: at most
//! `MAX_TEXT_BYTES` are read and `MAX_METRICS` metrics kept, and an error
//! quotes at most `QUOTED_CHARS` of it, so a hostile server cannot make a
//! run's memory grow with every answer.

use crate::stage::Stage;
use std::fmt::Write;
use std::time::Duration;

/// The longest `Server-Timing` text read; longer text is refused whole.
/// imgwire's own server writes about 200 bytes.
pub const MAX_TEXT_BYTES: usize = 8 * 1024;

/// The most metrics read from one `Server-Timing` text (imgwire's own
/// server sends at most 7).
pub const MAX_METRICS: usize = 64;

/// How much of the server's text an error quotes.
const QUOTED_CHARS: usize = 64;

/// Why `Server-Timing` text could not be read.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ServerTimingError {
    #[error(
        "Server-Timing of {bytes} bytes ignored: over the {MAX_TEXT_BYTES} bytes imgwire reads"
    )]
    TooLong { bytes: usize },
    #[error("Server-Timing with over {MAX_METRICS} metrics ignored: more than imgwire keeps")]
    TooManyMetrics,
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
    /// Text over `MAX_TEXT_BYTES` or with more than `MAX_METRICS` metrics
    /// is refused whole (an error, so counted as a warning by the run).
    pub fn parse(text: &str) -> Result<Self, ServerTimingError> {
        if text.len() > MAX_TEXT_BYTES {
            return Err(ServerTimingError::TooLong { bytes: text.len() });
        }
        let mut timings = ServerTimings::default();
        let metrics = split_outside_quotes(text, ',');
        let metrics = metrics.map(|m| m.trim()).filter(|m| !m.is_empty());
        for (read, metric) in metrics.enumerate() {
            if read == MAX_METRICS {
                return Err(ServerTimingError::TooManyMetrics);
            }
            let mut parts = split_outside_quotes(metric, ';');
            let name = parts.next().unwrap_or_default().trim();
            if name.is_empty() || !name.chars().all(is_token_char) {
                return Err(ServerTimingError::BadName {
                    name: quoted(name),
                    text: quoted(text),
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
                        name: quoted(name),
                        value: quoted(value),
                    })?;
                    if !ms.is_finite() || ms < 0.0 {
                        return Err(ServerTimingError::OutOfRange { name: quoted(name) });
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

/// At most `QUOTED_CHARS` of `text`, marked where cut.
fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// `text`'s parts between `separator`s outside double quotes, one at a
/// time (an answer's text is read for every request: no vector per split).
fn split_outside_quotes(text: &str, separator: char) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        let mut quoted = false;
        for (i, c) in current.char_indices() {
            if c == '"' {
                quoted = !quoted;
            } else if c == separator && !quoted {
                rest = Some(&current[i + 1..]);
                return Some(&current[..i]);
            }
        }
        rest = None;
        Some(current)
    })
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

    #[test]
    fn keeps_bounded_what_a_hostile_server_sends() {
        let metrics = |n: usize| vec!["decode;dur=1"; n].join(", ");
        assert_eq!(
            ServerTimings::parse(&metrics(MAX_METRICS))
                .unwrap()
                .entries()
                .len(),
            MAX_METRICS
        );
        let many = metrics(MAX_METRICS + 1);
        assert_eq!(
            ServerTimings::parse(&many),
            Err(ServerTimingError::TooManyMetrics)
        );
        let long = format!("decode;dur=1;desc=\"{}\"", "x".repeat(MAX_TEXT_BYTES));
        let err = ServerTimings::parse(&long).unwrap_err();
        assert!(matches!(err, ServerTimingError::TooLong { .. }), "{err}");
        let bad = format!("bad name{};dur=1", "y".repeat(4000));
        let err = ServerTimings::parse(&bad).unwrap_err().to_string();
        assert!(
            err.len() < 4 * QUOTED_CHARS,
            "{} bytes: the whole text quoted",
            err.len()
        );
    }
}
