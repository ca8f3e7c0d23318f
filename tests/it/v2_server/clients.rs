//! The v2 test's clients and requests: HTTP/1.1 exchanges (tests/common),
//! `inference.GRPCInferenceService` calls over tonic's raw codec,
//! JPEGs of a known size, and the infer requests tritonclient would send.

use base64::Engine;
use bytes::Bytes;
use imgwire::protocol::Protocol;
use imgwire::server::Servers;
use imgwire::wire::codec::RawCodec;
use imgwire::wire::proto::kserve as pb;
use imgwire::wire::server_timing::ServerTimings;
use prost::Message;
use serde_json::{json, Value};

pub use super::common::raw_http::{http, Exchange};

/// A gRPC client of `inference.GRPCInferenceService` over the raw codec.
pub struct Grpc {
    url: String,
    runtime: tokio::runtime::Runtime,
}

impl Grpc {
    pub fn connect(servers: &Servers) -> Grpc {
        Grpc {
            url: servers.url(Protocol::Grpc),
            runtime: tokio::runtime::Runtime::new().unwrap(),
        }
    }

    pub fn raw(
        &self,
        method: &str,
        body: Vec<u8>,
    ) -> Result<tonic::Response<Bytes>, tonic::Status> {
        let path = format!("/inference.GRPCInferenceService/{method}");
        let url = self.url.clone();
        self.runtime.block_on(async move {
            let endpoint = tonic::transport::Endpoint::from_shared(url).unwrap();
            let mut grpc = tonic::client::Grpc::new(endpoint.connect().await.unwrap())
                .max_encoding_message_size(64 << 20);
            grpc.ready().await.unwrap();
            let path = http::uri::PathAndQuery::try_from(path).unwrap();
            grpc.unary(tonic::Request::new(Bytes::from(body)), path, RawCodec)
                .await
        })
    }

    pub fn call<M: Message + Default>(
        &self,
        method: &str,
        body: Vec<u8>,
    ) -> Result<M, tonic::Status> {
        self.raw(method, body)
            .map(|answer| M::decode(answer.into_inner()).unwrap())
    }

    pub fn infer(
        &self,
        request: pb::ModelInferRequest,
    ) -> Result<tonic::Response<Bytes>, tonic::Status> {
        self.raw("ModelInfer", request.encode_to_vec())
    }
}

/// A JPEG of `height` x `width` pixels.
pub fn jpeg(height: u32, width: u32) -> Vec<u8> {
    let size = format!("{height}x{width}").parse().unwrap();
    let frame = imgwire::frame::generate(imgwire::frame::Content::Natural, size, 1, 0);
    let settings = imgwire::encoders::EncodeSettings {
        quality: 85,
        subsampling: imgwire::encoders::Subsampling::S420,
    };
    let mut encoder =
        imgwire::encoders::make_encoder(imgwire::encoders::EncoderKind::Turbojpeg, settings)
            .unwrap();
    encoder.encode(&frame).unwrap()
}

/// A serialized BYTES element: u32 little-endian length, then the bytes.
pub fn element(bytes: &[u8]) -> Vec<u8> {
    let mut out = (bytes.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn get(servers: &Servers, path: &str) -> Exchange {
    http(servers.rest_addr, "GET", path, &[], b"")
}

pub fn post_json(servers: &Servers, model: &str, body: &Value) -> Exchange {
    let path = format!("/v2/models/{model}/infer");
    let headers = [("content-type", "application/json")];
    http(
        servers.rest_addr,
        "POST",
        &path,
        &headers,
        body.to_string().as_bytes(),
    )
}

/// A binary tensor data request: `header` as JSON, then `binary`.
pub fn post_binary(servers: &Servers, header: &Value, binary: &[u8]) -> Exchange {
    let header = header.to_string();
    let length = header.len().to_string();
    let headers = [
        ("content-type", "application/octet-stream"),
        ("inference-header-content-length", length.as_str()),
    ];
    let body = [header.as_bytes(), binary].concat();
    http(
        servers.rest_addr,
        "POST",
        "/v2/models/decode/infer",
        &headers,
        &body,
    )
}

/// The request header tritonclient sends for one binary JPEG input.
pub fn binary_header(jpeg: &[u8], parameters: Value) -> Value {
    json!({
        "inputs": [{"name": "image", "shape": [1], "datatype": "BYTES",
                    "parameters": {"binary_data_size": jpeg.len() + 4}}],
        "parameters": parameters,
    })
}

pub fn json_request(jpeg: &[u8]) -> Value {
    json!({"inputs": [{"name": "image", "shape": [1], "datatype": "BYTES", "data": [b64(jpeg)]}]})
}

pub fn answered_size(answer: &Value) -> Value {
    answer["outputs"][0]["data"].clone()
}

pub fn model_infer(model: &str, raw: Vec<u8>) -> pb::ModelInferRequest {
    pb::ModelInferRequest {
        model_name: model.into(),
        inputs: vec![pb::model_infer_request::InferInputTensor {
            name: "image".into(),
            datatype: "BYTES".into(),
            shape: vec![1],
            ..Default::default()
        }],
        raw_input_contents: vec![Bytes::from(raw)],
        ..Default::default()
    }
}

pub fn metadata_stages(metadata: &tonic::metadata::MetadataMap) -> Vec<&'static str> {
    let text = metadata.get("server-timing").expect("server-timing sent");
    let timings = ServerTimings::parse(text.to_str().unwrap()).unwrap();
    timings.entries().iter().map(|(s, _)| s.name()).collect()
}
