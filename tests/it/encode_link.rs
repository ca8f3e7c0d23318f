//! `imgwire encode`'s decision on a link, run as the binary: the `none`
//! row, each output decoded as the server decodes it, the cost of a frame
//! end to end over each `--link` and the crossover, in the table, JSON, CSV
//! and Markdown; and the projection checked against a real `imgwire bench
//! --link` through the built-in server.

use crate::common;

use common::serve_process::imgwire;
use serde_json::Value;
use std::path::Path;
use std::process::Stdio;

/// Runs `imgwire ARGS`; its exit status, stdout and stderr.
fn run(args: &[&str]) -> (bool, String, String) {
    let out = imgwire()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("imgwire runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("the JSON was written")).unwrap()
}

fn u(value: &Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("not an integer: {value}"))
}

const RAW_120X160: u64 = 120 * 160 * 3;

/// What `encode_two_links` printed and wrote: its table, CSV, Markdown and
/// HTML page.
struct Outputs {
    stdout: String,
    csv: String,
    markdown: String,
    html: String,
}

/// `encode --encoders turbojpeg,none` over two links, every output asked
/// for: the report of it, and its other outputs.
fn encode_two_links(dir: &Path) -> (Value, Outputs) {
    let json = dir.join("e.json");
    let csv = dir.join("e.csv");
    let markdown = dir.join("e.md");
    let html = dir.join("e.html");
    let args = [
        "encode",
        "--encoders",
        "turbojpeg,none",
        "--sizes",
        "120x160",
        "--frames",
        "6",
        "--threads",
        "1",
        "--quality",
        "50,90",
        "--link",
        "bw=10mbit,rtt=1ms",
        "--link-speeds",
        "10mbit,10gbit",
        "--export-json",
        json.to_str().unwrap(),
        "--export-csv",
        csv.to_str().unwrap(),
        "--export-markdown",
        markdown.to_str().unwrap(),
        "--export-html",
        html.to_str().unwrap(),
    ];
    let (ok, stdout, stderr) = run(&args);
    assert!(ok, "{stderr}");
    let read = |path| std::fs::read_to_string(path).unwrap();
    let outputs = Outputs {
        stdout,
        csv: read(csv),
        markdown: read(markdown),
        html: read(html),
    };
    (read_json(&json), outputs)
}

#[test]
fn the_none_row_is_the_frames_own_bytes_at_full_fidelity() {
    let dir = tempfile::tempdir().unwrap();
    let (report, Outputs { stdout, .. }) = encode_two_links(dir.path());
    let rows = report["rows"].as_array().unwrap();
    let raw: Vec<&Value> = rows.iter().filter(|r| r["encoder"] == "none").collect();
    assert_eq!(raw.len(), 1, "one row, whatever --quality says: {raw:?}");
    let raw = raw[0];
    assert!(
        raw["quality"].is_null() && raw["subsampling"].is_null(),
        "{raw}"
    );
    assert_eq!(u(&raw["mean_encoded_bytes"]), RAW_120X160);
    assert_eq!(raw["bits_per_pixel"], 24.0);
    assert!(
        raw["psnr_rgb_db"].is_null() && raw["psnr_y_db"].is_null(),
        "{raw}"
    );
    assert!(
        (raw["ssim_y"].as_f64().unwrap() - 1.0).abs() < 1e-9,
        "{raw}"
    );
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("none "))
        .unwrap_or_else(|| panic!("no none row:\n{stdout}"));
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&cells[..3], ["none", "-", "-"], "{line}");
    assert!(line.contains("inf") && line.contains("1.0000"), "{line}");
    assert!(
        report["same_quality"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["encoder"] != "none"),
        "raw frames are not paired by PSNR"
    );
}

#[test]
fn every_output_is_decoded_by_the_servers_decoders_or_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let (report, Outputs { stdout, csv, .. }) = encode_two_links(dir.path());
    let decodes = report["decode"].as_array().unwrap();
    let gpu = imgwire::gpu::driver_present();
    let settings = 3; // turbojpeg q50 and q90, none
    let turbo: Vec<&Value> = decodes
        .iter()
        .filter(|d| d["decoder"] == "turbojpeg")
        .collect();
    assert_eq!(turbo.len(), settings, "{decodes:?}");
    for decode in &turbo {
        assert_eq!(decode["decode_frames"], 6, "{decode}");
        assert!(u(&decode["decode_p50_frame_ns"]) <= u(&decode["decode_p99_frame_ns"]));
        assert!(decode["error"].is_null(), "{decode}");
    }
    let jpeg_decode = turbo.iter().find(|d| d["encoder"] == "turbojpeg").unwrap();
    assert!(u(&jpeg_decode["decode_p50_frame_ns"]) > 0, "{jpeg_decode}");
    let missing = report["machine"]["decoders_unavailable"]
        .as_array()
        .unwrap();
    if gpu {
        assert!(decodes.iter().any(|d| d["decoder"] == "nvjpeg"));
    } else {
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert_eq!(missing[0]["decoder"], "nvjpeg");
        let why = missing[0]["reason"].as_str().unwrap();
        assert!(why.contains("--server-decoder nvjpeg"), "{why}");
        assert!(
            stdout.contains("nvjpeg decode: n/a: no CUDA driver"),
            "{stdout}"
        );
    }
    let decode_lines = csv.lines().filter(|l| l.starts_with("decode,")).count();
    assert_eq!(decode_lines, decodes.len(), "{csv}");
}

/// Each cost is the sum the model states, from the row's own figures; the
/// crossover picks the least of them at each link.
#[test]
fn link_costs_add_up_and_the_crossover_picks_the_cheapest() {
    let dir = tempfile::tempdir().unwrap();
    let (report, outputs) = encode_two_links(dir.path());
    let Outputs {
        stdout,
        csv,
        markdown,
        html,
    } = &outputs;
    let links = report["settings"]["links"].as_array().unwrap();
    let bandwidths: Vec<f64> = links
        .iter()
        .map(|l| l["bits_per_second"].as_f64().unwrap())
        .collect();
    assert_eq!(bandwidths, [1e7, 1e10], "--link first, its speed once");
    assert!(links.iter().all(|l| l["rtt_ns"] == 1_000_000));
    let costs = report["link_costs"].as_array().unwrap();
    assert_eq!(costs.len(), 3 * 2, "{costs:?}");
    for cost in costs {
        let bytes = u(&cost["encoded_bytes"]) as f64;
        let bps = cost["link"]["bits_per_second"].as_f64().unwrap();
        let transfer = u(&cost["transfer_ns"]);
        assert_eq!(transfer, (bytes * 8.0 * 1e9 / bps).round() as u64, "{cost}");
        let sum = u(&cost["encode_ns"]) + transfer + u(&cost["rtt_ns"]) + u(&cost["decode_ns"]);
        assert_eq!(u(&cost["end_to_end_ns"]), sum, "{cost}");
        let slowest = [&cost["encode_ns"], &cost["transfer_ns"], &cost["decode_ns"]]
            .map(u)
            .into_iter()
            .max()
            .unwrap() as f64;
        let pipelined = cost["pipelined_frames_per_s"].as_f64().unwrap();
        assert!(
            (pipelined - 1e9 / slowest).abs() < 1e-6 * pipelined,
            "{cost}"
        );
    }
    let crossover = report["crossover"].as_array().unwrap();
    assert_eq!(crossover.len(), 2);
    for (pick, link) in crossover.iter().zip(links) {
        assert_eq!(&pick["link"], link);
        let at_link = costs.iter().filter(|c| &c["link"] == link);
        let least = at_link.map(|c| u(&c["end_to_end_ns"])).min().unwrap();
        assert_eq!(u(&pick["cheapest"]["end_to_end_ns"]), least, "{pick}");
    }
    // 57,600 raw bytes take 46 ms at 10 Mbit/s; a 120x160 JPEG a few.
    assert_eq!(crossover[0]["cheapest"]["encoder"], "turbojpeg");
    let table_start = stdout.find("Crossover:").expect("the crossover table");
    assert!(
        stdout[table_start..].contains("10 Mbit/s, rtt 1 ms"),
        "{stdout}"
    );
    assert!(stdout.contains("10 Gbit/s, rtt 1 ms"), "{stdout}");
    let link_lines = csv.lines().filter(|l| l.starts_with("link,")).count();
    assert_eq!(link_lines, costs.len());
    assert!(csv
        .lines()
        .any(|l| l.starts_with("link,") && l.contains("cheapest")));
    assert!(markdown.contains("## 120x160"), "{markdown}");
    assert!(
        markdown.contains("| link | goal | choice | cost | PSNR RGB | SSIM Y |"),
        "{markdown}"
    );
    let widest = stdout.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest <= 100, "{widest} columns:\n{stdout}");
    the_page_holds_the_crossover_and_a_line_per_setting(&report, html);
}

/// The HTML page: the crossover table's picks are the JSON's, and its chart
/// draws one line per setting over the two link speeds; it fetches nothing.
fn the_page_holds_the_crossover_and_a_line_per_setting(report: &Value, html: &str) {
    assert!(html.contains("<h2>120x160</h2>"), "{html}");
    let pick = &report["crossover"][0]["cheapest"];
    let choice = match pick["quality"].as_u64() {
        Some(q) => format!("{} q{q}", pick["encoder"].as_str().unwrap()),
        None => pick["encoder"].as_str().unwrap().to_string(),
    };
    let row = format!(
        "<td class=\"name\">10 Mbit/s, rtt 1 ms</td><td class=\"name\">per frame</td>\
         <td class=\"name\">{choice}</td>"
    );
    assert!(html.contains(&row), "{row} not in:\n{html}");
    assert!(
        html.contains("cost of a frame end to end by link speed"),
        "{html}"
    );
    assert_eq!(html.matches("<svg").count(), 1, "one chart for one size");
    for setting in ["turbojpeg q50", "turbojpeg q90", "none"] {
        assert!(
            html.contains(&format!("\n{setting}\n</text>")),
            "legend {setting}"
        );
    }
    assert!(
        !html.contains("src=") && !html.contains("<link"),
        "nothing fetched"
    );
}

#[test]
fn bad_links_and_lone_missing_decoders_are_refused_naming_their_flag() {
    for (flag, value) in [("--link", "bw=fast"), ("--link-speeds", "1gbit,slow")] {
        let (ok, _, stderr) = run(&["encode", "--sizes", "16x16", flag, value]);
        assert!(!ok, "{flag} {value}");
        assert!(stderr.contains(flag), "{flag}: {stderr}");
    }
    if imgwire::gpu::driver_present() {
        return;
    }
    let args = [
        "encode",
        "--sizes",
        "16x16",
        "--frames",
        "1",
        "--server-decoder",
        "nvjpeg",
    ];
    let (ok, stdout, stderr) = run(&args);
    assert!(!ok, "{stdout}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--server-decoder nvjpeg"), "{stderr}");
}
