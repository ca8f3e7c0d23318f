//! The flags of `imgwire compare`.

use crate::compare::{ComparePlan, MatchField};
use crate::output::OutputPath;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// The baseline: a report written by `imgwire bench --export-json`.
    #[arg(value_name = "A.json")]
    pub a: PathBuf,
    /// The report to compare against the baseline.
    #[arg(value_name = "B.json")]
    pub b: PathBuf,
    /// Exit with status 3 when any matched scenario's burst mean in B is slower than in A by more than PCT percent with its whole 95 % interval above PCT (a change whose interval reaches down to PCT or below passes), and with status 4 when it could not compare (no scenario matched, B incomplete, a matched scenario that measured nothing).
    #[arg(long, value_name = "PCT", value_parser = super::values::non_negative_percent)]
    pub fail_if_slower: Option<f64>,
    /// The fields a scenario of A is paired with one of B on: `size,payload` sets REST in A against gRPC in B.
    #[arg(
        long = "match",
        value_enum,
        value_delimiter = ',',
        default_value = "size,payload,protocol"
    )]
    pub match_on: Vec<MatchField>,
    /// Also write the comparison as JSON to PATH (`-` for stdout; the text then goes to stderr).
    #[arg(long = "export-json", visible_alias = "json", value_name = "PATH")]
    pub json: Option<PathBuf>,
}

impl CompareArgs {
    pub fn plan(&self) -> ComparePlan {
        ComparePlan {
            a: self.a.clone(),
            b: self.b.clone(),
            fail_if_slower_percent: self.fail_if_slower,
            match_on: self.match_on.clone(),
            json: self
                .json
                .clone()
                .map(|p| OutputPath::new(p, "--export-json")),
        }
    }
}
