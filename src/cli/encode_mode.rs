//! `bench`'s flags for when frames are encoded: once before the run (the
//! pool), or live per request by a pool of encoder threads.

use crate::run::plan::EncodeMode;
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct EncodeModeArgs {
    /// When frames are made and encoded: `pool` once before the run, every request reusing them (the transport alone); `live` per request at send time by --encode-threads encoder threads, inside each request's wall time (a camera pipeline: encoding competes with sending for the client's cores).
    /// (Default: pool; live under --streams.)
    #[arg(long = "encode", value_enum)]
    pub encode: Option<EncodeMode>,
    /// Encoder threads of --encode live, each with its own encoder (default: the number of CPUs).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub encode_threads: Option<u32>,
}
