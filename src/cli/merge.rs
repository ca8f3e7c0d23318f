//! The flags of `imgwire merge`: the shards' reports, the same report
//! exporters as `bench` (from the one list of outputs), and the views.

use crate::merge::command::MergePlan;
use crate::run::plan::outputs::{OutputKind, PlannedOutput};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The shards' reports (`bench --shard I/N --export-json`): files, or `-` for JSON lines on stdin (as `kubectl logs` of the shards gives them; lines that are not a report are skipped and counted).
    #[arg(value_name = "SHARD.json", required = true)]
    pub files: Vec<PathBuf>,
    /// Write the merged report as JSON (`-`: stdout, one line).
    #[arg(long = "export-json", visible_alias = "json", value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write the merged report as CSV, one row per scenario x stage (`-`: stdout).
    #[arg(long = "export-csv", visible_alias = "csv", value_name = "PATH")]
    pub csv: Option<PathBuf>,
    /// Write the merged report as Markdown tables (`-`: stdout).
    #[arg(
        long = "export-markdown",
        visible_alias = "markdown",
        value_name = "PATH"
    )]
    pub markdown: Option<PathBuf>,
    /// Write the merged report as one self-contained HTML page (`-`: stdout).
    #[arg(long = "export-html", visible_alias = "html", value_name = "PATH")]
    pub html: Option<PathBuf>,
    /// Print the summary tables only, not one stage table per scenario.
    #[arg(long)]
    pub brief: bool,
    /// Print long lines whole instead of wrapping them to 100 columns.
    #[arg(long)]
    pub wide: bool,
    /// No colour in the terminal tables.
    #[arg(long)]
    pub no_color: bool,
}

impl MergeArgs {
    pub fn plan(&self) -> MergePlan {
        let given = [
            ("json", &self.json),
            ("csv", &self.csv),
            ("markdown", &self.markdown),
            ("html", &self.html),
        ];
        let files = given
            .into_iter()
            .filter_map(|(id, path)| {
                let kind = OutputKind::by_id(id).expect("a registered output");
                path.as_ref().map(|path| PlannedOutput::new(kind, path))
            })
            .collect();
        MergePlan {
            inputs: self.files.clone(),
            files,
            brief: self.brief,
            wide: self.wide,
            color: !self.no_color,
        }
    }
}
