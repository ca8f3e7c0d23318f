//! How `imgwire bench`'s output flags (tables, exports, charts, profiles,
//! progress) resolve into the plan's `OutputPlan`.

use super::BenchArgs;
use crate::output::OutputPath;
use crate::profile::{FrameView, ThreadView};
use crate::run::plan::{FlamegraphPlan, OutputPlan, Tables};
use std::path::PathBuf;

impl BenchArgs {
    /// What the run prints and writes, each file with the flag that named it.
    pub(super) fn output_plan(&self) -> OutputPlan {
        let file = |path: &Option<PathBuf>, flag| path.as_ref().map(|p| OutputPath::new(p, flag));
        OutputPlan {
            tables: if self.brief {
                Tables::Brief
            } else {
                Tables::Full
            },
            wide: self.wide,
            color: !self.no_color,
            json: file(&self.json, "--export-json"),
            csv: file(&self.csv, "--export-csv"),
            markdown: file(&self.markdown, "--export-markdown"),
            html: file(&self.html, "--export-html"),
            charts: self.charts.clone(),
            trace: file(&self.trace, "--trace"),
            flamegraph: self.flamegraph.as_ref().map(|dir| FlamegraphPlan {
                dir: dir.clone(),
                hz: self.profile_hz,
                threads: match self.flamegraph_threads {
                    true => ThreadView::PerThread,
                    false => ThreadView::PerPool,
                },
                frames: match self.flamegraph_full_stacks {
                    true => FrameView::Full,
                    false => FrameView::Folded,
                },
            }),
            save_requests: self.save_requests.clone(),
            quiet: self.quiet,
        }
    }
}
