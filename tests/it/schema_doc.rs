//! docs/json-schema.md against what the binary really writes: every key of
//! a real `bench --export-json` file (built-in servers, over a `--link`, and
//! an open load), of a real `compare --export-json` file and of a real
//! `encode --export-json` file is named in the schema's block, under its parent (`burst: { ... }` names the burst's
//! keys); and the CSV says what the JSON says (subsampling spelled as
//! `--subsampling` spells it, a remote server's unknown decoder empty where
//! the JSON has null), for `bench` and `encode` alike.

use crate::common;

use common::serve_process::{imgwire, serve_process};
use serde_json::Value;
use std::path::Path;

/// A tiny run on loopback.
const TINY: [&str; 11] = [
    "--sizes",
    "48x64",
    "--bursts",
    "2",
    "--warmup",
    "1",
    "-c",
    "2",
    "--quiet",
    "--payloads",
    "binary",
];

/// Runs `imgwire ARGS` to its end; panics with its stderr unless it exits 0.
fn run_ok(args: &[&str]) {
    let out = imgwire().args(args).output().expect("imgwire runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "imgwire {args:?}: {stderr}");
}

/// `imgwire bench TINY EXTRA --export-json DIR/NAME.json --export-csv
/// DIR/NAME.csv`: the JSON and the CSV's rows as header -> cell maps.
fn bench(dir: &Path, name: &str, extra: &[&str]) -> (Value, Vec<Vec<(String, String)>>) {
    let json = dir.join(format!("{name}.json"));
    let csv = dir.join(format!("{name}.csv"));
    let mut args = vec!["bench"];
    args.extend(TINY);
    args.extend(extra);
    args.extend(["--export-json", json.to_str().unwrap()]);
    args.extend(["--export-csv", csv.to_str().unwrap()]);
    run_ok(&args);
    let json = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    (json, csv_rows(&std::fs::read_to_string(csv).unwrap()))
}

/// A CSV with no quoted commas, as header -> cell per row.
fn csv_rows(text: &str) -> Vec<Vec<(String, String)>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    lines
        .filter(|l| !l.contains('"'))
        .map(|l| {
            let cells = l.split(',').map(String::from);
            header.iter().map(|h| h.to_string()).zip(cells).collect()
        })
        .collect()
}

fn cell<'a>(row: &'a [(String, String)], column: &str) -> &'a str {
    let found = row.iter().find(|(h, _)| h == column);
    &found.unwrap_or_else(|| panic!("no column {column}")).1
}

/// The `nth` ```text block of docs/json-schema.md.
fn schema_block(nth: usize) -> String {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json-schema.md"))
            .unwrap();
    let block = doc.split("```text\n").nth(nth + 1).expect("the block");
    block.split("```").next().unwrap().to_string()
}

/// Whether `word` stands in `text` as a whole name.
fn names(text: &str, word: &str) -> bool {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_name) && !after.is_some_and(is_name)
    })
}

/// The bracketed part of `text` that opens at the end of `lead` (`burst: {`
/// gives `{ ... }` up to its closing brace), where `lead` starts a name;
/// None where it is absent.
fn bracketed<'a>(text: &'a str, lead: &str) -> Option<&'a str> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let start = text
        .match_indices(lead)
        .find(|(at, _)| !text[..*at].chars().next_back().is_some_and(is_name))
        .map(|(at, _)| at + lead.len() - 1)?;
    let mut depth = 0;
    for (offset, c) in text[start..].char_indices() {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            return Some(&text[start..=start + offset]);
        }
    }
    None
}

/// What a region opens with, past its brackets, spaces and `//` comments.
fn first_entry(region: &str) -> &str {
    let mut rest = region.trim_start_matches(['{', '[']);
    loop {
        rest = rest.trim_start();
        match rest.strip_prefix("//") {
            Some(comment) => rest = comment.split_once('\n').map_or("", |(_, after)| after),
            None => return rest,
        }
    }
}

/// The region of `<name> = {` that `region` spreads in with `...<name>`.
fn spread<'a>(block: &'a str, region: &str) -> Option<&'a str> {
    let name = region.split("...<").nth(1)?.split('>').next()?;
    bracketed(block, &format!("<{name}> = {{"))
}

/// Where the doc spells out the keys of `key`'s object within `region`:
/// `key: {`, `key?: {`, `key: [{`, or `key: <name>` with `<name> = {`
/// elsewhere in `block`.
fn object_region<'a>(block: &'a str, region: &'a str, key: &str) -> Option<&'a str> {
    for lead in [": {", "?: {", ": [{", "?: [{"] {
        if let Some(found) = bracketed(region, &format!("{key}{lead}")) {
            return Some(found);
        }
    }
    let reference = region.split(&format!("{key}: <")).nth(1)?;
    let name = reference.split('>').next()?;
    bracketed(block, &format!("<{name}> = {{"))
}

/// Every key of `value` found under its parent's region, recursively; the
/// paths the doc leaves out go to `missing`. A region that opens with
/// `"<name>"` is a map keyed by data (stage names): its values are checked,
/// not its keys; one that holds only `...` is elided (as in the bench file).
fn check(value: &Value, path: &str, block: &str, region: &str, missing: &mut Vec<String>) {
    let inner = first_entry(region);
    match value {
        Value::Array(items) => {
            for item in items {
                check(item, &format!("{path}[]"), block, region, missing);
            }
        }
        Value::Object(map) if inner.starts_with("\"<") => {
            let dynamic = inner.split(':').next().unwrap();
            let values = bracketed(region, &format!("{dynamic}: {{")).unwrap_or("");
            for (key, v) in map {
                check(v, &format!("{path}.{key}"), block, values, missing);
            }
        }
        Value::Object(_) if inner.trim_start_matches(['.', '}', ' ']).is_empty() => {}
        Value::Object(map) => {
            let spread = spread(block, region);
            for (key, v) in map {
                let here = format!("{path}.{key}");
                let region = match spread {
                    Some(spread) if !names(region, key) => spread,
                    _ => region,
                };
                if !names(region, key) {
                    missing.push(here);
                    continue;
                }
                let nested = match v {
                    Value::Array(items) => items.iter().any(Value::is_object),
                    other => other.is_object(),
                };
                if !nested {
                    continue;
                }
                match object_region(block, region, key) {
                    Some(sub) => check(v, &here, block, sub, missing),
                    None => missing.push(format!("{here} (its keys)")),
                }
            }
        }
        _ => {}
    }
}

/// The key paths of `json` that the `nth` block of the doc leaves out.
pub(crate) fn undocumented(json: &Value, nth: usize) -> Vec<String> {
    let block = schema_block(nth);
    let top = bracketed(&block, "{").expect("the block's object");
    let mut missing = Vec::new();
    check(json, "", &block, top, &mut missing);
    missing.sort();
    missing.dedup();
    missing
}

#[test]
fn every_key_a_bench_writes_is_in_the_schema_doc() {
    let dir = tempfile::tempdir().unwrap();
    let (plain, _) = bench(dir.path(), "plain", &["--protocols", "rest,grpc,tcp"]);
    let (link, _) = bench(
        dir.path(),
        "link",
        &["--protocols", "rest", "--link", "rtt=1ms"],
    );
    let open = ["--protocols", "rest", "--load", "open", "--rate", "200"];
    let (open, _) = bench(
        dir.path(),
        "open",
        &[&open[..], &["--requests", "20"]].concat(),
    );
    assert!(link["relay_cost"].is_object(), "{}", link["relay_cost"]);
    assert!(open["scenarios"][0]["latency"]["corrected"].is_object());
    for (name, json) in [("plain", &plain), ("link", &link), ("open", &open)] {
        let missing = undocumented(json, 0);
        assert!(
            missing.is_empty(),
            "{name}: not in docs/json-schema.md: {missing:#?}"
        );
    }
}

/// The reports the exporters' snapshots hold (a foreign target's, with
/// `server_stats` and `not_applicable`, and the built-in one's), written by
/// the same JSON exporter: their keys are in the doc too.
#[test]
fn every_key_of_the_snapshot_reports_is_in_the_schema_doc() {
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots");
    for name in [
        "it__exporters__json.snap",
        "it__exporters__json_foreign.snap",
    ] {
        let text = std::fs::read_to_string(snapshots.join(name)).unwrap();
        let json_text = text.splitn(3, "---\n").nth(2).expect("a snapshot body");
        let json: Value = serde_json::from_str(json_text).expect("the snapshot is JSON");
        let missing = undocumented(&json, 0);
        assert!(
            missing.is_empty(),
            "{name}: not in docs/json-schema.md: {missing:#?}"
        );
    }
}

#[test]
fn every_key_a_compare_writes_is_in_the_schema_doc() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = bench(dir.path(), "a", &["--protocols", "rest,grpc"]);
    let (b, _) = bench(dir.path(), "b", &["--protocols", "rest,tcp"]);
    assert!(a["complete"] == true && b["complete"] == true);
    let out = dir.path().join("compare.json");
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    let mut args = vec!["compare", a.to_str().unwrap(), b.to_str().unwrap()];
    args.extend(["--export-json", out.to_str().unwrap()]);
    run_ok(&args);
    let json: Value = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    assert!(
        !json["scenarios"].as_array().unwrap().is_empty(),
        "{json:#}"
    );
    let missing = undocumented(&json, 1);
    assert!(
        missing.is_empty(),
        "not in docs/json-schema.md: {missing:#?}"
    );
}

/// The checker itself: a key left out of the doc is found, under its parent.
#[test]
fn the_checker_finds_a_key_the_doc_leaves_out() {
    let block = "{\n  burst: { count, mean_ns },\n  latency: { all: <summary> }\n}\n\
                 <summary> = { count, p50_ns }\n";
    let mut missing = Vec::new();
    let json = serde_json::json!({
        "burst": { "count": 1, "mean_ns": 2, "p999_ns": 3 },
        "latency": { "all": { "count": 1, "p50_ns": 2, "mean_ci95_ns": null } },
    });
    check(
        &json,
        "",
        block,
        bracketed(block, "{").unwrap(),
        &mut missing,
    );
    assert_eq!(missing, [".burst.p999_ns", ".latency.all.mean_ci95_ns"]);
}

#[test]
fn bench_csv_says_what_its_json_says() {
    let dir = tempfile::tempdir().unwrap();
    let (builtin, builtin_csv) = bench(dir.path(), "builtin", &["--protocols", "rest,grpc"]);
    let (_server, rest, grpc, _tcp) = serve_process(&[]);
    let remote_args = [
        "--protocols",
        "rest,grpc",
        "--rest-url",
        &rest,
        "--grpc-url",
        &grpc,
    ];
    let (remote, remote_csv) = bench(dir.path(), "remote", &remote_args);
    assert!(
        remote["settings"]["server_decoder"].is_null(),
        "{}",
        remote["settings"]
    );
    for (json, rows) in [(&builtin, &builtin_csv), (&remote, &remote_csv)] {
        let settings = &json["settings"];
        let as_cell = |v: &Value| v.as_str().unwrap_or("").to_string();
        assert!(!rows.is_empty());
        for row in rows.iter() {
            assert_eq!(cell(row, "subsampling"), as_cell(&settings["subsampling"]));
            assert_eq!(
                cell(row, "server_decoder"),
                as_cell(&settings["server_decoder"])
            );
        }
    }
    assert_eq!(builtin["settings"]["subsampling"], "420");
}

#[test]
fn encode_csv_spells_subsampling_as_its_json_and_every_key_is_documented() {
    let dir = tempfile::tempdir().unwrap();
    let (json, csv) = (dir.path().join("e.json"), dir.path().join("e.csv"));
    run_ok(&[
        "encode",
        "--sizes",
        "16x16",
        "--frames",
        "1",
        "--threads",
        "1",
        "--encoders",
        "turbojpeg,image-rs",
        "--export-json",
        json.to_str().unwrap(),
        "--export-csv",
        csv.to_str().unwrap(),
    ]);
    let json: Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    let rows = csv_rows(&std::fs::read_to_string(csv).unwrap());
    let measured: Vec<_> = rows
        .iter()
        .filter(|r| cell(r, "kind") == "measured")
        .collect();
    let json_rows = json["rows"].as_array().unwrap();
    assert_eq!(measured.len(), json_rows.len());
    for (row, json_row) in measured.iter().zip(json_rows) {
        assert_eq!(cell(row, "encoder"), json_row["encoder"].as_str().unwrap());
        assert_eq!(
            cell(row, "subsampling"),
            json_row["subsampling"].as_str().unwrap()
        );
    }
    let spellings: Vec<&str> = measured.iter().map(|r| cell(r, "subsampling")).collect();
    assert_eq!(spellings, ["420", "444"]);
    // And every key of the encode JSON is in its own block of the doc.
    let missing = undocumented(&json, 2);
    assert!(
        missing.is_empty(),
        "not in docs/json-schema.md: {missing:#?}"
    );
}
