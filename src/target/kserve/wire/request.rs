//! v2 inference requests: the REST JSON body (`b64`, `basic`), the REST
//! binary tensor data extension (`binary`: a JSON header, then the tensor's
//! raw bytes), and gRPC `ModelInferRequest` with the tensor in
//! `raw_input_contents[0]`; each tensor in the shape the model's input
//! takes it ([`super::shape`]).

use super::shape::with_count;
use super::{basic_values, paths, refusal, InputKind, KserveModel, KserveWireError, HEADER_LENGTH};
use crate::protocol::Protocol;
use crate::wire::body::WireBody;
use crate::wire::image_body;
use crate::wire::payload::WireRequest;
use crate::wire::proto::kserve as pb;
use crate::wire::{EncodedImage, PayloadKind};
use base64::Engine;
use bytes::Bytes;
use prost::Message;
use serde::Serialize;
use std::borrow::Cow;

/// `{"id": ..., "inputs": [ONE], "parameters": {...}}`.
#[derive(Serialize)]
struct InferRequestJson<'a, D: Serialize> {
    /// The request's id, which the server echoes and records.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    inputs: [InputJson<'a, D>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<RequestParameters>,
}

/// One input tensor: its data inline (JSON), or its size in the binary part.
#[derive(Serialize)]
struct InputJson<'a, D: Serialize> {
    name: &'a str,
    shape: Vec<i64>,
    datatype: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<D>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<InputParameters>,
}

#[derive(Serialize)]
struct InputParameters {
    binary_data_size: usize,
}

/// Outputs as JSON, though the input went as binary.
#[derive(Serialize)]
struct RequestParameters {
    binary_data_output: bool,
}

/// One tensor in raw form: datatype, shape, and its bytes (a BYTES
/// element is its u32 little-endian length, then the bytes).
struct RawTensor {
    datatype: &'static str,
    shape: Vec<i64>,
    /// A BYTES element's 4-byte little-endian length, then its bytes.
    length_prefix: Option<[u8; 4]>,
    /// The image's own buffer where the tensor is the image (shared, not
    /// copied).
    data: Bytes,
}

impl RawTensor {
    fn byte_len(&self) -> usize {
        self.length_prefix.map_or(0, |p| p.len()) + self.data.len()
    }

    /// The tensor's bytes as parts: the length prefix, if any, then the
    /// data's shared buffer.
    fn parts(&self) -> [Bytes; 2] {
        let prefix = self
            .length_prefix
            .map_or_else(Bytes::new, |p| Bytes::copy_from_slice(&p));
        [prefix, self.data.clone()]
    }
}

/// `ModelInferRequest.raw_input_contents`'s field number.
const RAW_INPUT_CONTENTS: u32 = 7;

/// Builds one v2 request: the `serialize` stage. `id`, where given, is the
/// request's `id` (the JSON body's, or `ModelInferRequest.id`).
pub fn serialize(
    model: &KserveModel,
    protocol: Protocol,
    payload: PayloadKind,
    image: Option<&EncodedImage>,
    id: Option<&str>,
) -> Result<WireRequest, KserveWireError> {
    if let Some(reason) = refusal(model, protocol, payload) {
        return Err(KserveWireError::Refused(reason));
    }
    let image = || image.ok_or(KserveWireError::NoImage(payload.name()));
    let shape = model
        .tensor_shape(payload)
        .map_err(KserveWireError::Refused)?;
    match (protocol, payload) {
        (Protocol::Rest | Protocol::RestH2, PayloadKind::Basic) => {
            rest_json(model, id, "FP32", shape, basic_values())
        }
        (Protocol::Rest | Protocol::RestH2, PayloadKind::B64) => {
            rest_json(model, id, "BYTES", shape, [base64_text(image()?)])
        }
        (Protocol::Rest | Protocol::RestH2, PayloadKind::Binary) => {
            rest_binary(model, id, &raw_tensor(model, payload, &shape, image)?)
        }
        (Protocol::Grpc, _) => grpc(model, id, &raw_tensor(model, payload, &shape, image)?),
        (Protocol::Tcp, _) => Err(KserveWireError::NoServer(protocol.label())),
    }
}

fn base64_text(image: &EncodedImage) -> String {
    base64::engine::general_purpose::STANDARD.encode(&image.bytes)
}

/// The payload as the model's input tensor in raw form, in `shape` (its
/// -1, where the length varies with the image, set to that length).
fn raw_tensor<'a>(
    model: &KserveModel,
    payload: PayloadKind,
    shape: &[i64],
    image: impl Fn() -> Result<&'a EncodedImage, KserveWireError>,
) -> Result<RawTensor, KserveWireError> {
    let bytes_element = |data: Bytes| {
        let length = u32::try_from(data.len()).map_err(|_| {
            KserveWireError::Refused("a BYTES element holds at most 4 GiB".to_string())
        })?;
        Ok(RawTensor {
            datatype: "BYTES",
            shape: shape.to_vec(),
            length_prefix: Some(length.to_le_bytes()),
            data,
        })
    };
    match (payload, model.input_kind()) {
        (PayloadKind::Basic, _) => {
            let values = basic_values();
            let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            Ok(RawTensor {
                datatype: "FP32",
                shape: shape.to_vec(),
                length_prefix: None,
                data: Bytes::from(data),
            })
        }
        (PayloadKind::B64, _) => bytes_element(Bytes::from(base64_text(image()?))),
        (PayloadKind::Binary, InputKind::Uint8) => {
            let bytes = &image()?.bytes;
            Ok(RawTensor {
                datatype: "UINT8",
                shape: with_count(shape, bytes.len()),
                length_prefix: None,
                data: bytes.clone(),
            })
        }
        (PayloadKind::Binary, _) => bytes_element(image()?.bytes.clone()),
    }
}

/// `POST /v2/models/{model}/infer` with the tensor's values inline.
fn rest_json<D: Serialize>(
    model: &KserveModel,
    id: Option<&str>,
    datatype: &'static str,
    shape: Vec<i64>,
    data: D,
) -> Result<WireRequest, KserveWireError> {
    let body = InferRequestJson {
        id,
        inputs: [InputJson {
            name: &model.input,
            shape,
            datatype,
            data: Some(data),
            parameters: None,
        }],
        parameters: None,
    };
    Ok(WireRequest {
        path: Cow::Owned(model.infer_path()),
        body: serde_json::to_vec(&body)?.into(),
        content_type: "application/json",
        headers: vec![],
    })
}

/// `POST /v2/models/{model}/infer`, binary tensor data extension: the JSON
/// header (its length in `Inference-Header-Content-Length`), then the
/// tensor's raw bytes (the image's own buffer, not a copy); outputs asked
/// for as JSON.
fn rest_binary(
    model: &KserveModel,
    id: Option<&str>,
    tensor: &RawTensor,
) -> Result<WireRequest, KserveWireError> {
    let header = InferRequestJson {
        id,
        inputs: [InputJson::<()> {
            name: &model.input,
            shape: tensor.shape.clone(),
            datatype: tensor.datatype,
            data: None,
            parameters: Some(InputParameters {
                binary_data_size: tensor.byte_len(),
            }),
        }],
        parameters: Some(RequestParameters {
            binary_data_output: false,
        }),
    };
    let header = Bytes::from(serde_json::to_vec(&header)?);
    let header_length = header.len();
    Ok(WireRequest {
        path: Cow::Owned(model.infer_path()),
        body: WireBody::from_parts(std::iter::once(header).chain(tensor.parts())),
        content_type: "application/octet-stream",
        headers: vec![(HEADER_LENGTH, header_length.to_string())],
    })
}

/// gRPC `ModelInfer` with the tensor in `raw_input_contents[0]`: the rest
/// of the message encoded by prost, then field 7 (`raw_input_contents`,
/// the last in field order) written as parts, so the image is not copied.
fn grpc(
    model: &KserveModel,
    id: Option<&str>,
    tensor: &RawTensor,
) -> Result<WireRequest, KserveWireError> {
    let message = pb::ModelInferRequest {
        model_name: model.name.clone(),
        id: id.map(str::to_owned).unwrap_or_default(),
        inputs: vec![pb::model_infer_request::InferInputTensor {
            name: model.input.clone(),
            datatype: tensor.datatype.to_string(),
            shape: tensor.shape.clone(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let raw_input_contents = image_body::bytes_field(RAW_INPUT_CONTENTS, &tensor.parts());
    let message = std::iter::once(Bytes::from(message.encode_to_vec()));
    Ok(WireRequest {
        path: Cow::Borrowed(paths::MODEL_INFER),
        body: WireBody::from_parts(message.chain(raw_input_contents)),
        content_type: "application/grpc",
        headers: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request without an id, as most tests want it.
    fn serialize(
        model: &KserveModel,
        protocol: Protocol,
        payload: PayloadKind,
        image: Option<&EncodedImage>,
    ) -> Result<WireRequest, KserveWireError> {
        super::serialize(model, protocol, payload, image, None)
    }

    #[test]
    fn the_id_goes_in_the_json_body_the_binary_header_and_model_infer_request() {
        let id = "4bf92f3577b34da6a3ce929d0e0e4736";
        let jpeg = image();
        let with_id = |protocol, payload| {
            super::serialize(&model("BYTES"), protocol, payload, Some(&jpeg), Some(id)).unwrap()
        };
        let json = with_id(Protocol::Rest, PayloadKind::B64).body.contiguous();
        let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(json["id"], id);
        let binary = with_id(Protocol::Rest, PayloadKind::Binary);
        let header_end = header_length(&binary);
        let body = binary.body.contiguous();
        let header: serde_json::Value = serde_json::from_slice(&body[..header_end]).unwrap();
        assert_eq!(header["id"], id);
        let grpc = with_id(Protocol::Grpc, PayloadKind::Binary)
            .body
            .contiguous();
        assert_eq!(pb::ModelInferRequest::decode(&grpc[..]).unwrap().id, id);
        let none = serialize(
            &model("BYTES"),
            Protocol::Rest,
            PayloadKind::B64,
            Some(&jpeg),
        );
        let none: serde_json::Value =
            serde_json::from_slice(&none.unwrap().body.contiguous()).unwrap();
        assert!(none.get("id").is_none(), "{none}");
    }

    fn model(datatype: &str) -> KserveModel {
        KserveModel::for_test(datatype)
    }

    fn image() -> EncodedImage {
        crate::wire::test_image(2, 1)
    }

    fn header_length(request: &WireRequest) -> usize {
        let (name, value) = &request.headers[0];
        assert_eq!(*name, HEADER_LENGTH);
        value.parse().unwrap()
    }

    #[test]
    fn rest_binary_is_a_json_header_then_a_length_prefixed_bytes_element() {
        let request = serialize(
            &model("BYTES"),
            Protocol::Rest,
            PayloadKind::Binary,
            Some(&image()),
        )
        .unwrap();
        assert_eq!(request.path, "/v2/models/decode/infer");
        assert_eq!(request.content_type, "application/octet-stream");
        let split = header_length(&request);
        let header: serde_json::Value =
            serde_json::from_slice(&request.body.contiguous()[..split]).unwrap();
        assert_eq!(
            header,
            serde_json::json!({
                "inputs": [{"name": "image", "shape": [1], "datatype": "BYTES",
                            "parameters": {"binary_data_size": 9}}],
                "parameters": {"binary_data_output": false},
            })
        );
        assert_eq!(
            &request.body.contiguous()[split..],
            &[5, 0, 0, 0, 0xff, 0xd8, 1, 2, 3]
        );
    }

    #[test]
    fn rest_binary_of_a_uint8_input_is_the_bytes_alone() {
        let request = serialize(
            &model("UINT8"),
            Protocol::Rest,
            PayloadKind::Binary,
            Some(&image()),
        )
        .unwrap();
        let split = header_length(&request);
        let header: serde_json::Value =
            serde_json::from_slice(&request.body.contiguous()[..split]).unwrap();
        assert_eq!(header["inputs"][0]["shape"], serde_json::json!([5]));
        assert_eq!(header["inputs"][0]["datatype"], "UINT8");
        assert_eq!(header["inputs"][0]["parameters"]["binary_data_size"], 5);
        assert_eq!(&request.body.contiguous()[split..], &image().bytes[..]);
    }

    #[test]
    fn rest_json_carries_the_base64_text_or_the_basic_floats() {
        let b64 = serialize(
            &model("BYTES"),
            Protocol::Rest,
            PayloadKind::B64,
            Some(&image()),
        )
        .unwrap();
        assert_eq!(b64.content_type, "application/json");
        assert!(b64.headers.is_empty());
        assert_eq!(
            &b64.body.contiguous()[..],
            br#"{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["/9gBAgM="]}]}"#
        );
        let basic = serialize(&model("FP32"), Protocol::Rest, PayloadKind::Basic, None).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&basic.body.contiguous()).unwrap();
        assert_eq!(json["inputs"][0]["shape"], serde_json::json!([100]));
        assert_eq!(json["inputs"][0]["data"][99], 99.0);
    }

    #[test]
    fn grpc_puts_the_length_prefixed_element_in_raw_input_contents() {
        let request = serialize(
            &model("BYTES"),
            Protocol::Grpc,
            PayloadKind::Binary,
            Some(&image()),
        )
        .unwrap();
        assert_eq!(request.path, paths::MODEL_INFER);
        let sent = pb::ModelInferRequest::decode(request.body.contiguous()).unwrap();
        assert_eq!(sent.model_name, "decode");
        let input = &sent.inputs[0];
        assert_eq!((&input.name[..], &input.datatype[..]), ("image", "BYTES"));
        assert_eq!(input.shape, [1]);
        assert!(input.contents.is_none());
        assert_eq!(
            &sent.raw_input_contents[0][..],
            &[5, 0, 0, 0, 0xff, 0xd8, 1, 2, 3]
        );
        assert_eq!(
            request.body.contiguous(),
            sent.encode_to_vec(),
            "byte for byte what prost writes"
        );
        let jpeg = image();
        for protocol in [Protocol::Grpc, Protocol::Rest] {
            let request = serialize(&model("BYTES"), protocol, PayloadKind::Binary, Some(&jpeg));
            let parts = request.unwrap().body.into_parts();
            let shared = parts.iter().any(|p| p.as_ptr() == jpeg.bytes.as_ptr());
            assert!(
                shared,
                "{protocol:?}: the image's own buffer is sent, not a copy"
            );
        }
        let b64 = serialize(
            &model("BYTES"),
            Protocol::Grpc,
            PayloadKind::B64,
            Some(&image()),
        )
        .unwrap();
        let sent = pb::ModelInferRequest::decode(b64.body.contiguous()).unwrap();
        assert_eq!(&sent.raw_input_contents[0][..], b"\x08\0\0\0/9gBAgM=");
        let basic = serialize(&model("FP32"), Protocol::Grpc, PayloadKind::Basic, None).unwrap();
        let sent = pb::ModelInferRequest::decode(basic.body.contiguous()).unwrap();
        assert_eq!(sent.inputs[0].shape, [100]);
        assert_eq!(sent.raw_input_contents[0].len(), 400);
    }

    #[test]
    fn refused_cells_and_missing_images_are_errors_not_requests() {
        let bytes = model("BYTES");
        let err = serialize(&bytes, Protocol::Rest, PayloadKind::Basic, None).unwrap_err();
        assert!(err.to_string().contains("FP32"), "{err}");
        let err = serialize(&bytes, Protocol::Grpc, PayloadKind::Binary, None).unwrap_err();
        assert!(matches!(err, KserveWireError::NoImage("binary")), "{err}");
        assert!(serialize(&bytes, Protocol::Tcp, PayloadKind::Binary, Some(&image())).is_err());
    }

    fn shaped(datatype: &str, dims: &[i64], batch: super::super::Batch) -> KserveModel {
        KserveModel {
            shape: super::super::InputShape {
                dims: Some(dims.to_vec()),
                batch,
            },
            ..model(datatype)
        }
    }

    #[test]
    fn every_request_takes_the_models_shape_with_a_batch_of_one() {
        use super::super::Batch;
        let image = image();
        let batched = shaped("BYTES", &[-1, 1], Batch::Batched(8));
        let json = serialize(&batched, Protocol::Rest, PayloadKind::B64, Some(&image)).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&json.body.contiguous()).unwrap();
        assert_eq!(json["inputs"][0]["shape"], serde_json::json!([1, 1]));
        let binary =
            serialize(&batched, Protocol::Rest, PayloadKind::Binary, Some(&image)).unwrap();
        let split = header_length(&binary);
        let header: serde_json::Value =
            serde_json::from_slice(&binary.body.contiguous()[..split]).unwrap();
        assert_eq!(header["inputs"][0]["shape"], serde_json::json!([1, 1]));
        let variable = shaped("BYTES", &[-1, -1], Batch::Batched(8));
        let grpc = serialize(&variable, Protocol::Grpc, PayloadKind::Binary, Some(&image)).unwrap();
        let sent = pb::ModelInferRequest::decode(grpc.body.contiguous()).unwrap();
        assert_eq!(sent.inputs[0].shape, [1, 1]);
        let vector = shaped("UINT8", &[-1, -1], Batch::Batched(4));
        let grpc = serialize(&vector, Protocol::Grpc, PayloadKind::Binary, Some(&image)).unwrap();
        let sent = pb::ModelInferRequest::decode(grpc.body.contiguous()).unwrap();
        assert_eq!(sent.inputs[0].shape, [1, 5]);
        let pixels = shaped("UINT8", &[-1, 224, 224, 3], Batch::Batched(4));
        let err =
            serialize(&pixels, Protocol::Rest, PayloadKind::Binary, Some(&image)).unwrap_err();
        assert!(err.to_string().contains("[-1, 224, 224, 3]"), "{err}");
    }
}
