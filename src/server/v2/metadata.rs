//! What the server and its model say about themselves (`GET /v2`,
//! `GET /v2/models/{m}`, gRPC ServerMetadata and ModelMetadata), in the
//! words targets/triton's Triton says them.

use super::tensor::{INPUT, INPUT_DATATYPE, INPUT_SHAPE, OUTPUT, OUTPUT_DATATYPE, OUTPUT_SHAPE};
use super::MODEL_VERSION;
use crate::wire::proto::kserve as pb;
use pb::model_metadata_response::TensorMetadata;
use serde::Serialize;

/// The server's name in its metadata.
const SERVER_NAME: &str = "imgwire";
/// The v2 extensions served: the binary tensor data of REST infer, and
/// `GET /v2/models/{m}/stats`.
const EXTENSIONS: [&str; 2] = ["binary_tensor_data", "statistics"];
/// The model's platform (Triton's is the backend: "python").
const PLATFORM: &str = "imgwire";

/// `GET /v2`.
#[derive(Serialize)]
pub struct ServerJson {
    name: &'static str,
    version: &'static str,
    extensions: [&'static str; 2],
}

/// `GET /v2/models/{m}`, its keys in Triton's order.
#[derive(Serialize)]
pub struct ModelJson {
    name: String,
    versions: Vec<String>,
    platform: String,
    inputs: Vec<TensorJson>,
    outputs: Vec<TensorJson>,
}

#[derive(Serialize)]
struct TensorJson {
    name: String,
    datatype: String,
    shape: Vec<i64>,
}

pub fn server_json() -> ServerJson {
    ServerJson {
        name: SERVER_NAME,
        version: env!("CARGO_PKG_VERSION"),
        extensions: EXTENSIONS,
    }
}

pub fn server_proto() -> pb::ServerMetadataResponse {
    let described = server_json();
    pb::ServerMetadataResponse {
        name: described.name.into(),
        version: described.version.into(),
        extensions: described.extensions.map(String::from).to_vec(),
    }
}

/// The same metadata as `model_proto`, with its shapes as JSON numbers.
pub fn model_json(model: &str) -> ModelJson {
    let tensors = |list: Vec<TensorMetadata>| {
        list.into_iter()
            .map(|t| TensorJson {
                name: t.name,
                datatype: t.datatype,
                shape: t.shape,
            })
            .collect()
    };
    let described = model_proto(model);
    ModelJson {
        name: described.name,
        versions: described.versions,
        platform: described.platform,
        inputs: tensors(described.inputs),
        outputs: tensors(described.outputs),
    }
}

pub fn model_proto(model: &str) -> pb::ModelMetadataResponse {
    let tensor = |name: &str, datatype: &str, shape: &[i64]| TensorMetadata {
        name: name.into(),
        datatype: datatype.into(),
        shape: shape.to_vec(),
    };
    pb::ModelMetadataResponse {
        name: model.into(),
        versions: vec![MODEL_VERSION.into()],
        platform: PLATFORM.into(),
        inputs: vec![tensor(INPUT, INPUT_DATATYPE, &INPUT_SHAPE)],
        outputs: vec![tensor(OUTPUT, OUTPUT_DATATYPE, &OUTPUT_SHAPE)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_metadata_is_the_triton_target_s_but_for_the_platform() {
        let triton = r#"{"name":"decode","versions":["1"],"platform":"python","inputs":[{"name":"image","datatype":"BYTES","shape":[1]}],"outputs":[{"name":"size","datatype":"INT32","shape":[2]}]}"#;
        let ours = serde_json::to_string(&model_json("decode")).unwrap();
        assert_eq!(ours.replace("\"imgwire\"", "\"python\""), triton);
    }
}
