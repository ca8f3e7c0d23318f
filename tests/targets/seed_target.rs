//! `imgwire bench --target seed` against the seed post's real servers
//! (FastAPI + uvicorn and grpcio, started by targets/seed/run.sh on free
//! ports), as the post's server answers and as another server of the post's
//! types may (SEED_ANSWER=variant: 37 scores, 10 labels); against a small
//! variant on 127.0.0.1:0 where no Python is needed; the flags it refuses
//! before anything runs; and, for every target, the readiness check that
//! stops a server of another kind.

use crate::common;
use crate::variant_servers;

use axum::body::Bytes;
use axum::http::{StatusCode, Uri};
use common::{
    bench_report as bench, default_server_config, free_port, start_servers, target_script,
};
use imgwire::report::table::{self, View};
use imgwire::report::SEED_SERVERS;
use imgwire::stage::Stage;
use imgwire::wire::proto::seed as pb;
use imgwire::wire::PayloadKind;
use prost::Message;
use std::process::Command as Process;

/// The seed's servers, started by run.sh (which waits until both answer)
/// and stopped by stop.sh when dropped.
struct SeedServers {
    rest_url: String,
    grpc_url: String,
}

impl SeedServers {
    /// `answer`: `post` (100 scores, 100 labels) or `variant`.
    fn start(answer: &str) -> SeedServers {
        let (rest, grpc) = (free_port(), free_port());
        let status = Process::new(target_script("seed", "run.sh"))
            .args([rest.to_string(), grpc.to_string()])
            .env("SEED_ANSWER", answer)
            .status()
            .expect("targets/seed/run.sh runs");
        let servers = SeedServers {
            rest_url: format!("http://127.0.0.1:{rest}"),
            grpc_url: format!("http://127.0.0.1:{grpc}"),
        };
        assert!(status.success(), "targets/seed/run.sh failed: {status}");
        servers
    }
}

impl Drop for SeedServers {
    fn drop(&mut self) {
        let _ = Process::new(target_script("seed", "stop.sh")).status();
    }
}

#[test]
#[ignore = "needs Python: starts targets/seed/run.sh"]
fn every_cell_runs_against_the_seed_servers() {
    for answer in ["post", "variant"] {
        let seed = SeedServers::start(answer);
        every_cell_runs(&seed);
    }
}

/// Every payload over the default protocols (REST and gRPC), checked.
fn every_cell_runs(seed: &SeedServers) {
    let report = bench(&[
        "--target",
        "seed",
        "--rest-url",
        &seed.rest_url,
        "--grpc-url",
        &seed.grpc_url,
        "--payloads",
        "basic,b64,binary",
        "--sizes",
        "120x160",
        "-c",
        "4",
        "-n",
        "2",
        "--warmup",
        "1",
    ])
    .expect("the run against the seed servers succeeds");
    assert!(report.complete);
    assert_eq!(report.settings.server, SEED_SERVERS);
    assert_eq!(report.scenarios.len(), 6, "3 payloads x REST and gRPC");
    for s in &report.scenarios {
        let label = s.label();
        assert_eq!(
            (s.errors, s.requests),
            (0, 8),
            "{label}: {:?}",
            s.error_examples
        );
        assert!(s.bytes.request_body_bytes > 0, "{label}");
        assert!(
            s.bytes.wire_sent_bytes >= s.bytes.request_body_bytes,
            "{label}: {:?}",
            s.bytes
        );
        if s.scenario.payload != PayloadKind::Basic {
            assert!(
                s.bytes.request_body_bytes >= s.bytes.image_bytes && s.bytes.image_bytes > 1000,
                "{label}: {:?}",
                s.bytes
            );
        }
        assert!(s.stage(Stage::Transport).is_some(), "{label}");
        for stage in Stage::SERVER {
            assert!(s.stage(stage).is_none(), "{label} invents {}", stage.name());
        }
    }
    let view = View {
        brief: false,
        width: Some(table::WIDTH),
    };
    let text = table::render(&report, view);
    assert!(text.contains("transport+server"), "{text}");
    assert!(
        text.contains("the server sends no Server-Timing: transport includes the server's time"),
        "{text}"
    );
}

#[test]
fn the_seed_target_refuses_what_the_seed_has_no_server_for() {
    let urls = [
        "--target",
        "seed",
        "--rest-url",
        "http://127.0.0.1:9",
        "--grpc-url",
        "http://127.0.0.1:9",
    ];
    for protocols in ["rest,grpc,tcp", "rest-h2"] {
        let mut args = urls.to_vec();
        args.extend(["--protocols", protocols]);
        let err = bench(&args).unwrap_err().to_string();
        assert!(
            err.contains("--target seed has no") && err.contains("--protocols"),
            "{protocols}: {err}"
        );
    }
    for args in [
        &["--target", "seed", "--protocols", "rest,grpc"][..],
        &[
            "--target",
            "seed",
            "--protocols",
            "rest,grpc",
            "--rest-url",
            "http://127.0.0.1:9",
        ],
    ] {
        let err = bench(args).unwrap_err().to_string();
        assert!(
            err.contains("--rest-url/--grpc-url") && err.contains("--grpc-url for gRPC"),
            "{args:?}: {err}"
        );
    }
}

/// A server of the post's routes and types whose answers differ from the
/// post's server: `prediction1` of 3 floats outside [0, 1), `prediction2`
/// of 10 entries that are not `"i": i`; or, with `wrong_types`, an answer
/// whose `prediction2` maps to floats.
fn variant_seed(wrong_types: bool) -> variant_servers::VariantServer {
    let router = axum::Router::new().fallback(move |uri: Uri, _body: Bytes| async move {
        let labels = (0..10).map(|i| (format!("class{i}"), i * 11 - 40));
        if let Some(method) = uri
            .path()
            .strip_prefix("/ai.statsbomb.com.GrpcBenchmarkApiService/")
        {
            let answer = pb::BasicResponse {
                prediction1: vec![-3.5, 12.0, 0.25],
                prediction2: labels.collect(),
            };
            return match method {
                "BenchmarkBasicRequest" | "BenchmarkB64Image" | "BenchmarkBinaryImage" => {
                    variant_servers::grpc_ok(answer.encode_to_vec())
                }
                _ => variant_servers::grpc_error(12, "unimplemented"),
            };
        }
        let labels: serde_json::Map<String, serde_json::Value> = match wrong_types {
            false => labels.map(|(k, v)| (k, v.into())).collect(),
            true => labels
                .map(|(k, v)| (k, (f64::from(v) + 0.5).into()))
                .collect(),
        };
        let body = serde_json::json!({"prediction1": [-3.5, 12, 0.25], "prediction2": labels});
        variant_servers::json(StatusCode::OK, body)
    });
    variant_servers::serve(router)
}

#[test]
fn answers_of_the_posts_types_pass_whatever_their_sizes() {
    let server = variant_seed(false);
    let report = bench(&[
        "--target",
        "seed",
        "--rest-url",
        &server.url,
        "--grpc-url",
        &server.url,
        "--sizes",
        "120x160",
        "-c",
        "2",
        "-n",
        "2",
        "--warmup",
        "1",
    ])
    .expect("3 scores and 10 labels are the post's types");
    assert_eq!(
        report.scenarios.len(),
        6,
        "3 payloads x the default REST and gRPC"
    );
    for s in &report.scenarios {
        assert_eq!(
            (s.errors, s.requests),
            (0, 4),
            "{}: {:?}",
            s.label(),
            s.error_examples
        );
    }
}

/// A server that is not of the target's kind fails before anything is
/// measured, with one line naming its URL, the flag and what it failed:
/// the seed's first basic request (an answer of other types), TorchServe's
/// `/ping` (imgwire's own servers have none), a v2 model's metadata (a
/// server that answers anything with the seed's JSON).
#[test]
fn a_server_that_is_not_the_target_fails_its_readiness_check() {
    let seed_like = variant_seed(true);
    let imgwire = start_servers(default_server_config());
    let imgwire_url = format!("http://{}", imgwire.rest_addr);
    let cases: [(&str, &[&str], &str, Vec<String>); 3] = [
        (
            "seed",
            &[],
            &seed_like.url,
            vec!["first basic".into(), "prediction2".into()],
        ),
        (
            "torchserve",
            &["--model", "decode"],
            &imgwire_url,
            vec![format!("{imgwire_url}/ping")],
        ),
        (
            "kserve-v2",
            &["--model", "decode"],
            &seed_like.url,
            vec!["metadata".into(), "--input-name".into()],
        ),
    ];
    for (target, flags, url, named) in cases {
        let mut args = vec!["--target", target, "--protocols", "rest", "--rest-url", url];
        args.extend_from_slice(flags);
        args.extend(["--sizes", "120x160"]);
        let err = format!("{:#}", bench(&args).expect_err(target));
        assert!(!err.contains('\n'), "{target}: one line: {err}");
        assert!(
            err.contains(url) && err.contains("--rest-url"),
            "{target}: {err}"
        );
        for name in named {
            assert!(err.contains(&name), "{target}: {name}: {err}");
        }
    }
}
