//! The servers' listening sockets: each accepted connection admitted only
//! within the servers' connection limit (`--max-connections`), its bytes
//! counted per port (`ServerWire`), so a run can set what the server
//! received beside what the client sent, and guarded from then on
//! (`guarded`).

use super::connection_limits::{connection_limit_message, ConnectionLimits};
use super::guarded::{guarded, GuardedStream};
use super::refusal::{RefusalCounts, RefusalKind};
use crate::net::byte_count::WireCounters;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// The counters of every built-in server, one per listening port.
#[derive(Debug, Default)]
pub struct ServerWire {
    pub rest: Arc<WireCounters>,
    pub grpc: Arc<WireCounters>,
    pub tcp: Arc<WireCounters>,
}

/// A TCP listener whose connections count their bytes (Nagle off, as the
/// clients have it) and live under the servers' limits: each holds a permit
/// of the `--max-connections` shared by every server until it closes, and
/// is closed once idle past `--idle-timeout-s`. A connection over the limit
/// is accepted and closed at once (the client sees the close rather than a
/// connect that hangs in the backlog, and the backlog keeps draining).
/// REST and gRPC take its connections through `accept::Incoming`.
pub struct GuardedListener {
    inner: TcpListener,
    counters: Arc<WireCounters>,
    guard: ConnectionGuard,
    nodelay: bool,
}

/// What every server's listener shares: the permits of `--max-connections`,
/// the time limits, when a refusal was last logged, and where refused and
/// idle-closed connections are counted.
#[derive(Clone)]
pub struct ConnectionGuard {
    permits: Arc<Semaphore>,
    limits: ConnectionLimits,
    refusal_logged: Arc<Mutex<Option<Instant>>>,
    refusals: Arc<RefusalCounts>,
}

impl ConnectionGuard {
    pub fn new(limits: &ConnectionLimits, refusals: Arc<RefusalCounts>) -> Self {
        ConnectionGuard {
            permits: Arc::new(Semaphore::new(limits.max_connections)),
            limits: *limits,
            refusal_logged: Arc::default(),
            refusals,
        }
    }

    /// The connection under its limits, or `None` (and it is closed) when
    /// the servers hold `--max-connections` already (counted as
    /// `connection_limit`).
    fn admit(
        &self,
        socket: TcpStream,
        counters: Arc<WireCounters>,
        peer: SocketAddr,
    ) -> Option<GuardedStream> {
        match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => Some(guarded(
                socket,
                counters,
                peer,
                &self.limits,
                permit,
                Arc::clone(&self.refusals),
            )),
            Err(_) => {
                // Accepted, then closed at once: the port still took it.
                counters.count_connection();
                self.refusals.count(RefusalKind::ConnectionLimit);
                self.log_refusal();
                None
            }
        }
    }

    /// Says so at most once every 10 seconds: a flood of refusals must not
    /// become a flood of log lines.
    fn log_refusal(&self) {
        let Ok(mut last) = self.refusal_logged.lock() else {
            return;
        };
        if last.is_none_or(|at| at.elapsed() >= Duration::from_secs(10)) {
            *last = Some(Instant::now());
            eprintln!("{}", connection_limit_message(self.limits.max_connections));
        }
    }
}

impl GuardedListener {
    /// `nodelay`: TCP_NODELAY on every accepted socket (`--tcp-nodelay`).
    pub fn new(
        inner: TcpListener,
        counters: Arc<WireCounters>,
        guard: ConnectionGuard,
        nodelay: bool,
    ) -> Self {
        GuardedListener {
            inner,
            counters,
            guard,
            nodelay,
        }
    }

    /// The accepted socket counted and under the limits, or `None` when it
    /// was over `--max-connections` (and is closed by the drop).
    fn admit(&self, socket: TcpStream, peer: SocketAddr) -> Option<GuardedStream> {
        let _ = socket.set_nodelay(self.nodelay);
        self.guard.admit(socket, Arc::clone(&self.counters), peer)
    }

    /// Accepts the next connection within the limits, waiting out transient
    /// errors (too many open files, a connection reset before accept) as
    /// axum's own listener does.
    pub async fn accept_guarded(&self) -> GuardedStream {
        loop {
            match self.inner.accept().await {
                Ok((stream, peer)) => {
                    if let Some(stream) = self.admit(stream, peer) {
                        return stream;
                    }
                }
                Err(err) => {
                    eprintln!("warning: a server could not accept a connection: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepted_sockets_get_the_tcp_nodelay_asked_for() {
        for nodelay in [true, false] {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            let limits = ConnectionLimits::default();
            let guard = ConnectionGuard::new(&limits, Arc::default());
            let counted = GuardedListener::new(listener, Arc::default(), guard, nodelay);
            let _client = tokio::net::TcpStream::connect(address).await.unwrap();
            let (stream, peer) = counted.inner.accept().await.unwrap();
            let admitted = counted.admit(stream, peer).expect("under the limit");
            assert_eq!(admitted.nodelay().unwrap(), nodelay);
        }
    }
}
