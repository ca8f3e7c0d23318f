//! The relay: accepts connections, connects each to the target, and moves
//! bytes both ways through one emulated link per direction, through
//! user-space buffers (`carry`, the default) or with splice(2)
//! (`splice.rs`, `--link-backend relay-splice`).

use super::schedule::Direction;
use super::splice;
use super::LinkSpec;
use anyhow::{Context, Result};
use bytes::{Bytes, BytesMut};
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How the relay moves bytes between its two sockets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Forwarding {
    /// splice(2) through kernel pipes: the bytes never enter user space.
    Splice,
    /// read(2) into a buffer and write(2) out of it: two copies a byte.
    Copy,
}

/// A running relay in front of one target.
pub struct Relay {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Relay {
    /// Starts a relay on 127.0.0.1 (a free port) in front of `target`, on the
    /// current tokio runtime.
    pub async fn start(spec: LinkSpec, forwarding: Forwarding, target: String) -> Result<Relay> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("could not start the --link relay")?;
        let addr = listener.local_addr()?;
        let (up, down) = (Direction::new(), Direction::new());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (target, up, down) = (target.clone(), up.clone(), down.clone());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&target).await else {
                        return; // the client sees the connection close
                    };
                    let _ = (client.set_nodelay(true), server.set_nodelay(true));
                    match forwarding {
                        Forwarding::Splice => splice_both(client, server, spec, up, down).await,
                        Forwarding::Copy => copy_both(client, server, spec, up, down).await,
                    }
                });
            }
        });
        Ok(Relay { addr, task })
    }
}

/// Both directions of one connection through splice(2).
async fn splice_both(
    client: TcpStream,
    server: TcpStream,
    spec: LinkSpec,
    up: Arc<Direction>,
    down: Arc<Direction>,
) {
    let (client, server) = (Arc::new(client), Arc::new(server));
    tokio::join!(
        splice::carry(client.clone(), server.clone(), spec, up),
        splice::carry(server, client, spec, down)
    );
}

/// Both directions of one connection through user-space buffers.
async fn copy_both(
    client: TcpStream,
    server: TcpStream,
    spec: LinkSpec,
    up: Arc<Direction>,
    down: Arc<Direction>,
) {
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::join!(
        carry(client_read, server_write, spec, up),
        carry(server_read, client_write, spec, down)
    );
}

/// Moves one direction's bytes: each chunk departs when the link is free,
/// takes its serialization time, and is written one delay later.
async fn carry(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin + Send + 'static,
    spec: LinkSpec,
    link: Arc<Direction>,
) {
    let (queue, mut arrivals) = mpsc::unbounded_channel::<(Instant, Bytes)>();
    let writer = tokio::spawn(async move {
        while let Some((arrival, bytes)) = arrivals.recv().await {
            if arrival > Instant::now() {
                tokio::time::sleep_until(arrival).await;
            }
            if to.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    });
    // Chunks are split off one buffer and handed on without copying.
    let read_limit = spec.chunk_bytes();
    let mut buffer = BytesMut::new();
    loop {
        buffer.reserve(read_limit);
        let read = match (&mut from)
            .take(read_limit as u64)
            .read_buf(&mut buffer)
            .await
        {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let departed = link.depart(&spec, read);
        if queue
            .send((departed + spec.one_way_delay(), buffer.split().freeze()))
            .is_err()
        {
            break;
        }
        link.pace(&spec, departed, read_limit).await;
    }
    drop(queue);
    let _ = writer.await;
}
