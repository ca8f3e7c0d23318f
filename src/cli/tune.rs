//! `imgwire tune`: the bench flags (with a one-scenario workload as their
//! defaults: 1080x1920, binary, gRPC) plus the search's own budget.

use super::BenchArgs;
use clap::Args;

#[derive(Debug, Clone, Args)]
#[command(
    mut_arg("sizes", |a| a.default_value("1080x1920")),
    mut_arg("payloads", |a| a.default_value("binary")),
    mut_arg("protocols", |a| a.default_value("grpc").visible_alias("protocol")),
)]
pub struct TuneArgs {
    #[command(flatten)]
    pub bench: BenchArgs,
    /// Seconds the search may spend on trials before it stops starting new ones (the confirmation runs after).
    #[arg(long, value_name = "SECONDS", default_value_t = 120.0, value_parser = super::positive_seconds)]
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
            command_line: self.command_line.clone(),
        }
    }
}

/// Runs the search.
pub fn tune(args: &TuneArgs) -> anyhow::Result<()> {
    crate::tune::run(&args.bench.plan(), &args.options()).map(|_| ())
}
