//! The flags of `imgwire compare`.

use crate::compare::ComparePlan;
use crate::output::OutputPath;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// The baseline: a report written by `imgwire bench --json`.
    #[arg(value_name = "A.json")]
    pub a: PathBuf,
    /// The report to compare against the baseline.
    #[arg(value_name = "B.json")]
    pub b: PathBuf,
    /// Exit with status 3 when any matched scenario's burst mean in B is slower than in A by more than PCT percent with its whole 95 % interval above PCT (a change whose interval reaches down to PCT or below passes).
    #[arg(long, value_name = "PCT", value_parser = super::values::non_negative_percent)]
    pub fail_if_slower: Option<f64>,
    /// Also write the comparison as JSON to PATH (`-` for stdout; the text then goes to stderr).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
}

impl CompareArgs {
    pub fn plan(&self) -> ComparePlan {
        ComparePlan {
            a: self.a.clone(),
            b: self.b.clone(),
            fail_if_slower_percent: self.fail_if_slower,
            json: self.json.clone().map(|p| OutputPath::new(p, "--json")),
        }
    }
}
