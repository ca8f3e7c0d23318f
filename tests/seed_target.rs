//! `imgwire bench --target seed` against the seed post's real servers
//! (FastAPI + uvicorn and grpcio, started by targets/seed/run.sh on free
//! ports), and the flags it refuses before anything runs.

mod common;

use common::{
    bench_report as bench, default_server_config, free_port, start_servers, target_script,
};
use imgwire::report::table::{self, View};
use imgwire::report::SEED_SERVERS;
use imgwire::stage::Stage;
use imgwire::wire::PayloadKind;
use std::process::Command as Process;

/// The seed's servers, started by run.sh (which waits until both answer)
/// and stopped by stop.sh when dropped.
struct SeedServers {
    rest_url: String,
    grpc_url: String,
}

impl SeedServers {
    fn start() -> SeedServers {
        let (rest, grpc) = (free_port(), free_port());
        let status = Process::new(target_script("seed", "run.sh"))
            .args([rest.to_string(), grpc.to_string()])
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
    let seed = SeedServers::start();
    let report = bench(&[
        "--target",
        "seed",
        "--rest-url",
        &seed.rest_url,
        "--grpc-url",
        &seed.grpc_url,
        "--protocols",
        "rest,grpc",
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

#[test]
fn a_server_that_is_not_the_seeds_fails_the_readiness_check() {
    let servers = start_servers(default_server_config());
    let rest_url = format!("http://{}", servers.rest_addr);
    let err = bench(&[
        "--target",
        "seed",
        "--protocols",
        "rest",
        "--rest-url",
        &rest_url,
        "--sizes",
        "120x160",
    ])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(&rest_url) && err.contains("--rest-url") && err.contains("first basic"),
        "{err}"
    );
}
