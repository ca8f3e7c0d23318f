//! The clap value parsers of every command's flags that take a duration, a
//! rate, a percentage, an address or a URL: each one the shared spelling
//! (`crate::spellings`) plus the range its flag allows, so `--duration 5s`,
//! `--timeout-s 2m`, `--infer-ms 20` and `--idle-timeout-s 500ms` read alike.

use crate::spellings::{self, PlainUnit};
use std::net::SocketAddr;
use std::time::Duration;

/// The longest any time flag may be: a day.
const MAX_SECONDS: f64 = 86_400.0;

/// A duration above 0 and at most a day; plain numbers are seconds.
pub fn positive_duration(text: &str) -> Result<Duration, String> {
    let duration = spellings::duration(text, Some(PlainUnit::Seconds))?;
    if duration.is_zero() || duration.as_secs_f64() > MAX_SECONDS {
        return Err(format!(
            "'{text}' is out of range: more than 0 and at most 24h (86400 seconds)"
        ));
    }
    Ok(duration)
}

/// [`positive_duration`] in seconds, for flags kept as `f64` seconds.
pub fn positive_seconds(text: &str) -> Result<f64, String> {
    positive_duration(text).map(|d| d.as_secs_f64())
}

/// `--infer-ms`: 0 to 60 s; plain numbers are milliseconds. In milliseconds.
pub fn infer_milliseconds(text: &str) -> Result<f64, String> {
    let duration = spellings::duration(text, Some(PlainUnit::Milliseconds))?;
    if duration > Duration::from_secs(60) {
        return Err(format!(
            "'{text}' is out of range: 0 to 60s (60000 milliseconds)"
        ));
    }
    Ok(duration.as_secs_f64() * 1e3)
}

/// A percentage above 0 and at most 1000 (`10` or `10%`).
pub fn positive_percent(text: &str) -> Result<f64, String> {
    match text.trim().trim_end_matches('%').parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 1000.0 => Ok(v),
        _ => Err(format!(
            "'{text}' is not a percentage above 0 (at most 1000), like 10 or 10%"
        )),
    }
}

/// A percentage of 0 or more (`5` or `5%`).
pub fn non_negative_percent(text: &str) -> Result<f64, String> {
    match text.trim().trim_end_matches('%').parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!(
            "'{text}' is not a percentage of 0 or more, like 5 or 5%"
        )),
    }
}

/// Requests per second above 0 (`300`, or `300/s`).
pub fn positive_rate(text: &str) -> Result<f64, String> {
    match text.trim().trim_end_matches("/s").parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 10_000_000.0 => Ok(v),
        _ => Err(format!(
            "'{text}' is not a rate above 0 requests per second (at most 10000000), like 300"
        )),
    }
}

/// A latency bound in milliseconds (`--slo-ms`): above 0, at most an hour.
pub fn positive_milliseconds(text: &str) -> Result<f64, String> {
    match text.trim().trim_end_matches("ms").trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 3_600_000.0 => Ok(v),
        _ => Err(format!(
            "'{text}' is not a number of milliseconds above 0 (at most 3600000), like 100"
        )),
    }
}

/// Where a built-in server listens (`127.0.0.1:8080`, `localhost:8080`).
pub fn listen_address(text: &str) -> Result<SocketAddr, String> {
    spellings::listen_address(text)
}

/// A REST, gRPC or statistics URL (`http://HOST:PORT`, or `HOST:PORT`).
pub fn http_url(text: &str) -> Result<String, String> {
    spellings::url(text, "http")
}

/// A TCP floor server's URL (`tcp://HOST:PORT`, or `HOST:PORT`).
pub fn tcp_url(text: &str) -> Result<String, String> {
    spellings::url(text, "tcp")
}

/// Says on stderr, once per size, when a `--sizes` entry is portrait
/// (HEIGHTxWIDTH written the other way round, most likely).
pub fn warn_about_sizes(sizes: &[crate::frame::Size]) {
    for size in crate::report::unique(sizes.iter().copied()) {
        if let Some(warning) = size.portrait_warning() {
            eprintln!("warning: {warning}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_flags_share_one_spelling_and_keep_their_ranges() {
        assert_eq!(positive_seconds("5s"), Ok(5.0));
        assert_eq!(positive_seconds("2m"), Ok(120.0));
        assert_eq!(positive_seconds("500ms"), Ok(0.5));
        assert_eq!(positive_seconds("3"), Ok(3.0));
        assert_eq!(
            positive_duration("10"),
            Ok(Duration::from_secs(10)),
            "a plain number stays seconds"
        );
        for bad in ["0", "0s", "25h", "-2s"] {
            assert!(positive_seconds(bad).is_err(), "{bad}");
        }
        assert_eq!(infer_milliseconds("20"), Ok(20.0));
        assert_eq!(infer_milliseconds("1.5s"), Ok(1500.0));
        assert_eq!(infer_milliseconds("0"), Ok(0.0));
        assert!(infer_milliseconds("2m").unwrap_err().contains("60s"));
    }

    #[test]
    fn rates_and_percentages_take_their_signs() {
        assert_eq!(positive_rate("300/s"), Ok(300.0));
        assert_eq!(positive_percent("10%"), Ok(10.0));
        assert_eq!(non_negative_percent("0"), Ok(0.0));
        assert!(positive_percent("0").is_err());
    }
}
