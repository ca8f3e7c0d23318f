//! The client's TCP connect: within the connect timeout, with TCP_NODELAY
//! as `--tcp-nodelay` says, the socket counted (`net::counted_stream`), and
//! errors that name the server and the flag that points at it; then any TLS
//! handshake (`Server::open`), and HTTP/2's handshake with the HTTP/2 flags'
//! settings (`--h2-stream-window` and the rest), which REST/2 and gRPC share
//! (`h2_handshake`).

use super::parts_body::PartsBody;
use super::ClientSettings;
use crate::net::byte_count::WireCounters;
use crate::net::counted_stream::CountedStream;
use crate::net::secured::Secured;
use anyhow::{anyhow, Context as _};
use hyper::client::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpStream;

/// A server one client connects to, and how.
pub struct Server<'a> {
    /// HOST:PORT.
    pub authority: &'a str,
    /// `https://`: the TLS config every connection handshakes with.
    pub tls: Option<&'a Arc<rustls::ClientConfig>>,
    /// What to call it in errors ("REST server") and the flag naming it.
    pub what: &'static str,
    pub flag: &'static str,
}

impl Server<'_> {
    /// Opens one connection: TCP, then TLS for `https://`, within the
    /// connect timeout each; the time both took is recorded in `counters`.
    pub async fn open(
        &self,
        settings: &ClientSettings,
        counters: &Arc<WireCounters>,
    ) -> anyhow::Result<Secured<CountedStream>> {
        let started = Instant::now();
        let stream =
            connect_counted(self.authority, settings, counters, self.what, self.flag).await?;
        let stream = match self.tls {
            None => Secured::Plain(stream),
            Some(config) => {
                let host = self.authority.rsplit_once(':').map_or("", |(host, _)| host);
                let handshake = super::tls::handshake(stream, host, config.clone(), self.flag);
                tokio::time::timeout(settings.connect_timeout, handshake)
                    .await
                    .map_err(|_| {
                        anyhow!(
                            "the TLS handshake with the {} timed out (check {})",
                            self.what,
                            self.flag
                        )
                    })??
            }
        };
        counters.record_connect(started.elapsed());
        Ok(stream)
    }
}

/// HTTP/2's handshake on `stream`, with the HTTP/2 flags' settings and the
/// answer head limit; the connection is driven by a task of its own.
pub async fn h2_handshake(
    stream: Secured<CountedStream>,
    settings: &ClientSettings,
    what: &str,
) -> anyhow::Result<http2::SendRequest<PartsBody>> {
    let h2 = settings.h2;
    let (sender, connection) = http2::Builder::new(TokioExecutor::new())
        .initial_stream_window_size(h2.stream_window_bytes)
        .initial_connection_window_size(h2.connection_window_bytes)
        .adaptive_window(h2.adaptive_window)
        .max_frame_size(h2.max_frame_bytes)
        .max_header_list_size(super::ANSWER_HEAD_LIMIT_BYTES as u32)
        .handshake(TokioIo::new(stream))
        .await
        .with_context(|| format!("HTTP/2 handshake with the {what} failed (does it speak h2c?)"))?;
    tokio::spawn(connection);
    Ok(sender)
}

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
