//! `imgwire bench --target kserve-v2` against a real Triton Inference Server
//! (PyTriton's tritonserver on CPU, model `decode`, started by
//! targets/triton/run.sh on free ports): every cell the model takes runs and
//! is checked, the one it cannot take is reported with its reason, Triton's
//! statistics become each scenario's server stages, and a wrong URL or model
//! fails before anything is measured with one line naming its flag.

mod common;

use common::{bench_plan as plan, bench_report as bench, free_port, target_script};
use imgwire::encode::{encode_frame, make_encoder, EncodeSettings, EncoderKind, Subsampling};
use imgwire::frame::{generate, Content};
use imgwire::protocol::Protocol;
use imgwire::stage::Stage;
use imgwire::transport::Client;
use imgwire::wire::kserve::{KserveModel, KserveWireError};
use imgwire::wire::target::TargetWire;
use imgwire::wire::{EncodedImage, ImageMeta, PayloadKind};
use std::process::Command as Process;

/// Triton, started by run.sh (which waits until the model is ready) and
/// stopped by stop.sh when dropped.
struct Triton {
    rest_url: String,
    grpc_url: String,
}

impl Triton {
    fn start() -> Triton {
        let (http, grpc, metrics) = (free_port(), free_port(), free_port());
        let status = Process::new(target_script("triton", "run.sh"))
            .args([http.to_string(), grpc.to_string(), metrics.to_string()])
            .status()
            .expect("targets/triton/run.sh runs");
        let triton = Triton {
            rest_url: format!("http://127.0.0.1:{http}"),
            grpc_url: format!("http://127.0.0.1:{grpc}"),
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
    a_real_answer_for_another_size_is_refused(&triton);
    grpc_alone_learns_the_model_over_grpc_and_has_no_stats(&triton);
    a_route_without_statistics_is_run_without_them(&triton);
    an_unknown_model_fails_naming_the_flag(&triton);
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
        assert_eq!(
            (s.errors, s.requests),
            (0, 4),
            "{label}: {:?}",
            s.error_examples
        );
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

/// Triton's own answer to a real request passes the check for the image
/// sent, and fails it for an image of another size.
fn a_real_answer_for_another_size_is_refused(triton: &Triton) {
    let settings = plan(&["--rest-url", &triton.rest_url]).client;
    let wire = TargetWire::KserveV2(KserveModel {
        name: "decode".into(),
        input: "image".into(),
        datatype: "BYTES".into(),
    });
    let image = jpeg("120x160");
    let transposed = ImageMeta {
        width: image.meta.height,
        height: image.meta.width,
        ..image.meta
    };
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    for (protocol, url) in [
        (Protocol::Rest, &triton.rest_url),
        (Protocol::Grpc, &triton.grpc_url),
    ] {
        let answer = runtime.block_on(async {
            let client = Client::connect(protocol, url, &settings).await?;
            let request = wire.serialize(protocol, PayloadKind::Binary, Some(&image))?;
            client.call(0, request).await
        });
        let body = answer.expect("Triton answers").body;
        let parse = |meta| wire.parse_response(protocol, PayloadKind::Binary, &body, Some(meta));
        parse(&image.meta).expect("the answer is [120, 160]");
        let err = parse(&transposed).expect_err("[120, 160] is not a 120x160 image's answer");
        assert!(
            matches!(
                err.downcast_ref::<KserveWireError>(),
                Some(KserveWireError::WrongSize { .. })
            ),
            "{protocol:?}: {err}"
        );
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
