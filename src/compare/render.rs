//! The comparison as text: which files, every setting that differs and
//! why the runs may not compare, then per matched scenario its burst mean
//! in A and B with the change and its interval, bytes per request, a row
//! per stage, then the scenarios not compared, the drift note and the
//! --fail-if-slower outcome.

use super::change::{Change, ScenarioChange};
use super::Comparison;
use crate::report::align_columns;
use crate::report::versus::time_change;
use std::fmt::Write;

/// Renders the whole comparison.
pub fn render(comparison: &Comparison) -> String {
    let mut out = String::from(
        "imgwire compare: B against A, the change in mean time with its 95 % interval (bootstrap \
         over\nthe bursts); \"no clear difference\" where the interval holds 0\n",
    );
    for (name, file) in [("A", &comparison.a), ("B", &comparison.b)] {
        let _ = writeln!(
            out,
            "  {name}: {} (run {}, {} bursts x {} requests{}{})",
            file.path,
            file.run_id,
            file.bursts,
            file.concurrency,
            match file.infer_ns {
                0 => String::new(),
                ns => format!(", --infer-ms {}", ns as f64 / 1e6),
            },
            if file.complete { "" } else { ", incomplete" }
        );
    }
    out.push_str(&context_lines(comparison));
    for scenario in &comparison.scenarios {
        out.push('\n');
        out.push_str(&scenario_lines(scenario));
    }
    for failed in &comparison.failed {
        let _ = writeln!(out, "\nnot compared: {failed}");
    }
    let unmatched = [&comparison.only_in_a, &comparison.only_in_b];
    out.push_str(&only_in_lines("\nOnly in", unmatched));
    if let Some(drift) = &comparison.drift {
        let _ = writeln!(out, "\nnote: {drift}");
    }
    if let Some(limit) = comparison.fail_if_slower_percent {
        match comparison.not_compared.is_empty() {
            true => out.push_str(&limit_line(limit, &comparison.slower_than_allowed)),
            false => {
                let _ = writeln!(
                    out,
                    "\n--fail-if-slower {limit}: could not compare: {}",
                    comparison.not_compared.join("; ")
                );
            }
        }
    }
    out
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
            let _ = writeln!(out, "  differs (A -> B): {}", named.join("; "));
        }
    }
    if comparison.match_on.len() < 3 {
        let fields: Vec<&str> = comparison.match_on.iter().map(|f| f.name()).collect();
        let _ = writeln!(out, "  scenarios paired on {} (--match)", fields.join(", "));
    }
    for warning in &comparison.warnings {
        let _ = writeln!(out, "  warning: {warning}");
    }
    out
}

/// A scenario's headline and its stage table.
fn scenario_lines(s: &ScenarioChange) -> String {
    let mut out = format!(
        "{}: {} -> {} s/burst: {}\n",
        s.scenario,
        seconds(s.burst.a_mean_ns),
        seconds(s.burst.b_mean_ns),
        change_text(&s.burst)
    );
    let _ = writeln!(
        out,
        "  bytes per request: body {} -> {} MB ({}), sent {} -> {} MB ({})",
        megabytes(s.request_body_bytes[0]),
        megabytes(s.request_body_bytes[1]),
        percent_change(s.request_body_bytes),
        megabytes(s.wire_sent_bytes[0]),
        megabytes(s.wire_sent_bytes[1]),
        percent_change(s.wire_sent_bytes),
    );
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
    out.push_str(&align_columns(&rows, 2));
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
            let _ = writeln!(out, "{lead} {name} (not compared): {}", names.join(", "));
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
            "\n--fail-if-slower {limit}: no scenario is slower by more than {limit} % beyond the \
             noise\n"
        ),
        false => format!(
            "\n--fail-if-slower {limit}: slower by more than {limit} % with the whole interval \
             above it: {}\n",
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
