//! `imgwire serve`: its flags, and running the built-in servers until
//! Ctrl-C, then saying how many requests they refused. With `--tls-cert`
//! and `--tls-key`, REST and gRPC speak TLS (the TCP floor stays plain).

use super::ServerArgs;
use anyhow::Result;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Where the REST server listens (HOST:PORT, an IP address or localhost; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080", value_parser = super::values::listen_address)]
    pub rest_addr: SocketAddr,
    /// Where the gRPC server listens (HOST:PORT, an IP address or localhost; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:50051", value_parser = super::values::listen_address)]
    pub grpc_addr: SocketAddr,
    /// Where the TCP floor server (the `tcp` protocol) listens (HOST:PORT, an IP address or localhost; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:50052", value_parser = super::values::listen_address)]
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
    /// Serve REST and gRPC over TLS with this PEM certificate chain (needs --tls-key; the TCP floor stays plain).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// How much decoder work one JPEG may ask of the built-in servers (in
/// `serve` and `bench`): libjpeg-turbo cannot be stopped once it decodes,
/// so the work is bounded before it starts.
#[derive(Debug, Clone, Args)]
pub struct DecodeLimitArgs {
    /// Most scans a JPEG sent to the built-in server may hold; a progressive JPEG decodes its whole image once per scan, so more is refused (413 / RESOURCE_EXHAUSTED) before decoding (libjpeg's progression writes 10).
    #[arg(long, value_name = "N", default_value_t = crate::server::DecodeLimits::default().max_scans, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_scans: u32,
    /// Most width x height x scans a JPEG sent to the built-in server may ask the decoder for (the default allows 20 scans of a 50 MP image, every --max-scans of 1080p).
    #[arg(long, value_name = "N", default_value_t = crate::server::DecodeLimits::default().max_scan_pixels, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_scan_pixels: u64,
    /// Decode arithmetic-coded JPEGs (refused by default, 415 / INVALID_ARGUMENT: byte for byte they take about four times as long as Huffman-coded ones).
    #[arg(long)]
    pub allow_arithmetic_jpeg: bool,
}

impl DecodeLimitArgs {
    pub fn limits(&self) -> crate::server::DecodeLimits {
        crate::server::DecodeLimits {
            max_scans: self.max_scans,
            max_scan_pixels: self.max_scan_pixels,
            arithmetic: self.allow_arithmetic_jpeg,
        }
    }
}

pub(super) fn serve(args: &ServeArgs) -> Result<()> {
    let config = crate::server::ServerConfig {
        profiling: args.profiling,
        profiling_public: args.profiling_public,
        v2_model: args.v2_model.clone(),
        tls: server_tls(args)?,
        ..args.server.config()
    };
    crate::server::check_decoder_available(config.decoder)?;
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
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
        "REST listening on {scheme}://{}\ngRPC listening on {scheme}://{}\nTCP floor listening on tcp://{}\n\
         KServe v2 model '{}' at {scheme}://{}/v2/models/{} and gRPC inference.GRPCInferenceService\n",
        servers.rest_addr,
        servers.grpc_addr,
        servers.tcp_addr,
        args.v2_model,
        servers.rest_addr,
        args.v2_model
    );
    if args.profiling {
        banner += &format!(
            "CPU profiles at {scheme}://{}/debug/pprof/profile?seconds=N\n",
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

/// `--tls-cert` and `--tls-key` read (clap makes it both or neither); an
/// unreadable or invalid file is an error naming its flag.
fn server_tls(args: &ServeArgs) -> Result<Option<crate::server::ServerTls>> {
    let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) else {
        return Ok(None);
    };
    Ok(Some(crate::server::ServerTls::from_pem_files(cert, key)?))
}

/// One line when a server listens beyond loopback in plain text (REST and
/// gRPC without `--tls-cert`; the TCP floor always): anyone on the network
/// can read and send requests.
pub fn plaintext_warning(args: &ServeArgs) -> Option<String> {
    let tls = args.tls_cert.is_some();
    let exposed: Vec<String> = [
        ("--rest-addr", args.rest_addr, tls),
        ("--grpc-addr", args.grpc_addr, tls),
        ("--tcp-addr", args.tcp_addr, false),
    ]
    .iter()
    .filter(|(_, address, encrypted)| !encrypted && !address.ip().to_canonical().is_loopback())
    .map(|(flag, address, _)| format!("{flag} {address}"))
    .collect();
    let what = if tls {
        "the TCP floor (the body one way, the small prediction back) is never encrypted"
    } else {
        "the servers speak plain text (no TLS) to the network, unauthenticated (--tls-cert and \
         --tls-key encrypt REST and gRPC)"
    };
    (!exposed.is_empty()).then(|| {
        format!(
            "warning: {} not loopback: {what}; bind 127.0.0.1 unless the network is trusted",
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
        let tls = ["--tls-cert", "c.pem", "--tls-key", "k.pem"];
        let encrypted = serve_args(&[&["--rest-addr", "0.0.0.0:0"][..], &tls].concat());
        assert_eq!(plaintext_warning(&encrypted), None);
        let floor = serve_args(&[&["--tcp-addr", "0.0.0.0:9"][..], &tls].concat());
        let warning = plaintext_warning(&floor).unwrap();
        assert!(warning.contains("--tcp-addr 0.0.0.0:9 is"), "{warning}");
        assert!(!warning.contains("no TLS"), "{warning}");
        // The floor answers with the small prediction, not an echo.
        assert!(!warning.contains("echo"), "{warning}");
    }
}
