//! Property tests: whatever bytes a server answers, the client's generic
//! parsers (`Server-Timing`, gzip) give Ok or a typed error, never a panic
//! (each target's answers: src/target/fuzz.rs). Inputs are arbitrary bytes, and valid bodies
//! with bytes flipped, inserted, removed or cut off. The case count is
//! proptest's (256, or `PROPTEST_CASES`); the edit helpers here serve the
//! servers' property tests too.

use super::gzip::{compress, decompress, GunzipError};
use super::server_timing::ServerTimings;
use crate::protocol::Protocol;
use crate::stage::Stage;
use proptest::prelude::*;
use std::time::Duration;

/// One change to a valid body; positions wrap around its length.
#[derive(Clone, Debug)]
pub(crate) enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Cut(usize),
}

/// Up to 8 edits.
pub(crate) fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<usize>(), 1..=u8::MAX).prop_map(|(at, mask)| Edit::Flip(at, mask)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Edit::Insert(at, byte)),
        any::<usize>().prop_map(Edit::Remove),
        any::<usize>().prop_map(Edit::Cut),
    ];
    prop::collection::vec(edit, 0..8)
}

/// `valid` with `edits` applied in order.
pub(crate) fn apply(valid: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut body = valid.to_vec();
    for edit in edits {
        let len = body.len();
        match *edit {
            Edit::Flip(at, mask) if len > 0 => body[at % len] ^= mask,
            Edit::Insert(at, byte) => body.insert(at % (len + 1), byte),
            Edit::Remove(at) if len > 0 => drop(body.remove(at % len)),
            Edit::Cut(at) => body.truncate(at % (len + 1)),
            _ => {}
        }
    }
    body
}

/// Arbitrary bytes, up to 4 KiB.
pub(crate) fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..4096)
}

/// The config every property here runs under: proptest's own (its case
/// count read from `PROPTEST_CASES`), without regression files.
pub(crate) fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

pub(crate) const PROTOCOLS: [Protocol; 4] = [
    Protocol::Rest,
    Protocol::RestH2,
    Protocol::Grpc,
    Protocol::Tcp,
];

pub(crate) fn protocol() -> impl Strategy<Value = Protocol> {
    prop::sample::select(&PROTOCOLS[..])
}

fn valid_timings() -> Vec<u8> {
    let mut timings = ServerTimings::default();
    timings.record(Stage::ServerReceive, Duration::from_nanos(1_234_567));
    timings.record(Stage::ServerDecode, Duration::from_millis(3));
    let mut text = timings.to_header().into_bytes();
    text.extend_from_slice(br#", cdn;desc="a, b;c";dur=1e3"#);
    text
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn server_timing_text_never_panics(text in any::<String>()) {
        let _ = ServerTimings::parse(&text);
    }

    #[test]
    fn edited_server_timing_text_never_panics(edits in edits()) {
        let text = apply(&valid_timings(), &edits);
        let _ = ServerTimings::parse(&String::from_utf8_lossy(&text));
    }

    #[test]
    fn gzip_of_any_bytes_inflates_within_its_limit(body in bytes(), limit in 0usize..8192) {
        if let Ok(out) = decompress(&body, limit) {
            prop_assert!(out.len() <= limit);
        }
    }

    #[test]
    fn edited_gzip_inflates_within_its_limit_or_is_refused(
        plain in bytes(), edits in edits(), limit in 0usize..8192,
    ) {
        let packed = compress(&plain);
        match decompress(&packed, limit) {
            Ok(out) => prop_assert_eq!(&out, &plain),
            Err(e) => prop_assert!(
                matches!(e, GunzipError::TooLarge { .. }) && plain.len() > limit,
                "{e}"
            ),
        }
        if let Ok(out) = decompress(&apply(&packed, &edits), limit) {
            prop_assert!(out.len() <= limit);
        }
    }
}

/// The `Server-Timing` text the edits start from parses.
#[test]
fn the_unedited_timings_pass() {
    assert!(ServerTimings::parse(std::str::from_utf8(&valid_timings()).unwrap()).is_ok());
}
