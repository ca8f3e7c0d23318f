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
    /// How long the search may spend on trials before it stops starting new ones (the confirmation runs after): seconds, or a duration (120, 90s, 5m).
    #[arg(long, value_name = "DURATION", default_value_t = 120.0, value_parser = super::values::positive_seconds)]
    pub budget_s: f64,
    /// Times the start and the best are measured again, in turns, to confirm the gain.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub confirm_rounds: u32,
}

impl TuneArgs {
    pub fn options(&self) -> crate::tune::TuneOptions {
        crate::tune::TuneOptions {
            budget: std::time::Duration::from_secs_f64(self.budget_s),
            confirm_rounds: self.confirm_rounds as usize,
        }
    }
}

/// Runs the search.
pub fn tune(args: &TuneArgs) -> anyhow::Result<()> {
    crate::tune::run(&args.bench.plan(), &args.options()).map(|_| ())
}
