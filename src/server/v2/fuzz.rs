//! Property tests: whatever a v2 client sends to `/v2/models/{m}/infer` or
//! `ModelInfer` (JSON, the binary tensor extension with its header length
//! and each element's u32 length prefix, protobuf), the server reads it or
//! refuses it with a typed error, never a panic, and an accepted request
//! gets its answer. Inputs are arbitrary bytes and valid bodies edited,
//! their length prefixes and header lengths past the data included.

use super::grpc_bodies::GrpcInfer;
use super::rest_bodies::RestInfer;
use super::{tensor, V2Service};
use crate::server::fuzz::{serve, small_jpeg};
use crate::server::request::BodyFormat;
use crate::server::{ServerConfig, ServerState, DEFAULT_V2_MODEL};
use crate::wire::fuzz::{apply, bytes, config, edits};
use crate::wire::proto::kserve as pb;
use crate::wire::PayloadKind;
use bytes::Bytes;
use proptest::prelude::*;
use prost::Message;
use std::sync::Arc;

fn service() -> V2Service {
    V2Service::new(Arc::new(ServerState::new(ServerConfig::for_tests(1 << 20))))
}

/// Reads `body` as a REST infer request, then answers it where it passed.
fn rest_infer(payload: PayloadKind, header_length: Option<&str>, body: Vec<u8>) {
    let format = RestInfer::new(DEFAULT_V2_MODEL, header_length);
    let read = format.deserialize(payload, Bytes::from(body));
    if read.is_ok() {
        let _ = format.prediction();
    }
    serve(read);
}

fn grpc_infer(service: &V2Service, body: Vec<u8>) {
    let format = GrpcInfer::new(service);
    let read = format.deserialize(PayloadKind::Binary, Bytes::from(body));
    if read.is_ok() {
        let _ = format.prediction();
    }
    serve(read);
}

/// A u32 LE length (the true one, or any) and then the element.
fn element(element: &[u8], declared: Option<u32>) -> Vec<u8> {
    let length = declared.unwrap_or(element.len() as u32);
    let mut out = length.to_le_bytes().to_vec();
    out.extend_from_slice(element);
    out
}

/// A binary-extension body: its JSON header, then `binary`; with the JSON
/// header's length.
fn binary_body(binary: &[u8], declared_size: usize) -> (Vec<u8>, usize) {
    let mut body = format!(
        r#"{{"id":"7","inputs":[{{"name":"image","shape":[1],"datatype":"BYTES","parameters":{{"binary_data_size":{declared_size}}}}}],"outputs":[{{"name":"size","parameters":{{"binary_data":true}}}}]}}"#
    )
    .into_bytes();
    let header = body.len();
    body.extend_from_slice(binary);
    (body, header)
}

fn grpc_request(raw: Vec<Vec<u8>>, listed: Vec<Vec<u8>>) -> Vec<u8> {
    pb::ModelInferRequest {
        model_name: DEFAULT_V2_MODEL.into(),
        id: "7".into(),
        inputs: vec![pb::model_infer_request::InferInputTensor {
            name: tensor::INPUT.into(),
            datatype: tensor::INPUT_DATATYPE.into(),
            shape: tensor::INPUT_SHAPE.to_vec(),
            contents: Some(pb::InferTensorContents {
                bytes_contents: listed.into_iter().map(Into::into).collect(),
                ..Default::default()
            }),
            ..Default::default()
        }],
        raw_input_contents: raw.into_iter().map(Into::into).collect(),
        ..Default::default()
    }
    .encode_to_vec()
}

/// Header lengths: numbers near and past the body's length, and anything.
fn header_length() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        (0usize..4200).prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        "[ -~]{0,8}",
    ])
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_rest_infer_body_is_read_or_refused(
        binary in any::<bool>(),
        header_length in header_length(),
        body in bytes(),
    ) {
        let payload = if binary { PayloadKind::Binary } else { PayloadKind::B64 };
        rest_infer(payload, header_length.as_deref(), body);
    }

    #[test]
    fn edited_binary_extension_bodies_are_read_or_refused(
        declared_length in prop::option::of(any::<u32>()),
        declared_size in prop::option::of(any::<usize>()),
        header_shift in -8isize..8,
        edits in edits(),
    ) {
        let binary = element(&small_jpeg(), declared_length);
        let (body, header) = binary_body(&binary, declared_size.unwrap_or(binary.len()));
        let header = header.saturating_add_signed(header_shift).to_string();
        rest_infer(PayloadKind::Binary, Some(&header), apply(&body, &edits));
    }

    #[test]
    fn edited_json_infer_bodies_are_read_or_refused(edits in edits()) {
        let text = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, small_jpeg());
        let body = format!(
            r#"{{"inputs":[{{"name":"image","shape":[1],"datatype":"BYTES","data":["{text}"]}}],"parameters":{{"binary_data_output":true}}}}"#
        );
        rest_infer(PayloadKind::B64, None, apply(body.as_bytes(), &edits));
    }

    #[test]
    fn any_model_infer_message_is_read_or_refused(body in bytes()) {
        grpc_infer(&service(), body);
    }

    #[test]
    fn edited_model_infer_messages_are_read_or_refused(
        declared_length in prop::option::of(any::<u32>()),
        raw in 0usize..3,
        listed in 0usize..3,
        edits in edits(),
    ) {
        let jpeg = small_jpeg();
        let framed = element(&jpeg, declared_length);
        let request = grpc_request(vec![framed; raw], vec![jpeg; listed]);
        grpc_infer(&service(), apply(&request, &edits));
    }

    #[test]
    fn length_prefixes_past_the_data_are_refused(
        data in prop::collection::vec(any::<u8>(), 0..64),
        extra in 1u32..=u32::MAX,
    ) {
        let declared = (data.len() as u32).saturating_add(extra);
        prop_assume!(declared as usize > data.len());
        prop_assert!(tensor::single_element(Bytes::from(element(&data, Some(declared)))).is_err());
        let _ = tensor::single_element(Bytes::from(data));
    }
}

/// The valid requests the edits start from are read and answered.
#[test]
fn the_unedited_requests_are_read() {
    let jpeg = small_jpeg();
    let binary = element(&jpeg, None);
    let (body, header) = binary_body(&binary, binary.len());
    let header = header.to_string();
    let format = RestInfer::new(DEFAULT_V2_MODEL, Some(&header));
    format
        .deserialize(PayloadKind::Binary, body.into())
        .unwrap();
    assert!(format.binary_header_length().is_none());
    assert!(!format.prediction().is_empty());
    let service = service();
    let format = GrpcInfer::new(&service);
    let request = grpc_request(vec![element(&jpeg, None)], vec![]);
    format
        .deserialize(PayloadKind::Binary, request.into())
        .unwrap();
    assert!(!format.prediction().is_empty());
}
