//! The Open Inference Protocol (KServe v2) target: readiness (`/v2/health/ready`,
//! the model's ready route), the model's metadata (input name and datatype,
//! overridden by flags), and Triton's statistics extension as server stages.

use super::{Clients, Foreign, StatsReading};
use crate::run::plan::BenchPlan;
use anyhow::{bail, Result};

/// Where the server's statistics are read.
pub struct TritonStats {
    pub url: String,
}

impl TritonStats {
    pub async fn read(&self) -> Result<StatsReading> {
        bail!("reading {} is not built yet", self.url)
    }

    pub fn describe(&self) -> String {
        self.url.clone()
    }
}

/// Checks the target is ready and learns what its model takes.
pub async fn connect(_plan: &BenchPlan, _clients: &Clients) -> Result<Foreign> {
    bail!("--target kserve-v2 is not built yet")
}
