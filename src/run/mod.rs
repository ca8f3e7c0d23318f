//! Running a benchmark from its resolved plan: the targets, the prepared
//! frames, the burst load, each scenario's measurement, sweeps. It produces
//! the results that `report` owns and renders.

pub mod bench;
pub mod burst;
pub mod foreign;
pub mod load;
pub mod outputs;
pub mod plan;
pub mod prepare;
pub mod progress;
pub mod relay_cost;
pub mod replay;
pub mod scenario;
pub mod scenario_run;
pub mod sweep;
pub mod targets;
