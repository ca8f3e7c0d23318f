//! The HTML report (`--html`, `--charts`): its structure over a fixed result
//! set, and a real run's page opened in headless Chromium, which must load
//! it with no console message (the page's content policy makes any fetch a
//! logged error) and draw every chart. Chromium comes from
//! scripts/install-chromium.sh, which scripts/test.sh runs.

use crate::common;

use common::{fixture, SmallRun, SMALL_RUN};

use imgwire::report::html::{latency_points, load_curves, HtmlExporter};
use imgwire::report::{BenchReport, Exporter};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn page(exporter: &HtmlExporter, report: &BenchReport) -> String {
    String::from_utf8(exporter.render(report).unwrap()).unwrap()
}

/// How many times `needle` occurs in `text`.
fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

#[test]
fn the_page_holds_every_table_and_chart_and_fetches_nothing() {
    let report = fixture::report();
    let html = page(&HtmlExporter::default(), &report);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for tag in ["html", "head", "body", "table", "figure", "section", "svg"] {
        let closes = count(&html, &format!("</{tag}>"));
        assert_eq!(
            count(&html, &format!("<{tag}")),
            closes,
            "<{tag}> unbalanced"
        );
    }
    for fetching in ["<script", "<link", "<img", "src=", "url(", "@import"] {
        assert!(!html.contains(fetching), "the page fetches with {fetching}");
    }
    assert!(html.contains("Content-Security-Policy"));
    // A stage chart and a latency CDF per size x payload.
    assert_eq!(count(&html, "<svg"), 4);
    for id in [
        "stages-360x640-basic",
        "latency-360x640-basic",
        "stages-360x640-binary",
    ] {
        assert!(
            html.contains(&format!("id=\"chart-{id}\"")),
            "no chart {id}"
        );
    }
    assert!(html.contains("Stages of a request: 360x640 binary (mean ms)"));
    assert!(html.contains("End-to-end latency: 360x640 basic (CDF)"));
    // The seed table: REST's binary cell is the faster one, marked.
    assert!(
        html.contains("<td class=\"faster\">0.0101 ±5% (0.272) x1.4</td>"),
        "{html}"
    );
    assert!(html.contains("<td>0.0143 ±5% (0.272)</td>"));
    assert!(html.contains("n/a: the model reads base64 text from JSON only (b64 x gRPC)"));
    // A section and a stage table per scenario, server stages by name.
    assert_eq!(count(&html, "<section class=\"scenario\""), 5);
    assert_eq!(count(&html, "<table class=\"stage-table\">"), 5);
    assert!(html.contains("id=\"scenario-360x640-binary-grpc\""));
    assert!(html.contains("<td class=\"name\">server.decode</td>"));
    assert!(
        html.contains("decode_mcu&lt;&amp;&gt; 25%"),
        "names are escaped"
    );
    assert!(!html.contains("Throughput against latency"));
}

/// The page opens with a verdict per size x payload measured over both
/// protocols; the factors table is a table with its units in its headers
/// and its legend in a paragraph (no fixed-width block to scroll or cut).
#[test]
fn the_page_opens_with_a_verdict_and_the_factors_are_a_table() {
    let report = fixture::report();
    let html = page(&HtmlExporter::default(), &report);
    let verdict = html.find("id=\"verdict\"").expect("a verdict section");
    assert!(
        verdict < html.find("id=\"settings\"").unwrap(),
        "the verdict comes first"
    );
    let items: Vec<&str> = html[verdict..]
        .split("</ul>")
        .next()
        .unwrap()
        .split("<li>")
        .skip(1)
        .collect();
    assert_eq!(items.len(), 2, "one line per size x payload: {items:?}");
    assert!(
        items[0].starts_with("<b>360x640 basic</b>: "),
        "{}",
        items[0]
    );
    assert!(
        items[1].starts_with("<b>360x640 binary</b>: "),
        "{}",
        items[1]
    );
    for item in &items {
        assert!(
            item.contains("faster per burst (95 % interval ")
                || item.contains("no clear difference"),
            "{item}"
        );
        assert!(
            item.contains("per request against REST"),
            "the stage: {item}"
        );
    }
    assert!(!html.contains("<pre"), "no fixed-width block");
    assert_eq!(count(&html, "<table class=\"factors\">"), 1);
    for header in [
        "REST/1.1 (s/burst)",
        "gRPC-REST/1.1 (s/burst)",
        "faster per burst [95 % interval]",
        "largest stage gap, gRPC - REST (ms/request)",
    ] {
        assert!(
            html.contains(&format!("<th>{header}</th>")),
            "no header {header}"
        );
    }
    assert!(html.contains("<td class=\"name\">360x640</td><td class=\"name\">binary</td>"));
    assert!(
        html.contains("add rest-h2 to --protocols to split the gap"),
        "the whole legend"
    );
}

/// Flamegraphs show CPU time only; the page says so under each profile and
/// links the trace, where the waits are, when the run wrote one.
#[test]
fn the_profile_note_says_cpu_only_and_links_the_trace() {
    let mut report = fixture::report();
    let html = page(&HtmlExporter::default(), &report);
    assert!(html.contains("flamegraphs show CPU time only"));
    assert!(html.contains("run with --trace PATH"));
    let profile = report.scenarios[3].profile.take().unwrap();
    let trace = std::env::current_dir().unwrap().join("out/trace.json");
    report.scenarios[3].profile = Some(profile.with_trace(Some(&trace)));
    let below = HtmlExporter {
        links_from: PathBuf::from("out/pages"),
        ..HtmlExporter::default()
    };
    let html = page(&below, &report);
    assert!(html.contains("<a href=\"../trace.json\">"), "{html}");
}

#[test]
fn flamegraph_links_are_relative_to_the_page_folder() {
    let report = fixture::report();
    let here = page(&HtmlExporter::default(), &report);
    assert!(here.contains("<a href=\"fg/360x640-binary-grpc-client.svg\">"));
    let below = HtmlExporter {
        links_from: PathBuf::from("out/pages"),
        ..HtmlExporter::default()
    };
    let html = page(&below, &report);
    assert!(html.contains("<a href=\"../../fg/360x640-binary-grpc-server.svg\">"));
}

#[test]
fn latency_points_rise_from_the_fastest_to_the_slowest_request() {
    let report = fixture::report();
    let scenario = &report.scenarios[0];
    let points = latency_points(scenario);
    let percentiles: Vec<f64> = points.iter().map(|p| p.0).collect();
    assert_eq!(percentiles, imgwire::report::summary::CDF_PERCENTS);
    assert!(points.windows(2).all(|w| w[0].1 <= w[1].1), "{points:?}");
    // The fixture's 40 latencies run from half the burst time up in steps
    // of a twentieth: the 0th point is the fastest, the 100th the slowest.
    let ms = |ns: u64| ns as f64 / 1e6;
    let burst = scenario.burst.mean_ns;
    assert_eq!(points[0].1, ms(burst / 2), "{points:?}");
    assert_eq!(points[points.len() - 1].1, ms(burst / 2 + burst / 20 * 39));
    let mut nothing = scenario.clone();
    nothing.latency_cdf.clear();
    assert!(latency_points(&nothing).is_empty());
}

#[test]
fn several_loads_of_one_matrix_draw_the_throughput_latency_chart() {
    let light = fixture::report();
    let mut heavy = fixture::report();
    for s in &mut heavy.scenarios {
        s.burst.mean_ns *= 3;
        s.throughput.requests_per_s *= 4.0 / 3.0;
    }
    let curves = load_curves(&[(4, &heavy), (1, &light)]);
    assert_eq!(curves.len(), 5);
    let rest = &curves[0];
    assert_eq!(rest.label, "360x640 basic REST");
    let concurrencies: Vec<usize> = rest.points.iter().map(|p| p.concurrency).collect();
    assert_eq!(concurrencies, [1, 4]);
    // Each point is the run's own throughput, the figure every output prints.
    let rates: Vec<f64> = rest.points.iter().map(|p| p.requests_per_s).collect();
    let rest_rate = |r: &BenchReport| r.scenarios[0].throughput.requests_per_s;
    assert_eq!(rates, [rest_rate(&light), rest_rate(&heavy)]);
    assert!(rates[0] > 0.0 && rates[1] != rates[0]);
    let exporter = HtmlExporter {
        load_curves: curves,
        ..HtmlExporter::default()
    };
    let html = page(&exporter, &light);
    assert_eq!(count(&html, "<svg"), 5);
    assert!(html.contains("id=\"chart-throughput-latency\""));
    assert!(
        html.contains("\nc4\n"), // plotters writes each text on its own line
        "points are named by their concurrency"
    );
}

/// Headless Chromium's path: `$CHROMIUM`, or the first browser on PATH.
fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let names = ["chromium", "chromium-browser", "google-chrome"];
    std::env::split_paths(&path)
        .flat_map(|dir| names.map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "headless Chromium is missing: run scripts/install-chromium.sh (scripts/test.sh \
                 installs it), or set CHROMIUM to a Chromium or Chrome binary"
            )
        })
}

/// What Chromium made of a page: the DOM after load, and the console
/// messages it logged.
struct Loaded {
    dom: String,
    console: Vec<String>,
}

/// Opens `page` in headless Chromium (its own profile folder) and dumps
/// the DOM once loaded; `extra` adds flags (e.g. a screenshot).
fn open_in_chromium(page: &Path, extra: &[String]) -> Loaded {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    // The DOM and the log go to files: a pipe nobody reads while Chromium
    // runs would fill up and stall it.
    let (dom_file, log_file) = (
        profile.path().join("dom.html"),
        profile.path().join("log.txt"),
    );
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
        ])
        .args(["--enable-logging=stderr", "--v=0", "--dump-dom"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(&url)
        .stdout(std::fs::File::create(&dom_file).unwrap())
        .stderr(std::fs::File::create(&log_file).unwrap())
        .spawn()
        .expect("Chromium starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("Chromium did not finish loading {url} in 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = std::fs::read_to_string(&log_file).unwrap();
    assert!(
        status.success(),
        "Chromium failed on {url} ({status}): {log}"
    );
    Loaded {
        dom: std::fs::read_to_string(&dom_file).unwrap(),
        console: log
            .lines()
            .filter(|line| line.contains(":CONSOLE"))
            .map(String::from)
            .collect(),
    }
}

#[test]
fn chromium_loads_a_real_runs_report_quietly_and_draws_its_charts() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let charts = dir.path().join("charts");
    let (html_arg, charts_arg) = (html.to_str().unwrap(), charts.to_str().unwrap());
    let load = SmallRun {
        size: "360x640",
        ..SMALL_RUN
    };
    let mut args = load.args().to_vec();
    args.extend([
        "--payloads",
        "basic,binary",
        "--protocols",
        "rest,grpc",
        "--brief",
        "--quiet",
        "--html",
        html_arg,
        "--charts",
        charts_arg,
    ]);
    common::bench_report(&args).expect("the run succeeds");
    let mut written: Vec<String> = std::fs::read_dir(&charts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "latency-360x640-basic.svg",
            "latency-360x640-binary.svg",
            "stages-360x640-basic.svg",
            "stages-360x640-binary.svg"
        ]
    );
    let loaded = open_in_chromium(&html, &[]);
    assert!(
        loaded.console.is_empty(),
        "console messages: {:#?}",
        loaded.console
    );
    assert_eq!(count(&loaded.dom, "<svg"), 4, "{}", loaded.dom);
    for title in [
        "Stages of a request: 360x640 basic (mean ms)",
        "Stages of a request: 360x640 binary (mean ms)",
        "End-to-end latency: 360x640 basic (CDF)",
        "End-to-end latency: 360x640 binary (CDF)",
    ] {
        assert!(loaded.dom.contains(title), "no chart titled {title}");
    }
    assert_eq!(count(&loaded.dom, "<section class=\"scenario\""), 4);
    assert!(loaded.dom.contains("REST or gRPC?"), "the verdict");
    assert_eq!(count(&loaded.dom, "<table class=\"factors\">"), 1);
    assert!(!loaded.dom.contains("<pre"));
}

#[test]
fn a_sweep_writes_a_page_and_a_charts_folder_per_value() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let charts = dir.path().join("charts");
    let (html_arg, charts_arg) = (html.to_str().unwrap(), charts.to_str().unwrap());
    let load = SmallRun {
        size: "360x640",
        concurrency: "1",
        bursts: "2",
        warmup: "0",
    };
    let mut args = load.args().to_vec();
    args.extend([
        "--sweep",
        "compression",
        "--payloads",
        "binary",
        "--protocols",
        "rest",
        "--quiet",
        "--html",
        html_arg,
        "--charts",
        charts_arg,
    ]);
    let plan = common::bench_plan(&args);
    imgwire::run::sweep::run(&plan, imgwire::run::plan::SweepFactor::Compression)
        .expect("the sweep succeeds");
    for value in ["compression-none", "compression-gzip"] {
        let page = std::fs::read_to_string(dir.path().join(format!("report-{value}.html")))
            .unwrap_or_else(|e| panic!("no page for {value}: {e}"));
        assert_eq!(count(&page, "<svg"), 2, "{value}");
        assert!(charts
            .join(value)
            .join("stages-360x640-binary.svg")
            .is_file());
    }
    assert!(!html.exists(), "a sweep writes a page per value only");
}

/// The console check above would see a page that failed: a script error
/// and a blocked fetch both reach the log it reads.
#[test]
fn chromium_logs_what_a_broken_page_does() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.html");
    let policy = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'";
    std::fs::write(
        &broken,
        format!(
            "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" \
             content=\"{policy}\"></head><body><svg></svg><img src=\"chart.png\">\
             <script>not_defined();</script></body></html>"
        ),
    )
    .unwrap();
    let loaded = open_in_chromium(&broken, &[]);
    let log = loaded.console.join("\n");
    assert!(log.contains("not_defined"), "{log}");
    assert!(log.contains("chart.png"), "{log}");
    assert_eq!(count(&loaded.dom, "<svg"), 1);
}
