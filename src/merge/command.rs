//! `imgwire merge` from its plan to its outputs: read the shards, merge
//! them, print the tables (on stderr where an export takes stdout), the
//! per-shard table and the warnings, and write the exports through the
//! same writers `bench` uses.

use super::input;
use crate::report::table::{self, View};
use crate::report::{color_wanted, paint, BenchReport, WIDTH};
use crate::run::outputs::RunOutputs;
use crate::run::plan::outputs::{OutputPlan, PlannedOutput, ProfileSettings, Tables};
use anyhow::Result;
use std::io::IsTerminal;
use std::path::PathBuf;

/// What `imgwire merge` was asked.
#[derive(Clone, Debug)]
pub struct MergePlan {
    /// The shards' reports (`-`: JSON lines on stdin).
    pub inputs: Vec<PathBuf>,
    /// The exports given, with their flags.
    pub files: Vec<PlannedOutput>,
    pub brief: bool,
    pub wide: bool,
    pub color: bool,
}

impl MergePlan {
    fn outputs(&self) -> OutputPlan {
        OutputPlan {
            tables: match self.brief {
                true => Tables::Brief,
                false => Tables::Full,
            },
            wide: self.wide,
            color: self.color,
            quiet: false,
            files: self.files.clone(),
            profile: ProfileSettings {
                hz: 0,
                threads: crate::profile::ThreadView::PerPool,
                frames: crate::profile::FrameView::Folded,
            },
            metrics_addr: None,
            trace_sample: 1.0,
        }
    }
}

/// Reads, merges, prints and writes; the merged report.
pub fn run(plan: &MergePlan) -> Result<BenchReport> {
    let outputs = plan.outputs();
    crate::run::plan::output_checks::check(&outputs)?;
    let inputs = input::read_all(&plan.inputs)?;
    let report = super::merge(inputs)?;
    print(&outputs, &report);
    let writer = RunOutputs::start(&outputs)?;
    writer.write(&report, false)?;
    writer.write(&report, true)?;
    Ok(report)
}

/// The tables and the per-shard table on stdout (stderr when an export
/// takes it), then the skipped lines and warnings on stderr.
fn print(outputs: &OutputPlan, report: &BenchReport) {
    let width = (!outputs.wide).then_some(WIDTH);
    let view = View {
        brief: outputs.tables == Tables::Brief,
        width,
    };
    let mut text = String::new();
    if let Some(merged) = &report.merged {
        text.push_str(&crate::report::wrap(&heading(report, merged), width, "  "));
    }
    text.push_str(&table::render(report, view));
    if let Some(merged) = &report.merged {
        text.push_str(&crate::report::merged::render(&merged.shards, width));
    }
    let to_stderr = outputs.takes_stdout();
    let terminal = match to_stderr {
        true => std::io::stderr().is_terminal(),
        false => std::io::stdout().is_terminal(),
    };
    if color_wanted(outputs.color, terminal) {
        text = paint(&text);
    }
    match to_stderr {
        true => eprint!("{text}"),
        false => print!("{text}"),
    }
    if let Some(merged) = &report.merged {
        if merged.skipped_lines > 0 {
            eprintln!(
                "note: {} skipped (not a bench report: log lines, progress)",
                crate::report::plural(merged.skipped_lines, "input line")
            );
        }
        for warning in &merged.warnings {
            eprintln!("warning: {warning}");
        }
    }
}

/// `merged 3 of 3 shards (0, 1, 2) of run RUN_ID: ...`.
fn heading(report: &BenchReport, merged: &crate::report::merged::MergedSection) -> String {
    let missing = match merged.missing.is_empty() {
        true => String::new(),
        false => format!("; missing: {}", super::checks::list(&merged.missing)),
    };
    format!(
        "imgwire merge: {} of {} shards ({}{missing}) of run {}; percentiles from the shards' \
         histograms added, throughput the shards' sum",
        merged.present.len(),
        merged.shard_count,
        super::checks::list(&merged.present),
        report.run_id
    )
}
