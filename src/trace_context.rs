//! W3C Trace Context: the `traceparent` header every request carries, so a
//! server that keeps traces (Triton, a collector, `imgwire serve`) can be
//! joined to imgwire's record of the same request. Ids are made here and
//! read back with the checks the recommendation asks of a receiver.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// The header's name (lower case, as HTTP/2 and gRPC metadata need).
pub const TRACEPARENT: &str = "traceparent";

/// One request's place in a trace: its trace id and its own span id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TraceParent {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub sampled: bool,
}

/// A `traceparent` value a receiver must ignore, and why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TraceParentError {
    #[error("traceparent is not VERSION-TRACEID-SPANID-FLAGS: {0:?}")]
    Shape(String),
    #[error("traceparent version ff is not allowed")]
    ForbiddenVersion,
    #[error("traceparent's fields must be lower-case hex: {0:?}")]
    NotHex(String),
    #[error("traceparent's trace id or span id is all zeros")]
    ZeroId,
}

impl TraceParent {
    /// A new trace with a new span, sampled.
    pub fn new_root() -> TraceParent {
        let (a, b, c) = (next_random(), next_random(), next_random());
        let mut trace_id = [0; 16];
        trace_id[..8].copy_from_slice(&a.to_be_bytes());
        trace_id[8..].copy_from_slice(&b.to_be_bytes());
        TraceParent {
            trace_id,
            span_id: nonzero(c).to_be_bytes(),
            sampled: true,
        }
    }

    /// A child span in the same trace (what a server's own work is).
    pub fn child(&self) -> TraceParent {
        TraceParent {
            span_id: nonzero(next_random()).to_be_bytes(),
            ..*self
        }
    }

    /// The trace id as 32 lower-case hex digits (OTLP JSON's spelling).
    pub fn trace_id_hex(&self) -> String {
        hex(&self.trace_id)
    }

    /// The span id as 16 lower-case hex digits.
    pub fn span_id_hex(&self) -> String {
        hex(&self.span_id)
    }

    /// Reads a `traceparent` value. Versions above 00 are read by their
    /// first four fields, as the recommendation asks.
    pub fn parse(value: &str) -> Result<TraceParent, TraceParentError> {
        let shape = || TraceParentError::Shape(value.to_string());
        let fields: Vec<&str> = value.trim().split('-').collect();
        let [version, trace, span, flags] = fields.get(..4).ok_or_else(shape)? else {
            return Err(shape());
        };
        let sizes_fit = version.len() == 2 && trace.len() == 32 && span.len() == 16;
        if !sizes_fit || flags.len() != 2 || (*version == "00" && fields.len() != 4) {
            return Err(shape());
        }
        if *version == "ff" {
            return Err(TraceParentError::ForbiddenVersion);
        }
        let mut trace_id = [0; 16];
        let mut span_id = [0; 8];
        let mut flag_byte = [0; 1];
        for (text, out) in [
            (*version, &mut [0u8; 1][..]),
            (*trace, &mut trace_id[..]),
            (*span, &mut span_id[..]),
            (*flags, &mut flag_byte[..]),
        ] {
            unhex(text, out).ok_or_else(|| TraceParentError::NotHex(value.to_string()))?;
        }
        if trace_id == [0; 16] || span_id == [0; 8] {
            return Err(TraceParentError::ZeroId);
        }
        Ok(TraceParent {
            trace_id,
            span_id,
            sampled: flag_byte[0] & 1 == 1,
        })
    }
}

impl fmt::Display for TraceParent {
    /// The header value: `00-<trace id>-<span id>-<flags>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flags = if self.sampled { "01" } else { "00" };
        write!(
            f,
            "00-{}-{}-{flags}",
            self.trace_id_hex(),
            self.span_id_hex()
        )
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex into `out` (exactly twice its length), or None.
fn unhex(text: &str, out: &mut [u8]) -> Option<()> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let bytes = text.as_bytes();
    if bytes.len() != out.len() * 2 {
        return None;
    }
    for (slot, pair) in out.iter_mut().zip(bytes.chunks(2)) {
        *slot = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(())
}

fn nonzero(x: u64) -> u64 {
    x.max(1)
}

/// 64 random-enough bits: a per-process random key (the standard
/// library's hasher seed) over a counter, mixed by SipHash. Ids must be
/// unique, not secret.
fn next_random() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static KEYS: std::sync::OnceLock<std::collections::hash_map::RandomState> =
        std::sync::OnceLock::new();
    let mut hasher = KEYS.get_or_init(Default::default).build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_reads_back_as_itself_and_children_keep_the_trace() {
        let root = TraceParent::new_root();
        let text = root.to_string();
        assert_eq!(text.len(), 55, "{text}");
        assert_eq!(TraceParent::parse(&text), Ok(root));
        let child = root.child();
        assert_eq!(child.trace_id, root.trace_id);
        assert_ne!(child.span_id, root.span_id);
        let ids: std::collections::HashSet<_> = (0..10_000)
            .map(|_| TraceParent::new_root().trace_id)
            .collect();
        assert_eq!(ids.len(), 10_000);
    }

    #[test]
    fn the_recommendations_example_and_what_a_receiver_must_ignore() {
        // The example of the W3C recommendation, section 3.2.
        let example = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let parsed = TraceParent::parse(example).unwrap();
        assert_eq!(parsed.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(parsed.span_id_hex(), "00f067aa0ba902b7");
        assert!(parsed.sampled);
        assert_eq!(parsed.to_string(), example);
        let future = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra";
        assert!(!TraceParent::parse(future).unwrap().sampled);
        let refused = [
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "garbage",
        ];
        for value in refused {
            assert!(TraceParent::parse(value).is_err(), "{value}");
        }
    }
}
