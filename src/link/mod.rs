//! `--link bw=1gbit,rtt=2ms`: an emulated network link, as a relay built into
//! imgwire between client and server. It needs no root and works anywhere.
//! Each direction is one shared link: a byte leaves when the link is free
//! (bandwidth, the time a chunk takes to serialize) and arrives one half
//! round trip later (delay). Readers wait for their chunk to leave before
//! reading more, so a slow link pushes back on the sender as TCP would.

mod relay;
mod schedule;
mod splice;
pub mod tc;

pub use relay::{Forwarding, Relay};

use crate::protocol::Protocol;
use anyhow::Result;
use serde::Serialize;
use std::time::Duration;

/// What puts the link between client and server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkBackend {
    /// A relay inside imgwire: works anywhere, no root; bandwidth and delay. Bytes move between its sockets with read(2) and write(2) through user-space buffers.
    #[default]
    Relay,
    /// The same relay moving bytes with splice(2) through kernel pipes, never through user space (on loopback here it cost no less than the default: docs/grpc-vs-rest.md).
    RelaySplice,
    /// The built-in servers in a network namespace behind a veth pair shaped by tc (root; delay needs netem).
    Tc,
}

impl LinkBackend {
    /// How the relay forwards bytes (`None` for tc, which has no relay).
    pub fn forwarding(self) -> Option<Forwarding> {
        match self {
            LinkBackend::Relay => Some(Forwarding::Copy),
            LinkBackend::RelaySplice => Some(Forwarding::Splice),
            LinkBackend::Tc => None,
        }
    }
}

/// A link's bandwidth (per direction) and round-trip time.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct LinkSpec {
    /// Bits per second each way; `None` is unlimited.
    pub bits_per_second: Option<f64>,
    /// Round-trip time; each direction adds half of it.
    #[serde(
        rename = "rtt_ns",
        serialize_with = "duration_ns",
        deserialize_with = "duration_from_ns"
    )]
    pub rtt: Duration,
}

impl LinkSpec {
    pub fn one_way_delay(&self) -> Duration {
        self.rtt / 2
    }

    /// Bytes the relay reads at once: about a millisecond of the link (at
    /// least 64 KiB, at most 1 MiB), so a chunk's serialization stays near
    /// the timer's granularity while a fast link costs few wake-ups.
    pub fn chunk_bytes(&self) -> usize {
        const MIN: usize = 64 * 1024;
        const MAX: usize = 1024 * 1024;
        match self.bits_per_second {
            Some(bps) => ((bps / 8.0 / 1000.0) as usize).clamp(MIN, MAX),
            None => MAX,
        }
    }

    /// How long `bytes` occupy the link.
    pub fn serialization(&self, bytes: usize) -> Duration {
        match self.bits_per_second {
            Some(bps) => Duration::from_secs_f64(bytes as f64 * 8.0 / bps),
            None => Duration::ZERO,
        }
    }
}

/// Why a `--link` value does not parse; each message shows a valid one.
/// As `--link` takes it, so a command can be written back:
/// `bw=1000mbit,rtt=2000us`.
impl std::fmt::Display for LinkSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.bits_per_second {
            Some(bps) => write!(f, "bw={}kbit", bps / 1e3)?,
            None => f.write_str("bw=inf")?,
        }
        write!(f, ",rtt={}us", self.rtt.as_secs_f64() * 1e6)
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkSpecError {
    #[error("--link: '{0}' is not KEY=VALUE (write bw=1gbit,rtt=2ms)")]
    NotKeyValue(String),
    #[error("--link: unknown key '{0}' (known: bw, rtt, jitter)")]
    UnknownKey(String),
    #[error("--link: bandwidth '{0}' is not like 100mbit, 1gbit, 1gbps, 100mbps or inf (bits per second)")]
    Bandwidth(String),
    #[error("--link: duration '{0}' is not like 2ms, 500us or 1s (up to 60 s)")]
    Duration(String),
    #[error("--link: jitter is not emulated yet; leave it out or write jitter=0")]
    Jitter,
}

impl std::str::FromStr for LinkSpec {
    type Err = LinkSpecError;

    /// Parses `bw=100mbit,rtt=20ms` (bw: a bit rate in any case, `1Gbit`,
    /// `1gbps`, `100mbps`, or `inf`; rtt: a duration with its unit, `2ms`,
    /// `500us`, `1s`; `jitter=0` is accepted, other jitter is not).
    fn from_str(text: &str) -> Result<Self, LinkSpecError> {
        let mut spec = LinkSpec {
            bits_per_second: None,
            rtt: Duration::ZERO,
        };
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                return Err(LinkSpecError::NotKeyValue(part.into()));
            };
            match key {
                "bw" => spec.bits_per_second = parse_bandwidth(value)?,
                "rtt" => spec.rtt = parse_duration(value)?,
                "jitter" if parse_duration(value)? == Duration::ZERO => {}
                "jitter" => return Err(LinkSpecError::Jitter),
                _ => return Err(LinkSpecError::UnknownKey(key.into())),
            }
        }
        Ok(spec)
    }
}

/// `bw=`: the shared bit rate spelling (`1gbit`, `100Mbit`, `1gbps`, `inf`).
fn parse_bandwidth(value: &str) -> Result<Option<f64>, LinkSpecError> {
    crate::spellings::bit_rate(value).map_err(|_| LinkSpecError::Bandwidth(value.into()))
}

/// `rtt=`, `jitter=`: the shared duration spelling, a unit required (a
/// bare `2` could be seconds or milliseconds), up to a minute.
fn parse_duration(value: &str) -> Result<Duration, LinkSpecError> {
    crate::spellings::duration(value, None)
        .ok()
        .filter(|d| *d <= Duration::from_secs(60))
        .ok_or_else(|| LinkSpecError::Duration(value.into()))
}

/// Relays in front of every target of a run, on their own runtime (threads
/// named `link-*`, so profiles keep them apart from client and server).
pub struct Links {
    urls: Vec<(Protocol, String)>,
    relays: Vec<Relay>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Links {
    /// Starts one relay per target URL (`scheme://host:port[/path]`).
    pub fn start(
        spec: LinkSpec,
        forwarding: Forwarding,
        targets: &[(Protocol, String)],
    ) -> Result<Links> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name_fn(crate::net::threads::thread_namer("link"))
            .enable_all()
            .build()?;
        let mut links = Links {
            urls: Vec::new(),
            relays: Vec::new(),
            runtime: None,
        };
        for (protocol, url) in targets {
            let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let relay = runtime.block_on(Relay::start(spec, forwarding, authority.to_string()))?;
            links
                .urls
                .push((*protocol, format!("{scheme}://{}{path}", relay.addr)));
            links.relays.push(relay);
        }
        links.runtime = Some(runtime);
        Ok(links)
    }

    /// The relayed URL for `protocol`.
    pub fn url(&self, protocol: Protocol) -> Option<String> {
        self.urls
            .iter()
            .find(|(p, _)| *p == protocol)
            .map(|(_, u)| u.clone())
    }
}

impl Drop for Links {
    fn drop(&mut self) {
        self.relays.clear(); // aborts the relay tasks
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_millis(200));
        }
    }
}

/// Durations in reports are whole nanoseconds.
fn duration_ns<S: serde::Serializer>(
    duration: &Duration,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX))
}

/// `rtt_ns` read back (`imgwire merge` reads the shards' settings).
fn duration_from_ns<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Duration, D::Error> {
    <u64 as serde::Deserialize>::deserialize(deserializer).map(Duration::from_nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs_and_refuses_bad_ones() {
        let spec: LinkSpec = "bw=100mbit,rtt=20ms,jitter=0".parse().unwrap();
        assert_eq!(spec.bits_per_second, Some(1e8));
        assert_eq!(spec.one_way_delay(), Duration::from_millis(10));
        assert_eq!(spec.serialization(1_250_000), Duration::from_millis(100));
        assert_eq!("bw=inf".parse::<LinkSpec>().unwrap().bits_per_second, None);
        for (rate, bps) in [
            ("1Gbit", 1e9),
            ("1gbps", 1e9),
            ("100Mbit", 1e8),
            ("100mbps", 1e8),
        ] {
            let spec: LinkSpec = format!("bw={rate},rtt=2ms").parse().unwrap();
            assert_eq!(spec.bits_per_second, Some(bps), "{rate}");
            // Written back as --link takes it, and read back the same.
            assert_eq!(spec.to_string().parse::<LinkSpec>().unwrap(), spec);
        }
        for text in [
            "bw=1gbit,rtt=2ms",
            "bw=inf,rtt=0ms",
            "bw=12.5mbit,rtt=150us",
        ] {
            let spec: LinkSpec = text.parse().unwrap();
            assert_eq!(
                spec.to_string().parse::<LinkSpec>().unwrap(),
                spec,
                "{text}"
            );
        }
        let refused = [
            ("bw=fast", LinkSpecError::Bandwidth("fast".into())),
            ("bw=100mb", LinkSpecError::Bandwidth("100mb".into())),
            ("rtt=2m", LinkSpecError::Duration("2m".into())),
            ("rtt=2", LinkSpecError::Duration("2".into())),
            ("jitter=1ms", LinkSpecError::Jitter),
            ("loss=1", LinkSpecError::UnknownKey("loss".into())),
            ("bw", LinkSpecError::NotKeyValue("bw".into())),
        ];
        for (bad, why) in refused {
            let err = bad.parse::<LinkSpec>().unwrap_err();
            assert_eq!(err, why, "{bad}");
            assert!(err.to_string().starts_with("--link"), "{bad}: {err}");
        }
    }
}
