//! Bytes on the wire, counted at the socket: every byte a transport (or a
//! built-in server, see `server::counted`) writes to or reads from its TCP
//! connections (HTTP/1.1 headers, HTTP/2 frames, gRPC's length prefixes, the
//! floor's length words), so a report can set them beside the payload's own
//! bytes.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Running totals for all the connections of one client.
#[derive(Debug, Default)]
pub struct WireCounters {
    sent: AtomicU64,
    received: AtomicU64,
    connections: AtomicU64,
    /// Time spent opening connections (client: TCP connect plus any TLS
    /// handshake), in nanoseconds, over `connects`.
    connect_nanos: AtomicU64,
    connects: AtomicU64,
}

/// A reading of the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WireBytes {
    pub sent: u64,
    pub received: u64,
}

impl WireBytes {
    /// What was counted between `earlier` and `self`.
    pub fn since(self, earlier: WireBytes) -> WireBytes {
        WireBytes {
            sent: self.sent.saturating_sub(earlier.sent),
            received: self.received.saturating_sub(earlier.received),
        }
    }
}

impl WireCounters {
    /// Connections opened (client) or accepted (server) so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// A connection opened (TCP connect and any TLS handshake) in `took`.
    pub fn record_connect(&self, took: std::time::Duration) {
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.connect_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.connects.fetch_add(1, Ordering::Relaxed);
    }

    /// Connections whose opening was timed, and their mean opening time.
    pub fn connect_times(&self) -> (u64, std::time::Duration) {
        let count = self.connects.load(Ordering::Relaxed);
        let total = self.connect_nanos.load(Ordering::Relaxed);
        (count, std::time::Duration::from_nanos(total / count.max(1)))
    }

    pub fn read(&self) -> WireBytes {
        WireBytes {
            sent: self.sent.load(Ordering::Relaxed),
            received: self.received.load(Ordering::Relaxed),
        }
    }
}

/// Connects to `address` within the connect timeout, with TCP_NODELAY as
/// `--tcp-nodelay` says (on by default), counting into `counters`. Errors name the server (`what`) and the flag that points at it.
pub async fn connect_counted(
    address: &str,
    settings: &super::ClientSettings,
    counters: &Arc<WireCounters>,
    what: &str,
    flag: &str,
) -> anyhow::Result<CountingStream> {
    use anyhow::Context;
    let stream = tokio::time::timeout(settings.connect_timeout, TcpStream::connect(address))
        .await
        .map_err(|_| {
            anyhow::anyhow!("timed out connecting to the {what} at {address} (check {flag})")
        })?
        .with_context(|| format!("could not connect to the {what} at {address} (check {flag})"))?;
    stream.set_nodelay(settings.h2.tcp_nodelay())?;
    Ok(CountingStream::new(stream, counters.clone()))
}

/// A TCP stream that adds what passes through it to shared counters.
pub struct CountingStream {
    inner: TcpStream,
    counters: Arc<WireCounters>,
}

impl CountingStream {
    /// The socket's TCP_NODELAY, as `--tcp-nodelay` set it.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.nodelay()
    }

    pub fn new(inner: TcpStream, counters: Arc<WireCounters>) -> Self {
        counters.connections.fetch_add(1, Ordering::Relaxed);
        CountingStream { inner, counters }
    }

    pub fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.inner.peer_addr()
    }
}

impl AsyncRead for CountingStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = (buf.filled().len() - before) as u64;
        self.counters.received.fetch_add(read, Ordering::Relaxed);
        polled
    }
}

impl AsyncWrite for CountingStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(written)) = polled {
            self.counters
                .sent
                .fetch_add(written as u64, Ordering::Relaxed);
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(written)) = polled {
            self.counters
                .sent
                .fetch_add(written as u64, Ordering::Relaxed);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// `imgwire bench --tcp-nodelay VALUE`'s client settings.
    fn client_settings(value: &str) -> super::super::ClientSettings {
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
