//! `--metrics-addr` serves the counted bursts in the Prometheus text format
//! while the run goes (the final figures agree with the report, warm-up left
//! out); `imgwire serve` counts its answers on its REST port's `/metrics`;
//! and (ignored, scripts/test.sh) a real Prometheus scrapes a running bench
//! and its PromQL p99 lands in the report's p99's bucket or the next, with
//! every query of deploy/grafana/imgwire.json answered.

use crate::common;

use common::raw_http::{http, try_http};
use imgwire::metrics::buckets::{bounds, bucket_of};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Stdio};

const SCENARIO: &str = "48x64 binary REST";

/// `imgwire bench ARGS --metrics-addr ADDR --json DIR/out.json` (48x64
/// unless ARGS give `--sizes`), started; the child and the address it says
/// it serves on.
fn start_bench(dir: &Path, addr: &str, args: &[&str]) -> (Child, SocketAddr) {
    let json = dir.join("out.json");
    let size = match args.contains(&"--sizes") {
        true => &[][..],
        false => &["--sizes", "48x64"][..],
    };
    let mut child = common::serve_process::imgwire()
        .args(["bench", "--quiet", "--payloads", "binary"])
        .args(size)
        .args(["--protocols", "rest", "--metrics-addr", addr, "--json"])
        .arg(&json)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut lines = stderr.lines();
    let line = lines.next().expect("a line on stderr").unwrap();
    let bound = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("no address in {line}"));
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, bound.parse().unwrap())
}

/// One scrape, or None where the process behind `addr` has gone (it may
/// end between two scrapes, or during one that it did not wait for).
fn scrape(addr: SocketAddr) -> Option<String> {
    let exchange = try_http(addr, "GET", "/metrics", &[], b"").ok()?;
    assert_eq!(exchange.status, 200);
    let content_type = exchange.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    Some(exchange.text().to_string())
}

/// The value of the sample `name{...}` whose labels include every one of
/// `labels` (`key="value"`).
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .find(|l| labels.iter().all(|label| l.contains(label)))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
}

fn report(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("out.json")).unwrap()).unwrap()
}

#[test]
fn the_last_scrape_holds_every_counted_request_and_no_warm_up() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["-c", "2", "-n", "40", "--warmup", "3", "--warmup-max", "0"];
    let (mut child, addr) = start_bench(dir.path(), "127.0.0.1:0", &args);
    let last = scrape_until_gone(addr);
    assert!(child.wait().unwrap().success());
    let report = report(dir.path());
    let requests = report["scenarios"][0]["requests"].as_f64().unwrap();
    assert_eq!(requests, 2.0 * 40.0, "the counted bursts alone");
    let scenario = format!("scenario=\"{SCENARIO}\"");
    let base = [scenario.as_str(), "protocol=\"rest\"", "shard=\"0\""];
    assert_eq!(
        sample(&last, "imgwire_requests_total", &base),
        Some(requests),
        "{last}"
    );
    assert_eq!(sample(&last, "imgwire_errors_total", &base), Some(0.0));
    assert!(sample(&last, "imgwire_sent_bytes_total", &base).unwrap() > requests * 1000.0);
    assert!(sample(&last, "imgwire_client_cpu_seconds_total", &base).unwrap() > 0.0);
    let encode = sample(&last, "imgwire_client_encode_cpu_seconds_total", &base);
    assert_eq!(encode, Some(0.0), "frames encoded before the run");
    let wall = [scenario.as_str(), "stage=\"wall\""];
    assert_eq!(
        sample(&last, "imgwire_stage_seconds_count", &wall),
        Some(requests)
    );
    let buckets: Vec<f64> = last
        .lines()
        .filter(|l| l.starts_with("imgwire_stage_seconds_bucket{") && l.contains("stage=\"wall\""))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(buckets.len(), bounds().len() + 1);
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "cumulative");
    assert_eq!(buckets.last(), Some(&requests), "+Inf holds every request");
    let decode = [scenario.as_str(), "stage=\"server.decode\""];
    assert_eq!(
        sample(&last, "imgwire_stage_seconds_count", &decode),
        Some(requests)
    );
}

/// Cameras encode live: the last scrape's client CPU and its encoder
/// threads' part are the report's own `client_cpu` figures, and its frame
/// counts the report's `cameras` counts.
#[test]
fn a_camera_runs_cpu_and_frames_are_its_reports() {
    let dir = tempfile::tempdir().unwrap();
    let sizes = ["--sizes", "480x640"];
    let cameras = ["--streams", "2", "--fps", "20", "--duration", "1"];
    let args = [&sizes[..], &cameras].concat();
    let (mut child, addr) = start_bench(dir.path(), "127.0.0.1:0", &args);
    let last = scrape_until_gone(addr);
    assert!(child.wait().unwrap().success());
    let cpu = &report(dir.path())["scenarios"][0]["client_cpu"];
    let base = ["scenario=\"480x640 binary REST\"", "protocol=\"rest\""];
    for (metric, key) in [
        ("imgwire_client_cpu_seconds_total", "cpu_s"),
        ("imgwire_client_encode_cpu_seconds_total", "encode_cpu_s"),
    ] {
        let scraped = sample(&last, metric, &base).unwrap_or_else(|| panic!("{metric}: {last}"));
        let reported = cpu[key].as_f64().unwrap();
        assert!(
            (scraped - reported).abs() <= 1e-9 * reported.max(1.0),
            "{metric} {scraped} vs {key} {reported}"
        );
    }
    assert!(cpu["encode_cpu_s"].as_f64().unwrap() > 0.0, "{cpu}");
    let cams = &report(dir.path())["scenarios"][0]["cameras"];
    for kind in ["offered", "sent", "late", "dropped"] {
        let label = format!("kind=\"{kind}\"");
        let labels = [base[0], base[1], label.as_str()];
        let scraped = sample(&last, "imgwire_frames_total", &labels);
        let reported = cams[format!("frames_{kind}")].as_f64();
        assert_eq!(scraped, reported, "{kind}: {last}");
    }
}

/// Scrapes `addr` every 20 ms until the bench behind it has gone; the last
/// text it served.
fn scrape_until_gone(addr: SocketAddr) -> String {
    let mut last = String::new();
    while let Some(text) = scrape(addr) {
        last = text;
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    last
}

/// A closed run hands its requests to the metrics while it goes (about
/// every second), not only when it ends: a scrape in the middle sees some
/// of them, and the last one all.
#[test]
fn a_closed_run_is_seen_growing_while_it_goes() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--load",
        "closed",
        "--duration",
        "4s",
        "-c",
        "2",
        "--warmup",
        "0",
    ];
    let (mut child, addr) = start_bench(dir.path(), "127.0.0.1:0", &args);
    let scenario = format!("scenario=\"{SCENARIO}\"");
    let mut seen = Vec::new();
    while let Some(text) = scrape(addr) {
        seen.push(sample(&text, "imgwire_requests_total", &[&scenario]).unwrap_or(0.0));
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(child.wait().unwrap().success());
    let requests = report(dir.path())["scenarios"][0]["requests"]
        .as_f64()
        .unwrap();
    assert_eq!(
        seen.last(),
        Some(&requests),
        "the last scrape holds them all"
    );
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "a counter: {seen:?}");
    let midway = seen.iter().filter(|v| **v > 0.0 && **v < requests).count();
    assert!(midway > 0, "no scrape saw the run midway: {seen:?}");
}

#[test]
fn a_shards_closed_run_is_labelled_by_its_index_and_waits_for_the_last_scrape() {
    // The closed load's last requests arrive once the counted run has
    // ended: only the wait for a last scrape brings them to the scraper.
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--shard",
        "1/2",
        "--load",
        "closed",
        "--duration",
        "1",
        "-c",
        "4",
    ];
    let (mut child, addr) = start_bench(dir.path(), "127.0.0.1:0", &args);
    let last = scrape_until_gone(addr);
    assert!(child.wait().unwrap().success());
    let requests = report(dir.path())["scenarios"][0]["requests"]
        .as_f64()
        .unwrap();
    let labels = [format!("scenario=\"{SCENARIO}\""), "shard=\"1\"".into()];
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    assert!(requests > 0.0);
    assert_eq!(
        sample(&last, "imgwire_requests_total", &labels),
        Some(requests),
        "{last}"
    );
}

#[test]
fn a_taken_metrics_address_is_refused_by_flag() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = common::serve_process::imgwire()
        .args([
            "bench",
            "--sizes",
            "48x64",
            "-n",
            "1",
            "--metrics-addr",
            &addr,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("--metrics-addr {addr}")),
        "{stderr}"
    );
}

#[test]
fn serve_counts_its_answers_and_their_stages_on_its_rest_port() {
    let (_server, rest, _, _) = common::serve_process::serve_process(&[]);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("out.json");
    common::serve_process::run_ok(&[
        "bench",
        "--quiet",
        "--rest-url",
        &rest,
        "--protocols",
        "rest",
        "--payloads",
        "binary",
        "--sizes",
        "48x64",
        "-c",
        "2",
        "-n",
        "5",
        "--json",
        json.to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let counted = report["scenarios"][0]["requests"].as_f64().unwrap();
    let addr: SocketAddr = rest
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let text = scrape(addr).unwrap();
    let ok = ["protocol=\"rest\"", "outcome=\"ok\""];
    let answered = sample(&text, "imgwire_server_requests_total", &ok).unwrap();
    assert!(
        answered >= counted && counted == 10.0,
        "{answered} answered, {counted} counted"
    );
    let decode = ["stage=\"server.decode\"", "protocol=\"rest\""];
    assert_eq!(
        sample(&text, "imgwire_server_stage_seconds_count", &decode),
        Some(answered)
    );
    assert!(sample(&text, "imgwire_server_stage_seconds_total", &decode).unwrap() > 0.0);
}

/// A Prometheus of its own (Debian's package, scripts/install-prometheus.sh)
/// scraping `target` every 0.5 s, on a free port, killed on drop.
struct Prometheus {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn start(target: SocketAddr) -> Prometheus {
        let binary = crate::common::process::installed_by("install-prometheus.sh");
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        let scrape = format!(
            "global:\n  scrape_interval: 500ms\n  scrape_timeout: 400ms\nscrape_configs:\n  \
             - job_name: imgwire\n    static_configs:\n      - targets: ['{target}']\n"
        );
        std::fs::write(&config, scrape).unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{}", common::free_port())
            .parse()
            .unwrap();
        let child = std::process::Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("log")).unwrap())
            .spawn()
            .unwrap();
        let prometheus = Prometheus {
            child,
            addr,
            _dir: dir,
        };
        for _ in 0..300 {
            let up = std::net::TcpStream::connect(addr).is_ok()
                && http(addr, "GET", "/-/ready", &[], b"").status == 200;
            if up {
                return prometheus;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("Prometheus did not get ready on {addr}");
    }

    /// An instant query's result (`data.result`), refused unless its
    /// status is success.
    fn query(&self, promql: &str) -> Vec<Value> {
        let path = format!("/api/v1/query?query={}", percent_encoded(promql));
        let answer = http(self.addr, "GET", &path, &[], b"");
        let json = answer.json();
        assert_eq!(json["status"], "success", "{promql}: {json}");
        json["data"]["result"].as_array().unwrap().clone()
    }
}

fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every PromQL expression of the dashboard, its variables set as Grafana
/// would (every scenario, a 1-minute rate window).
fn dashboard_queries() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/grafana/imgwire.json");
    let dashboard: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let panels = dashboard["panels"].as_array().unwrap();
    let titles: Vec<String> = panels
        .iter()
        .map(|p| p["title"].as_str().unwrap().to_lowercase())
        .collect();
    for wanted in [
        "throughput",
        "p50",
        "p99",
        "errors",
        "client cpu",
        "per shard",
    ] {
        assert!(
            titles.iter().any(|t| t.contains(wanted)),
            "no {wanted} panel in {titles:?}"
        );
    }
    let targets = panels
        .iter()
        .flat_map(|p| p["targets"].as_array().unwrap().clone());
    let exprs = targets.map(|t| t["expr"].as_str().unwrap().to_string());
    exprs
        .map(|e| {
            e.replace("$__rate_interval", "1m")
                .replace("$scenario", ".*")
        })
        .collect()
}

#[test]
#[ignore = "needs Debian's prometheus package: scripts/install-prometheus.sh (scripts/test.sh runs it)"]
fn a_real_prometheus_reads_the_reports_p99_within_a_bucket() {
    let (_server, rest, _, _) = common::serve_process::serve_process(&[]);
    let metrics: SocketAddr = format!("127.0.0.1:{}", common::free_port())
        .parse()
        .unwrap();
    let prometheus = Prometheus::start(metrics);
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--rest-url",
        &rest,
        "--load",
        "closed",
        "--duration",
        "6",
        "-c",
        "4",
    ];
    let (mut child, bound) = start_bench(dir.path(), &metrics.to_string(), &args);
    assert_eq!(bound, metrics);
    assert!(child.wait().unwrap().success());
    let report = report(dir.path());
    let scenario = &report["scenarios"][0];
    let p99_s = scenario["stages"]["wall"]["p99_ns"].as_f64().unwrap() / 1e9;
    let promql = format!(
        "histogram_quantile(0.99, sum by (le) (last_over_time(\
         imgwire_stage_seconds_bucket{{stage=\"wall\",scenario=\"{SCENARIO}\"}}[5m])))"
    );
    let result = prometheus.query(&promql);
    assert_eq!(result.len(), 1, "{result:?}");
    let promql_p99: f64 = result[0]["value"][1].as_str().unwrap().parse().unwrap();
    let (ours, theirs) = (bucket_of(p99_s), bucket_of(promql_p99));
    eprintln!(
        "wall p99: report {p99_s:.6} s (bucket {ours}), PromQL {promql_p99:.6} s (bucket {theirs})"
    );
    assert!(
        ours.abs_diff(theirs) <= 1,
        "report {p99_s} s, PromQL {promql_p99} s"
    );
    let requests = prometheus.query(&format!(
        "last_over_time(imgwire_requests_total{{scenario=\"{SCENARIO}\"}}[5m])"
    ));
    let scraped: f64 = requests[0]["value"][1].as_str().unwrap().parse().unwrap();
    assert_eq!(
        Some(scraped),
        scenario["requests"].as_f64(),
        "the last figures were scraped"
    );
    for query in dashboard_queries() {
        prometheus.query(&query);
    }
}
