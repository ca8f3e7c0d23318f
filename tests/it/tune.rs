//! `imgwire tune` against real servers on loopback: it measures its start,
//! turns knobs one at a time, confirms, and writes a result whose reproduce
//! command is a bench command line that parses to the best configuration.
//! Against a remote server it names the knobs it could only set on the
//! client, and a spent budget stops the search. A workload of more than one
//! scenario is refused, naming the flag.

use crate::common;

use clap::Parser;
use common::{SmallRun, SMALL_RUN};
use imgwire::cli::Command;
use std::path::Path;

/// Runs `imgwire tune ARGS --json DIR/tune.json`; its result and the JSON.
fn tune(dir: &Path, args: &[&str]) -> (anyhow::Result<()>, Option<serde_json::Value>) {
    let json = dir.join("tune.json");
    let json_text = json.to_str().unwrap().to_string();
    let mut argv = vec!["imgwire", "tune", "--quiet", "--json", &json_text];
    argv.extend_from_slice(args);
    let result = imgwire::run(imgwire::Cli::try_parse_from(argv).expect("arguments parse"));
    let written = std::fs::read(&json)
        .ok()
        .map(|b| serde_json::from_slice(&b).expect("the tune JSON parses"));
    (result, written)
}

/// The small workload every test tunes: quick on two cores.
const SMALL: SmallRun = SmallRun {
    size: "120x160",
    concurrency: "4",
    bursts: "4",
    warmup: "1",
};

/// [`SMALL`]'s flags, against built-in servers that decode nothing.
fn small_built_in() -> Vec<&'static str> {
    let mut args = SMALL.args().to_vec();
    args.extend(["--server-decoder", "none"]);
    args
}

#[test]
fn tune_measures_turns_knobs_and_writes_a_command_that_reproduces_the_best() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = small_built_in();
    args.extend(["--budget-s", "6", "--confirm-rounds", "1"]);
    let (result, json) = tune(dir.path(), &args);
    result.unwrap();
    let json = json.expect("the result was written");
    assert_eq!(json["protocol"], "grpc");
    let trials = json["trials"].as_array().unwrap();
    assert_eq!(trials[0]["changed"], "start");
    assert!(
        trials.len() >= 2,
        "at least one knob was turned: {trials:?}"
    );
    for trial in trials {
        assert!(trial["failed"].is_null(), "{trial}");
        assert_eq!(trial["burst_ns"].as_array().unwrap().len(), 4, "{trial}");
    }
    // Every knob after the first is judged against the best measured again
    // just before it: a reference trial of the best so far's configuration.
    let knob = |trial: &serde_json::Value| {
        let changed = trial["changed"].as_str().unwrap();
        changed.split(' ').next().unwrap().to_string()
    };
    let mut best = &trials[0]["configuration"];
    for (before, trial) in trials.iter().zip(&trials[1..]) {
        if trial["reference"] == true {
            assert_eq!(&trial["configuration"], best, "{trials:?}");
        } else if before["reference"] == false && before["changed"] != "start" {
            assert_eq!(
                knob(trial),
                knob(before),
                "a knob with no reference: {trials:?}"
            );
        }
        if trial["kept"] == true {
            best = &trial["configuration"];
        }
    }
    assert!(
        trials.iter().any(|t| t["reference"] == true),
        "6 s is time for more than one knob: {trials:?}"
    );
    assert_eq!(json["confirm_start_burst_ns"].as_array().unwrap().len(), 4);
    assert_eq!(json["server_knobs_not_changed"], serde_json::json!([]));
    // The reproduce command is a bench command line with the best's flags.
    let reproduce = json["reproduce"].as_str().unwrap();
    let words: Vec<&str> = reproduce.split_whitespace().collect();
    assert_eq!(words[..2], ["imgwire", "bench"], "{reproduce}");
    let cli = imgwire::Cli::try_parse_from(&words).expect("the reproduce command parses");
    let Command::Bench(bench) = cli.command else {
        panic!("not a bench command: {reproduce}")
    };
    let plan = bench.plan().unwrap();
    assert_eq!(plan.matrix.sizes.len(), 1);
    for flag in json["best_flags"].as_array().unwrap() {
        let flag = flag.as_str().unwrap();
        assert!(reproduce.contains(flag), "{flag} missing from {reproduce}");
    }
}

#[test]
fn against_a_remote_server_tune_names_the_knobs_it_set_on_the_client_only() {
    let servers = common::start_servers(common::default_server_config());
    let grpc = servers.url(imgwire::protocol::Protocol::Grpc);
    let dir = tempfile::tempdir().unwrap();
    let mut args = SMALL.args().to_vec();
    // A budget spent by the first trial: the start alone, then the stop.
    args.extend([
        "--grpc-url",
        &grpc,
        "--budget-s",
        "0.001",
        "--confirm-rounds",
        "1",
    ]);
    let (result, json) = tune(dir.path(), &args);
    result.unwrap();
    let json = json.unwrap();
    assert_eq!(
        json["server_knobs_not_changed"],
        serde_json::json!(["window", "frame", "adaptive-window"])
    );
    assert!(json["workload"].as_str().unwrap().contains("remote"));
    assert!(json["reproduce"].as_str().unwrap().contains(&grpc));
    assert_eq!(json["stopped_by_budget"], true, "{json:#}");
    assert_eq!(json["trials"].as_array().unwrap().len(), 1);
    assert_eq!(json["best"], json["start"]);
}

#[test]
fn more_than_one_scenario_or_a_protocol_without_knobs_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let refused = [
        (vec!["--sizes", "120x160,240x320"], "--sizes"),
        (vec!["--payloads", "b64,binary"], "--payloads"),
        (vec!["--protocols", "tcp"], "no knobs"),
    ];
    for (args, named) in refused {
        let (result, json) = tune(dir.path(), &args);
        let err = format!("{:#}", result.unwrap_err());
        assert!(err.contains(named), "{args:?}: {err}");
        assert!(json.is_none(), "nothing written for {args:?}");
    }
}

/// Splits a reproduce line as a POSIX shell would (plain words and single
/// quotes, all it writes).
fn shell_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
    for c in line.chars() {
        match c {
            '\'' => (quoted, any) = (!quoted, true),
            ' ' if !quoted => {
                if any {
                    words.push(std::mem::take(&mut word));
                }
                any = false;
            }
            c => (word, any) = (word + &c.to_string(), true),
        }
    }
    if any {
        words.push(word);
    }
    words
}

/// The reproduce line keeps the workload (--images, --frames, --quality,
/// --server-decoder, the load), and parsed as a bench command it resolves
/// to the very plan the best configuration's trials ran.
#[test]
fn the_reproduce_line_is_the_full_command_and_resolves_to_the_best_plan() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("my photos");
    std::fs::create_dir(&photos).unwrap();
    for (i, shade) in [40u8, 200].into_iter().enumerate() {
        let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([shade, x as u8, y as u8]));
        img.save(photos.join(format!("{i}.png"))).unwrap();
    }
    let json = dir.path().join("tune.json");
    let mut argv = vec!["imgwire", "tune", "--quiet"];
    argv.extend(SMALL_RUN.args());
    argv.extend(["--images", photos.to_str().unwrap(), "--frames", "2"]);
    argv.extend(["--quality", "80", "--server-decoder", "none"]);
    argv.extend(["--budget-s", "1", "--confirm-rounds", "1"]);
    argv.extend(["--export-json", json.to_str().unwrap()]);
    let argv: Vec<String> = argv.into_iter().map(String::from).collect();
    let mut cli = imgwire::Cli::try_parse_from(&argv).unwrap();
    imgwire::cli::tune::remember_command_line(&mut cli, &argv);
    let Command::Tune(args) = cli.command else {
        unreachable!("a tune command line")
    };
    let result = imgwire::tune::run(&args.plan().unwrap(), &args.options()).expect("tune runs");
    let reproduce = &result.reproduce;
    for flag in [
        "--images",
        "--frames 2",
        "--quality 80",
        "--server-decoder none",
    ] {
        assert!(reproduce.contains(flag), "{flag} missing from {reproduce}");
    }
    assert!(!reproduce.contains("--budget-s"), "{reproduce}");
    assert!(!reproduce.contains("--export-json"), "{reproduce}");
    let words = shell_words(reproduce);
    let cli = imgwire::Cli::try_parse_from(&words).expect("the reproduce command parses");
    let Command::Bench(bench) = cli.command else {
        panic!("not a bench command: {reproduce}")
    };
    let mut reproduced = imgwire::tune::quiet(&bench.plan().unwrap());
    // --quiet silences the search's progress; it is no part of the workload.
    reproduced.outputs.quiet = result.best_plan.outputs.quiet;
    assert_eq!(
        format!("{reproduced:?}"),
        format!("{:?}", result.best_plan),
        "{reproduce}"
    );
}
