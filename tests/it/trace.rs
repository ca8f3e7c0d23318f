//! `--trace` writes valid Chrome trace-event JSON: known phases, numeric
//! microsecond timestamps, spans that nest properly on every track, and the
//! server's stages inside the round trip they belong to.

use crate::common;

use serde_json::Value;

const EPSILON_US: f64 = 0.002;

fn check_event_fields(e: &Value) {
    assert!(e["name"].is_string(), "{e}");
    assert!(e["pid"].is_u64() && e["tid"].is_u64(), "{e}");
    let ts = e["ts"].as_f64().expect("ts is a number of microseconds");
    assert!(ts >= 0.0, "{e}");
    match e["ph"].as_str().unwrap() {
        "X" => assert!(
            e["dur"].as_f64().is_some_and(|d| d >= 0.0),
            "complete events need dur: {e}"
        ),
        "M" => assert!(
            e["name"] == "thread_name" && e["args"]["name"].is_string(),
            "{e}"
        ),
        other => panic!("unexpected phase {other}"),
    }
}

/// Spans on one track must nest: each starts and ends inside the span
/// enclosing it, or after it ends. Returns (child, parent) name pairs.
fn check_nesting(spans: &mut [&Value]) -> Vec<(String, String)> {
    spans.sort_by(|a, b| {
        let key = |e: &Value| (e["ts"].as_f64().unwrap(), -e["dur"].as_f64().unwrap());
        key(a).partial_cmp(&key(b)).unwrap()
    });
    let mut stack: Vec<(f64, String)> = Vec::new();
    let mut pairs = Vec::new();
    for span in spans.iter() {
        let (ts, dur) = (span["ts"].as_f64().unwrap(), span["dur"].as_f64().unwrap());
        let name = span["name"].as_str().unwrap().to_string();
        while stack.last().is_some_and(|(end, _)| ts >= *end - EPSILON_US) {
            stack.pop();
        }
        if let Some((parent_end, parent)) = stack.last() {
            assert!(
                ts + dur <= parent_end + EPSILON_US,
                "{name} at {ts}+{dur} overlaps the end of {parent} ({parent_end})"
            );
            pairs.push((name.clone(), parent.clone()));
        }
        stack.push((ts + dur, name));
    }
    pairs
}

#[test]
fn the_trace_is_valid_trace_event_json_with_nested_stages() {
    let dir = tempfile::tempdir().unwrap();
    let trace_path = dir.path().join("trace.json");
    let trace_arg = trace_path.to_str().unwrap().to_string();
    let load = common::SmallRun {
        concurrency: "3",
        bursts: "2",
        ..common::SMALL_RUN
    };
    let mut args = load.args().to_vec();
    args.extend(["--warmup-max", "0", "--protocols", "rest,grpc"]);
    args.extend(["--trace", &trace_arg]);
    let (result, _) = common::bench(dir.path(), &args);
    result.unwrap();
    let trace: Value = serde_json::from_slice(&std::fs::read(&trace_path).unwrap()).unwrap();
    let events = trace["traceEvents"].as_array().expect("traceEvents array");
    for e in events {
        check_event_fields(e);
    }
    let tids: std::collections::BTreeSet<u64> =
        events.iter().map(|e| e["tid"].as_u64().unwrap()).collect();
    assert_eq!(
        tids.into_iter().collect::<Vec<_>>(),
        vec![0, 1, 2, 3],
        "a bursts track and one per worker"
    );
    let mut all_pairs = Vec::new();
    for tid in 0..=3 {
        let mut spans: Vec<&Value> = events
            .iter()
            .filter(|e| e["ph"] == "X" && e["tid"] == tid)
            .collect();
        all_pairs.extend(check_nesting(&mut spans));
    }
    let parents_of = |child: &str| -> std::collections::BTreeSet<String> {
        all_pairs
            .iter()
            .filter(|(c, _)| c == child)
            .map(|(_, p)| p.clone())
            .collect()
    };
    assert_eq!(
        parents_of("server.decode").into_iter().collect::<Vec<_>>(),
        vec!["round trip".to_string()]
    );
    assert_eq!(
        parents_of("serialize").len(),
        3 * 2,
        "one parent name per scenario: 3 payloads x 2 protocols"
    );
    let requests = events.iter().filter(|e| e["cat"] == "request").count();
    assert_eq!(
        requests,
        6 * 3 * 3,
        "scenarios x bursts (1 warm-up + 2) x concurrency"
    );
    let bursts = events.iter().filter(|e| e["cat"] == "burst").count();
    assert_eq!(bursts, 6 * 3);
}
