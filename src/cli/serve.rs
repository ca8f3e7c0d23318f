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
    /// Where the TCP floor server (the `tcp` protocol) listens (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:50052")]
    pub tcp_addr: SocketAddr,
    /// Serve CPU profiles at GET /debug/pprof/profile?seconds=N on the REST port (pprof protobuf, gzip).
    #[arg(long)]
    pub profiling: bool,
    /// Serve those profiles to any client; without it only loopback clients get one (others: 403).
    #[arg(long, requires = "profiling")]
    pub profiling_public: bool,
    /// The model name the KServe v2 (Open Inference Protocol) routes answer to, on the REST and gRPC ports.
    #[arg(long, value_name = "NAME", default_value = crate::server::DEFAULT_V2_MODEL, value_parser = crate::server::parse_v2_model)]
    pub v2_model: String,
    #[command(flatten)]
    pub server: ServerArgs,
}

pub(super) fn serve(args: &ServeArgs) -> Result<()> {
    let config = crate::server::ServerConfig {
        profiling: args.profiling,
        profiling_public: args.profiling_public,
        v2_model: args.v2_model.clone(),
        ..args.server.config()
    };
    crate::server::check_decoder_available(config.decoder)?;
    if let Some(warning) = plaintext_warning(args) {
        eprintln!("{warning}");
    }
    let servers = crate::server::Servers::start(
        config,
        &crate::server::Binds {
            rest: args.rest_addr,
            grpc: args.grpc_addr,
            tcp: args.tcp_addr,
        },
    )?;
    let mut banner = format!(
        "REST listening on http://{}\ngRPC listening on http://{}\nTCP floor listening on tcp://{}\n\
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

/// One line when any server listens beyond loopback: they speak plain
/// text (no TLS), so anyone on the network can read and send requests.
pub fn plaintext_warning(args: &ServeArgs) -> Option<String> {
    let exposed: Vec<String> = [
        ("--rest-addr", args.rest_addr),
        ("--grpc-addr", args.grpc_addr),
        ("--tcp-addr", args.tcp_addr),
    ]
    .iter()
    .filter(|(_, address)| !address.ip().to_canonical().is_loopback())
    .map(|(flag, address)| format!("{flag} {address}"))
    .collect();
    (!exposed.is_empty()).then(|| {
        format!(
            "warning: {} not loopback: the servers speak plain text (no TLS) to the network, \
             unauthenticated; bind 127.0.0.1 unless the network is trusted",
            exposed.join(", ") + if exposed.len() == 1 { " is" } else { " are" }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn serve_args(flags: &[&str]) -> ServeArgs {
        let mut argv = vec!["imgwire", "serve"];
        argv.extend_from_slice(flags);
        match crate::Cli::parse_from(argv).command {
            super::super::Command::Serve(args) => *args,
            _ => unreachable!("a serve command line"),
        }
    }

    #[test]
    fn warns_once_naming_every_address_beyond_loopback() {
        assert_eq!(plaintext_warning(&serve_args(&[])), None);
        assert_eq!(
            plaintext_warning(&serve_args(&["--rest-addr", "[::1]:0"])),
            None
        );
        let exposed = serve_args(&["--rest-addr", "0.0.0.0:0", "--tcp-addr", "10.1.2.3:9"]);
        let warning = plaintext_warning(&exposed).unwrap();
        assert!(!warning.contains('\n'), "{warning}");
        assert!(warning.contains("--rest-addr 0.0.0.0:0, --tcp-addr 10.1.2.3:9 are"));
        assert!(warning.contains("no TLS"), "{warning}");
    }
}
