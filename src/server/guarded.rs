//! One accepted server connection under its limits: it holds a permit out
//! of `--max-connections` until it drops, and fails with a timed-out error
//! once no byte has moved either way for `--idle-timeout-s` (before its
//! first byte: `--header-timeout-s`) while the server waits on it with no
//! request in flight (a request's own time is the request limits'), so
//! whichever server reads it (hyper, tonic, the TCP floor) closes it and
//! frees what it held; the close is counted (`idle_closed` at `GET /stats`).

use super::limits::{idle_timeout_message, silent_client_message, ConnectionLimits};
use super::refusal::{RefusalCounts, RefusalKind};
use crate::transport::counting::CountingStream;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{Instant, Sleep};

/// How many requests a connection has in flight: while any is, the
/// connection is not idle, however quiet (a long answer, a profile).
#[derive(Clone, Debug, Default)]
pub struct Activity(Arc<AtomicUsize>);

impl Activity {
    /// Marks a request in flight until the returned guard drops.
    pub fn busy(&self) -> Busy {
        self.0.fetch_add(1, Ordering::Relaxed);
        Busy(Arc::clone(&self.0))
    }

    fn is_busy(&self) -> bool {
        self.0.load(Ordering::Relaxed) > 0
    }
}

/// A request in flight on a connection (see `Activity::busy`).
pub struct Busy(Arc<AtomicUsize>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A counted connection with its permit and idle deadline.
pub struct GuardedStream {
    inner: CountingStream,
    idle: Duration,
    /// How long the client may take to send its first byte.
    first_byte: Duration,
    /// Whether the client has sent anything yet.
    heard: bool,
    /// When a byte last moved either way.
    last_progress: Instant,
    /// Wakes the waiting reader or writer to look at `last_progress`.
    deadline: Pin<Box<Sleep>>,
    activity: Activity,
    /// The client's address, as accepted.
    peer: SocketAddr,
    /// Where the idle close is counted, once.
    refusals: Arc<RefusalCounts>,
    close_counted: bool,
    _permit: OwnedSemaphorePermit,
}

impl GuardedStream {
    pub fn new(
        inner: CountingStream,
        peer: SocketAddr,
        limits: &ConnectionLimits,
        permit: OwnedSemaphorePermit,
        refusals: Arc<RefusalCounts>,
    ) -> Self {
        let now = Instant::now();
        GuardedStream {
            inner,
            idle: limits.idle,
            first_byte: limits.header,
            heard: false,
            last_progress: now,
            deadline: Box::pin(tokio::time::sleep_until(now + limits.header)),
            activity: Activity::default(),
            peer,
            refusals,
            close_counted: false,
            _permit: permit,
        }
    }

    /// The connection's requests in flight, for the server to mark.
    pub fn activity(&self) -> Activity {
        self.activity.clone()
    }

    /// The client's address, as accepted.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The counted socket underneath.
    pub fn socket(&self) -> &CountingStream {
        &self.inner
    }

    fn progressed(&mut self, bytes: usize) {
        if bytes > 0 {
            self.last_progress = Instant::now();
        }
    }

    /// Called when the socket has nothing for a waiting reader or writer:
    /// an error once the connection has been idle too long, otherwise
    /// `Pending` with the deadline armed to wake this task.
    fn poll_idle<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        loop {
            if self.activity.is_busy() {
                self.last_progress = Instant::now();
            }
            let window = if self.heard {
                self.idle
            } else {
                self.first_byte
            };
            let due = self.last_progress + window;
            if Instant::now() >= due {
                if !self.close_counted {
                    self.close_counted = true;
                    self.refusals.count(RefusalKind::IdleClosed);
                }
                let message = if self.heard {
                    idle_timeout_message(self.idle)
                } else {
                    silent_client_message(self.first_byte)
                };
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, message)));
            }
            if self.deadline.deadline() != due {
                self.deadline.as_mut().reset(due);
            }
            if self.deadline.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Pending => self.poll_idle(cx),
            Poll::Ready(Ok(())) => {
                let read = buf.filled().len() - before;
                self.heard |= read > 0;
                self.progressed(read);
                Poll::Ready(Ok(()))
            }
            error => error,
        }
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Pending => self.poll_idle(cx),
            Poll::Ready(Ok(written)) => {
                self.progressed(written);
                Poll::Ready(Ok(written))
            }
            error => error,
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Pending => self.poll_idle(cx),
            Poll::Ready(Ok(written)) => {
                self.progressed(written);
                Poll::Ready(Ok(written))
            }
            error => error,
        }
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
