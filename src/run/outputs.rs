//! A run's outputs as they are written, through one path for every output
//! of the plan (`plan::outputs::OUTPUTS`): the folders made when the run
//! starts, every file rewritten after each scenario (one on stdout once,
//! when the run is over), and the one note an interrupted run prints of
//! what it kept.

use crate::output::OutputPath;
use crate::report::html::HtmlExporter;
use crate::report::json;
use crate::report::trace::Trace;
use crate::report::{export, BenchReport};
use crate::run::plan::outputs::{PlannedOutput, Shape, Writer, JSON};
use crate::run::plan::OutputPlan;
use anyhow::Result;

/// The outputs of one run, and the trace they gather as it goes.
pub struct RunOutputs<'a> {
    plan: &'a OutputPlan,
    /// Every request's spans, where `--trace` is given.
    pub trace: Option<Trace>,
}

impl<'a> RunOutputs<'a> {
    /// Makes the folders the outputs name (a sweep point's own included).
    pub fn start(plan: &'a OutputPlan) -> Result<Self> {
        for output in plan.files.iter().filter(|o| o.kind.shape == Shape::Folder) {
            make_folder(&output.path)?;
        }
        if let Some(otlp) = plan.otlp() {
            crate::report::otlp::start(otlp)?;
        }
        Ok(RunOutputs {
            plan,
            trace: plan.trace().map(|_| Trace::default()),
        })
    }

    /// Rewrites every file the run writes from `report` (and the trace);
    /// one on stdout only when the run is over (`last`), the charts only
    /// while it runs (the last rewrite has already written them).
    pub fn write(&self, report: &BenchReport, last: bool) -> Result<()> {
        for output in self.plan.files.iter().filter(|o| !o.by_command) {
            let path = &output.path;
            let now = match output.kind.shape {
                Shape::File => path.is_stdout() == last,
                Shape::Folder => !last,
            };
            if now {
                self.write_one(output, report)?;
            }
        }
        Ok(())
    }

    fn write_one(&self, output: &PlannedOutput, report: &BenchReport) -> Result<()> {
        let path = &output.path;
        match output.kind.writer {
            Writer::Report(exporter) => export(exporter, report, path),
            Writer::Json => export(json::exporter_for(path), report, path),
            Writer::Html => export(&HtmlExporter::for_output(path), report, path),
            Writer::Charts => crate::report::html::write(None, Some(&path.path), report, false),
            Writer::Trace => match &self.trace {
                Some(trace) => trace.write(path),
                None => Ok(()),
            },
            Writer::Measurement | Writer::Otlp => Ok(()),
        }
    }

    /// What an interrupted run keeps, in words: every output given that is
    /// rewritten as scenarios finish, by flag and path.
    pub fn kept_note(&self, finished: usize, total: usize) -> String {
        kept_note(self.plan, finished, total)
    }
}

/// What an interrupted run keeps after `finished` of `total` scenarios:
/// every output given (stdout's aside, written only at the end), by flag
/// and path, or the flag that would have kept them.
pub fn kept_note(plan: &OutputPlan, finished: usize, total: usize) -> String {
    let kept: Vec<String> = plan
        .files
        .iter()
        .filter(|o| !o.path.is_stdout())
        .map(|o| {
            let complete = match o.kind.id == JSON {
                true => " (\"complete\": false)",
                false => "",
            };
            format!("{} '{}'{complete}", o.kind.flag, o.path.path.display())
        })
        .collect();
    match kept.is_empty() {
        true => format!(
            "{finished} of {total} scenarios had finished (--export-json or --export-csv would \
             have kept them)"
        ),
        false => format!(
            "{finished} of {total} scenarios had finished; kept in {}",
            kept.join(", ")
        ),
    }
}

/// Makes the folder an output flag names, or says why it cannot.
fn make_folder(output: &OutputPath) -> Result<()> {
    let (dir, flag) = (&output.path, output.flag);
    if dir.is_file() {
        anyhow::bail!("{flag} '{}' is a file; it needs a folder", dir.display());
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        anyhow::anyhow!(
            "could not create the {flag} folder '{}': {e}",
            dir.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::plan::outputs::OUTPUTS;

    #[test]
    fn the_note_names_every_output_given_but_stdout() {
        let mut plan = crate::cli::test_plan(&[]).outputs;
        plan.files = OUTPUTS
            .iter()
            .map(|kind| PlannedOutput::new(kind, format!("out-{}", kind.id)))
            .collect();
        plan.files[1].path.path = "-".into();
        let note = kept_note(&plan, 2, 5);
        assert!(
            note.starts_with("2 of 5 scenarios had finished; kept in "),
            "{note}"
        );
        for (index, kind) in OUTPUTS.iter().enumerate() {
            let named = note.contains(&format!("{} 'out-{}'", kind.flag, kind.id));
            assert_eq!(named, index != 1, "{}: {note}", kind.flag);
        }
        plan.files.clear();
        assert!(kept_note(&plan, 0, 5).contains("would have kept them"));
    }
}
