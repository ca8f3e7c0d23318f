//! W3C Trace Context: the `traceparent` header every request carries, so a
//! server that keeps traces (Triton, a collector, `imgwire serve`) can be
//! joined to imgwire's record of the same request. Ids are made here and
//! read back with the checks the recommendation asks of a receiver.

use std::cell::Cell;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// The header's name (lower case, as HTTP/2 and gRPC metadata need).
pub const TRACEPARENT: &str = "traceparent";

/// The header `imgwire serve` answers with (W3C Trace Context Level 2's
/// `traceresponse`): the request's trace id and the server's own span id,
/// so a client can check that the answer is to its own request.
pub const TRACERESPONSE: &str = "traceresponse";

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

    /// The valid `traceparent` (or `traceresponse`) value under `name`
    /// in `headers`, where there is one.
    pub fn from_headers(headers: &http::HeaderMap, name: &str) -> Option<TraceParent> {
        let value = headers.get(name)?.to_str().ok()?;
        TraceParent::parse(value).ok()
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
        let text = self.encode();
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl TraceParent {
    /// The header value's 55 bytes, written without formatting machinery
    /// (one is made per request).
    pub fn encode(&self) -> [u8; TRACEPARENT_LEN] {
        let mut text = *b"00-00000000000000000000000000000000-0000000000000000-00";
        let digits = self.trace_id.iter().chain(&self.span_id);
        let slots = (3..35).step_by(2).chain((36..52).step_by(2));
        for (byte, at) in digits.zip(slots) {
            text[at] = HEX_DIGITS[usize::from(byte >> 4)];
            text[at + 1] = HEX_DIGITS[usize::from(byte & 0xf)];
        }
        if self.sampled {
            text[54] = b'1';
        }
        text
    }

    /// The header value, ready to send.
    pub fn header_value(&self) -> http::HeaderValue {
        let text = self.encode();
        http::HeaderValue::from_bytes(&text).expect("hex digits and dashes are a header value")
    }
}

/// A version 00 `traceparent` value's length.
pub const TRACEPARENT_LEN: usize = 55;

fn hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(char::from(HEX_DIGITS[usize::from(b >> 4)]));
        text.push(char::from(HEX_DIGITS[usize::from(b & 0xf)]));
    }
    text
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

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

/// 64 random-enough bits, made without a syscall or a shared atomic:
/// each thread draws a random key once (the standard library's per-process
/// hasher seed, hashed with a process-wide thread number), then counts,
/// each count mixed by SplitMix64's finalizer, which maps distinct inputs
/// to distinct outputs: a thread never repeats itself, and two threads'
/// sequences start at unrelated random points. Ids must be unique, not
/// secret.
fn next_random() -> u64 {
    thread_local! {
        static STREAM: Cell<(u64, u64)> = Cell::new((thread_key(), 0));
    }
    STREAM.with(|stream| {
        let (key, count) = stream.get();
        stream.set((key, count.wrapping_add(1)));
        mix(key.wrapping_add(count.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
    })
}

/// A random key for this thread.
fn thread_key() -> u64 {
    static THREADS: AtomicU64 = AtomicU64::new(0);
    static KEYS: std::sync::OnceLock<std::collections::hash_map::RandomState> =
        std::sync::OnceLock::new();
    let mut hasher = KEYS.get_or_init(Default::default).build_hasher();
    hasher.write_u64(THREADS.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

/// SplitMix64's finalizer: a bijection on u64 that spreads every bit.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
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
    fn ids_from_many_threads_are_unique_and_the_header_value_is_the_text() {
        let threads: Vec<_> = (0..8)
            .map(|_| {
                std::thread::spawn(|| {
                    (0..2_000)
                        .map(|_| TraceParent::new_root())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let all: Vec<TraceParent> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        let traces: std::collections::HashSet<_> = all.iter().map(|t| t.trace_id).collect();
        let spans: std::collections::HashSet<_> = all.iter().map(|t| t.span_id).collect();
        assert_eq!((traces.len(), spans.len()), (16_000, 16_000));
        let one = all[0];
        assert_eq!(one.header_value(), one.to_string().as_str());
        assert_eq!(
            one.to_string(),
            format!("00-{}-{}-01", hex(&one.trace_id), hex(&one.span_id))
        );
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
