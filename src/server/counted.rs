//! Bytes on the wire at the server's sockets: listeners that wrap every
//! accepted connection in a `CountingStream`, so a run can set what the
//! server received beside what the client sent.

use crate::transport::counting::{CountingStream, WireCounters};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::net::TcpListener;

/// The counters of every built-in server, one per listening port.
#[derive(Debug, Default)]
pub struct ServerWire {
    pub rest: Arc<WireCounters>,
    pub grpc: Arc<WireCounters>,
    pub tcp: Arc<WireCounters>,
}

/// A TCP listener whose connections count their bytes (Nagle off, as the
/// clients have it). Serves axum directly and tonic as a stream.
pub struct CountingListener {
    inner: TcpListener,
    counters: Arc<WireCounters>,
}

impl CountingListener {
    pub fn new(inner: TcpListener, counters: Arc<WireCounters>) -> Self {
        CountingListener { inner, counters }
    }

    fn wrap(&self, stream: tokio::net::TcpStream) -> CountingStream {
        let _ = stream.set_nodelay(true);
        CountingStream::new(stream, self.counters.clone())
    }

    /// Accepts the next connection, waiting out transient errors (too many
    /// open files, a connection reset before accept) as axum's own listener does.
    pub async fn accept_counted(&self) -> CountingStream {
        loop {
            match self.inner.accept().await {
                Ok((stream, _)) => return self.wrap(stream),
                Err(err) => {
                    eprintln!("warning: a server could not accept a connection: {err}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }
}

impl axum::serve::Listener for CountingListener {
    type Io = CountingStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let stream = self.accept_counted().await;
        let addr = stream
            .peer_addr()
            .unwrap_or_else(|_| ([0, 0, 0, 0], 0).into());
        (stream, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl futures_core::Stream for CountingListener {
    type Item = io::Result<CountingStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.inner.poll_accept(cx) {
            Poll::Ready(Ok((stream, _))) => Poll::Ready(Some(Ok(self.wrap(stream)))),
            Poll::Ready(Err(err)) => Poll::Ready(Some(Err(err))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl tonic::transport::server::Connected for CountingStream {
    type ConnectInfo = Option<std::net::SocketAddr>;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.peer_addr().ok()
    }
}
