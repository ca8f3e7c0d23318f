//! A server's reported stages that do not fit inside the client's round
//! trip (a hostile `Server-Timing: decode;dur=1e300`) are flagged in the
//! text, the CSV, the JSON, the Markdown and the HTML, counted in
//! `timing_warnings`, and left out of the stage means: no server stage is
//! printed from them, and no output says the server sends none.

use crate::common;

use common::{default_server_config, scenarios, start_servers};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

/// One HTTP/1.1 message (request or response) off `from`: its head lines
/// and its body (Content-Length framed); None at a clean end of stream.
fn read_message(from: &mut BufReader<TcpStream>) -> Option<(Vec<String>, Vec<u8>)> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if from.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        head.push(line);
    }
    let length = head
        .iter()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.trim().parse().unwrap());
    let mut body = vec![0; length];
    from.read_exact(&mut body).ok()?;
    Some((head, body))
}

fn write_message(to: &mut TcpStream, head: &[String], body: &[u8]) {
    let mut text = head.join("\r\n");
    text.push_str("\r\n\r\n");
    to.write_all(text.as_bytes()).unwrap();
    to.write_all(body).unwrap();
}

/// A proxy on 127.0.0.1:0 in front of the REST server at `upstream` that
/// answers every response with `timing` as its `Server-Timing`.
fn hostile_proxy(upstream: SocketAddr, timing: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let server = TcpStream::connect(upstream).unwrap();
                let (mut to_client, mut to_server) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (mut from_client, mut from_server) =
                    (BufReader::new(client), BufReader::new(server));
                while let Some((head, body)) = read_message(&mut from_client) {
                    write_message(&mut to_server, &head, &body);
                    let (head, body) = read_message(&mut from_server).unwrap();
                    let mut head: Vec<String> = head
                        .into_iter()
                        .filter(|l| !l.to_ascii_lowercase().starts_with("server-timing:"))
                        .collect();
                    head.push(format!("server-timing: {timing}"));
                    write_message(&mut to_client, &head, &body);
                }
            });
        }
    });
    addr
}

#[test]
fn server_stages_longer_than_the_round_trip_are_flagged_and_left_out() {
    let servers = start_servers(default_server_config());
    let proxy = hostile_proxy(servers.rest_addr, "decode;dur=1e300");
    let dir = tempfile::tempdir().unwrap();
    let (json, csv) = (dir.path().join("r.json"), dir.path().join("r.csv"));
    let (markdown, html) = (dir.path().join("r.md"), dir.path().join("r.html"));
    let url = format!("http://{proxy}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_imgwire"))
        .arg("bench")
        .args(common::small_rest_flags(&url, "3"))
        .arg("--export-json")
        .arg(&json)
        .arg("--export-csv")
        .arg(&csv)
        .arg("--export-markdown")
        .arg(&markdown)
        .arg("--html")
        .arg(&html)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = common::successful_stdout(&out);
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let s = &scenarios(&report)[0];
    assert_eq!(
        s["timing_warnings"], s["requests"],
        "every response flagged: {s}"
    );
    let example = s["timing_warning_examples"][0].as_str().unwrap();
    assert!(example.contains("do not fit inside"), "{example}");
    assert!(
        s["stages"].get("server.decode").is_none(),
        "{}",
        s["stages"]
    );
    let flat = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("6 of 6 responses' Server-Timing left out"),
        "{stdout}"
    );
    assert!(!stdout.contains("server.decode"), "{stdout}");
    assert!(!stdout.contains("18446744073"), "{stdout}");
    let csv = std::fs::read_to_string(&csv).unwrap();
    assert!(csv.contains("Server-Timing left out"), "{csv}");
    assert!(!csv.contains("server.decode"), "{csv}");
    let markdown = std::fs::read_to_string(&markdown).unwrap();
    // The HTML escapes the apostrophe; read it back as text.
    let html = std::fs::read_to_string(&html)
        .unwrap()
        .replace("&#39;", "'");
    let requests = &s["requests"];
    let warning =
        format!("{requests} of {requests} responses' Server-Timing left out of the server stages");
    for (name, file) in [("Markdown", &markdown), ("HTML", &html)] {
        let flat = file.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(&warning), "{name} has no warning: {file}");
        assert!(flat.contains("do not fit inside"), "{name}: {file}");
        assert!(
            flat.to_lowercase()
                .contains("no response's server-timing could be taken"),
            "{name}: {file}"
        );
        assert!(
            !flat.to_lowercase().contains("sends no server-timing"),
            "{name} says the server sends none: {file}"
        );
        assert!(!file.contains("server.decode"), "{name}: {file}");
        assert!(!file.contains("18446744073"), "{name}: {file}");
    }
}

/// Honest stages that fit are taken as they are, through the same proxy.
#[test]
fn server_stages_that_fit_are_kept() {
    let servers = start_servers(default_server_config());
    let proxy = hostile_proxy(servers.rest_addr, "decode;dur=0.000001");
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{proxy}");
    let (result, report) = common::bench(dir.path(), &common::small_rest_flags(&url, "2"));
    result.unwrap();
    let report = report.unwrap();
    let s = &scenarios(&report)[0];
    assert_eq!(s["timing_warnings"], 0, "{s}");
    assert!(
        s["stages"].get("server.decode").is_some(),
        "{}",
        s["stages"]
    );
}
