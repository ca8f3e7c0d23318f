//! imgwire: a profiler for getting images to a model server. The binary is a
//! thin shell over this library so tests drive the same code as users.

pub mod cli;
pub mod client_cpu;
pub mod compare;
pub(crate) mod encode;
pub mod encoders;
pub mod frame;
pub mod gpu;
pub(crate) mod interrupt;
pub mod link;
pub mod merge;
pub mod metrics;
pub mod net;
pub mod output;
pub mod profile;
pub mod protocol;
pub mod report;
pub mod run;
pub mod server;
pub mod server_trace;
pub mod shard;
pub(crate) mod spellings;
pub mod stage;
pub mod target;
pub mod trace_context;
pub mod transport;
pub mod tune;
pub mod wire;

pub use cli::Cli;

/// Runs one parsed command line to completion.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    cli::dispatch(cli)
}
