//! Property tests: whatever bytes a server answers, the client's parsers
//! (`Server-Timing`, gzip, the v2, TorchServe and seed answers) give Ok or a
//! typed error, never a panic. Inputs are arbitrary bytes, and valid bodies
//! with bytes flipped, inserted, removed or cut off. The case count is
//! proptest's (256, or `PROPTEST_CASES`); the edit helpers here serve the
//! servers' property tests too.

use super::gzip::{compress, decompress, GunzipError};
use super::kserve::{self, KserveModel};
use super::proto::{google_rpc, kserve as kpb, seed as spb, torchserve as tpb};
use super::server_timing::ServerTimings;
use super::torchserve::{self, TorchserveModel};
use super::{seed, PayloadKind};
use crate::protocol::Protocol;
use crate::stage::Stage;
use proptest::prelude::*;
use prost::Message;
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

const PROTOCOLS: [Protocol; 4] = [
    Protocol::Rest,
    Protocol::RestH2,
    Protocol::Grpc,
    Protocol::Tcp,
];

fn protocol() -> impl Strategy<Value = Protocol> {
    prop::sample::select(&PROTOCOLS[..])
}

fn datatype() -> impl Strategy<Value = String> {
    prop::sample::select(&["INT8", "INT16", "INT32", "INT64", "UINT8", "UINT32", "FP32"][..])
        .prop_map(String::from)
}

fn valid_timings() -> Vec<u8> {
    let mut timings = ServerTimings::default();
    timings.record(Stage::ServerReceive, Duration::from_nanos(1_234_567));
    timings.record(Stage::ServerDecode, Duration::from_millis(3));
    let mut text = timings.to_header().into_bytes();
    text.extend_from_slice(br#", cdn;desc="a, b;c";dur=1e3"#);
    text
}

/// A v2 answer: JSON `data`, or a JSON header with `binary_data_size`
/// (any, even past the body) followed by `tail`.
fn kserve_rest_answer(datatype: &str, declared: Option<usize>, tail: &[u8]) -> Vec<u8> {
    let output = match declared {
        Some(size) => format!(r#""parameters":{{"binary_data_size":{size}}}"#),
        None => r#""data":[[24],[40]]"#.into(),
    };
    let mut body = format!(
        r#"{{"model_name":"decode","outputs":[{{"name":"size","datatype":"{datatype}","shape":[2],{output}}}]}}"#
    )
    .into_bytes();
    body.extend_from_slice(tail);
    body
}

fn kserve_grpc_answer(datatype: String, raw: Vec<u8>, ints: Vec<i32>) -> Vec<u8> {
    kpb::ModelInferResponse {
        outputs: vec![kpb::model_infer_response::InferOutputTensor {
            name: "size".into(),
            datatype,
            shape: vec![2],
            contents: Some(kpb::InferTensorContents {
                int_contents: ints,
                ..Default::default()
            }),
            ..Default::default()
        }],
        raw_output_contents: vec![raw.into()],
        ..Default::default()
    }
    .encode_to_vec()
}

fn seed_grpc_answer() -> Vec<u8> {
    spb::BasicResponse {
        prediction1: (0..seed::SEED_SCORES).map(|i| i as f32 / 200.0).collect(),
        prediction2: (0..seed::SEED_LABELS as i32)
            .map(|i| (i.to_string(), i))
            .collect(),
    }
    .encode_to_vec()
}

fn torchserve_grpc_answer(prediction: &[u8], code: i32) -> Vec<u8> {
    tpb::PredictionResponse {
        prediction: prediction.to_vec().into(),
        sequence_id: None,
        status: Some(google_rpc::Status {
            code,
            message: "busy".into(),
            details: Vec::new(),
        }),
    }
    .encode_to_vec()
}

/// Runs every client answer parser on `body`; none may panic.
fn parse_as_every_answer(protocol: Protocol, body: &[u8]) {
    let sent = super::test_jpeg_meta(40, 24);
    let kserve_model = KserveModel::for_test("BYTES");
    let torchserve_model = TorchserveModel {
        name: "decode".into(),
        ..TorchserveModel::default()
    };
    for sent in [None, Some(&sent)] {
        let _ = kserve::parse_response(&kserve_model, protocol, PayloadKind::Binary, body, sent);
        let _ =
            torchserve::parse_response(&torchserve_model, protocol, PayloadKind::B64, body, sent);
    }
    let _ = seed::parse_response(protocol, body);
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

    #[test]
    fn any_answer_bytes_never_panic(protocol in protocol(), body in bytes()) {
        parse_as_every_answer(protocol, &body);
    }

    #[test]
    fn edited_v2_rest_answers_never_panic(
        datatype in datatype(),
        declared in prop::option::of(prop_oneof![0usize..64, any::<usize>()]),
        tail in prop::collection::vec(any::<u8>(), 0..64),
        edits in edits(),
    ) {
        let body = apply(&kserve_rest_answer(&datatype, declared, &tail), &edits);
        parse_as_every_answer(Protocol::Rest, &body);
    }

    #[test]
    fn edited_grpc_answers_never_panic(
        datatype in datatype(),
        raw in prop::collection::vec(any::<u8>(), 0..64),
        ints in prop::collection::vec(any::<i32>(), 0..4),
        code in any::<i32>(),
        edits in edits(),
    ) {
        for valid in [
            kserve_grpc_answer(datatype.clone(), raw.clone(), ints.clone()),
            torchserve_grpc_answer(br#"{"height": 24, "width": 40}"#, code),
            torchserve_grpc_answer(&raw, 0),
            seed_grpc_answer(),
        ] {
            parse_as_every_answer(Protocol::Grpc, &apply(&valid, &edits));
        }
    }

    #[test]
    fn edited_json_answers_never_panic(edits in edits()) {
        for valid in [
            &br#"{"height": 24, "width": 40}"#[..],
            br#"{"code": 503, "type": "ServiceUnavailableException", "message": "busy"}"#,
            br#"{"prediction1": [0.5], "prediction2": {"0": 0}}"#,
            br#"{"error": "no such model"}"#,
        ] {
            parse_as_every_answer(Protocol::Rest, &apply(valid, &edits));
        }
    }
}

/// The valid answers the edits start from pass, so the edits probe the
/// parsers' accepting paths as well as their refusals.
#[test]
fn the_unedited_answers_pass() {
    let sent = super::test_jpeg_meta(40, 24);
    let model = KserveModel::for_test("BYTES");
    let check = |protocol, body: &[u8]| {
        kserve::parse_response(&model, protocol, PayloadKind::Binary, body, Some(&sent))
    };
    let raw: Vec<u8> = [24i32, 40].iter().flat_map(|v| v.to_le_bytes()).collect();
    assert!(ServerTimings::parse(std::str::from_utf8(&valid_timings()).unwrap()).is_ok());
    check(Protocol::Rest, &kserve_rest_answer("INT32", None, &[])).unwrap();
    check(Protocol::Rest, &kserve_rest_answer("INT32", Some(8), &raw)).unwrap();
    check(
        Protocol::Grpc,
        &kserve_grpc_answer("INT32".into(), raw, vec![]),
    )
    .unwrap();
    let torchserve_model = TorchserveModel {
        name: "decode".into(),
        ..TorchserveModel::default()
    };
    let answer = torchserve_grpc_answer(br#"{"height": 24, "width": 40}"#, 0);
    torchserve::parse_response(
        &torchserve_model,
        Protocol::Grpc,
        PayloadKind::B64,
        &answer,
        Some(&sent),
    )
    .unwrap();
    seed::parse_response(Protocol::Grpc, &seed_grpc_answer()).unwrap();
}
