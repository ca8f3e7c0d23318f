//! `imgwire tune`: the bench flags (with a one-scenario workload as their
//! defaults: 1080x1920, binary, gRPC) plus the search's own budget.

use super::BenchArgs;
use clap::parser::ValueSource;
use clap::{ArgAction, Args, CommandFactory};

#[derive(Debug, Clone, Args)]
#[command(
    mut_arg("sizes", |a| a.default_value("1080x1920")),
    mut_arg("payloads", |a| a.default_value("binary")),
    mut_arg("protocols", |a| a.default_value("grpc").visible_alias("protocol")),
)]
pub struct TuneArgs {
    #[command(flatten)]
    pub bench: BenchArgs,
    /// How long the search may spend on trials before it stops starting new ones (the confirmation runs after): seconds, or a duration (120, 90s, 5m).
    #[arg(long, value_name = "DURATION", default_value_t = 120.0, value_parser = super::values::positive_seconds)]
    pub budget_s: f64,
    /// Times the start and the best are measured again, in turns, to confirm the gain.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub confirm_rounds: u32,
    /// The command line as typed, for the reproduce line (`remember_command_line`).
    #[arg(skip)]
    pub command_line: Vec<String>,
}

/// Keeps `argv` (program name first) with a `tune` command, so that its
/// reproduce line carries the workload flags as they were given.
pub fn remember_command_line(cli: &mut crate::Cli, argv: &[String]) {
    if let super::Command::Tune(args) = &mut cli.command {
        args.command_line = argv.to_vec();
    }
}

impl TuneArgs {
    pub fn options(&self) -> crate::tune::TuneOptions {
        crate::tune::TuneOptions {
            budget: std::time::Duration::from_secs_f64(self.budget_s),
            confirm_rounds: self.confirm_rounds as usize,
            given_flags: match self.command_line.is_empty() {
                true => None,
                false => given_bench_flags(&self.command_line),
            },
        }
    }
}

/// Arguments of `tune` a reproduce line does not carry as given: tune's
/// own, the one scenario (written from the plan, as tune's defaults are not
/// bench's), the knobs (written from the best configuration), and the
/// files and views of the search itself (every registered output's flag
/// among them, `carried`).
const NOT_CARRIED: [&str; 17] = [
    "budget_s",
    "confirm_rounds",
    "sizes",
    "payloads",
    "protocols",
    "h2_stream_window",
    "h2_connection_window",
    "h2_adaptive_window",
    "h2_max_frame",
    "grpc_channels",
    "rest_pool",
    "profile_hz",
    "flamegraph_threads",
    "brief",
    "wide",
    "quiet",
    "no_color",
];

/// Whether the reproduce line carries the argument with this id.
fn carried(id: &str) -> bool {
    !NOT_CARRIED.contains(&id) && crate::run::plan::outputs::OutputKind::by_id(id).is_none()
}

/// The bench flags of a `tune` command line (`argv`, program name first)
/// that the reproduce line carries, each as its long flag then its value; None
/// where `argv` is not a tune command line clap accepts.
pub fn given_bench_flags(argv: &[String]) -> Option<Vec<String>> {
    let cli = crate::Cli::command();
    let matches = cli.clone().try_get_matches_from(argv).ok()?;
    let given = matches.subcommand_matches("tune")?;
    let tune = cli.find_subcommand("tune")?;
    let mut words = Vec::new();
    for arg in tune.get_arguments() {
        let id = arg.get_id().as_str();
        let from_command_line = given.value_source(id) == Some(ValueSource::CommandLine);
        if !from_command_line || !carried(id) {
            continue;
        }
        let flag = format!("--{}", arg.get_long()?);
        match arg.get_action() {
            ArgAction::SetTrue | ArgAction::SetFalse => words.push(flag),
            ArgAction::Count => {
                let times = given.get_count(id);
                words.extend(std::iter::repeat_n(flag, usize::from(times)));
            }
            _ => {
                for occurrence in given.get_raw_occurrences(id)? {
                    let values: Vec<String> = occurrence
                        .map(|v| v.to_string_lossy().into_owned())
                        .collect();
                    words.push(flag.clone());
                    words.push(values.join(","));
                }
            }
        }
    }
    Some(words)
}

impl TuneArgs {
    /// The bench plan of the workload, refused (naming the flag) where it
    /// is not one scenario with knobs to turn.
    pub fn plan(&self) -> Result<crate::run::plan::BenchPlan, crate::run::plan::PlanError> {
        let plan = self.bench.plan()?;
        crate::tune::one_scenario(&plan)?;
        Ok(plan)
    }
}

/// Runs the search.
pub fn tune(args: &TuneArgs) -> anyhow::Result<()> {
    crate::tune::run(&args.plan()?, &args.options()).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn the_workload_is_carried_and_tunes_own_flags_are_not() {
        let words = given_bench_flags(&argv(&[
            "imgwire",
            "tune",
            "--quality",
            "80",
            "--frames",
            "4",
            "--server-decoder",
            "none",
            "-c",
            "8",
            "--budget-s",
            "5",
            "--grpc-channels",
            "2",
            "--json",
            "t.json",
            "--h2-adaptive-window",
            "--sizes",
            "48x64",
        ]))
        .unwrap();
        assert_eq!(
            words.join(" "),
            "--concurrency 8 --frames 4 --quality 80 --server-decoder none",
        );
    }
}
