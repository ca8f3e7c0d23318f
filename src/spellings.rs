//! The spellings people type for a duration, a bit rate and a network
//! address, each parsed by one function that every flag taking that kind of
//! value shares: `5s`, `500ms`, `2m` or a plain number in the flag's own
//! unit; `1gbit`, `100Mbit`, `1gbps`; `localhost:8080`, `127.0.0.1:0`,
//! `[::1]:50051`. Each error repeats what was written and shows the accepted
//! spellings (clap puts the flag's name in front).

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// What a plain number (no unit) means to a flag: `--duration 5` is five
/// seconds, `--infer-ms 5` five milliseconds; `None`: a unit is required.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlainUnit {
    Seconds,
    Milliseconds,
}

impl PlainUnit {
    fn scale(self) -> f64 {
        match self {
            PlainUnit::Seconds => 1.0,
            PlainUnit::Milliseconds => 1e-3,
        }
    }

    fn name(self) -> &'static str {
        match self {
            PlainUnit::Seconds => "seconds",
            PlainUnit::Milliseconds => "milliseconds",
        }
    }
}

/// Duration units and their seconds (`m` is minutes, as in `2m`).
const TIME_UNITS: [(&str, f64); 9] = [
    ("ns", 1e-9),
    ("us", 1e-6),
    ("µs", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("sec", 1.0),
    ("m", 60.0),
    ("min", 60.0),
    ("h", 3600.0),
];

/// Bit rate units and their bits per second; `bps` is bits (as iperf and
/// network vendors write it), never bytes.
const RATE_UNITS: [(&str, f64); 15] = [
    ("bit", 1.0),
    ("kbit", 1e3),
    ("mbit", 1e6),
    ("gbit", 1e9),
    ("tbit", 1e12),
    ("bps", 1.0),
    ("kbps", 1e3),
    ("mbps", 1e6),
    ("gbps", 1e9),
    ("tbps", 1e12),
    ("bit/s", 1.0),
    ("kbit/s", 1e3),
    ("mbit/s", 1e6),
    ("gbit/s", 1e9),
    ("tbit/s", 1e12),
];

/// A number followed by one of `units` (any case, spaces allowed between):
/// the number times the unit's scale. Every unit is tried, so `5ms` is not
/// read as `5m` and a stray `s`.
fn number_with_unit(text: &str, units: &[(&str, f64)]) -> Option<f64> {
    let lower = text.trim().to_lowercase();
    units.iter().find_map(|(unit, scale)| {
        let number = lower.strip_suffix(unit)?.trim_end();
        let value: f64 = number.parse().ok()?;
        value.is_finite().then_some(value * scale)
    })
}

/// A duration: `5s`, `500ms`, `2m`, `1.5h`, `250us`; a plain number is in
/// `plain`'s unit (refused where `plain` is `None`, except `0`). Never
/// negative.
pub fn duration(text: &str, plain: Option<PlainUnit>) -> Result<Duration, String> {
    let plain_number = text.trim().parse::<f64>().ok().filter(|v| v.is_finite());
    let seconds = match (plain_number, plain) {
        (Some(value), Some(unit)) => Some(value * unit.scale()),
        (Some(0.0), None) => Some(0.0),
        _ => number_with_unit(text, &TIME_UNITS),
    };
    let Some(seconds) = seconds else {
        let plain = plain.map_or(String::new(), |unit| {
            format!(", or a plain number of {}", unit.name())
        });
        return Err(format!(
            "'{text}' is not a duration: write it like 5s, 500ms, 2m or 250us{plain}"
        ));
    };
    if seconds < 0.0 {
        return Err(format!("'{text}' is negative: a duration is 0 or more"));
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("'{text}' is too long a duration"))
}

/// A bit rate, per second: `1gbit`, `100Mbit`, `1gbps`, `100mbps`,
/// `2.5gbit/s`; `inf` (or `unlimited`) is `None`. Above zero.
pub fn bit_rate(text: &str) -> Result<Option<f64>, String> {
    if matches!(text.trim().to_lowercase().as_str(), "inf" | "unlimited") {
        return Ok(None);
    }
    match number_with_unit(text, &RATE_UNITS) {
        Some(bps) if bps > 0.0 => Ok(Some(bps)),
        _ => Err(format!(
            "'{text}' is not a bit rate above 0: write it like 100mbit, 1gbit, 1gbps, 100mbps \
             (bits per second) or inf"
        )),
    }
}

/// Where a server listens: `HOST:PORT` with an IP address or `localhost`
/// (127.0.0.1): `127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:8080`,
/// `localhost:8080`; port 0 picks a free port.
pub fn listen_address(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Ok(address);
    }
    let localhost = text
        .rsplit_once(':')
        .filter(|(host, _)| host.eq_ignore_ascii_case("localhost"))
        .and_then(|(_, port)| port.parse::<u16>().ok());
    localhost
        .map(|port| SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .ok_or_else(|| {
            format!(
                "'{text}' is not an address to listen on: write HOST:PORT with an IP address or \
                 localhost, like 127.0.0.1:8080, localhost:8080, [::1]:8080 or 0.0.0.0:8080"
            )
        })
}

/// A server's URL: as given when it names a scheme (`http://...`); a bare
/// `HOST:PORT[/path]` (`localhost:8000`, `10.0.0.5:8001`) gets `scheme://`
/// in front. Anything else is refused, showing both spellings.
pub fn url(text: &str, scheme: &str) -> Result<String, String> {
    let text = text.trim();
    if text.contains("://") {
        return Ok(text.to_string());
    }
    let authority = text.split('/').next().unwrap_or_default();
    let port = authority
        .rsplit_once(':')
        .filter(|(host, _)| !host.is_empty())
        .and_then(|(_, port)| port.parse::<u16>().ok());
    match port {
        Some(_) => Ok(format!("{scheme}://{text}")),
        None => Err(format!(
            "'{text}' is not a URL: write {scheme}://HOST:PORT, or HOST:PORT (like \
             localhost:8000) for {scheme}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units_and_plain_numbers_in_the_flags_unit() {
        let seconds = Some(PlainUnit::Seconds);
        let cases = [
            ("5s", 5.0),
            ("5 s", 5.0),
            ("2m", 120.0),
            ("2min", 120.0),
            ("500ms", 0.5),
            ("250us", 0.000_25),
            ("1.5h", 5400.0),
            ("7", 7.0),
            ("0.25", 0.25),
            ("3S", 3.0),
        ];
        for (text, want) in cases {
            let got = duration(text, seconds).unwrap().as_secs_f64();
            assert!((got - want).abs() < 1e-9, "{text}: {got}");
        }
        let ms = duration("20", Some(PlainUnit::Milliseconds)).unwrap();
        assert_eq!(ms, Duration::from_millis(20));
        assert_eq!(duration("0", None).unwrap(), Duration::ZERO);
        assert_eq!(duration("2ms", None).unwrap(), Duration::from_millis(2));
    }

    #[test]
    fn bad_durations_are_refused_showing_the_spellings() {
        for bad in ["5x", "s", "", "five seconds", "nanms", "infs"] {
            let err = duration(bad, Some(PlainUnit::Seconds)).unwrap_err();
            assert!(err.contains("5s, 500ms, 2m"), "{bad}: {err}");
            assert!(err.contains("plain number of seconds"), "{bad}: {err}");
        }
        let err = duration("2", None).unwrap_err();
        assert!(!err.contains("plain number"), "{err}");
        assert!(duration("-1s", Some(PlainUnit::Seconds))
            .unwrap_err()
            .contains("negative"));
    }

    #[test]
    fn bit_rates_take_the_spellings_people_type() {
        for (text, want) in [
            ("1Gbit", 1e9),
            ("1gbps", 1e9),
            ("100Mbit", 1e8),
            ("100mbps", 1e8),
            ("2.5gbit/s", 2.5e9),
            ("12.5mbit", 12.5e6),
            ("64kbit", 64e3),
            ("9600bps", 9600.0),
            ("1 Gbit", 1e9),
        ] {
            assert_eq!(bit_rate(text), Ok(Some(want)), "{text}");
        }
        assert_eq!(bit_rate("inf"), Ok(None));
        for bad in ["fast", "0mbit", "100", "100mb", "-1gbit", "1GB/s"] {
            let err = bit_rate(bad).unwrap_err();
            assert!(err.contains("100mbit, 1gbit, 1gbps"), "{bad}: {err}");
        }
    }

    #[test]
    fn listen_addresses_take_localhost() {
        let loopback = |port| SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        assert_eq!(listen_address("localhost:8080"), Ok(loopback(8080)));
        assert_eq!(listen_address("LOCALHOST:0"), Ok(loopback(0)));
        assert_eq!(listen_address("127.0.0.1:9"), Ok(loopback(9)));
        assert_eq!(
            listen_address("[::1]:7").unwrap(),
            "[::1]:7".parse().unwrap()
        );
        for bad in ["localhost", "localhost:99999", "example.com:80", ":80"] {
            let err = listen_address(bad).unwrap_err();
            assert!(err.contains("localhost:8080"), "{bad}: {err}");
        }
    }

    #[test]
    fn urls_without_a_scheme_get_the_flags_own() {
        assert_eq!(
            url("localhost:8000", "http").unwrap(),
            "http://localhost:8000"
        );
        assert_eq!(
            url("localhost:9/v2", "http").unwrap(),
            "http://localhost:9/v2"
        );
        assert_eq!(
            url("10.0.0.5:50052", "tcp").unwrap(),
            "tcp://10.0.0.5:50052"
        );
        assert_eq!(url("[::1]:80", "http").unwrap(), "http://[::1]:80");
        assert_eq!(url("https://h:1", "http").unwrap(), "https://h:1");
        for bad in ["localhost", ":8000", "localhost:http"] {
            let err = url(bad, "http").unwrap_err();
            assert!(err.contains("http://HOST:PORT"), "{bad}: {err}");
            assert!(err.contains("localhost:8000"), "{bad}: {err}");
        }
    }
}
