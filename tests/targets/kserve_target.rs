//! `imgwire bench --target kserve-v2` against a real Triton Inference Server
//! (PyTriton's tritonserver on CPU, started by targets/triton/run.sh on free
//! ports): every cell a model takes runs and is checked, the one it cannot
//! take is reported with its reason, Triton's statistics become each
//! scenario's server stages, and a wrong URL or model fails before anything
//! is measured with one line naming its flag; with `--collect-traces`,
//! Triton's own OpenTelemetry trace gives each request its server stages. Beside `decode` (no batching,
//! input [1]), models that batch (`decode_batch`: max_batch_size 8, dims
//! [1]; `decode_batch_var`: dims [-1], answering a label and a score) run
//! over REST JSON, REST binary and gRPC, and `pixels` (UINT8 [224, 224, 3])
//! is refused naming its shape.

use crate::common;

use common::{bench_plan as plan, bench_report as bench, free_port, target_script};
use imgwire::encoders::{encode_frame, make_encoder, EncodeSettings, EncoderKind, Subsampling};
use imgwire::frame::{generate, Content};
use imgwire::protocol::Protocol;
use imgwire::stage::Stage;
use imgwire::target::kserve::wire::{Batch, InputShape, KserveModel, KserveWireError};
use imgwire::target::kserve::KserveWire;
use imgwire::target::TargetWire;
use imgwire::transport::Client;
use imgwire::wire::{EncodedImage, PayloadKind};
use std::process::Command as Process;

/// Triton, started by run.sh (which waits until the model is ready) and
/// stopped by stop.sh when dropped.
struct Triton {
    rest_url: String,
    grpc_url: String,
    /// Where Triton sends its OpenTelemetry trace (OTLP/HTTP JSON), for
    /// `--collect-traces`; nothing listens there unless a run does.
    otlp_addr: String,
}

impl Triton {
    fn start() -> Triton {
        let (http, grpc, metrics, otlp) = (free_port(), free_port(), free_port(), free_port());
        let otlp_addr = format!("127.0.0.1:{otlp}");
        let status = Process::new(target_script("triton", "run.sh"))
            .args([http.to_string(), grpc.to_string(), metrics.to_string()])
            .env("TRITON_OTLP_URL", format!("http://{otlp_addr}/v1/traces"))
            .status()
            .expect("targets/triton/run.sh runs");
        let triton = Triton {
            rest_url: format!("http://127.0.0.1:{http}"),
            grpc_url: format!("http://127.0.0.1:{grpc}"),
            otlp_addr,
        };
        assert!(status.success(), "targets/triton/run.sh failed: {status}");
        triton
    }
}

impl Drop for Triton {
    fn drop(&mut self) {
        let _ = Process::new(target_script("triton", "stop.sh")).status();
    }
}

/// A small load, so the whole matrix runs in seconds on CPU.
const SMALL_LOAD: [&str; 6] = ["-c", "2", "-n", "2", "--warmup", "1"];

#[test]
#[ignore = "needs Python: starts targets/triton/run.sh"]
fn triton_answers_every_cell_it_takes_and_its_statistics_are_read() {
    let triton = Triton::start();
    every_accepted_cell_runs_checked_with_server_stats(&triton);
    batching_models_run_every_way_in_their_own_shapes(&triton);
    a_model_no_image_fits_is_refused_naming_its_shape(&triton);
    real_answers_pass_and_a_cut_one_fails(&triton);
    grpc_alone_learns_the_model_over_grpc_and_has_no_stats(&triton);
    a_route_without_statistics_is_run_without_them(&triton);
    an_unknown_model_fails_naming_the_flag(&triton);
    tritons_own_trace_gives_every_request_its_server_stages(&triton);
}

/// With `--collect-traces`, every counted request gets Triton's queue and
/// compute stages from Triton's own trace, joined by id, on both protocols
/// and with a batching model; their means agree with what Triton's
/// statistics extension counted for the same requests (an independent
/// reading of the same server), and the request's stages still add up.
fn tritons_own_trace_gives_every_request_its_server_stages(triton: &Triton) {
    for model in ["decode", "decode_batch"] {
        let mut args = vec![
            "--target",
            "kserve-v2",
            "--model",
            model,
            "--rest-url",
            &triton.rest_url,
            "--grpc-url",
            &triton.grpc_url,
            "--payloads",
            "binary",
            "--sizes",
            "120x160",
            "--collect-traces",
            &triton.otlp_addr,
            "-n",
            "10",
        ];
        let dir = tempfile::tempdir().unwrap();
        let markdown = dir.path().join("run.md");
        args.extend(["-c", "2", "--warmup", "1", "--export-markdown"]);
        args.push(markdown.to_str().unwrap());
        let report = bench(&args).expect("the traced run succeeds");
        let page = std::fs::read_to_string(&markdown).unwrap();
        let said = "have server stages from the server's own trace";
        assert_eq!(page.matches(said).count(), 2, "per scenario: {page}");
        assert_eq!(report.scenarios.len(), 2, "REST and gRPC");
        for s in &report.scenarios {
            let label = format!("{model} {}", s.label());
            let join = s.server_trace.as_ref().expect("a trace join per scenario");
            assert_eq!((join.requests, s.requests), (20, 20), "{label}: {join:?}");
            // Batched requests may end their compute after their answer
            // left; such a request's stages are refused, never stretched.
            assert_eq!(join.not_received + join.incomplete, 0, "{label}: {join:?}");
            assert!(join.joined >= 18, "{label}: {join:?}");
            assert!(join.source.contains(&triton.otlp_addr), "{}", join.source);
            let stats = s.server_stats.as_ref().expect("Triton's statistics");
            for stage in [Stage::ServerQueue, Stage::ServerInfer] {
                let traced = s
                    .stage(stage)
                    .unwrap_or_else(|| panic!("{label}: {stage:?}"));
                assert_eq!(
                    traced.count, join.joined,
                    "{label}: one sample per joined request"
                );
                assert!(traced.p50_ns <= traced.p99_ns, "{label}: {traced:?}");
                let counted = stats.mean_ns[&stage] as f64;
                let traced_mean = traced.mean_ns as f64;
                let close = (traced_mean - counted).abs() <= 0.02 * counted + 20_000.0;
                // Where the statistics counted other requests too (a refused
                // one, a straggler of the warm-up), the joined ones' time is
                // at most all of theirs.
                let within = traced_mean * join.joined as f64
                    <= 1.02 * counted * stats.requests as f64 + 20_000.0;
                let same_requests = stats.requests == join.joined as u64;
                let agree = if same_requests { close } else { within };
                assert!(
                    agree,
                    "{label} {stage:?}: trace {traced:?} vs stats {stats:?}"
                );
            }
            let transport = s.stage(Stage::Transport).expect("transport").mean_ns;
            assert_eq!(s.stage(Stage::Transport).unwrap().count, s.requests);
            assert!(
                transport > 0,
                "{label}: the round trip less the server's stages"
            );
        }
    }
}

fn every_accepted_cell_runs_checked_with_server_stats(triton: &Triton) {
    let mut args = vec![
        "--target",
        "kserve-v2",
        "--model",
        "decode",
        "--rest-url",
        &triton.rest_url,
        "--grpc-url",
        &triton.grpc_url,
        "--protocols",
        "rest,grpc",
        "--payloads",
        "basic,b64,binary",
        "--sizes",
        "120x160,1080x1920",
    ];
    args.extend(SMALL_LOAD);
    let report = bench(&args).expect("the run against Triton succeeds");
    assert!(report.complete);
    assert_eq!(
        report.scenarios.len(),
        8,
        "2 sizes x b64, binary x REST, gRPC"
    );
    for s in &report.scenarios {
        let label = s.label();
        assert_ne!(s.scenario.payload, PayloadKind::Basic, "{label}");
        common::assert_ran_clean(s, 4, "triton");
        let stats = s.server_stats.as_ref().expect("Triton's statistics");
        assert!(stats.problem.is_none(), "{label}: {stats:?}");
        assert!(stats.requests > 0, "{label}: {stats:?}");
        assert!(stats.mean_ns[&Stage::ServerInfer] > 0, "{label}: {stats:?}");
        assert!(
            stats.source.contains("/v2/models/decode/stats"),
            "{}",
            stats.source
        );
    }
    let refused: Vec<_> = report
        .not_applicable
        .iter()
        .map(|n| (n.payload, n.protocol, n.reason.as_str()))
        .collect();
    let reason = "the model's input `image` is BYTES; basic sends an FP32 tensor";
    assert_eq!(
        refused,
        [
            (PayloadKind::Basic, Protocol::Rest, reason),
            (PayloadKind::Basic, Protocol::Grpc, reason)
        ]
    );
}

/// The batching models run with default protocols (REST and gRPC), b64 (a
/// JSON BYTES tensor) and binary (the binary extension), each request in
/// the model's shape ([1, 1]); Triton refuses any other shape with a 400.
fn batching_models_run_every_way_in_their_own_shapes(triton: &Triton) {
    for model in ["decode_batch", "decode_batch_var"] {
        let mut args = vec![
            "--target",
            "kserve-v2",
            "--model",
            model,
            "--rest-url",
            &triton.rest_url,
            "--grpc-url",
            &triton.grpc_url,
            "--payloads",
            "b64,binary",
            "--sizes",
            "120x160",
        ];
        args.extend(SMALL_LOAD);
        let report = bench(&args).unwrap_or_else(|e| panic!("{model}: {e:#}"));
        assert_eq!(
            report.scenarios.len(),
            4,
            "{model}: b64, binary x REST, gRPC"
        );
        for s in &report.scenarios {
            common::assert_ran_clean(s, 4, model);
            let stats = s.server_stats.as_ref().expect("Triton's statistics");
            assert!(stats.problem.is_none(), "{model} {}: {stats:?}", s.label());
        }
    }
}

fn a_model_no_image_fits_is_refused_naming_its_shape(triton: &Triton) {
    let mut args = vec![
        "--target",
        "kserve-v2",
        "--model",
        "pixels",
        "--rest-url",
        &triton.rest_url,
        "--grpc-url",
        &triton.grpc_url,
        "--sizes",
        "120x160",
    ];
    args.extend(SMALL_LOAD);
    let err = format!(
        "{:#}",
        bench(&args).expect_err("no JPEG fits [-1, 224, 224, 3]")
    );
    assert!(!err.contains('\n'), "one line: {err}");
    assert!(
        err.contains("`pixels` has shape [-1, 224, 224, 3]")
            && err.contains("max_batch_size 8")
            && err.contains("--input-name"),
        "{err}"
    );
}

/// A JPEG of `size` (HEIGHTxWIDTH).
fn jpeg(size: &str) -> EncodedImage {
    let size = size.parse().expect("a size");
    let frame = generate(Content::Noise, size, 1, 0);
    let settings = EncodeSettings {
        quality: 90,
        subsampling: Subsampling::S420,
    };
    let mut encoder = make_encoder(EncoderKind::ImageRs, settings).expect("an encoder");
    encode_frame(encoder.as_mut(), &frame).expect("a JPEG")
}

/// Triton's own answers to real requests (one output, or a label and a
/// score from a batch) pass the protocol's check; the same answer cut
/// short fails it.
fn real_answers_pass_and_a_cut_one_fails(triton: &Triton) {
    let settings = plan(&["--protocols", "rest", "--rest-url", &triton.rest_url]).client;
    let wire = |name: &str, dims: Vec<i64>, batch| {
        KserveWire(KserveModel {
            name: name.into(),
            input: "image".into(),
            datatype: "BYTES".into(),
            shape: InputShape {
                dims: Some(dims),
                batch,
            },
        })
    };
    let models = [
        wire("decode", vec![1], Batch::Unbatched),
        wire("decode_batch_var", vec![-1, -1], Batch::Batched(8)),
    ];
    let image = jpeg("120x160");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    for (protocol, url) in [
        (Protocol::Rest, &triton.rest_url),
        (Protocol::Grpc, &triton.grpc_url),
    ] {
        for wire in &models {
            let answer = runtime.block_on(async {
                let client = Client::connect(protocol, url, &settings).await?;
                let request = wire.serialize(protocol, PayloadKind::Binary, Some(&image))?;
                client.call(0, request).await
            });
            let body = answer.expect("Triton answers").body;
            let parse = |body: &[u8]| {
                wire.parse_response(protocol, PayloadKind::Binary, body, Some(&image.meta))
            };
            parse(&body).unwrap_or_else(|e| panic!("{protocol:?} {wire:?}: {e:#}"));
            let err = parse(&body[..body.len() - 2]).expect_err("a cut answer");
            assert!(
                err.downcast_ref::<KserveWireError>().is_some(),
                "{protocol:?}: {err}"
            );
        }
    }
}

fn grpc_alone_learns_the_model_over_grpc_and_has_no_stats(triton: &Triton) {
    let mut args = vec![
        "--target",
        "kserve-v2",
        "--model",
        "decode",
        "--grpc-url",
        &triton.grpc_url,
        "--protocols",
        "grpc",
        "--payloads",
        "b64,binary",
        "--sizes",
        "120x160",
    ];
    args.extend(SMALL_LOAD);
    let report = bench(&args).expect("the gRPC-only run succeeds");
    assert_eq!(report.scenarios.len(), 2);
    for s in &report.scenarios {
        assert_eq!((s.errors, s.requests), (0, 4), "{}", s.label());
        assert!(s.server_stats.is_none(), "no --rest-url, no --stats-url");
    }
}

fn a_route_without_statistics_is_run_without_them(triton: &Triton) {
    let no_stats = format!("{}/no/such/stats", triton.rest_url);
    let mut args = vec![
        "--target",
        "kserve-v2",
        "--model",
        "decode",
        "--rest-url",
        &triton.rest_url,
        "--stats-url",
        &no_stats,
        "--protocols",
        "rest",
        "--payloads",
        "binary",
        "--sizes",
        "120x160",
    ];
    args.extend(SMALL_LOAD);
    let report = bench(&args).expect("a 404 statistics route does not stop the run");
    assert_eq!(report.scenarios.len(), 1);
    assert_eq!(report.scenarios[0].errors, 0);
    assert!(report.scenarios[0].server_stats.is_none());
}

fn an_unknown_model_fails_naming_the_flag(triton: &Triton) {
    for (protocols, url_flag, url) in [
        ("rest", "--rest-url", &triton.rest_url),
        ("grpc", "--grpc-url", &triton.grpc_url),
    ] {
        let err = bench(&[
            "--target",
            "kserve-v2",
            "--model",
            "nope",
            url_flag,
            url,
            "--protocols",
            protocols,
            "--sizes",
            "120x160",
        ])
        .expect_err("no model 'nope' on Triton");
        let text = format!("{err:#}");
        assert!(
            text.contains("--model") && text.contains("'nope'") && text.contains(url.as_str()),
            "{protocols}: {text}"
        );
        assert!(!text.contains('\n'), "one line: {text}");
    }
}

#[test]
fn an_unreachable_server_fails_naming_its_url_and_flag() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    for (protocols, flag) in [("rest", "--rest-url"), ("grpc", "--grpc-url")] {
        let err = bench(&[
            "--target",
            "kserve-v2",
            "--model",
            "decode",
            flag,
            &url,
            "--protocols",
            protocols,
            "--sizes",
            "120x160",
        ])
        .expect_err("nothing listens there");
        let text = format!("{err:#}");
        assert!(
            text.contains(flag) && text.contains(&format!("127.0.0.1:{port}")),
            "{protocols}: {text}"
        );
        assert!(!text.contains('\n'), "one line: {text}");
    }
    let err = bench(&[
        "--target",
        "kserve-v2",
        "--rest-url",
        &url,
        "--protocols",
        "rest",
    ])
    .expect_err("no --model");
    assert!(err.to_string().contains("--model NAME"), "{err}");
}
