//! The real binary as a child process: `imgwire serve` on free loopback
//! ports (started with extra flags, its URLs read from the banner it
//! prints, killed when dropped), and any command run to its end.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The binary under test.
pub fn imgwire() -> Command {
    Command::new(env!("CARGO_BIN_EXE_imgwire"))
}

/// Runs `imgwire ARGS` to its end with no stdin.
fn run_to_end(args: &[&str]) -> std::process::Output {
    let command = imgwire().args(args).stdin(Stdio::null()).output();
    command.expect("imgwire runs")
}

/// Runs `imgwire ARGS` to its end with no stdin; its stdout, once it has
/// exited 0 (its stderr is the failure's message otherwise).
pub fn run_ok(args: &[&str]) -> String {
    let out = run_to_end(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "imgwire {args:?}: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `imgwire bench --no-color --wide --warmup 1 --warmup-max 0 ARGS`
/// (one warm-up burst or window, tables unwrapped) like [`run_ok`].
pub fn bench_ok(args: &[&str]) -> String {
    let head = [
        "bench",
        "--no-color",
        "--wide",
        "--warmup",
        "1",
        "--warmup-max",
        "0",
    ];
    run_ok(&[&head[..], args].concat())
}

/// Runs `imgwire ARGS` to its end with no stdin; its stderr, once it has
/// exited non-zero (a refusal's message).
pub fn run_failing(args: &[&str]) -> String {
    let out = run_to_end(args);
    assert!(!out.status.success(), "imgwire {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `imgwire serve` on 127.0.0.1:0 for REST, gRPC and the floor, plus `extra`.
pub fn serve_command(extra: &[&str]) -> Command {
    let mut command = imgwire();
    command
        .args(["serve", "--rest-addr", "127.0.0.1:0"])
        .args(["--grpc-addr", "127.0.0.1:0", "--tcp-addr", "127.0.0.1:0"])
        .args(extra);
    command
}

/// A running `imgwire serve`, killed on drop.
pub struct ServeProcess(pub Child);

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `imgwire serve` on 127.0.0.1:0 with `extra` flags; the process
/// and its REST, gRPC and TCP floor URLs as its banner names them.
pub fn serve_process(extra: &[&str]) -> (ServeProcess, String, String, String) {
    let mut child = serve_command(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("imgwire serve starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut url = |prefix: &str| {
        let line = lines.next().expect("a banner line").expect("text");
        line.strip_prefix(prefix)
            .unwrap_or_else(|| panic!("unexpected line {line}"))
            .to_string()
    };
    let rest = url("REST listening on ");
    let grpc = url("gRPC listening on ");
    let tcp = url("TCP floor listening on ");
    // Keep reading so the server's later output never meets a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (ServeProcess(child), rest, grpc, tcp)
}
