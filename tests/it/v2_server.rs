//! The built-in servers answer the Open Inference Protocol (KServe v2) as
//! targets/triton's Triton model does: every REST route over real HTTP and
//! every gRPC method over real HTTP/2, the answers' [height, width], the
//! statistics counting what was sent, and refusals that name the problem.
//! The last test has NVIDIA's own tritonclient call `imgwire serve`.

use crate::clients;
use crate::common;

use bytes::Bytes;
use clients::{
    answered_size, b64, binary_header, element, get, http, jpeg, json_request, metadata_stages,
    model_infer, post_binary, post_json, Exchange, Grpc,
};
use common::{server_config, start_servers};
use imgwire::server::{ServerConfig, Servers};
use imgwire::wire::proto::kserve as pb;
use prost::Message;
use serde_json::{json, Value};

/// The stages of an infer request answered with its image decoded.
const ANSWERED: [&str; 5] = [
    "server.receive",
    "server.deserialize",
    "server.queue",
    "server.decode",
    "server.respond",
];

#[test]
fn rest_health_and_metadata_answer_as_triton_does() {
    let servers = start_servers(server_config(&[]));
    let server = get(&servers, "/v2");
    assert_eq!(server.status, 200);
    assert_eq!(server.json()["name"], "imgwire");
    assert_eq!(
        server.json()["extensions"],
        json!(["binary_tensor_data", "statistics"])
    );
    for path in [
        "/v2/health/live",
        "/v2/health/ready",
        "/v2/models/decode/ready",
        "/v2/models/decode/versions/1/ready",
    ] {
        assert_eq!(get(&servers, path).status, 200, "{path}");
    }
    let metadata = get(&servers, "/v2/models/decode");
    assert_eq!(metadata.header("content-type"), Some("application/json"));
    assert_eq!(
        metadata.text(),
        r#"{"name":"decode","versions":["1"],"platform":"imgwire","inputs":[{"name":"image","datatype":"BYTES","shape":[1]}],"outputs":[{"name":"size","datatype":"INT32","shape":[2]}]}"#
    );
    let unknown = get(&servers, "/v2/models/nope");
    assert_eq!(unknown.status, 400);
    assert_eq!(
        unknown.text(),
        r#"{"error":"Request for unknown model: 'nope' is not found"}"#
    );
    assert_eq!(get(&servers, "/v2/models/nope/ready").status, 400);
    let version = get(&servers, "/v2/models/decode/versions/2/ready");
    assert_eq!(version.status, 400);
    assert_eq!(
        version.json()["error"],
        "Request for unknown model: 'decode' version 2 is not found"
    );
}

#[test]
fn rest_infer_answers_the_jpeg_s_height_and_width_every_way() {
    let servers = start_servers(server_config(&[]));
    let image = jpeg(96, 160);

    let answered = post_json(&servers, "decode", &json_request(&image));
    assert_eq!(answered.status, 200, "{}", answered.text());
    assert_eq!(
        answered.text(),
        r#"{"model_name":"decode","model_version":"1","outputs":[{"name":"size","datatype":"INT32","shape":[2],"data":[96,160]}]}"#
    );
    assert_eq!(answered.stages(), ANSWERED);

    let json_out = json!({"outputs": [{"name": "size", "parameters": {"binary_data": false}}]});
    let mut header = binary_header(&image, json!({}));
    header["outputs"] = json_out["outputs"].clone();
    header["id"] = json!("frame-7");
    let answered = post_binary(&servers, &header, &element(&image));
    assert_eq!(answered.status, 200, "{}", answered.text());
    assert_eq!(answered.json()["id"], "frame-7");
    assert_eq!(answered_size(&answered.json()), json!([96, 160]));
    assert_eq!(answered.stages(), ANSWERED);

    // The element may be base64 text of the JPEG, as the Triton model takes it.
    let text = b64(&image);
    let header = binary_header(text.as_bytes(), json!({}));
    let answered = post_binary(&servers, &header, &element(text.as_bytes()));
    assert_eq!(answered_size(&answered.json()), json!([96, 160]));

    let header = binary_header(&image, json!({"binary_data_output": true}));
    let answered = post_binary(&servers, &header, &element(&image));
    assert_eq!(answered.status, 200);
    assert_eq!(
        answered.header("content-type"),
        Some("application/octet-stream")
    );
    let length: usize = answered
        .header("inference-header-content-length")
        .unwrap()
        .parse()
        .unwrap();
    let (head, raw) = answered.body.split_at(length);
    let head: Value = serde_json::from_slice(head).unwrap();
    assert_eq!(head["outputs"][0]["parameters"]["binary_data_size"], 8);
    assert_eq!(raw, [96i32.to_le_bytes(), 160i32.to_le_bytes()].concat());
    assert_eq!(answered.stages(), ANSWERED);
}

#[test]
fn v2_model_renames_the_model_on_both_ports() {
    let config = ServerConfig {
        v2_model: "resnet".into(),
        ..server_config(&[])
    };
    let servers = start_servers(config);
    let answered = post_json(&servers, "resnet", &json_request(&jpeg(16, 24)));
    assert_eq!(answered_size(&answered.json()), json!([16, 24]));
    assert_eq!(answered.json()["model_name"], "resnet");
    assert_eq!(get(&servers, "/v2/models/resnet/ready").status, 200);
    assert_eq!(get(&servers, "/v2/models/decode/ready").status, 400);
    let grpc = Grpc::connect(&servers);
    let ready = |name: &str| {
        let asked = pb::ModelReadyRequest {
            name: name.into(),
            version: String::new(),
        };
        grpc.call::<pb::ModelReadyResponse>("ModelReady", asked.encode_to_vec())
            .unwrap()
            .ready
    };
    assert!(ready("resnet"));
    assert!(!ready("decode"));
}

/// `model_stats[0].inference_stats` now.
fn inference_stats(servers: &Servers) -> Value {
    let answered = get(servers, "/v2/models/decode/stats");
    assert_eq!(answered.status, 200);
    let stats = answered.json();
    assert_eq!(stats["model_stats"][0]["name"], "decode");
    assert_eq!(stats["model_stats"][0]["version"], "1");
    stats["model_stats"][0]["inference_stats"].clone()
}

#[test]
fn stats_count_every_infer_request_sent_over_rest_and_grpc() {
    let servers = start_servers(server_config(&[]));
    let before = inference_stats(&servers);
    let image = jpeg(32, 48);
    for _ in 0..3 {
        assert_eq!(
            post_json(&servers, "decode", &json_request(&image)).status,
            200
        );
    }
    let grpc = Grpc::connect(&servers);
    grpc.infer(model_infer("decode", element(&image))).unwrap();
    let refused = post_json(&servers, "decode", &json!({"inputs": []}));
    assert_eq!(refused.status, 400);
    // Another model's request is no request of this model.
    assert_eq!(
        post_json(&servers, "nope", &json_request(&image)).status,
        400
    );
    let after = inference_stats(&servers);
    let grew = |name: &str| {
        after[name]["count"].as_u64().unwrap() - before[name]["count"].as_u64().unwrap()
    };
    assert_eq!(grew("success"), 4);
    assert_eq!(grew("fail"), 1);
    for name in ["queue", "compute_input", "compute_infer", "compute_output"] {
        assert_eq!(grew(name), 4, "{name}");
    }
    let all = get(&servers, "/v2/models/stats").json();
    assert_eq!(all["model_stats"][0]["inference_count"], 4);
}

/// Asserts `answered` is a refusal with `status` whose error says `words`.
fn refusal(answered: Exchange, status: u16, words: &str) {
    assert_eq!(answered.status, status, "{}", answered.text());
    let error = answered.json()["error"].as_str().unwrap().to_string();
    assert!(error.contains(words), "{error} should say {words}");
}

#[test]
fn rest_refusals_name_the_problem_and_the_server_keeps_answering() {
    let servers = start_servers(server_config(&["--max-message-mb", "1"]));
    let image = jpeg(16, 24);
    json_bodies_are_refused_by_name(&servers, &image);
    binary_bodies_are_refused_by_name(&servers, &image);
    let garbage = json!({"inputs": [{"name": "image", "shape": [1], "datatype": "BYTES", "data": [b64(b"GIF89a")]}]});
    refusal(
        post_json(&servers, "decode", &garbage),
        422,
        "not a readable JPEG",
    );
    let big = json_request(&vec![0xAB; 1 << 20]);
    refusal(post_json(&servers, "decode", &big), 413, "--max-message-mb");
    let answered = post_json(&servers, "decode", &json_request(&image));
    assert_eq!(
        answered_size(&answered.json()),
        json!([16, 24]),
        "still answering"
    );
}

/// JSON bodies the decode model cannot take (cut short, a wrong data type,
/// shape or output) are each refused with 400, naming what is wrong.
fn json_bodies_are_refused_by_name(servers: &Servers, image: &[u8]) {
    let post_raw = |body: &[u8]| {
        let headers = [("content-type", "application/json")];
        http(
            servers.rest_addr,
            "POST",
            "/v2/models/decode/infer",
            &headers,
            body,
        )
    };
    refusal(
        post_raw(b"{\"inputs\": ["),
        400,
        "not a v2 inference request",
    );
    let mut uint8 = json_request(image);
    uint8["inputs"][0]["datatype"] = json!("UINT8");
    refusal(
        post_json(servers, "decode", &uint8),
        400,
        "data-type is 'UINT8', but model 'decode' expects 'BYTES'",
    );
    let mut two = json_request(image);
    two["inputs"][0]["shape"] = json!([2]);
    refusal(
        post_json(servers, "decode", &two),
        400,
        "Expected [1], got [2]",
    );
    let mut output = json_request(image);
    output["outputs"] = json!([{"name": "labels"}]);
    refusal(
        post_json(servers, "decode", &output),
        400,
        "unexpected inference output 'labels'",
    );
}

/// Binary-extension bodies whose lengths do not add up are each refused
/// with 400, naming the length that is wrong.
fn binary_bodies_are_refused_by_name(servers: &Servers, image: &[u8]) {
    let header = binary_header(image, json!({}));
    // The JPEG alone: its first four bytes read as a length far past the end.
    let mut unframed = image.to_vec();
    unframed.extend_from_slice(&[0; 4]);
    refusal(
        post_binary(servers, &header, &unframed),
        400,
        "incomplete string data for inference input 'image'",
    );
    let tiny = binary_header(&[], json!({}));
    refusal(
        post_binary(servers, &tiny, &[1, 2, 3, 4][..2]),
        400,
        "binary_data_size 4 but the body has 2 bytes",
    );
    let too_few = json!({"inputs": [{"name": "image", "shape": [1], "datatype": "BYTES", "parameters": {"binary_data_size": 2}}]});
    refusal(
        post_binary(servers, &too_few, &[1, 2]),
        400,
        "too few for the 4-byte length",
    );
    let past_end = [
        ("content-type", "application/octet-stream"),
        ("inference-header-content-length", "999"),
    ];
    let answered = http(
        servers.rest_addr,
        "POST",
        "/v2/models/decode/infer",
        &past_end,
        b"{}",
    );
    refusal(answered, 400, "Inference-Header-Content-Length '999'");
}

#[test]
fn grpc_answers_every_method_as_triton_does() {
    let servers = start_servers(server_config(&[]));
    let grpc = Grpc::connect(&servers);
    let live: pb::ServerLiveResponse = grpc.call("ServerLive", vec![]).unwrap();
    assert!(live.live);
    let ready: pb::ServerReadyResponse = grpc.call("ServerReady", vec![]).unwrap();
    assert!(ready.ready);
    let server: pb::ServerMetadataResponse = grpc.call("ServerMetadata", vec![]).unwrap();
    assert_eq!(server.name, "imgwire");
    assert_eq!(server.extensions, ["binary_tensor_data", "statistics"]);
    let asked = |name: &str| {
        pb::ModelMetadataRequest {
            name: name.into(),
            version: String::new(),
        }
        .encode_to_vec()
    };
    let model: pb::ModelMetadataResponse = grpc.call("ModelMetadata", asked("decode")).unwrap();
    assert_eq!(
        (model.name.as_str(), model.versions),
        ("decode", vec!["1".to_string()])
    );
    assert_eq!(model.inputs[0].name, "image");
    assert_eq!(model.inputs[0].datatype, "BYTES");
    assert_eq!(model.inputs[0].shape, [1]);
    assert_eq!(model.outputs[0].name, "size");
    assert_eq!(model.outputs[0].datatype, "INT32");
    assert_eq!(model.outputs[0].shape, [2]);
    let unknown = grpc
        .call::<pb::ModelMetadataResponse>("ModelMetadata", asked("nope"))
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);
    assert_eq!(
        unknown.message(),
        "Request for unknown model: 'nope' is not found"
    );
    let nothing = grpc.raw("ModelStatistics", vec![]).unwrap_err();
    assert_eq!(nothing.code(), tonic::Code::Unimplemented);
}

#[test]
fn grpc_model_infer_answers_the_jpeg_s_height_and_width() {
    let servers = start_servers(server_config(&["--max-message-mb", "1"]));
    let grpc = Grpc::connect(&servers);
    let image = jpeg(96, 160);
    let mut request = model_infer("decode", element(&image));
    request.id = "frame-9".into();
    let answered = grpc.infer(request).unwrap();
    assert_eq!(metadata_stages(answered.metadata()), ANSWERED);
    let answer = pb::ModelInferResponse::decode(answered.into_inner()).unwrap();
    assert_eq!(
        (answer.model_name.as_str(), answer.model_version.as_str()),
        ("decode", "1")
    );
    assert_eq!(answer.id, "frame-9");
    let output = &answer.outputs[0];
    assert_eq!(
        (output.name.as_str(), output.datatype.as_str()),
        ("size", "INT32")
    );
    assert_eq!(output.shape, [2]);
    assert_eq!(
        answer.raw_output_contents[0][..],
        [96i32.to_le_bytes(), 160i32.to_le_bytes()].concat()
    );

    let mut listed = model_infer("decode", vec![]);
    listed.raw_input_contents.clear();
    listed.inputs[0].contents = Some(pb::InferTensorContents {
        bytes_contents: vec![Bytes::from(image.clone())],
        ..Default::default()
    });
    let answer = pb::ModelInferResponse::decode(grpc.infer(listed).unwrap().into_inner()).unwrap();
    assert_eq!(
        answer.raw_output_contents[0][..],
        [96i32.to_le_bytes(), 160i32.to_le_bytes()].concat()
    );
    grpc_refusals_name_the_problem(&grpc, &image);
    assert!(
        grpc.infer(model_infer("decode", element(&image))).is_ok(),
        "still answering"
    );
}

/// ModelInfer requests the decode model cannot take (an unframed JPEG, a
/// wrong data type, an unknown model, bytes that are no request, one over
/// --max-message-mb) are each refused with the status and words that fit.
fn grpc_refusals_name_the_problem(grpc: &Grpc, image: &[u8]) {
    let unframed = grpc
        .infer(model_infer("decode", image.to_vec()))
        .unwrap_err();
    assert_eq!(unframed.code(), tonic::Code::InvalidArgument);
    assert!(
        unframed
            .message()
            .contains("incomplete string data for inference input 'image'"),
        "{}",
        unframed.message()
    );
    let mut uint8 = model_infer("decode", element(image));
    uint8.inputs[0].datatype = "UINT8".into();
    let refused = grpc.infer(uint8).unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(
        refused.message().contains("expects 'BYTES'"),
        "{}",
        refused.message()
    );
    let unknown = grpc.infer(model_infer("nope", element(image))).unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);
    let garbage = grpc.raw("ModelInfer", vec![0xff, 0xff, 0xff]).unwrap_err();
    assert_eq!(garbage.code(), tonic::Code::InvalidArgument);
    assert!(
        garbage.message().contains("not a ModelInferRequest"),
        "{}",
        garbage.message()
    );
    let big = grpc
        .infer(model_infer("decode", element(&vec![0; 1 << 20])))
        .unwrap_err();
    assert_eq!(big.code(), tonic::Code::ResourceExhausted);
    assert!(
        big.message().contains("--max-message-mb"),
        "{}",
        big.message()
    );
}

#[test]
#[ignore = "needs Python: tritonclient"]
fn tritonclient_calls_imgwire_serve_over_http_and_grpc() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("1080x1920.jpg");
    std::fs::write(&image, jpeg(1080, 1920)).unwrap();
    let (_serve, rest_url, grpc_url, _) = common::serve_process::serve_process(&[]);
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("targets/tritonclient/run-check.sh");
    let status = std::process::Command::new(script)
        .args([&rest_url, &grpc_url])
        .arg(&image)
        .args(["1080", "1920"])
        .status()
        .expect("targets/tritonclient/run-check.sh runs");
    assert!(status.success(), "tritonclient's checks failed: {status}");
}

#[test]
fn v2_model_takes_only_names_that_fit_a_url_path() {
    use clap::Parser;
    let parsed =
        |name: &str| imgwire::Cli::try_parse_from(["imgwire", "serve", "--v2-model", name]);
    assert!(parsed("resnet-50_v1.5").is_ok());
    let refused = parsed("a/b").unwrap_err().to_string();
    assert!(refused.contains("'a/b' is not a model name"), "{refused}");
}
