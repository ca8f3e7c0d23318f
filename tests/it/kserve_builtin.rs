//! `--target kserve-v2` against imgwire's own v2 routes (the built-in
//! servers on 127.0.0.1:0): a v2 server whose costs are known. The two ways
//! it reports its time must agree: the statistics route's per-request means
//! equal the means of the per-request Server-Timing stages they sum.

use crate::common;

use common::{bench_report, default_server_config, start_servers};
use imgwire::report::ScenarioReport;
use imgwire::stage::Stage;

fn mean_ms(scenario: &ScenarioReport, stages: &[Stage]) -> f64 {
    let total: u64 = stages
        .iter()
        .filter_map(|s| scenario.stage(*s))
        .map(|s| s.mean_ns)
        .sum();
    total as f64 / 1e6
}

#[test]
fn the_statistics_route_agrees_with_server_timing() {
    let servers = start_servers(default_server_config());
    let rest = format!("http://{}", servers.rest_addr);
    let grpc = format!("http://{}", servers.grpc_addr);
    let args = [
        "--target",
        "kserve-v2",
        "--model",
        "decode",
        "--rest-url",
        &rest,
        "--grpc-url",
        &grpc,
        "--protocols",
        "rest,grpc",
        "--sizes",
        "120x160",
        "-c",
        "4",
        "--bursts",
        "3",
        "--warmup",
        "1",
    ];
    let report = bench_report(&args).expect("the run completes");

    assert_eq!(report.scenarios.len(), 4, "b64 and binary on REST and gRPC");
    assert_eq!(report.not_applicable.len(), 2, "basic is refused on both");
    for scenario in &report.scenarios {
        let label = scenario.label();
        assert_eq!(scenario.errors, 0, "{label}: {:?}", scenario.error_examples);
        let stats = scenario.server_stats.as_ref().expect("statistics read");
        assert_eq!(stats.requests, scenario.requests as u64, "{label}");
        let from_stats = |stage| stats.mean_ns[&stage] as f64 / 1e6;
        // Server-Timing travels in milliseconds with 3 decimals: 1 us apart
        // per stage at most.
        let pairs = [
            (Stage::ServerQueue, vec![Stage::ServerQueue]),
            (Stage::ServerDeserialize, vec![Stage::ServerDeserialize]),
            (
                Stage::ServerInfer,
                vec![Stage::ServerDecode, Stage::ServerInfer],
            ),
            (Stage::ServerRespond, vec![Stage::ServerRespond]),
        ];
        for (stat, timed) in pairs {
            let (a, b) = (from_stats(stat), mean_ms(scenario, &timed));
            assert!(
                (a - b).abs() <= 0.002 * timed.len() as f64,
                "{label} {}: statistics {a} ms, Server-Timing {b} ms",
                stat.name()
            );
        }
    }
}
