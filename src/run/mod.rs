//! Running a benchmark: the scenario matrix, the prepared frames, the load
//! model, the per-request timing records, and the loop that ties them.

pub mod bench;
pub mod burst;
pub mod prepare;
pub mod relay_cost;
pub mod samples;
pub mod scenario;
pub mod sweep;
pub mod targets;
