//! Every refusal a plan meets without the network, in one table: the
//! command line, the flag the refusal names, and a fragment of its words.
//! Each is refused when the plan is resolved (`BenchArgs::plan` names the
//! flag in its `PlanError`), and the real binary refuses it before
//! anything starts: status 1, `error: ...` naming the flag, nothing on
//! stdout, no output file or folder made.

use clap::Parser;
use imgwire::cli::Command as Cmd;
use std::path::Path;

const REMOTE: &str = "http://127.0.0.1:9";

/// argv after `imgwire`, split at spaces (`{dir}` is a scratch folder
/// holding the file `f`, `{remote}` a URL nothing answers), the flag named,
/// and words of the refusal. The first would be checked after the outputs
/// in the old order: the folder --flamegraph names must not be made for a
/// run that never starts.
const REFUSALS: &[(&str, &str, &str)] = &[
    (
        "bench --flamegraph {dir}/fg --rate 300",
        "--rate",
        "sets the pace of --load open",
    ),
    (
        "bench --duration 5",
        "--duration",
        "--load bursts runs --bursts",
    ),
    (
        "bench -c 1,2 --sweep window",
        "--concurrency",
        "a sweep of its own",
    ),
    (
        "bench --frames-on gpu --images {dir}",
        "--frames-on",
        "with --images",
    ),
    ("bench --link-backend tc", "--link-backend", "needs --link"),
    (
        "bench --link-backend tc --link bw=1gbit,rtt=1ms --protocols rest --rest-url {remote}",
        "--link-backend",
        "cannot shape the path to a remote",
    ),
    (
        "bench --sweep tls --protocols rest --rest-url {remote}",
        "--sweep",
        "--sweep tls runs the built-in servers plain",
    ),
    (
        "bench --expect-json-keys label",
        "--expect-json-keys",
        "TorchServe's answers",
    ),
    (
        "bench --target seed --protocols tcp",
        "--target",
        "has no TCP server",
    ),
    (
        "bench --target kserve-v2 --protocols rest --rest-url {remote}",
        "--target",
        "needs --model",
    ),
    (
        "bench --target seed --protocols rest --rest-url {remote} --flamegraph {dir}/fg",
        "--flamegraph",
        "only imgwire's servers serve",
    ),
    (
        "bench --protocols rest,grpc --rest-url {remote}",
        "--rest-url",
        "would go to a built-in server",
    ),
    (
        "bench --json {dir}/nodir/x.json",
        "--export-json",
        "does not exist",
    ),
    ("bench --export-csv {dir}", "--export-csv", "is a folder"),
    (
        "bench --json - --markdown -",
        "--export-markdown",
        "only one output can go to stdout",
    ),
    (
        "bench --charts {dir}/f",
        "--charts",
        "is a file; it needs a folder",
    ),
    (
        "bench --save-requests {dir}/f/sub",
        "--save-requests",
        "could not create",
    ),
    (
        "tune --sizes 32x32,48x48",
        "--sizes",
        "tune searches one workload",
    ),
    ("tune --protocols tcp", "--protocols", "no knobs to turn"),
    ("tune --sweep window", "--sweep", "tune runs its own search"),
];

/// The table's rows with their argv split.
fn refusals() -> impl Iterator<Item = (Vec<&'static str>, &'static str, &'static str)> {
    REFUSALS
        .iter()
        .map(|&(argv, flag, words)| (argv.split(' ').collect(), flag, words))
}

fn with_dir(args: &[&str], dir: &Path) -> Vec<String> {
    let dir = dir.to_str().unwrap();
    args.iter()
        .map(|a| a.replace("{dir}", dir).replace("{remote}", REMOTE))
        .collect()
}

#[test]
fn every_refusal_names_its_flag_when_the_plan_is_resolved() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), "a file").unwrap();
    for (args, flag, words) in refusals() {
        let argv = with_dir(&args, dir.path());
        let cli =
            imgwire::Cli::try_parse_from(std::iter::once("imgwire".into()).chain(argv.clone()))
                .unwrap_or_else(|e| panic!("{argv:?} parses: {e}"));
        let refused = match cli.command {
            Cmd::Bench(bench) => bench.plan().err(),
            Cmd::Tune(tune) => tune.plan().err(),
            _ => unreachable!("bench and tune only"),
        };
        let refused = refused.unwrap_or_else(|| panic!("{argv:?} resolved to a plan"));
        assert_eq!(refused.flag, flag, "{argv:?}: {refused}");
        let message = refused.to_string();
        assert!(
            message.contains(flag) && message.contains(words),
            "{argv:?}: {message}"
        );
    }
}

#[test]
fn the_binary_refuses_each_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), "a file").unwrap();
    for (args, flag, words) in refusals() {
        let argv = with_dir(&args, dir.path());
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_imgwire"))
            .args(&argv)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{argv:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{argv:?} printed before refusing");
        let error = stderr.lines().find(|l| l.starts_with("error: "));
        let error = error.unwrap_or_else(|| panic!("{argv:?}: no error line: {stderr}"));
        assert!(
            error.contains(flag) && error.contains(words),
            "{argv:?}: {error}"
        );
        assert!(!dir.path().join("fg").exists(), "{argv:?} made a folder");
    }
}
