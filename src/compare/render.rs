//! The comparison as text: which files, every setting that differs and
//! why the runs may not compare, then per matched scenario its burst mean
//! in A and B with the change and its interval, bytes per request, a
//! camera run's frames and sustained rate, a row per stage, then the scenarios not compared, the drift note and the
//! --fail-if-slower outcome.

use super::change::{Change, ScenarioChange};
use super::Comparison;
use crate::report::versus::time_change;
use crate::report::{align_within, WIDTH};
use std::fmt::Write;

/// The width every line of the comparison fits.
const SHOWN: Option<usize> = Some(WIDTH);

/// `text` wrapped to the output's width, lines after the first indented.
fn wrap(text: &str, indent: &str) -> String {
    crate::report::wrap(text, SHOWN, indent)
}

/// Renders the whole comparison, every line within `WIDTH` columns.
pub fn render(comparison: &Comparison) -> String {
    let mut out = wrap(
        "imgwire compare: B against A, the change in mean time with its 95 % interval (bootstrap \
         over the bursts); \"no clear difference\" where the interval holds 0",
        "",
    );
    for (name, file) in [("A", &comparison.a), ("B", &comparison.b)] {
        let line = format!(
            "  {name}: {} (run {}, {}{}{})",
            file.path,
            file.run_id,
            file.load,
            match file.infer_ns {
                0 => String::new(),
                ns => format!(", --infer-ms {}", ns as f64 / 1e6),
            },
            if file.complete { "" } else { ", incomplete" }
        );
        out.push_str(&wrap(&line, "    "));
    }
    out.push_str(&context_lines(comparison));
    for scenario in &comparison.scenarios {
        out.push('\n');
        out.push_str(&scenario_lines(scenario, burst_unit(comparison)));
    }
    for failed in &comparison.failed {
        out.push('\n');
        out.push_str(&wrap(&format!("not compared: {failed}"), "  "));
    }
    let unmatched = [&comparison.only_in_a, &comparison.only_in_b];
    out.push_str(&only_in_lines("\nOnly in", unmatched));
    if let Some(drift) = &comparison.drift {
        out.push('\n');
        out.push_str(&drift_lines(drift));
    }
    if let Some(limit) = comparison.fail_if_slower_percent {
        out.push('\n');
        let line = match comparison.not_compared.is_empty() {
            true => limit_line(limit, &comparison.slower_than_allowed),
            false => format!(
                "--fail-if-slower {limit}: could not compare: {}",
                comparison.not_compared.join("; ")
            ),
        };
        out.push_str(&wrap(&line, "  "));
    }
    out
}

/// The drift note: what moved on its own line (up to its first `): `),
/// then why, indented.
fn drift_lines(drift: &str) -> String {
    match drift.split_once("): ") {
        Some((what, why)) => {
            wrap(&format!("note: {what}):"), "  ") + &wrap(&format!("  {why}"), "  ")
        }
        None => wrap(&format!("note: {drift}"), "  "),
    }
}

/// What differs besides the figures, the pairing where `--match` changed
/// it, and the warnings.
fn context_lines(comparison: &Comparison) -> String {
    let mut out = String::new();
    match comparison.differences.is_empty() {
        true => out.push_str("  settings: the same in A and B (machine and build included)\n"),
        false => {
            let named: Vec<String> = comparison
                .differences
                .iter()
                .map(|d| format!("{} {} -> {}", d.setting, d.a, d.b))
                .collect();
            out.push_str(&wrap(
                &format!("  differs (A -> B): {}", named.join("; ")),
                "    ",
            ));
        }
    }
    if comparison.match_on.len() < 3 {
        let fields: Vec<&str> = comparison.match_on.iter().map(|f| f.name()).collect();
        let line = format!("  scenarios paired on {} (--match)", fields.join(", "));
        out.push_str(&wrap(&line, "    "));
    }
    for warning in &comparison.warnings {
        out.push_str(&wrap(&format!("  warning: {warning}"), "    "));
    }
    out
}

/// What a scenario's headline figure is: seconds per burst, or under
/// closed and open load (cameras too) each window's mean latency.
fn burst_unit(comparison: &Comparison) -> &'static str {
    match comparison.a.load_model.as_str() {
        "closed" | "open" => "s mean latency per window",
        _ => "s/burst",
    }
}

/// A scenario's headline and its stage table.
fn scenario_lines(s: &ScenarioChange, unit: &str) -> String {
    let headline = format!(
        "{}: {} -> {} {unit}: {}",
        s.scenario,
        seconds(s.burst.a_mean_ns),
        seconds(s.burst.b_mean_ns),
        change_text(&s.burst)
    );
    let mut out = wrap(&headline, "  ");
    let bytes = format!(
        "  bytes per request: body {} -> {} MB ({}), sent {} -> {} MB ({})",
        megabytes(s.request_body_bytes[0]),
        megabytes(s.request_body_bytes[1]),
        percent_change(s.request_body_bytes),
        megabytes(s.wire_sent_bytes[0]),
        megabytes(s.wire_sent_bytes[1]),
        percent_change(s.wire_sent_bytes),
    );
    out.push_str(&wrap(&bytes, "    "));
    if let Some(cameras) = &s.cameras {
        let [load, counts, sustained] = cameras.lines();
        out.push_str(&wrap(&format!("  {load}"), "    "));
        out.push_str(&wrap(&format!("    {counts}"), "      "));
        out.push_str(&wrap(&format!("    {sustained}"), "      "));
    }
    if s.errors != [0, 0] {
        let _ = writeln!(
            out,
            "  errors: {} of {} requests in A, {} of {} in B",
            s.errors[0],
            s.requests[0] + s.errors[0],
            s.errors[1],
            s.requests[1] + s.errors[1]
        );
    }
    let mut rows = vec![["stage", "change of the mean", "A ms", "B ms"]
        .map(String::from)
        .to_vec()];
    for stage in &s.stages {
        rows.push(vec![
            stage.stage.clone(),
            change_text(&stage.change),
            ms(stage.change.a_mean_ns),
            ms(stage.change.b_mean_ns),
        ]);
    }
    out.push_str(&align_within(&rows, 2, SHOWN));
    out.push_str(&only_in_lines(
        "  only in",
        [&s.stages_only_in_a, &s.stages_only_in_b],
    ));
    out
}

/// The verdict line of one change, through the reports' shared formatter.
/// `{lead} A (not compared): x, y` for what only A has, then the same for
/// B; nothing for a side with nothing of its own.
fn only_in_lines(lead: &str, [a, b]: [&Vec<String>; 2]) -> String {
    let mut out = String::new();
    for (name, names) in [("A", a), ("B", b)] {
        if !names.is_empty() {
            let line = format!("{lead} {name} (not compared): {}", names.join(", "));
            out.push_str(&wrap(&line, "    "));
        }
    }
    out
}

fn change_text(change: &Change) -> String {
    match change.ratio {
        Some(ratio) => time_change(ratio),
        None => "- (A's mean is zero)".into(),
    }
}

/// Whether --fail-if-slower held, and which scenarios broke it.
fn limit_line(limit: f64, slower: &[String]) -> String {
    match slower.is_empty() {
        true => format!(
            "--fail-if-slower {limit}: no scenario is slower by more than {limit} % beyond the \
             noise"
        ),
        false => format!(
            "--fail-if-slower {limit}: slower by more than {limit} % with the whole interval \
             above it: {}",
            slower.join(", ")
        ),
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.3}", bytes as f64 / 1e6)
}

/// `+12.5 %`, `same`, or `-` where A's is zero.
fn percent_change([a, b]: [u64; 2]) -> String {
    match (a, b) {
        _ if a == b => "same".into(),
        (0, _) => "-".into(),
        _ => format!("{:+.1} %", (b as f64 / a as f64 - 1.0) * 100.0),
    }
}

fn seconds(ns: u64) -> String {
    format!("{:.4}", ns as f64 / 1e9)
}

fn ms(ns: u64) -> String {
    format!("{:.3}", ns as f64 / 1e6)
}
