//! `--target kserve-v2` against a v2 server that is not imgwire's and
//! differs where the protocol allows (a small server on 127.0.0.1:0, REST
//! and gRPC on one port): a batching model whose input `image` is BYTES of
//! metadata shape [-1, 1] (config `max_batch_size` 8) and which refuses any
//! other shape as Triton does, answering two outputs (a BYTES label and an
//! FP32 score) instead of a size; a model no image fits; and statistics
//! routes that hang, flood or answer garbage. Real Triton is in
//! tests/kserve_target.rs.

use crate::common;
use crate::variant_servers;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use common::bench_report as bench;
use imgwire::wire::proto::kserve as pb;
use prost::Message;
use serde_json::json;
use std::sync::{Arc, Mutex};
use variant_servers::{grpc_error, grpc_message, grpc_ok, serve, VariantServer};

/// How the variant's statistics route behaves.
#[derive(Clone, Copy, PartialEq)]
enum Stats {
    /// Triton's shape, counting the infers.
    Counted,
    /// Never answers.
    Hangs,
    /// Answers 17 MiB.
    Floods,
    /// Answers JSON that is not statistics.
    Garbage,
}

/// What the variant saw: each infer's input shape, by protocol.
#[derive(Default)]
struct Seen {
    shapes: Mutex<Vec<(&'static str, Vec<i64>)>>,
}

/// The models: (name, input, datatype, metadata shape).
const MODELS: [(&str, &str, &str, [i64; 2]); 2] = [
    ("batched", "image", "BYTES", [-1, 1]),
    ("pixels", "pixels", "UINT8", [-1, 150_528]),
];

fn model(name: &str) -> Option<(&'static str, &'static str, [i64; 2])> {
    MODELS.iter().find(|m| m.0 == name).map(|m| (m.1, m.2, m.3))
}

fn variant(stats: Stats) -> (VariantServer, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let state = (stats, seen.clone());
    let router = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let (stats, seen) = state.clone();
            async move { route(stats, &seen, method, uri.path(), &headers, &body).await }
        },
    );
    (serve(router), seen)
}

async fn route(
    stats: Stats,
    seen: &Seen,
    method: Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    if let Some(method) = path.strip_prefix("/inference.GRPCInferenceService/") {
        return grpc(method, seen, grpc_message(body));
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ok = |value| variant_servers::json(StatusCode::OK, value);
    match (method, parts.as_slice()) {
        (Method::GET, ["v2", "health", "ready"]) => ok(json!({})),
        (Method::GET, ["v2", "models", name, rest @ ..]) => {
            let Some((input, datatype, shape)) = model(name) else {
                let error =
                    json!({"error": format!("Request for unknown model: '{name}' is not found")});
                return variant_servers::json(StatusCode::BAD_REQUEST, error);
            };
            match rest {
                [] => ok(
                    json!({"name": name, "versions": ["1"], "platform": "variant",
                    "inputs": [{"name": input, "datatype": datatype, "shape": shape}],
                    "outputs": [{"name": "label", "datatype": "BYTES", "shape": [-1, 1]}]}),
                ),
                ["ready"] => ok(json!({})),
                ["config"] => ok(json!({"name": name, "max_batch_size": 8})),
                ["stats"] => statistics(stats, seen).await,
                _ => variant_servers::json(StatusCode::NOT_FOUND, json!({"error": "no route"})),
            }
        }
        (Method::POST, ["v2", "models", "batched", "infer"]) => rest_infer(seen, headers, body),
        _ => variant_servers::json(StatusCode::NOT_FOUND, json!({"error": "no route"})),
    }
}

/// A v2 REST infer of `batched`: JSON, or the binary extension's header.
fn rest_infer(seen: &Seen, headers: &HeaderMap, body: &[u8]) -> Response {
    let split = headers
        .get("inference-header-content-length")
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .unwrap_or(body.len());
    let request: serde_json::Value = serde_json::from_slice(&body[..split]).unwrap_or_default();
    let input = &request["inputs"][0];
    let shape: Vec<i64> = serde_json::from_value(input["shape"].clone()).unwrap_or_default();
    seen.shapes.lock().unwrap().push(("rest", shape.clone()));
    if let Some(refusal) = shape_refusal(&shape) {
        return variant_servers::json(StatusCode::BAD_REQUEST, json!({"error": refusal}));
    }
    variant_servers::json(
        StatusCode::OK,
        json!({"model_name": "batched", "model_version": "1", "outputs": [
            {"name": "label", "datatype": "BYTES", "shape": [1, 1], "data": ["landscape"]},
            {"name": "score", "datatype": "FP32", "shape": [1, 1], "data": [1.5]}]}),
    )
}

/// Triton's refusal of a shape its batching model does not take.
fn shape_refusal(shape: &[i64]) -> Option<String> {
    (shape != [1, 1]).then(|| {
        format!(
            "[request id: <id_unknown>] unexpected shape for input 'image' for model \
             'batched'. Expected [-1,1], got {shape:?}"
        )
    })
}

fn grpc(method: &str, seen: &Seen, message: &[u8]) -> Response {
    match method {
        "ServerReady" => grpc_ok(pb::ServerReadyResponse { ready: true }.encode_to_vec()),
        "ModelReady" => grpc_ok(pb::ModelReadyResponse { ready: true }.encode_to_vec()),
        "ModelMetadata" => grpc_ok(
            pb::ModelMetadataResponse {
                name: "batched".into(),
                versions: vec!["1".into()],
                platform: "variant".into(),
                inputs: vec![pb::model_metadata_response::TensorMetadata {
                    name: "image".into(),
                    datatype: "BYTES".into(),
                    shape: vec![-1, 1],
                }],
                outputs: vec![],
            }
            .encode_to_vec(),
        ),
        // Triton's ModelConfigResponse { config { max_batch_size: 8 } }:
        // field 1 (message), inside it field 4 (varint).
        "ModelConfig" => grpc_ok(vec![0x0a, 0x02, 0x20, 0x08]),
        "ModelInfer" => grpc_infer(seen, message),
        _ => grpc_error(12, "unimplemented"),
    }
}

fn grpc_infer(seen: &Seen, message: &[u8]) -> Response {
    let Ok(request) = pb::ModelInferRequest::decode(message) else {
        return grpc_error(3, "not a ModelInferRequest");
    };
    let shape = request
        .inputs
        .first()
        .map(|i| i.shape.clone())
        .unwrap_or_default();
    seen.shapes.lock().unwrap().push(("grpc", shape.clone()));
    if let Some(refusal) = shape_refusal(&shape) {
        return grpc_error(3, &refusal);
    }
    let tensor = |name: &str, datatype: &str| pb::model_infer_response::InferOutputTensor {
        name: name.into(),
        datatype: datatype.into(),
        shape: vec![1, 1],
        ..Default::default()
    };
    let mut label = 9u32.to_le_bytes().to_vec();
    label.extend_from_slice(b"landscape");
    let answer = pb::ModelInferResponse {
        model_name: "batched".into(),
        model_version: "1".into(),
        outputs: vec![tensor("label", "BYTES"), tensor("score", "FP32")],
        raw_output_contents: vec![label.into(), 1.5f32.to_le_bytes().to_vec().into()],
        ..Default::default()
    };
    grpc_ok(answer.encode_to_vec())
}

async fn statistics(stats: Stats, seen: &Seen) -> Response {
    let count = seen.shapes.lock().unwrap().len();
    let ns = |n: usize| json!({"count": count, "ns": n * count});
    match stats {
        Stats::Counted => variant_servers::json(
            StatusCode::OK,
            json!({"model_stats": [{"name": "batched", "version": "1", "inference_stats": {
                "success": ns(4000), "queue": ns(100), "compute_input": ns(200),
                "compute_infer": ns(3000), "compute_output": ns(300)}}]}),
        ),
        Stats::Hangs => std::future::pending().await,
        Stats::Floods => Response::new(vec![b' '; 17 << 20].into()),
        Stats::Garbage => variant_servers::json(StatusCode::OK, json!({"model_stats": "busy"})),
    }
}

const SMALL: [&str; 8] = ["--sizes", "120x160", "-c", "2", "-n", "2", "--warmup", "1"];

/// `--target kserve-v2 --model MODEL`, then `rest`, then the small run.
fn kserve_args<'a>(model: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--target", "kserve-v2", "--model", model];
    args.extend_from_slice(rest);
    args.extend(SMALL);
    args
}

#[test]
fn a_batching_models_shape_is_filled_over_rest_json_binary_and_grpc() {
    let (server, seen) = variant(Stats::Counted);
    let url = server.url.as_str();
    let args = kserve_args(
        "batched",
        &[
            "--rest-url",
            url,
            "--grpc-url",
            url,
            "--payloads",
            "b64,binary",
        ],
    );
    let report = bench(&args).expect("the default protocols (REST and gRPC) run");
    let labels: Vec<String> = report.scenarios.iter().map(|s| s.label()).collect();
    assert_eq!(report.scenarios.len(), 4, "{labels:?}");
    for s in &report.scenarios {
        common::assert_ran_clean(s, 4, "batched");
        let stats = s.server_stats.as_ref().expect("the variant's statistics");
        assert!(stats.problem.is_none() && stats.requests > 0, "{stats:?}");
    }
    let shapes = seen.shapes.lock().unwrap();
    for protocol in ["rest", "grpc"] {
        assert!(
            shapes.iter().any(|(p, _)| *p == protocol),
            "{protocol}: {shapes:?}"
        );
    }
    assert!(shapes.iter().all(|(_, s)| s == &[1, 1]), "{shapes:?}");
}

#[test]
fn over_grpc_alone_the_shape_and_batching_come_from_grpc() {
    let (server, seen) = variant(Stats::Counted);
    let args = kserve_args(
        "batched",
        &["--grpc-url", &server.url, "--payloads", "binary"],
    );
    let report = bench(&args).expect("gRPC alone, chosen by default from the URL given");
    assert_eq!(report.scenarios.len(), 1);
    assert_eq!(report.scenarios[0].scenario.protocol.name(), "grpc");
    assert_eq!(
        report.scenarios[0].errors, 0,
        "{:?}",
        report.scenarios[0].error_examples
    );
    let shapes = seen.shapes.lock().unwrap();
    assert!(!shapes.is_empty() && shapes.iter().all(|(p, s)| *p == "grpc" && s == &[1, 1]));
}

#[test]
fn a_model_no_image_fits_is_refused_in_one_line_naming_its_shape_and_the_flags() {
    let (server, seen) = variant(Stats::Counted);
    let url = server.url.as_str();
    let args = kserve_args(
        "pixels",
        &[
            "--rest-url",
            url,
            "--protocols",
            "rest",
            "--payloads",
            "binary",
        ],
    );
    let err = format!("{:#}", bench(&args).expect_err("no JPEG fits [-1, 150528]"));
    assert!(!err.contains('\n'), "one line: {err}");
    assert!(
        err.contains("[-1, 150528]") && err.contains("max_batch_size 8"),
        "{err}"
    );
    assert!(
        err.contains("--input-name") && err.contains("--input-datatype"),
        "{err}"
    );
    assert!(seen.shapes.lock().unwrap().is_empty(), "nothing was sent");
}

/// Runs the imgwire binary (so its stderr can be read) against a variant,
/// benchmarking the batching model over REST and gRPC, with `extra` flags.
fn bench_process(server: &VariantServer, extra: &[&str]) -> std::process::Output {
    let url = server.url.as_str();
    let mut flags = vec![
        "--rest-url",
        url,
        "--grpc-url",
        url,
        "--payloads",
        "binary",
        "--brief",
    ];
    flags.extend_from_slice(extra);
    std::process::Command::new(env!("CARGO_BIN_EXE_imgwire"))
        .arg("bench")
        .args(kserve_args("batched", &flags))
        .output()
        .expect("imgwire runs")
}

#[test]
fn statistics_that_hang_flood_or_are_garbage_warn_and_the_run_goes_on() {
    for (stats, says) in [
        (Stats::Hangs, "sent no statistics within 5 s"),
        (Stats::Floods, "length limit"),
        (Stats::Garbage, "did not answer Triton statistics"),
    ] {
        let (server, _) = variant(stats);
        let output = bench_process(&server, &["--quiet"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{says}: {stderr}");
        let warning = stderr
            .lines()
            .find(|l| l.starts_with("no server statistics:"))
            .unwrap_or_else(|| panic!("{says}: no warning in {stderr}"));
        assert!(warning.contains(says), "{warning}");
        assert!(
            warning.contains("within 5 s and up to 16 MiB") && warning.contains("--stats-url"),
            "{warning}"
        );
        let stdout = String::from_utf8_lossy(&output.stdout).to_lowercase();
        assert!(
            stdout.contains("grpc") && stdout.contains("rest"),
            "{stdout}"
        );
    }
}

#[test]
fn the_default_protocols_are_said_and_an_explicit_tcp_is_refused() {
    let (server, _) = variant(Stats::Counted);
    let output = bench_process(&server, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "protocols: rest,grpc (the default for --target kserve-v2, which has no tcp floor \
             server)"
        ),
        "{stderr}"
    );
    // The report's header says it too (stdout, and every output's settings).
    let stdout = String::from_utf8_lossy(&output.stdout);
    let header = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("protocols: "));
    assert!(
        header.is_some_and(|l| l.contains("rest,grpc") && l.contains("--target kserve-v2")),
        "{stdout}"
    );
    let args = kserve_args(
        "batched",
        &["--rest-url", &server.url, "--protocols", "rest,tcp"],
    );
    let err = bench(&args)
        .expect_err("kserve-v2 has no tcp floor")
        .to_string();
    assert!(err.contains("--protocols") && err.contains("tcp"), "{err}");
}
