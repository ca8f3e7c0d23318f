//! Every registered output (`imgwire::run::plan::outputs::OUTPUTS`) is one
//! flag that bench, a sweep and tune all write where it is given, and that
//! the Ctrl-C note names: the argv of each test is built from the registry,
//! so an exporter added there is covered here without a new line.

use imgwire::run::plan::outputs::{OutputKind, Shape, OUTPUTS};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where `kind` goes under `dir`: `NAME.out` for a file, `NAME` for a folder.
fn place(dir: &Path, kind: &OutputKind) -> PathBuf {
    match kind.shape {
        Shape::File => dir.join(format!("{}.out", kind.id)),
        Shape::Folder => dir.join(kind.id),
    }
}

/// Every registered output's flag and its place under `dir`.
fn every_output(dir: &Path) -> Vec<String> {
    let mut args = Vec::new();
    for kind in &OUTPUTS {
        args.push(kind.flag.to_string());
        args.push(place(dir, kind).to_str().unwrap().to_string());
    }
    args
}

/// A small, fast workload on the built-in servers.
const SMALL: [&str; 12] = [
    "--sizes",
    "48x64",
    "--payloads",
    "binary",
    "-c",
    "2",
    "--bursts",
    "2",
    "--warmup",
    "0",
    "--quiet",
    "--brief",
];

fn run_in_process(command: &str, extra: &[&str], dir: &Path) {
    let outputs = every_output(dir);
    let mut argv = vec!["imgwire", command];
    argv.extend(SMALL);
    argv.extend(extra);
    argv.extend(outputs.iter().map(String::as_str));
    let cli = <imgwire::Cli as clap::Parser>::try_parse_from(&argv).unwrap();
    imgwire::run(cli).unwrap_or_else(|e| panic!("{argv:?}: {e:#}"));
}

/// `path` holds something: a file with bytes, a folder with a file.
fn assert_written(path: &Path, what: &str) {
    let written = match path.is_dir() {
        true => std::fs::read_dir(path).unwrap().next().is_some(),
        false => std::fs::metadata(path).is_ok_and(|m| m.len() > 0),
    };
    assert!(written, "{what}: nothing written at {}", path.display());
}

#[test]
fn every_registered_output_is_written_by_bench_by_each_sweep_value_and_by_tune() {
    // --flamegraph profiles in this process: the profiler's turn.
    let _turn = crate::one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let bench = dir.path().join("bench");
    std::fs::create_dir(&bench).unwrap();
    run_in_process("bench", &["--protocols", "rest"], &bench);
    for kind in &OUTPUTS {
        assert_written(&place(&bench, kind), kind.flag);
    }

    let sweep = dir.path().join("sweep");
    std::fs::create_dir(&sweep).unwrap();
    let extra = ["--protocols", "rest", "--sweep", "compression"];
    run_in_process("bench", &extra, &sweep);
    for kind in &OUTPUTS {
        let whole = place(&sweep, kind);
        if kind.flag == "--export-json" {
            let json: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&whole).unwrap()).unwrap();
            assert_eq!(json["points"].as_array().unwrap().len(), 2, "{json:#}");
            continue;
        }
        for value in ["none", "gzip"] {
            let per_value = match kind.shape {
                Shape::File => sweep.join(format!("{}-compression-{value}.out", kind.id)),
                Shape::Folder => whole.join(format!("compression-{value}")),
            };
            assert_written(&per_value, kind.flag);
        }
    }

    let tune = dir.path().join("tune");
    std::fs::create_dir(&tune).unwrap();
    let extra = ["--budget-s", "1", "--confirm-rounds", "1"];
    run_in_process("tune", &extra, &tune);
    for kind in &OUTPUTS {
        assert_written(&place(&tune, kind), kind.flag);
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tune.join("json.out")).unwrap()).unwrap();
    assert!(
        json["trials"].is_array(),
        "tune's JSON is its search: {json:#}"
    );
    let csv = std::fs::read_to_string(tune.join("csv.out")).unwrap();
    assert!(csv.contains("48x64"), "the best configuration's run: {csv}");
}

/// Waits (at most 60 s) until the JSON report at `json` holds a scenario.
fn wait_for_a_finished_scenario(json: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let finished = || {
        std::fs::read(json)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .is_some_and(|r| r["scenarios"].as_array().is_some_and(|s| !s.is_empty()))
    };
    while !finished() {
        assert!(Instant::now() < deadline, "no scenario finished in 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_interrupted_run_names_every_output_given_markdown_included() {
    let dir = tempfile::tempdir().unwrap();
    let mut bench = Command::new(env!("CARGO_BIN_EXE_imgwire"))
        .args(["bench", "--sizes", "32x32,48x48,64x64,80x80,96x96"])
        .args(["--protocols", "rest", "--bursts", "200", "-c", "2"])
        .args(every_output(dir.path()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let json = OUTPUTS.iter().find(|k| k.flag == "--export-json").unwrap();
    wait_for_a_finished_scenario(&place(dir.path(), json));
    // SAFETY: kill() sends SIGINT to the child we started, which is alive.
    unsafe { libc::kill(bench.id() as i32, libc::SIGINT) };
    let status = bench.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(bench.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    let note = stderr
        .lines()
        .find(|line| line.contains("interrupted"))
        .unwrap_or_else(|| panic!("no note: {stderr}"));
    for kind in &OUTPUTS {
        let named = format!("{} '{}'", kind.flag, place(dir.path(), kind).display());
        assert!(note.contains(&named), "{named} missing from: {note}");
    }
    let markdown = std::fs::read_to_string(dir.path().join("markdown.out")).unwrap();
    assert!(markdown.contains("32x32"), "kept: {markdown}");
}
