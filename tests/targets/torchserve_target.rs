//! `imgwire bench --target torchserve` against a real TorchServe 0.12
//! (targets/torchserve/run.sh on free ports: model `decode`, a Pillow
//! handler answering `{"height", "width"}`, and `top5`, `text`, `raw`,
//! handlers answering a classifier's top-5 JSON, plain text and raw bytes),
//! its metrics read as server stages, and the readiness failures a user
//! meets first (a server of another kind: the table in
//! tests/seed_target.rs). tests/torchserve_answers.rs answers the same three ways
//! from a small variant where no Java is needed.

use crate::common;

use common::{bench_report as bench, target_script};
use imgwire::stage::Stage;
use imgwire::wire::PayloadKind;
use std::net::TcpListener;
use std::process::Command as Process;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// run.sh keeps one TorchServe per cache (one PID file, one worker socket
/// in /tmp), so the tests that start it take turns.
static ONE_SERVER_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Ports nothing listens on right now: inference, gRPC (whose next port,
/// gRPC management, is free too), metrics, management.
fn free_ports() -> [u16; 4] {
    let mut held = Vec::new();
    let inference = hold_free_port(&mut held);
    let grpc = loop {
        let candidate = hold_free_port(&mut held);
        let next = candidate.checked_add(1);
        if let Some(listener) = next.and_then(|p| TcpListener::bind(("127.0.0.1", p)).ok()) {
            held.push(listener);
            break candidate;
        }
    };
    [
        inference,
        grpc,
        hold_free_port(&mut held),
        hold_free_port(&mut held),
    ]
}

/// A free port, held open in `held` so the next one differs.
fn hold_free_port(held: &mut Vec<TcpListener>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("a bound address").port();
    held.push(listener);
    port
}

/// TorchServe started by run.sh (which waits for /ping and a READY worker)
/// and stopped by stop.sh when dropped.
struct Torchserve {
    rest_url: String,
    grpc_url: String,
    stats_url: String,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl Torchserve {
    fn start() -> Torchserve {
        let turn = ONE_SERVER_AT_A_TIME
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let [inference, grpc, metrics, management] = free_ports();
        let status = Process::new(target_script("torchserve", "run.sh"))
            .args([inference, grpc, metrics, management].map(|p| p.to_string()))
            .status()
            .expect("targets/torchserve/run.sh runs");
        let server = Torchserve {
            rest_url: format!("http://127.0.0.1:{inference}"),
            grpc_url: format!("http://127.0.0.1:{grpc}"),
            stats_url: format!("http://127.0.0.1:{metrics}/metrics"),
            _turn: turn,
        };
        assert!(
            status.success(),
            "targets/torchserve/run.sh failed: {status}"
        );
        wait_for_port(grpc);
        server
    }
}

/// run.sh waits for REST and a READY worker; TorchServe opens its gRPC
/// port a moment after (once the models are loaded).
fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "TorchServe's gRPC port {port} did not open within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Drop for Torchserve {
    fn drop(&mut self) {
        let _ = Process::new(target_script("torchserve", "stop.sh")).status();
    }
}

const LOAD: [&str; 6] = ["-c", "4", "-n", "2", "--warmup", "1"];

#[test]
#[ignore = "needs Java and Python: starts targets/torchserve/run.sh"]
fn every_image_cell_runs_against_torchserve_with_its_metrics() {
    let server = Torchserve::start();
    let mut args = vec![
        "--target",
        "torchserve",
        "--model",
        "decode",
        "--rest-url",
        &server.rest_url,
        "--grpc-url",
        &server.grpc_url,
        "--stats-url",
        &server.stats_url,
        "--protocols",
        "rest,grpc",
        "--payloads",
        "basic,b64,binary",
        "--sizes",
        "120x160,1080x1920",
    ];
    args.extend(LOAD);
    let report = bench(&args).expect("the run against TorchServe succeeds");
    assert!(report.complete);
    let refused: Vec<_> = report
        .not_applicable
        .iter()
        .map(|n| (n.payload, n.protocol.name(), n.reason.as_str()))
        .collect();
    let reason = "TorchServe's handler decodes an image; basic carries none";
    assert_eq!(
        refused,
        [
            (PayloadKind::Basic, "rest", reason),
            (PayloadKind::Basic, "grpc", reason)
        ]
    );
    assert_eq!(
        report.scenarios.len(),
        8,
        "2 sizes x b64, binary x REST, gRPC"
    );
    for s in &report.scenarios {
        let label = s.label();
        common::assert_ran_clean(s, 8, "torchserve");
        assert!(s.bytes.image_bytes > 1000, "{label}: {:?}", s.bytes);
        let stats = s
            .server_stats
            .as_ref()
            .expect("server stats every scenario");
        assert!(
            stats.source.contains(&server.stats_url),
            "{label}: {stats:?}"
        );
        assert!(stats.requests >= 8, "{label}: {stats:?}");
        if s.scenario.protocol.name() == "rest" {
            assert!(stats.problem.is_none(), "{label}: {stats:?}");
            assert!(stats.mean_ns[&Stage::ServerInfer] > 0, "{label}: {stats:?}");
            assert!(
                stats.mean_ns.contains_key(&Stage::ServerQueue),
                "{label}: {stats:?}"
            );
        } else {
            // TorchServe 0.12 counts gRPC requests but times REST jobs only.
            assert!(stats.mean_ns.is_empty(), "{label}: {stats:?}");
            let problem = stats.problem.as_deref().unwrap_or_default();
            assert!(
                problem.contains("none of its timers moved"),
                "{label}: {stats:?}"
            );
        }
    }
}

#[test]
#[ignore = "needs Java and Python: starts targets/torchserve/run.sh"]
fn grpc_alone_is_checked_with_ping_and_runs_without_an_unreachable_metrics_page() {
    let server = Torchserve::start();
    let unreachable_metrics = format!("http://127.0.0.1:{}/metrics", free_ports()[0]);
    let mut args = vec![
        "--target",
        "torchserve",
        "--model",
        "decode",
        "--grpc-url",
        &server.grpc_url,
        "--stats-url",
        &unreachable_metrics,
        "--protocols",
        "grpc",
        "--payloads",
        "binary",
        "--sizes",
        "120x160",
    ];
    args.extend(LOAD);
    let report = bench(&args).expect("the gRPC-only run succeeds");
    assert_eq!(report.scenarios.len(), 1);
    let s = &report.scenarios[0];
    assert_eq!((s.errors, s.requests), (0, 8), "{:?}", s.error_examples);
    assert!(s.server_stats.is_none(), "{:?}", s.server_stats);

    let mut args = vec![
        "--target",
        "torchserve",
        "--model",
        "nope",
        "--rest-url",
        &server.rest_url,
        "--protocols",
        "rest",
        "--sizes",
        "120x160",
    ];
    args.extend(LOAD);
    let err = format!("{:#}", bench(&args).unwrap_err());
    assert!(!err.contains('\n'), "one line: {err}");
    assert!(
        err.contains("--model 'nope'") && err.contains("--rest-url") && err.contains("not found"),
        "{err}"
    );
}

#[test]
#[ignore = "needs Java and Python: starts targets/torchserve/run.sh"]
fn real_handlers_answering_json_text_and_raw_bytes_all_run() {
    let server = Torchserve::start();
    let run = |model: &str, keys: Option<&str>| {
        let mut args = vec![
            "--target",
            "torchserve",
            "--model",
            model,
            "--rest-url",
            &server.rest_url,
            "--grpc-url",
            &server.grpc_url,
            "--stats-url",
            &server.stats_url,
            "--payloads",
            "b64,binary",
            "--sizes",
            "120x160",
        ];
        if let Some(keys) = keys {
            args.extend(["--expect-json-keys", keys]);
        }
        args.extend(LOAD);
        bench(&args)
    };
    for (model, keys) in [("top5", Some("tabby,lynx")), ("text", None), ("raw", None)] {
        let report = run(model, keys).unwrap_or_else(|e| panic!("{model}: {e:#}"));
        assert_eq!(
            report.scenarios.len(),
            4,
            "{model}: b64, binary x REST, gRPC"
        );
        for s in &report.scenarios {
            common::assert_ran_clean(s, 8, model);
            assert!(s.bytes.response_body_bytes > 0, "{model} {}", s.label());
        }
        let rest = report
            .scenarios
            .iter()
            .find(|s| s.scenario.protocol.name() == "rest");
        let body = rest.expect("a REST scenario").bytes.response_body_bytes;
        match model {
            "text" => assert_eq!(body, "landscape 160x120".len() as u64),
            "raw" => assert_eq!(body, 64, "the first 64 bytes of pixels"),
            _ => assert!(body > 40, "{body}"),
        }
    }
    let err = format!(
        "{:#}",
        run("text", Some("label")).expect_err("text is not JSON")
    );
    assert!(
        !err.contains('\n') && err.contains("is not JSON") && err.contains("--expect-json-keys"),
        "{err}"
    );
}

#[test]
fn an_unreachable_rest_url_fails_fast_naming_the_flag() {
    let port = free_ports()[0];
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let err = bench(&[
        "--target",
        "torchserve",
        "--model",
        "decode",
        "--rest-url",
        &url,
        "--protocols",
        "rest",
        "--sizes",
        "120x160",
    ])
    .unwrap_err();
    let err = format!("{err:#}");
    assert!(started.elapsed() < Duration::from_secs(10), "{err}");
    assert!(!err.contains('\n'), "one line: {err}");
    assert!(
        err.contains("--rest-url") && err.contains(&port.to_string()),
        "{err}"
    );
}
