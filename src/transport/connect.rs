//! The client's TCP connect: within the connect timeout, with TCP_NODELAY
//! as `--tcp-nodelay` says, the socket counted (`net::counted_stream`), and
//! errors that name the server and the flag that points at it.

use super::ClientSettings;
use crate::net::byte_count::WireCounters;
use crate::net::counted_stream::CountedStream;
use std::sync::Arc;
use tokio::net::TcpStream;

/// Connects to `address` within the connect timeout, with TCP_NODELAY as
/// `--tcp-nodelay` says (on by default), counting into `counters`. Errors
/// name the server (`what`) and the flag that points at it.
pub async fn connect_counted(
    address: &str,
    settings: &ClientSettings,
    counters: &Arc<WireCounters>,
    what: &str,
    flag: &str,
) -> anyhow::Result<CountedStream> {
    use anyhow::Context;
    let stream = tokio::time::timeout(settings.connect_timeout, TcpStream::connect(address))
        .await
        .map_err(|_| {
            anyhow::anyhow!("timed out connecting to the {what} at {address} (check {flag})")
        })?
        .with_context(|| format!("could not connect to the {what} at {address} (check {flag})"))?;
    stream.set_nodelay(settings.h2.tcp_nodelay())?;
    Ok(CountedStream::new(stream, counters.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// `imgwire bench --tcp-nodelay VALUE`'s client settings.
    fn client_settings(value: &str) -> ClientSettings {
        let argv = ["imgwire", "bench", "--tcp-nodelay", value];
        match crate::Cli::parse_from(argv).command {
            crate::cli::Command::Bench(args) => args.plan().expect("the plan resolves").client,
            _ => unreachable!("a bench command line"),
        }
    }

    #[tokio::test]
    async fn connections_get_the_tcp_nodelay_the_flag_asks_for() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        for (value, nodelay) in [("true", true), ("false", false)] {
            let settings = client_settings(value);
            let counters = Arc::default();
            let stream =
                connect_counted(&address, &settings, &counters, "test server", "--rest-url")
                    .await
                    .unwrap();
            assert_eq!(stream.nodelay().unwrap(), nodelay, "--tcp-nodelay {value}");
        }
    }
}
