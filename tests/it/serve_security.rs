//! `imgwire serve`'s safe defaults, run as a user runs it: a warning on
//! stderr when a server listens beyond loopback (plain text, no TLS), none
//! when all listen on loopback; and CPU profiles still served to a loopback
//! client without `--profiling-public` (a non-loopback client's 403 is the
//! unit test of `may_profile`, as no test here has another address).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `imgwire serve`, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `imgwire serve` with `addresses` (flag, address) and `extra`,
/// waits until it is serving; returns it and its REST address.
fn serve(addresses: [(&str, &str); 3], extra: &[&str]) -> (Server, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_imgwire"));
    command.arg("serve");
    for (flag, address) in addresses {
        command.args([flag, address]);
    }
    let mut child = command
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("imgwire runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let rest = first
        .strip_prefix("REST listening on http://")
        .unwrap_or_else(|| panic!("unexpected line {first}"))
        .to_string();
    for line in lines.by_ref() {
        if line.unwrap().ends_with("Ctrl-C stops") {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    (Server(child), rest)
}

/// Everything the server wrote on stderr, once stopped.
fn stderr_of(mut server: Server) -> String {
    let _ = server.0.kill();
    let _ = server.0.wait();
    let mut stderr = String::new();
    server
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    stderr
}

const LOOPBACK: [(&str, &str); 3] = [
    ("--rest-addr", "127.0.0.1:0"),
    ("--grpc-addr", "127.0.0.1:0"),
    ("--tcp-addr", "127.0.0.1:0"),
];

#[test]
fn a_server_beyond_loopback_warns_of_plain_text_once() {
    let mut addresses = LOOPBACK;
    addresses[0].1 = "0.0.0.0:0";
    let (server, _) = serve(addresses, &[]);
    let stderr = stderr_of(server);
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("no TLS")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(warnings[0].contains("--rest-addr 0.0.0.0:0"), "{stderr}");
}

#[test]
fn servers_on_loopback_do_not_warn() {
    let (server, _) = serve(LOOPBACK, &[]);
    let stderr = stderr_of(server);
    assert!(!stderr.contains("TLS"), "{stderr}");
}

#[test]
fn a_loopback_client_gets_a_profile_without_profiling_public() {
    let (_server, rest) = serve(LOOPBACK, &["--profiling"]);
    let mut client = TcpStream::connect(&rest).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    client
        .write_all(
            b"GET /debug/pprof/profile?seconds=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    let mut answer = Vec::new();
    client.read_to_end(&mut answer).unwrap();
    let head = String::from_utf8_lossy(&answer[..answer.len().min(200)]).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
}

#[test]
fn profiling_public_needs_profiling() {
    let out = Command::new(env!("CARGO_BIN_EXE_imgwire"))
        .args(["serve", "--profiling-public"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--profiling"), "{stderr}");
}
