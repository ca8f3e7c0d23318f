//! The one accept path of the REST and gRPC servers: connections admitted
//! under the limits (`listener`, `guarded`), then, when the servers have a
//! TLS identity, through the TLS handshake, each in a task of its own so a
//! slow handshake holds up no other connection. Idle on these connections
//! means no request progress (`guarded::Progress::Requests`): bytes alone,
//! HTTP/2 PINGs say, hold nothing open. The handshake runs on the guarded
//! stream under its own deadline, `--header-timeout-s` from connecting
//! however its bytes trickle, and the first request must then start within
//! `--header-timeout-s` of its end; a client past either is closed and
//! counted (`idle_closed`) like any silent client; a failed handshake drops
//! the connection.

use super::guarded::{Activity, GuardedStream};
use super::listener::GuardedListener;
use crate::net::secured::Secured;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

/// A connection as a server reads it: plain or decrypted, under its limits.
pub type ServedStream = Secured<GuardedStream>;

/// Connections ready to serve, in the order they became ready. The accept
/// loop stops, and the listening socket closes, when this drops.
pub struct Incoming {
    ready: mpsc::Receiver<ServedStream>,
}

impl Incoming {
    /// Starts accepting on `listener` (on the current runtime), with TLS
    /// where `tls` is given.
    pub fn start(listener: GuardedListener, tls: Option<TlsAcceptor>) -> Self {
        let (sender, ready) = mpsc::channel(64);
        tokio::spawn(accept_loop(listener, tls, sender));
        Incoming { ready }
    }

    /// The next connection ready to serve (`None` once the loop stopped).
    pub async fn next(&mut self) -> Option<ServedStream> {
        self.ready.recv().await
    }
}

/// What tonic serves from.
impl futures_core::Stream for Incoming {
    type Item = io::Result<ServedStream>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.ready.poll_recv(cx).map(|ready| ready.map(Ok))
    }
}

async fn accept_loop(
    listener: GuardedListener,
    tls: Option<TlsAcceptor>,
    sender: mpsc::Sender<ServedStream>,
) {
    loop {
        let mut stream = tokio::select! {
            stream = listener.accept_guarded() => stream,
            () = sender.closed() => return,
        };
        stream.count_requests_as_progress();
        match &tls {
            None => {
                if sender.send(Secured::Plain(stream)).await.is_err() {
                    return;
                }
            }
            Some(acceptor) => {
                let (acceptor, sender) = (acceptor.clone(), sender.clone());
                stream.handshake_begins();
                tokio::spawn(async move {
                    // A failed handshake (a client that is not TLS, or
                    // gave up, or timed out: counted by `guarded`) just
                    // ends the connection; the client sees the alert.
                    if let Ok(mut tls) = acceptor.accept(stream).await {
                        tls.get_mut().0.handshake_done();
                        let _ = sender.send(Secured::Tls(Box::new(tls.into()))).await;
                    }
                });
            }
        }
    }
}

/// What tonic puts in each request's extensions: the connection's
/// `Activity`, for a call to mark itself in flight.
impl tonic::transport::server::Connected for ServedStream {
    type ConnectInfo = Activity;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.get_ref().activity()
    }
}
