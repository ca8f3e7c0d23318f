//! Running a benchmark from its resolved plan: the targets, the prepared
//! frames, the burst load, each scenario's measurement, sweeps. It produces
//! the results that `report` owns and renders.

pub mod bench;
pub(crate) mod burst;
pub mod camera_capacity;
pub(crate) mod endpoints;
pub(crate) mod foreign;
pub(crate) mod live_encode;
pub(crate) mod live_gpu;
pub(crate) mod live_metrics;
pub(crate) mod load;
pub(crate) mod outputs;
pub mod plan;
pub(crate) mod prepare;
pub(crate) mod progress;
pub(crate) mod relay_cost;
pub(crate) mod replay;
pub(crate) mod scenario_fold;
pub(crate) mod scenario_measure;
pub mod schedule;
pub mod sweep;
