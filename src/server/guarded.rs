//! One accepted server connection under its limits: it holds a permit out
//! of `--max-connections` until it drops, and fails with a timed-out error
//! once it has been idle for `--idle-timeout-s` (before its first byte:
//! `--header-timeout-s`) while the server waits on it with no request in
//! flight (a request's own time is the request limits'), so whichever
//! server reads it (hyper, tonic, the TCP floor) closes it and frees what
//! it held; the close is counted (`idle_closed` at `GET /stats`).
//!
//! What idle means depends on who reads the connection. The TCP floor's
//! messages are its bytes, so there a byte moving either way is progress.
//! An HTTP server's (`Progress::Requests`, REST and gRPC) is a request
//! begun or answered: HTTP/2 PINGs, SETTINGS and WINDOW_UPDATEs move bytes
//! without asking anything, and must not hold a connection slot forever,
//! nor may answers held unsent by a peer that opens no flow-control window.
//! A TLS handshake has its own deadline, `--header-timeout-s` from
//! connecting, however its bytes trickle; once it is done, the first
//! request's bytes must start within `--header-timeout-s` again.
//!
//! The guard is the watch of the socket's `net::counted_stream` wrapper,
//! which counts the bytes and tells it what moved and when the socket
//! stalls: a connection is one `CountedStream<Guard>`.

use super::connection_limits::{idle_timeout_message, silent_client_message, ConnectionLimits};
use super::refusal::{RefusalCounts, RefusalKind};
use crate::net::byte_count::WireCounters;
use crate::net::counted_stream::{CountedStream, Direction, StreamWatch};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{Instant, Sleep};

/// How many requests a connection has in flight, and when one last began
/// or ended: while any is in flight, the connection is not idle, however
/// quiet (a long answer, a profile).
#[derive(Clone, Debug)]
pub struct Activity(Arc<Requests>);

#[derive(Debug)]
struct Requests {
    in_flight: AtomicUsize,
    /// Nanoseconds from `epoch` to the last request begun or answered.
    last_ns: AtomicU64,
    epoch: Instant,
}

impl Default for Activity {
    fn default() -> Self {
        Activity(Arc::new(Requests {
            in_flight: AtomicUsize::new(0),
            last_ns: AtomicU64::new(0),
            epoch: Instant::now(),
        }))
    }
}

impl Activity {
    /// Marks a request in flight until the returned guard drops.
    pub fn busy(&self) -> Busy {
        self.0.in_flight.fetch_add(1, Ordering::Relaxed);
        self.progressed();
        Busy(self.clone())
    }

    fn is_busy(&self) -> bool {
        self.0.in_flight.load(Ordering::Relaxed) > 0
    }

    /// Records request progress now.
    fn progressed(&self) {
        let ns = u64::try_from(self.0.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.0.last_ns.fetch_max(ns, Ordering::Relaxed);
    }

    /// When a request last began or was answered (the connection's start
    /// if none has).
    fn last_progress(&self) -> Instant {
        self.0.epoch + Duration::from_nanos(self.0.last_ns.load(Ordering::Relaxed))
    }
}

/// A request in flight on a connection (see `Activity::busy`).
pub struct Busy(Activity);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0 .0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.progressed();
    }
}

/// What counts as progress on a connection, so what idle means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// A byte moving either way (the TCP floor, whose messages are bytes).
    Bytes,
    /// A request begun or answered (HTTP/1, HTTP/2, gRPC): bytes alone,
    /// such as HTTP/2 PINGs, are not.
    Requests,
}

/// An accepted connection: counted, and under its guard.
pub type GuardedStream = CountedStream<Guard>;

/// What keeps one connection under its limits: its permit, its deadlines,
/// and what counts as progress on it.
pub struct Guard {
    idle: Duration,
    /// How long the client may take to send its first byte.
    first_byte: Duration,
    /// Whether the client has sent anything yet.
    heard: bool,
    /// When the connection last progressed: a byte moved (`Progress::Bytes`),
    /// or it connected or finished its TLS handshake.
    last_progress: Instant,
    progress: Progress,
    /// A TLS handshake under way must end by then.
    handshake_due: Option<Instant>,
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

/// An accepted socket as a server reads it: counted into `counters`,
/// holding `permit` and closed past `limits`.
pub fn guarded(
    socket: TcpStream,
    counters: Arc<WireCounters>,
    peer: SocketAddr,
    limits: &ConnectionLimits,
    permit: OwnedSemaphorePermit,
    refusals: Arc<RefusalCounts>,
) -> GuardedStream {
    let now = Instant::now();
    let guard = Guard {
        idle: limits.idle,
        first_byte: limits.header,
        heard: false,
        last_progress: now,
        progress: Progress::Bytes,
        handshake_due: None,
        deadline: Box::pin(tokio::time::sleep_until(now + limits.header)),
        activity: Activity::default(),
        peer,
        refusals,
        close_counted: false,
        _permit: permit,
    };
    CountedStream::watched(socket, counters, guard)
}

impl GuardedStream {
    /// The connection's requests in flight, for the server to mark.
    pub fn activity(&self) -> Activity {
        self.watch().activity.clone()
    }

    /// The client's address, as accepted.
    pub fn peer(&self) -> SocketAddr {
        self.watch().peer
    }

    /// Idle means no request progress from now on (REST and gRPC), not
    /// merely no bytes.
    pub fn count_requests_as_progress(&mut self) {
        self.watch_mut().progress = Progress::Requests;
    }

    /// A TLS handshake begins: it must end within `--header-timeout-s` of
    /// connecting, whatever bytes move meanwhile.
    pub fn handshake_begins(&mut self) {
        let guard = self.watch_mut();
        guard.handshake_due = Some(guard.last_progress + guard.first_byte);
    }

    /// The TLS handshake is done: the client's first request must start
    /// within `--header-timeout-s` from now.
    pub fn handshake_done(&mut self) {
        let guard = self.watch_mut();
        guard.handshake_due = None;
        guard.heard = false;
        guard.last_progress = Instant::now();
    }
}

impl StreamWatch for Guard {
    fn moved(&mut self, direction: Direction, bytes: usize) {
        if direction == Direction::Read {
            self.heard |= bytes > 0;
        }
        if bytes > 0 && self.progress == Progress::Bytes {
            self.last_progress = Instant::now();
        }
    }

    /// An error once the connection has been idle too long, otherwise
    /// `Pending` with the deadline armed to wake this task.
    fn poll_stalled(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        loop {
            if self.activity.is_busy() {
                self.last_progress = Instant::now();
            }
            let (due, overdue) = self.due();
            if Instant::now() >= due {
                let message = self.overdue_message(overdue);
                if !self.close_counted {
                    self.close_counted = true;
                    self.refusals.count(RefusalKind::IdleClosed);
                }
                return Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, message));
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

impl Guard {
    /// When the connection is to be closed if nothing progresses first,
    /// and which limit that is.
    fn due(&self) -> (Instant, Overdue) {
        let idle = self.idle_due();
        match self.handshake_due {
            Some(due) if !self.heard || due < idle.0 => (due, Overdue::Handshake),
            _ => idle,
        }
    }

    fn idle_due(&self) -> (Instant, Overdue) {
        let last = match self.progress {
            Progress::Bytes => self.last_progress,
            Progress::Requests => self.last_progress.max(self.activity.last_progress()),
        };
        if self.heard {
            (last + self.idle, Overdue::Idle)
        } else {
            (last + self.first_byte, Overdue::Silent)
        }
    }

    fn overdue_message(&self, overdue: Overdue) -> String {
        match overdue {
            Overdue::Handshake => handshake_timeout_message(self.first_byte),
            Overdue::Silent => silent_client_message(self.first_byte),
            Overdue::Idle => idle_timeout_message(self.idle),
        }
    }
}

/// Which limit a connection passed.
#[derive(Clone, Copy, Debug)]
enum Overdue {
    /// Its TLS handshake did not finish within `--header-timeout-s`.
    Handshake,
    /// Nothing came within `--header-timeout-s`.
    Silent,
    /// No progress for `--idle-timeout-s`.
    Idle,
}

/// A TLS handshake that did not finish in time.
fn handshake_timeout_message(limit: Duration) -> String {
    format!(
        "the TLS handshake did not finish within {} s of connecting; closing (raise --header-timeout-s)",
        limit.as_secs_f64()
    )
}
