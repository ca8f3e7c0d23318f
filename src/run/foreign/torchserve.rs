//! The TorchServe target: readiness (`/ping` and a first prediction), and its
//! Prometheus metrics (queue and inference latency) as server stages.

use super::{Clients, Foreign, StatsReading};
use crate::run::plan::BenchPlan;
use anyhow::{bail, Result};

/// Where the server's statistics are read.
pub struct TorchserveMetrics {
    pub url: String,
}

impl TorchserveMetrics {
    pub async fn read(&self) -> Result<StatsReading> {
        bail!("reading {} is not built yet", self.url)
    }

    pub fn describe(&self) -> String {
        self.url.clone()
    }
}

/// Checks the target is ready and learns what its model takes.
pub async fn connect(_plan: &BenchPlan, _clients: &Clients) -> Result<Foreign> {
    bail!("--target torchserve is not built yet")
}
