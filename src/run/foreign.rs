//! The run's side of its target: before anything is measured, says which
//! protocols were chosen where the target's default chose them, then hands
//! the resolved plan to the target's own folder (`src/target/`), which
//! checks it is ready and learns what it takes.

use crate::run::plan::BenchPlan;
use crate::target::{ConnectPlan, Connected};
use anyhow::Result;

pub use crate::target::Clients;

/// Checks that the plan's target is ready and learns what it takes; says
/// which protocols were chosen where the target's default chose them.
pub async fn connect(plan: &BenchPlan, clients: &Clients) -> Result<Connected> {
    if let (Some(why), true, false) = (
        &plan.matrix.protocols_default,
        plan.targets.kind.is_foreign(),
        plan.outputs.quiet,
    ) {
        let names: Vec<&str> = plan.matrix.protocols.iter().map(|p| p.name()).collect();
        eprintln!("protocols: {} ({why})", names.join(","));
    }
    crate::target::connect(&ConnectPlan {
        targets: &plan.targets,
        protocols: &plan.matrix.protocols,
        payloads: &plan.matrix.payloads,
        clients,
        client: &plan.client,
        encode: plan.frames.encode,
        quiet: plan.outputs.quiet,
    })
    .await
}
