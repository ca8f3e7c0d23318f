//! `imgwire serve`: its flags, and running the built-in servers until
//! Ctrl-C, then saying how many requests they refused.

use super::ServerArgs;
use anyhow::Result;
use clap::Args;
use std::net::SocketAddr;

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Where the REST server listens (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub rest_addr: SocketAddr,
    /// Where the gRPC server listens (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:50051")]
    pub grpc_addr: SocketAddr,
    /// Where the TCP echo server (the `tcp` floor) listens (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:50052")]
    pub tcp_addr: SocketAddr,
    /// Serve CPU profiles at GET /debug/pprof/profile?seconds=N on the REST port (pprof protobuf, gzip).
    #[arg(long)]
    pub profiling: bool,
    /// The model name the KServe v2 (Open Inference Protocol) routes answer to, on the REST and gRPC ports.
    #[arg(long, value_name = "NAME", default_value = crate::server::DEFAULT_V2_MODEL, value_parser = crate::server::parse_v2_model)]
    pub v2_model: String,
    #[command(flatten)]
    pub server: ServerArgs,
}

pub(super) fn serve(args: &ServeArgs) -> Result<()> {
    let config = crate::server::ServerConfig {
        profiling: args.profiling,
        v2_model: args.v2_model.clone(),
        ..args.server.config()
    };
    crate::server::check_decoder_available(config.decoder)?;
    let servers = crate::server::Servers::start(
        config,
        &crate::server::Binds {
            rest: args.rest_addr,
            grpc: args.grpc_addr,
            tcp: args.tcp_addr,
        },
    )?;
    let mut banner = format!(
        "REST listening on http://{}\ngRPC listening on http://{}\nTCP echo listening on tcp://{}\n\
         KServe v2 model '{}' at http://{}/v2/models/{} and gRPC inference.GRPCInferenceService\n",
        servers.rest_addr,
        servers.grpc_addr,
        servers.tcp_addr,
        args.v2_model,
        servers.rest_addr,
        args.v2_model
    );
    if args.profiling {
        banner += &format!(
            "CPU profiles at http://{}/debug/pprof/profile?seconds=N\n",
            servers.rest_addr
        );
    }
    banner += &format!(
        "server decoder: {}; Ctrl-C stops\n",
        args.server.server_decoder.name()
    );
    // Whoever started us may stop reading stdout; the servers must live on.
    use std::io::Write;
    let mut stdout = std::io::stdout();
    let _ = stdout
        .write_all(banner.as_bytes())
        .and_then(|()| stdout.flush());
    let refusals = std::sync::Arc::clone(&servers.refusals);
    let served = servers.wait_for_ctrl_c();
    let _ = writeln!(stdout, "{}", refusals.snapshot());
    Ok(served?)
}
