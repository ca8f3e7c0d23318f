//! What differs between two runs besides their figures: every setting, the
//! machine and the build, by name; warnings where the runs do not compare
//! (loopback against an emulated link, another machine, another load
//! model, a run that stopped early); and a note when every scenario moved
//! the same way, which is how a drifting machine looks.

use super::change::{ScenarioChange, Verdict};
use super::input::Report;
use serde::Serialize;
use serde_json::Value;

/// One setting with another value in B than in A.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Difference {
    /// Its name in the report's JSON: `quality`, `h2.stream_window_bytes`,
    /// `machine.hostname`, `build`.
    pub setting: String,
    pub a: String,
    pub b: String,
}

/// Targets whose URLs are the built-in servers' random ports: they differ
/// between any two runs and say nothing.
const TARGETS: [(&str, &str); 3] = [
    ("rest_target", "rest_url"),
    ("grpc_target", "grpc_url"),
    ("tcp_target", "tcp_url"),
];

/// Every setting, machine field and the build that differ, in A's order.
pub fn differences(a: &Report, b: &Report) -> Vec<Difference> {
    let (mut fa, mut fb) = (Vec::new(), Vec::new());
    flatten("", &a.settings_json, &mut fa);
    flatten("", &b.settings_json, &mut fb);
    for (report, flat) in [(a, &mut fa), (b, &mut fb)] {
        let machine = serde_json::to_value(&report.machine).unwrap_or_default();
        flatten("machine.", &machine, flat);
        let build = report
            .build
            .clone()
            .unwrap_or(report.imgwire_version.clone());
        flat.push(("build".into(), Value::from(build)));
    }
    let built_in = |r: &Report, url: &str| {
        r.settings_json.get(url).is_none_or(Value::is_null)
            && r.settings.server.starts_with("built-in")
    };
    let random_port = |key: &str| {
        TARGETS
            .iter()
            .any(|(target, url)| key == *target && built_in(a, url) && built_in(b, url))
    };
    let value_in = |flat: &[(String, Value)], key: &str| {
        flat.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    };
    let keys = fa.iter().chain(&fb).map(|(k, _)| k.clone());
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for key in keys {
        if seen.contains(&key) || random_port(&key) {
            continue;
        }
        seen.push(key.clone());
        let (va, vb) = (value_in(&fa, &key), value_in(&fb, &key));
        if va != vb {
            out.push(Difference {
                setting: key,
                a: shown(va.as_ref()),
                b: shown(vb.as_ref()),
            });
        }
    }
    out
}

/// `prefix.key` = value for every leaf of `value`.
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(fields) if !fields.is_empty() && !prefix.starts_with("link") => {
            for (key, inner) in fields {
                flatten(&format!("{prefix}{key}."), inner, out);
            }
        }
        leaf => out.push((prefix.trim_end_matches('.').to_string(), leaf.clone())),
    }
}

/// A value as the header shows it: `none` for null, text as it is.
fn shown(value: Option<&Value>) -> String {
    match value {
        None => "(not recorded)".into(),
        Some(Value::Null) => "none".into(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// Why the two runs' times may not compare at all.
pub fn warnings(a: &Report, b: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let link = |r: &Report| {
        r.settings_json
            .get("link")
            .filter(|l| !l.is_null())
            .cloned()
    };
    match (link(a), link(b)) {
        (None, Some(l)) | (Some(l), None) => {
            let (over, loopback) = if link(a).is_some() {
                ("A", "B")
            } else {
                ("B", "A")
            };
            out.push(format!(
                "not comparable: {over} ran over an emulated --link ({}) and {loopback} over \
                 loopback; the link's time is in every figure of {over}",
                shown(Some(&l))
            ));
        }
        _ => {}
    }
    if let (Some(ma), Some(mb)) = (&a.machine, &b.machine) {
        if (&ma.hostname, &ma.cpu_model, ma.cpu_cores)
            != (&mb.hostname, &mb.cpu_model, mb.cpu_cores)
        {
            out.push(format!(
                "not comparable: another machine ({}, {} x {} against {}, {} x {}): a change \
                 may be the machine's rather than the code's",
                ma.hostname, ma.cpu_cores, ma.cpu_model, mb.hostname, mb.cpu_cores, mb.cpu_model
            ));
        }
    }
    let model = |r: &Report| r.settings_json.get("load_model").cloned();
    if model(a) != model(b) {
        out.push(format!(
            "not comparable: load model {} in A, {} in B (a burst's time and a window's mean \
             latency are different figures)",
            shown(model(a).as_ref()),
            shown(model(b).as_ref())
        ));
    }
    for (name, r) in [("A", a), ("B", b)] {
        if !r.complete {
            out.push(format!(
                "{name} is incomplete (complete: false): its run stopped early"
            ));
        }
    }
    out
}

/// Where every compared scenario moved the same way, clearly: what that
/// can mean (a setting they all share, or the machine drifting).
pub fn drift_note(changes: &[ScenarioChange], differences: &[Difference]) -> Option<String> {
    if changes.len() < 2 {
        return None;
    }
    let first = changes[0].burst.verdict;
    if !matches!(first, Verdict::Slower | Verdict::Faster)
        || changes.iter().any(|c| c.burst.verdict != first)
    {
        return None;
    }
    let way = match first {
        Verdict::Slower => "slower",
        _ => "faster",
    };
    let percents: Vec<f64> = changes
        .iter()
        .filter_map(|c| c.burst.change_percent)
        .collect();
    let lo = percents.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = percents.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let cause = match differences.is_empty() {
        true => {
            "no setting differs, so the machine most likely drifted between the runs (other \
                 load, clock speed, temperature) rather than the code changed"
        }
        false => {
            "a setting they all share (the differences above) would do that, and so would a \
                  machine that drifted between the runs"
        }
    };
    Some(format!(
        "every one of the {} scenarios is {way} ({lo:+.0} % to {hi:+.0} %): {cause}; run A and \
         B again in turns to tell",
        changes.len()
    ))
}
