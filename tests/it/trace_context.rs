//! Trace context on every request: a W3C `traceparent` (REST header, gRPC
//! metadata) fresh for each request, checked by a server that only records
//! what it received (a TorchServe-speaking variant), and by the built-in
//! server, which answers under it (`traceresponse`) and, on its KServe v2
//! routes, echoes the request `id`, which is the trace id.

use crate::common;
use crate::variant_servers;

use axum::body::Bytes;
use axum::http::{HeaderMap, Uri};
use imgwire::encoders::{encode_frame, make_encoder, EncodeSettings, EncoderKind, Subsampling};
use imgwire::frame::{generate, Content};
use imgwire::protocol::Protocol;
use imgwire::target::kserve::wire::{Batch, InputShape, KserveModel};
use imgwire::target::kserve::KserveWire;
use imgwire::target::TargetWire;
use imgwire::trace_context::TraceParent;
use imgwire::transport::Client;
use imgwire::wire::proto::{kserve as kpb, torchserve as pb};
use imgwire::wire::{EncodedImage, PayloadKind};
use prost::Message;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// The `traceparent` values a variant server received, by path kind.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A TorchServe-speaking server (REST and gRPC on one port) that answers
/// every prediction with a fixed text and records each request's
/// `traceparent`, header or metadata.
fn recording_torchserve() -> (variant_servers::VariantServer, Seen) {
    let seen = Seen::default();
    let record = seen.clone();
    let router = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
        let record = record.clone();
        async move {
            let path = uri.path().to_string();
            let trace = headers
                .get("traceparent")
                .map(|v| v.to_str().unwrap_or("<not text>").to_string());
            if path.contains("Predictions") || path.starts_with("/predictions/") {
                record.lock().unwrap().push((path.clone(), trace));
            }
            if path.ends_with("/Predictions") {
                let _ = variant_servers::grpc_message(&body);
                let answer = pb::PredictionResponse {
                    prediction: b"ok".to_vec().into(),
                    ..Default::default()
                };
                return variant_servers::grpc_ok(answer.encode_to_vec());
            }
            if path.ends_with("/Ping") {
                let health = pb::TorchServeHealthResponse {
                    health: "{\"status\": \"Healthy\"}".into(),
                };
                return variant_servers::grpc_ok(health.encode_to_vec());
            }
            let ok = axum::http::StatusCode::OK;
            variant_servers::json(ok, serde_json::json!({"status": "Healthy"}))
        }
    });
    (variant_servers::serve(router), seen)
}

/// Checks `value` against the W3C Trace Context recommendation, version
/// 00, independently of imgwire's own parser; returns its trace id and
/// span id.
fn valid_w3c(value: &str) -> (String, String) {
    let fields: Vec<&str> = value.split('-').collect();
    assert_eq!(fields.len(), 4, "{value}");
    let lower_hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    assert_eq!(fields[0], "00", "{value}");
    assert!(
        lower_hex(fields[1], 32) && lower_hex(fields[2], 16),
        "{value}"
    );
    assert!(lower_hex(fields[3], 2), "{value}");
    assert!(
        fields[1].bytes().any(|b| b != b'0'),
        "all-zero trace id: {value}"
    );
    assert!(
        fields[2].bytes().any(|b| b != b'0'),
        "all-zero span id: {value}"
    );
    assert_eq!(fields[3], "01", "sampled: {value}");
    (fields[1].to_string(), fields[2].to_string())
}

fn torchserve_args<'a>(url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--target", "torchserve", "--model", "any"];
    args.extend(["--rest-url", url, "--grpc-url", url, "--stats-url", url]);
    args.extend(["--protocols", "rest,grpc", "--payloads", "binary"]);
    args.extend(["--sizes", "48x64", "-c", "3", "-n", "2", "--warmup", "1"]);
    args.extend_from_slice(extra);
    args
}

#[test]
fn every_request_carries_its_own_valid_traceparent_over_rest_and_grpc() {
    let (server, seen) = recording_torchserve();
    let report = common::bench_report(&torchserve_args(&server.url, &[])).expect("the run");
    assert_eq!(report.scenarios.len(), 2);
    let seen = seen.lock().unwrap().clone();
    // 2 scenarios of (1 warm-up + 2) bursts of 3.
    assert!(seen.len() >= 18, "{} requests seen", seen.len());
    let grpc = seen
        .iter()
        .filter(|(p, _)| p.ends_with("/Predictions"))
        .count();
    assert!(grpc >= 9, "gRPC requests seen: {grpc}");
    let mut traces = HashSet::new();
    let mut spans = HashSet::new();
    for (path, value) in &seen {
        let value = value
            .as_deref()
            .unwrap_or_else(|| panic!("{path}: no traceparent"));
        let (trace, span) = valid_w3c(value);
        assert!(traces.insert(trace), "a trace id twice: {value}");
        assert!(spans.insert(span), "a span id twice: {value}");
    }
}

#[test]
fn no_traceparent_sends_none() {
    let (server, seen) = recording_torchserve();
    let args = torchserve_args(&server.url, &["--no-traceparent"]);
    common::bench_report(&args).expect("the run");
    let seen = seen.lock().unwrap().clone();
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|(_, v)| v.is_none()), "{seen:?}");
}

/// A 48x64 JPEG.
fn jpeg() -> EncodedImage {
    let frame = generate(Content::Noise, "48x64".parse().expect("a size"), 1, 0);
    let settings = EncodeSettings {
        quality: 90,
        subsampling: Subsampling::S420,
    };
    let mut encoder = make_encoder(EncoderKind::ImageRs, settings).expect("an encoder");
    encode_frame(encoder.as_mut(), &frame).expect("a JPEG")
}

/// The built-in server's v2 model, as `--target kserve-v2` learns it.
fn builtin_v2() -> KserveWire {
    KserveWire(KserveModel {
        name: "decode".into(),
        input: "image".into(),
        datatype: "BYTES".into(),
        shape: InputShape {
            dims: Some(vec![1]),
            batch: Batch::Unbatched,
        },
    })
}

/// The `id` of a v2 answer: REST JSON, or gRPC `ModelInferResponse`.
fn answer_id(protocol: Protocol, body: &[u8]) -> String {
    match protocol {
        Protocol::Grpc => kpb::ModelInferResponse::decode(body).expect("an answer").id,
        _ => {
            let json: serde_json::Value = serde_json::from_slice(body).expect("JSON");
            json["id"].as_str().unwrap_or_default().to_string()
        }
    }
}

#[test]
fn the_builtin_server_answers_under_each_requests_trace_and_echoes_its_v2_id() {
    let servers = common::start_servers(common::default_server_config());
    let urls = [
        (Protocol::Rest, format!("http://{}", servers.rest_addr)),
        (Protocol::RestH2, format!("http://{}", servers.rest_addr)),
        (Protocol::Grpc, format!("http://{}", servers.grpc_addr)),
    ];
    let wire = builtin_v2();
    let image = jpeg();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let settings = common::client_settings(1, 1);
        for (protocol, url) in &urls {
            let client = Client::connect(*protocol, url, &settings).await.expect(url);
            let mut spans = HashSet::new();
            for _ in 0..5 {
                let trace = TraceParent::new_root();
                let request = wire
                    .serialize_traced(*protocol, PayloadKind::Binary, Some(&image), Some(&trace))
                    .expect("a request");
                let exchange = client.call(0, request).await.expect("an answer");
                let echo = exchange.trace_response.expect("a traceresponse");
                let (trace_id, span_id) = valid_w3c(echo.to_str().expect("text"));
                assert_eq!(trace_id, trace.trace_id_hex(), "{protocol:?}");
                assert_ne!(span_id, trace.span_id_hex(), "the server's own span");
                assert!(spans.insert(span_id), "a server span twice");
                let id = answer_id(*protocol, &exchange.body);
                assert_eq!(id, trace.trace_id_hex(), "{protocol:?}: the v2 answer's id");
            }
            let untraced = wire
                .serialize(*protocol, PayloadKind::Binary, Some(&image))
                .expect("a request");
            let mut off = settings.clone();
            off.traceparent = false;
            let plain = Client::connect(*protocol, url, &off).await.expect(url);
            let exchange = plain.call(0, untraced).await.expect("an answer");
            assert_eq!(
                exchange.trace_response, None,
                "{protocol:?}: no trace, no answer under one"
            );
        }
    });
}

/// A kserve-v2 run against the built-in server: every answer is under its
/// own request's trace (no timing warning), and the per-request trace
/// (`--trace`) names each request's trace id, one per request.
#[test]
fn a_run_against_the_builtin_server_has_no_trace_mismatch() {
    let servers = common::start_servers(common::default_server_config());
    let rest = format!("http://{}", servers.rest_addr);
    let grpc = format!("http://{}", servers.grpc_addr);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let trace_path = dir.path().join("trace.json");
    let trace_arg = trace_path.display().to_string();
    let mut args = vec!["--target", "kserve-v2", "--model", "decode"];
    args.extend(["--rest-url", &rest, "--grpc-url", &grpc]);
    args.extend(["--protocols", "rest,grpc", "--payloads", "binary,b64"]);
    args.extend(["--trace", &trace_arg]);
    args.extend(common::SMALL_RUN.args());
    let report = common::bench_report(&args).expect("the run");
    assert_eq!(report.scenarios.len(), 4);
    for s in &report.scenarios {
        common::assert_ran_clean(s, 6, "kserve-v2 against imgwire serve");
        assert_eq!(s.timing_warnings, 0, "{:?}", s.timing_warning_examples);
    }
    let trace: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&trace_path).expect("the trace")).expect("JSON");
    let events = trace["traceEvents"].as_array().expect("traceEvents");
    let ids: Vec<&str> = events
        .iter()
        .filter(|e| e["cat"] == "request")
        .map(|e| e["args"]["trace_id"].as_str().expect("a trace_id arg"))
        .collect();
    assert!(
        ids.len() >= 24,
        "4 scenarios of 3 bursts of 2: {}",
        ids.len()
    );
    assert!(ids
        .iter()
        .all(|id| id.len() == 32 && u128::from_str_radix(id, 16).is_ok()));
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ids.len(),
        "one id each"
    );
}
