//! The integration tests a plain `cargo test` runs, as one binary (one link
//! instead of one per file): the binary and its commands as a user meets
//! them, the exporters, the built-in servers under attack, the foreign
//! targets' protocols against small stand-ins, and the static checks of the
//! source and the docs. Each file is one module; `common` (tests/common/)
//! holds the helpers every binary shares.
//!
//! The other test binaries hold what needs something this one must not
//! have: `serial` (the process or the machine to itself), `targets` (real
//! foreign servers, from scripts/test.sh), `gpu` (CUDA, NVRTC, nvJPEG).
//! Run one file's tests with its module as a filter:
//! `cargo test --release --test it tls::`.

#[allow(dead_code)]
#[path = "hardening/bombs.rs"]
mod bombs;
mod camera_capacity;
mod camera_outputs;
mod cameras;
#[allow(dead_code)]
#[path = "v2_server/clients.rs"]
mod clients;
#[path = "../common/mod.rs"]
mod common;
#[path = "../variant_servers/mod.rs"]
mod variant_servers;

mod architecture;
mod cli;
mod cli_doc;
mod client_cpu;
mod compare_gate;
mod docs;
mod encode_cmd;
mod encode_link;
mod exporters;
mod floor;
mod grpc_reconnect;
mod hardening_attackers;
mod hardening_connections;
mod hardening_decode;
mod hardening_limits;
mod hardening_parsing;
mod hostile_servers;
mod html_report;
mod inputs;
mod kserve_builtin;
mod kserve_shapes;
mod live_encode;
mod load;
mod merge;
mod merge_refusals;
mod messages;
mod metrics;
mod otlp;
mod output_files;
mod plan_refusals;
mod quiet;
mod roundtrip;
mod save_requests;
mod schema_doc;
mod serve_security;
mod server_answers;
mod server_errors;
mod server_timing_fit;
mod shards;
mod throughput;
mod tls;
mod torchserve_answers;
mod trace;
mod trace_context;
mod transport_knobs;
mod tune;
mod v2_server;
mod widths;
