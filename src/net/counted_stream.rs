//! The one wrapper around a TCP socket that both sides read and write
//! through: it adds every byte that passes to shared `WireCounters`, and
//! tells a `StreamWatch` what moved and when the socket stalls. The client
//! watches nothing (`()`); the built-in servers' watch is their connection
//! guard (`server::guarded`: first-byte and idle deadlines, the permit of
//! `--max-connections`), which may end a stalled connection with an error.

use super::byte_count::WireCounters;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Which way bytes moved through a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Read,
    Written,
}

/// What a stream's owner hears from it, besides the counts.
pub trait StreamWatch {
    /// `bytes` were read or written (0: the peer closed its side).
    fn moved(&mut self, _direction: Direction, _bytes: usize) {}

    /// The socket has nothing yet for a waiting reader or writer:
    /// `Pending` to go on waiting (any timer of the watch armed to wake
    /// `cx`), or the error that ends the connection.
    fn poll_stalled(&mut self, _cx: &mut Context<'_>) -> Poll<io::Error> {
        Poll::Pending
    }
}

/// No watch: the stream is counted only (the client's sockets).
impl StreamWatch for () {}

/// A TCP stream that adds what passes through it to shared counters, and
/// tells its watch `W`.
pub struct CountedStream<W = ()> {
    inner: TcpStream,
    counters: Arc<WireCounters>,
    watch: W,
}

impl CountedStream {
    /// `inner`, counted into `counters` (one more connection) and watched
    /// by nothing.
    pub fn new(inner: TcpStream, counters: Arc<WireCounters>) -> Self {
        Self::watched(inner, counters, ())
    }
}

impl<W: StreamWatch> CountedStream<W> {
    /// `inner`, counted into `counters` (one more connection) and watched
    /// by `watch`.
    pub fn watched(inner: TcpStream, counters: Arc<WireCounters>, watch: W) -> Self {
        counters.count_connection();
        CountedStream {
            inner,
            counters,
            watch,
        }
    }

    /// The socket's TCP_NODELAY, as `--tcp-nodelay` set it.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.nodelay()
    }

    pub fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.inner.peer_addr()
    }

    pub fn watch(&self) -> &W {
        &self.watch
    }

    pub fn watch_mut(&mut self) -> &mut W {
        &mut self.watch
    }

    /// A write's outcome, counted and told to the watch; a stalled write
    /// is the watch's to end or wait on.
    fn wrote(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match polled {
            Poll::Pending => self.watch.poll_stalled(cx).map(Err),
            Poll::Ready(Ok(written)) => {
                self.counters.count_sent(written);
                self.watch.moved(Direction::Written, written);
                Poll::Ready(Ok(written))
            }
            error => error,
        }
    }
}

impl<W: StreamWatch + Unpin> AsyncRead for CountedStream<W> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Pending => this.watch.poll_stalled(cx).map(Err),
            Poll::Ready(Ok(())) => {
                let read = buf.filled().len() - before;
                this.counters.count_received(read);
                this.watch.moved(Direction::Read, read);
                Poll::Ready(Ok(()))
            }
            error => error,
        }
    }
}

impl<W: StreamWatch + Unpin> AsyncWrite for CountedStream<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        self.wrote(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.wrote(cx, polled)
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
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Remembers what it was told; stalls end the connection once `limit`
    /// stalls were seen.
    #[derive(Default)]
    struct Told {
        moved: Vec<(Direction, usize)>,
        stalls: usize,
        limit: usize,
    }

    impl StreamWatch for Told {
        fn moved(&mut self, direction: Direction, bytes: usize) {
            self.moved.push((direction, bytes));
        }

        fn poll_stalled(&mut self, _cx: &mut Context<'_>) -> Poll<io::Error> {
            self.stalls += 1;
            if self.stalls >= self.limit {
                Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, "stalled"))
            } else {
                Poll::Pending
            }
        }
    }

    async fn connected_pair() -> (TcpStream, TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        (client.unwrap(), accepted.unwrap().0)
    }

    #[tokio::test]
    async fn bytes_each_way_are_counted_and_told_to_the_watch() {
        let (near, mut far) = connected_pair().await;
        let counters = Arc::new(WireCounters::default());
        let told = Told {
            limit: usize::MAX,
            ..Told::default()
        };
        let mut stream = CountedStream::watched(near, Arc::clone(&counters), told);
        stream.write_all(b"hello").await.unwrap();
        let mut five = [0; 5];
        far.read_exact(&mut five).await.unwrap();
        far.write_all(b"abc").await.unwrap();
        let mut three = [0; 3];
        stream.read_exact(&mut three).await.unwrap();
        let bytes = counters.read();
        assert_eq!((bytes.sent, bytes.received), (5, 3));
        assert_eq!(counters.connections(), 1);
        let moved = &stream.watch().moved;
        let total = |way| -> usize { moved.iter().filter(|m| m.0 == way).map(|m| m.1).sum() };
        assert_eq!((total(Direction::Written), total(Direction::Read)), (5, 3));
    }

    #[tokio::test]
    async fn a_watch_may_end_a_stalled_read_with_its_error() {
        let (near, _far) = connected_pair().await;
        let told = Told {
            limit: 1,
            ..Told::default()
        };
        let mut stream = CountedStream::watched(near, Arc::default(), told);
        let mut byte = [0; 1];
        let err = stream.read(&mut byte).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(stream.watch().stalls, 1);
    }
}
