//! Property tests: whatever bytes a server answers, every target's answer
//! checks (the v2, TorchServe and seed answers) give Ok or a typed error,
//! never a panic. Inputs are arbitrary bytes, and valid answers with bytes
//! flipped, inserted, removed or cut off (`wire::fuzz`'s edits).

use super::kserve::wire::{self as kserve, KserveModel};
use super::seed::wire as seed;
use super::torchserve::wire::{self as torchserve, TorchserveModel};
use crate::protocol::Protocol;
use crate::wire::fuzz::{apply, bytes, config, edits, protocol};
use crate::wire::proto::{google_rpc, kserve as kpb, seed as spb, torchserve as tpb};
use crate::wire::PayloadKind;
use proptest::prelude::*;
use prost::Message;

fn datatype() -> impl Strategy<Value = String> {
    prop::sample::select(&["INT8", "INT16", "INT32", "INT64", "UINT8", "UINT32", "FP32"][..])
        .prop_map(String::from)
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
    let sent = crate::wire::test_jpeg_meta(40, 24);
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
    let sent = crate::wire::test_jpeg_meta(40, 24);
    let model = KserveModel::for_test("BYTES");
    let check = |protocol, body: &[u8]| {
        kserve::parse_response(&model, protocol, PayloadKind::Binary, body, Some(&sent))
    };
    let raw: Vec<u8> = [24i32, 40].iter().flat_map(|v| v.to_le_bytes()).collect();
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
