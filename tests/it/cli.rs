//! The binary as a user meets it: bad flags, unreachable targets, `serve`
//! and `bench` in two processes, and a server that dies mid-run.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common;

use common::serve_process::imgwire;
use common::{SmallRun, SMALL_RUN};

fn run(args: &[&str]) -> (bool, String, String) {
    let out = imgwire().args(args).output().expect("imgwire runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_flags_are_refused_with_the_flag_named() {
    let cases: [(&[&str], &str); 6] = [
        (&["bench", "--sizes", "1080by1920"], "--sizes"),
        (&["bench", "--sizes", "0x10"], "--sizes"),
        (&["bench", "--quality", "0"], "--quality"),
        (&["bench", "--payloads", "jpeg"], "--payloads"),
        (&["bench", "--subsampling", "411"], "--subsampling"),
        (&["bench", "--images", "/no/such/folder"], "--images"),
    ];
    for (args, flag) in cases {
        let (ok, _, stderr) = run(args);
        assert!(!ok, "{args:?} should fail");
        assert!(
            stderr.contains(flag),
            "{args:?}: stderr should name {flag}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn unreachable_targets_fail_fast_naming_the_url_flag() {
    let dead = "http://127.0.0.1:1";
    for (flag, protocol) in [("--rest-url", "rest"), ("--grpc-url", "grpc")] {
        let (ok, _, stderr) = run(&["bench", "--protocols", protocol, flag, dead]);
        assert!(!ok);
        assert!(
            stderr.starts_with("error: ") && stderr.contains(flag),
            "{stderr}"
        );
    }
}

/// Waits (at most 60 s) until the JSON report at `json` holds a scenario.
fn wait_for_a_finished_scenario(json: &std::path::Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let finished = || {
        std::fs::read(json)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .is_some_and(|r| !r["scenarios"].as_array().unwrap().is_empty())
    };
    while !finished() {
        assert!(
            Instant::now() < deadline,
            "no scenario finished within 60 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

type Server = common::serve_process::ServeProcess;

/// `imgwire bench` with a small run's `load` against the `imgwire serve` at
/// `rest` and `grpc`, then `extra`.
fn bench_against<'a>(
    rest: &'a str,
    grpc: &'a str,
    load: SmallRun<'a>,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut argv = vec!["bench", "--rest-url", rest, "--grpc-url", grpc];
    argv.extend(load.args());
    argv.extend_from_slice(extra);
    argv
}

/// The flags of a binary REST run whose flamegraphs go to `fg` and JSON
/// report to `json`.
fn profiled_rest<'a>(fg: &'a std::path::Path, json: &'a std::path::Path) -> Vec<&'a str> {
    let mut flags = vec!["--payloads", "binary", "--protocols", "rest"];
    flags.extend(["--flamegraph", fg.to_str().unwrap()]);
    flags.extend(["--json", json.to_str().unwrap()]);
    flags
}

fn serve() -> (Server, String, String) {
    let (server, rest, grpc, _) = serve_all(&[]);
    (server, rest, grpc)
}

fn serve_with(extra: &[&str]) -> (Server, String, String) {
    let (server, rest, grpc, _) = serve_all(extra);
    (server, rest, grpc)
}

/// Starts `imgwire serve`; returns it and its REST, gRPC and TCP URLs.
fn serve_all(extra: &[&str]) -> (Server, String, String, String) {
    common::serve_process::serve_process(extra)
}

#[test]
fn bench_talks_to_a_server_in_another_process() {
    let (_server, rest, grpc, tcp) = serve_all(&[]);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let csv = dir.path().join("r.csv");
    let load = SmallRun {
        size: "64x96",
        concurrency: "4",
        bursts: "2",
        warmup: "1",
    };
    let mut extra = vec!["--tcp-url", &tcp];
    extra.extend([
        "--json",
        json.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    let (ok, stdout, stderr) = run(&bench_against(&rest, &grpc, load, &extra));
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("Seconds per burst") && stdout.contains("64x96 binary gRPC"),
        "{stdout}"
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    assert_eq!(report["settings"]["server"], "remote");
    assert_eq!(report["settings"]["rest_target"], rest.as_str());
    for s in report["scenarios"].as_array().unwrap() {
        assert_eq!(s["errors"], 0);
        if s["protocol"] == "tcp" {
            continue; // the floor has no server stages
        }
        // The remote server's stages still arrive: only durations crossed the wire.
        assert!(s["stages"]["server.receive"]["count"].as_u64().unwrap() > 0);
    }
    let csv = std::fs::read_to_string(csv).unwrap();
    assert!(csv.starts_with("run_id,size,payload,protocol,encoder,quality,subsampling,content,"));
    let run_id = report["run_id"].as_str().unwrap();
    let row = format!("{run_id},64x96,binary,grpc,turbojpeg,95,420,noise,4,2,none,,server.decode,");
    assert!(
        csv.lines().any(|l| l.starts_with(&row)),
        "no row {row}:\n{csv}"
    );
}

#[test]
fn a_server_dying_mid_run_keeps_partial_results_and_fails_clearly() {
    let (mut server, rest, grpc) = serve();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("partial.json");
    let load = SmallRun {
        size: "32x32,48x48,64x64,80x80",
        bursts: "100",
        warmup: "0",
        ..SMALL_RUN
    };
    let extra = ["--protocols", "rest,grpc", "--timeout-s", "5"];
    let bench = imgwire()
        .args(bench_against(&rest, &grpc, load, &extra))
        .args(["--json", json.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_a_finished_scenario(&json);
    server.0.kill().unwrap();
    let out = bench.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "bench must fail when its server dies: {stderr}"
    );
    assert!(
        stderr.contains("error: ")
            && (stderr.contains("--rest-url") || stderr.contains("--grpc-url")),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["complete"], false);
    let scenarios = report["scenarios"].as_array().unwrap();
    assert!(!scenarios.is_empty());
    assert!(
        scenarios[0]["requests"].as_u64().unwrap() > 0,
        "the finished scenario's results were kept"
    );
}

fn http_get(url: &str, path: &str) -> (String, Vec<u8>) {
    use std::io::{Read, Write};
    let authority = url.strip_prefix("http://").unwrap();
    let mut stream = std::net::TcpStream::connect(authority).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    (
        String::from_utf8_lossy(&raw[..split]).into_owned(),
        raw[split + 4..].to_vec(),
    )
}

#[test]
fn serve_profiling_answers_a_pprof_profile() {
    use std::io::Read;
    let (_server, rest, _) = serve_with(&["--profiling"]);
    let (head, _) = http_get(&rest, "/debug/pprof/profile?seconds=abc");
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    let (head, body) = http_get(&rest, "/debug/pprof/profile?seconds=1");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let mut profile = Vec::new();
    flate2::read::GzDecoder::new(body.as_slice())
        .read_to_end(&mut profile)
        .unwrap();
    assert!(!profile.is_empty(), "a gzip'd pprof protobuf");
    let (_plain, rest_plain, _) = serve();
    let (head, _) = http_get(&rest_plain, "/debug/pprof/profile?seconds=1");
    assert!(
        head.starts_with("HTTP/1.1 404"),
        "off unless --profiling: {head}"
    );
}

/// One `bench --flamegraph` run against `rest`/`grpc` (10 bursts of binary
/// REST); its profile summary, after checking what it wrote agrees with it.
fn remote_profile_run(dir: &std::path::Path, rest: &str, grpc: &str) -> serde_json::Value {
    use std::io::Read;
    let fg = dir.join("fg");
    let json = dir.join("r.json");
    let _ = std::fs::remove_dir_all(&fg); // an earlier run's files
    let load = SmallRun {
        size: "64x96",
        bursts: "10",
        warmup: "2",
        ..SMALL_RUN
    };
    let (ok, _, stderr) = run(&bench_against(rest, grpc, load, &profiled_rest(&fg, &json)));
    assert!(ok, "{stderr}");
    let gz = std::fs::File::open(fg.join("64x96-binary-rest-server-remote.pb.gz"))
        .expect("remote profile written");
    let mut profile = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut profile)
        .unwrap();
    assert!(!profile.is_empty());
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let summary = report["scenarios"][0]["profile"].clone();
    // The remote profile is drawn when it holds samples; when none came
    // (a busy machine can starve the server for the window), a note says
    // there is no SVG, and why.
    let files = summary["files"].to_string();
    let drawn = fg.join("64x96-binary-rest-server-remote.svg").exists();
    assert_eq!(drawn, files.contains("server-remote.svg"), "{files}");
    if summary["server_samples"].as_u64().unwrap() > 0 {
        assert!(drawn, "{summary}");
    } else {
        let warnings = summary["warnings"].to_string();
        assert!(
            warnings.contains("no server-remote flamegraph SVG"),
            "{warnings}"
        );
    }
    for file in std::fs::read_dir(&fg).unwrap() {
        let file = file.unwrap();
        assert!(
            file.metadata().unwrap().len() > 0,
            "empty {:?}",
            file.path()
        );
    }
    summary
}

#[test]
fn bench_fetches_a_remote_servers_profile_for_each_scenario() {
    let (_server, rest, grpc) = serve_with(&["--profiling", "--infer-ms", "20"]);
    let dir = tempfile::tempdir().unwrap();
    let fg = dir.path().join("fg");
    let json = dir.path().join("r.json");
    // The server's samples make the summary: on the best of three runs (a
    // busy machine can leave one profile window without any).
    let mut samples = Vec::new();
    while samples.len() < 3 && !samples.iter().any(|&n| n > 0) {
        let summary = remote_profile_run(dir.path(), &rest, &grpc);
        samples.push(summary["server_samples"].as_u64().unwrap());
    }
    assert!(
        samples.iter().any(|&n| n > 0),
        "no server samples in any run: {samples:?}"
    );

    let (_plain, rest_plain, grpc_plain) = serve();
    let load = SmallRun {
        size: "64x96",
        concurrency: "20",
        bursts: "1",
        warmup: "2",
    };
    let profiled = profiled_rest(&fg, &json);
    let (ok, _, stderr) = run(&bench_against(&rest_plain, &grpc_plain, load, &profiled));
    assert!(
        ok,
        "a server without profiling is a warning, not a failure: {stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    let warnings = report["scenarios"][0]["profile"]["warnings"].to_string();
    assert!(warnings.contains("serve --profiling"), "{warnings}");
}

#[test]
fn remote_and_built_in_servers_are_never_compared_silently() {
    let (ok, stdout, stderr) = run(&[
        "bench",
        "--rest-url",
        "http://127.0.0.1:9",
        "--protocols",
        "rest,grpc",
    ]);
    assert!(!ok);
    assert!(
        stdout.is_empty(),
        "nothing is printed before the refusal: {stdout}"
    );
    assert!(
        stderr.contains("--rest-url")
            && stderr.contains("--grpc-url")
            && stderr.contains("built-in"),
        "{stderr}"
    );
}

#[test]
fn bad_urls_and_output_paths_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nodir").join("x.json");
    for (args, flag) in [
        (vec!["--json", missing.to_str().unwrap()], "--export-json"),
        (
            vec!["--export-csv", dir.path().to_str().unwrap()],
            "--export-csv",
        ),
        (
            vec!["--protocols", "rest", "--rest-url", "ftp://127.0.0.1:8080"],
            "--rest-url",
        ),
        (
            vec!["--protocols", "tcp", "--tcp-url", "http://127.0.0.1:9"],
            "--tcp-url",
        ),
    ] {
        let mut argv = vec!["bench"];
        argv.extend(args.iter().copied());
        let (ok, stdout, stderr) = run(&argv);
        assert!(!ok, "{argv:?}");
        assert!(
            stdout.is_empty(),
            "{argv:?} printed before refusing: {stdout}"
        );
        assert!(
            stderr.starts_with("error: ") && stderr.contains(flag),
            "{argv:?}: {stderr}"
        );
        assert!(!stderr.contains("x.tmp"), "names the path typed: {stderr}");
    }
}

#[test]
fn swapped_ports_are_named_as_such() {
    let (_server, rest, grpc) = serve();
    let cases = [
        ("rest", "--rest-url", &grpc, "REST port"),
        ("grpc", "--grpc-url", &rest, "gRPC port"),
    ];
    for (protocol, flag, wrong_url, advice) in cases {
        let load = SmallRun {
            size: "32x32",
            concurrency: "20",
            bursts: "1",
            warmup: "0",
        };
        let mut args = vec!["bench", "--protocols", protocol, flag, wrong_url];
        args.extend(load.args());
        let (ok, _, stderr) = run(&args);
        assert!(!ok);
        assert!(
            stderr.contains(flag) && stderr.contains(advice),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn ctrl_c_keeps_what_was_measured_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("partial.json");
    let load = SmallRun {
        size: "32x32,48x48,64x64,80x80,96x96",
        bursts: "200",
        warmup: "2",
        ..SMALL_RUN
    };
    let mut bench = imgwire()
        .arg("bench")
        .args(load.args())
        .args(["--json", json.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_a_finished_scenario(&json);
    // SAFETY: kill() sends SIGINT to the child we started, which is alive.
    unsafe { libc::kill(bench.id() as i32, libc::SIGINT) };
    let status = bench.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(bench.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted") && stderr.contains("partial.json"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["complete"], false);
    assert!(!report["scenarios"].as_array().unwrap().is_empty());
}

#[test]
fn an_export_can_take_stdout_with_the_tables_on_stderr() {
    let load = SmallRun {
        size: "32x32",
        bursts: "1",
        warmup: "0",
        ..SMALL_RUN
    };
    let mut argv = vec!["bench", "--payloads", "basic", "--protocols", "rest"];
    argv.extend(load.args());
    argv.extend(["--export-json", "-"]);
    let (ok, stdout, stderr) = run(&argv);
    assert!(ok, "{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&stdout).expect("stdout is the JSON alone");
    assert_eq!(report["settings"]["concurrency"], 2);
    assert_eq!(report["settings"]["bursts"], 1);
    assert!(
        stderr.contains("Seconds per burst"),
        "the tables go to stderr: {stderr}"
    );
    assert!(!stderr.contains("\x1b["), "no colour off a terminal");
}
