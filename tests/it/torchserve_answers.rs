//! `--target torchserve` against a small server on 127.0.0.1:0 that speaks
//! TorchServe's inference API (REST and gRPC on one port) as deployments
//! with other handlers do: a classifier's top-5 JSON, plain text, raw bytes.
//! Any successful answer with a body passes and its size is reported;
//! `--expect-json-keys` checks content only when asked. The real TorchServe
//! answering the same ways is in tests/torchserve_target.rs.

use crate::common;
use crate::variant_servers;

use axum::body::Bytes;
use axum::http::{StatusCode, Uri};
use common::bench_report as bench;
use imgwire::wire::proto::torchserve as pb;
use prost::Message;

const LOAD: [&str; 6] = ["-c", "4", "-n", "2", "--warmup", "1"];

/// `--target torchserve --model MODEL` against `server` (REST and gRPC on
/// its one port, statistics at `stats_url`), binary 120x160 images, then
/// `extra` and the load.
fn variant_args<'a>(
    server: &'a variant_servers::VariantServer,
    stats_url: &'a str,
    model: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let url = server.url.as_str();
    let mut args = vec![
        "--target",
        "torchserve",
        "--model",
        model,
        "--rest-url",
        url,
    ];
    args.extend(["--grpc-url", url, "--stats-url", stats_url]);
    args.extend(["--payloads", "binary", "--sizes", "120x160"]);
    args.extend_from_slice(extra);
    args.extend(LOAD);
    args
}

/// What the variant handlers answer, by model.
fn variant_answer(model: &str) -> Option<&'static [u8]> {
    Some(match model {
        "top5" => br#"{"tabby": 0.41, "tiger_cat": 0.2, "Egyptian_cat": 0.1, "lynx": 0.05, "cougar": 0.01}"#,
        "text" => b"landscape 160x120",
        "raw" => &[0x00, 0xff, 0x10, 0x80, 0xfe],
        _ => return None,
    })
}

/// TorchServe's inference API as another deployment answers it: /ping,
/// `/predictions/{top5,text,raw}`, gRPC `Ping` and `Predictions`.
fn variant_torchserve() -> variant_servers::VariantServer {
    let router = axum::Router::new().fallback(|uri: Uri, body: Bytes| async move {
        let path = uri.path();
        if let Some(method) =
            path.strip_prefix("/org.pytorch.serve.grpc.inference.InferenceAPIsService/")
        {
            let message = variant_servers::grpc_message(&body);
            return match method {
                "Ping" => variant_servers::grpc_ok(
                    pb::TorchServeHealthResponse {
                        health: "{\n  \"status\": \"Healthy\"\n}".into(),
                    }
                    .encode_to_vec(),
                ),
                "Predictions" => match pb::PredictionsRequest::decode(message) {
                    Ok(request) => match variant_answer(&request.model_name) {
                        Some(answer) => variant_servers::grpc_ok(
                            pb::PredictionResponse {
                                prediction: answer.to_vec().into(),
                                ..Default::default()
                            }
                            .encode_to_vec(),
                        ),
                        None => variant_servers::grpc_error(5, "Model not found"),
                    },
                    Err(_) => variant_servers::grpc_error(3, "not a PredictionsRequest"),
                },
                _ => variant_servers::grpc_error(12, "unimplemented"),
            };
        }
        if path == "/hanging-metrics" {
            return std::future::pending().await;
        }
        if path == "/ping" {
            return variant_servers::json(StatusCode::OK, serde_json::json!({"status": "Healthy"}));
        }
        match path.strip_prefix("/predictions/").and_then(variant_answer) {
            Some(answer) => axum::response::Response::new(answer.to_vec().into()),
            None => variant_servers::json(StatusCode::NOT_FOUND, serde_json::json!({"code": 404})),
        }
    });
    variant_servers::serve(router)
}

#[test]
fn any_handlers_answer_passes_and_its_size_is_reported() {
    let server = variant_torchserve();
    let stats_url = format!("{}/no-metrics", server.url);
    for model in ["top5", "text", "raw"] {
        let args = variant_args(&server, &stats_url, model, &[]);
        let report = bench(&args).unwrap_or_else(|e| panic!("{model}: {e:#}"));
        assert_eq!(
            report.scenarios.len(),
            2,
            "{model}: binary over the default REST and gRPC"
        );
        let answer = variant_answer(model).unwrap().len() as u64;
        for s in &report.scenarios {
            common::assert_ran_clean(s, 8, model);
            let body = s.bytes.response_body_bytes;
            match s.scenario.protocol.name() {
                "rest" => assert_eq!(body, answer, "{model}: the handler's answer"),
                _ => assert!(
                    body > answer,
                    "{model}: the PredictionResponse holds it: {body}"
                ),
            }
        }
    }
}

#[test]
fn expected_json_keys_are_checked_when_asked_for() {
    let server = variant_torchserve();
    let stats_url = format!("{}/no-metrics", server.url);
    let run = |model: &str, keys: &str| {
        bench(&variant_args(
            &server,
            &stats_url,
            model,
            &["--expect-json-keys", keys],
        ))
    };
    let report = run("top5", "tabby,lynx").expect("the top-5 JSON has both keys");
    assert!(report.scenarios.iter().all(|s| s.errors == 0));
    for (model, keys, says) in [
        (
            "top5",
            "height,width",
            r#"lacks "height", "width" (--expect-json-keys height,width)"#,
        ),
        ("text", "label", "is not JSON"),
        ("raw", "label", "5 bytes that are not UTF-8 text"),
    ] {
        let err = format!(
            "{:#}",
            run(model, keys).expect_err("the answer lacks the keys")
        );
        assert!(!err.contains('\n'), "one line: {err}");
        assert!(
            err.contains(says) && err.contains("--expect-json-keys"),
            "{model}: {err}"
        );
    }
    let err = bench(&[
        "--target",
        "seed",
        "--rest-url",
        &server.url,
        "--protocols",
        "rest",
        "--expect-json-keys",
        "a",
    ])
    .expect_err("seed answers are checked against the post's types");
    assert!(
        err.to_string()
            .contains("--expect-json-keys checks TorchServe's answers"),
        "{err}"
    );
}

#[test]
fn a_metrics_page_that_hangs_is_given_up_with_a_warning_and_the_run_goes_on() {
    let server = variant_torchserve();
    let hanging = format!("{}/hanging-metrics", server.url);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_imgwire"))
        .args([
            "bench",
            "--target",
            "torchserve",
            "--model",
            "text",
            "--rest-url",
            &server.url,
            "--stats-url",
            &hanging,
            "--payloads",
            "binary",
            "--sizes",
            "120x160",
            "--brief",
        ])
        .args(LOAD)
        .output()
        .expect("imgwire runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("protocols: rest (the default for --target torchserve")
            && stderr.contains("with only --rest-url given)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sent no statistics within 5 s")
            && stderr.contains("read within 5 s and up to 16 MiB"),
        "{stderr}"
    );
    assert!(
        stderr.contains("answered a first REST prediction with 17 bytes: landscape 160x120"),
        "{stderr}"
    );
}
