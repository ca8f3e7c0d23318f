//! What the binary says when it stops: each cause of an error once, and a
//! floor URL pointed at another kind of port named as such.

use crate::common;

use common::serve_process::{imgwire, run_failing, serve_process};
use common::{SmallRun, SMALL_RUN};
use std::path::Path;

#[test]
fn an_errors_cause_is_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let missing = missing.to_str().unwrap();
    let stderr = run_failing(&["compare", missing, missing]);
    assert!(stderr.contains(missing), "{stderr}");
    assert_eq!(stderr.matches("(os error 2)").count(), 1, "{stderr}");
}

#[test]
fn a_tcp_url_at_an_http_port_is_called_an_http_port() {
    let (_server, rest, _grpc, _tcp) = serve_process(&[]);
    let port = rest.rsplit(':').next().unwrap();
    let url = format!("tcp://127.0.0.1:{port}");
    let stderr = run_failing(&[
        "bench",
        "--protocols",
        "tcp",
        "--tcp-url",
        &url,
        "--sizes",
        "48x64",
        "--bursts",
        "1",
        "--warmup",
        "0",
    ]);
    assert!(stderr.contains("an HTTP port"), "{stderr}");
    assert!(!stderr.contains("1213486160"), "{stderr}");
}

/// A scenario whose every request failed shows as failed in the table, its
/// stage lines, the CSV and the JSON: no zeros as figures, no "unstable".
#[test]
fn a_failed_scenario_shows_as_failed_with_no_figures() {
    let (_server, rest, grpc, _tcp) = serve_process(&[]);
    let port = rest.rsplit(':').next().unwrap();
    let wrong_floor = format!("tcp://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let (json, csv) = (dir.path().join("r.json"), dir.path().join("r.csv"));
    let (markdown, html) = (dir.path().join("r.md"), dir.path().join("r.html"));
    let load = SmallRun {
        bursts: "2",
        ..SMALL_RUN
    };
    let out = imgwire()
        .args([
            "bench",
            "--protocols",
            "rest,grpc,tcp",
            "--payloads",
            "binary",
        ])
        .args(load.args())
        .args(["--rest-url", &rest, "--grpc-url", &grpc])
        .args(["--tcp-url", &wrong_floor])
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
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        !stdout.contains("0.0000"),
        "zeros shown as figures:\n{stdout}"
    );
    // The failed scenario is never called unstable (a measured one may
    // be, on a busy machine: its warm-up is real).
    let unstable = stdout.split("\n\n").filter(|p| p.contains("unstable:"));
    assert!(unstable.clone().all(|p| !p.contains("TCP")), "{stdout}");
    let table_row = stdout.lines().find(|l| l.trim_start().starts_with("TCP"));
    assert!(table_row.is_some_and(|l| l.contains("failed")), "{stdout}");
    assert!(stdout.contains("48x64 binary TCP: failed: "), "{stdout}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    for s in report["scenarios"].as_array().unwrap() {
        match s["protocol"].as_str().unwrap() {
            "tcp" => {
                let why = s["failure"].as_str().expect("a failure");
                assert!(why.contains("an HTTP port"), "{why}");
                assert!(s["stable"].is_null(), "{s}");
            }
            _ => assert!(s["failure"].is_null(), "{s}"),
        }
    }
    the_failed_floor_is_failed_in_every_file(&csv, &markdown, &html);
}

/// The CSV, Markdown and HTML of a run whose 48x64 binary TCP floor failed:
/// one row or section for it, saying failed, with no figure.
fn the_failed_floor_is_failed_in_every_file(csv: &Path, markdown: &Path, html: &Path) {
    let csv = std::fs::read_to_string(csv).unwrap();
    let tcp_rows: Vec<&str> = csv.lines().filter(|l| l.contains(",tcp,")).collect();
    assert_eq!(tcp_rows.len(), 1, "{csv}");
    assert!(tcp_rows[0].contains(",failed,"), "{}", tcp_rows[0]);
    let markdown = std::fs::read_to_string(markdown).unwrap();
    let tcp_rows: Vec<&str> = markdown.lines().filter(|l| l.contains("| TCP |")).collect();
    assert_eq!(tcp_rows.len(), 1, "{markdown}");
    assert!(tcp_rows[0].contains("failed: "), "{}", tcp_rows[0]);
    assert!(!tcp_rows[0].contains("0.0000"), "{}", tcp_rows[0]);
    assert!(
        markdown.contains("### 48x64 binary TCP\n\nfailed: "),
        "{markdown}"
    );
    let html = std::fs::read_to_string(html).unwrap();
    let section = html
        .split("id=\"scenario-")
        .find(|s| s.contains("TCP</h3>"));
    let section = section.expect("the failed scenario's section");
    assert!(
        section.contains("failed: ") && !section.contains("stage-table"),
        "{section}"
    );
}

/// Under `--link` the client talks to the relay: the JSON records the URL
/// given and the relay's, each under its own name.
#[test]
fn under_a_link_the_url_given_and_the_relays_are_both_recorded() {
    let servers = common::start_servers(common::default_server_config());
    let given = format!("http://{}", servers.rest_addr);
    let dir = tempfile::tempdir().unwrap();
    let mut args = common::small_rest_flags(&given, "2");
    args.extend(["--link", "rtt=1ms"]);
    let (result, report) = common::bench(dir.path(), &args);
    result.unwrap();
    let settings = &report.unwrap()["settings"];
    assert_eq!(settings["rest_url"], given.as_str(), "{settings}");
    let relay = settings["rest_target"].as_str().unwrap();
    assert_ne!(relay, given, "the relay's own port: {settings}");
    assert!(relay.starts_with("http://127.0.0.1:"), "{relay}");
    assert!(settings["grpc_url"].is_null(), "{settings}");
}
