//! The floor: the request body sent one way over a plain TCP connection
//! with a 4-byte big-endian length in front, answered the same way with
//! the smallest answer a built-in server gives (gRPC's prediction bytes).
//! No HTTP, no headers, no framing beyond the length: what any protocol on
//! this link can at best do. One connection per worker, as REST.

use super::connect::connect_counted;
use super::{ClientSettings, Exchange};
use crate::net::byte_count::WireCounters;
use crate::net::counted_stream::CountedStream;
use crate::wire::payload::WireRequest;
use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Mutex;

pub struct TcpClient {
    pub(super) counters: Arc<WireCounters>,
    address: String,
    settings: ClientSettings,
    workers: Vec<Mutex<Option<CountedStream>>>,
}

impl TcpClient {
    pub async fn connect(url: &str, settings: &ClientSettings) -> Result<Self> {
        let address = url
            .strip_prefix("tcp://")
            .ok_or_else(|| anyhow!("--tcp-url '{url}' must look like tcp://HOST:PORT"))?
            .trim_end_matches('/')
            .to_string();
        let client = TcpClient {
            counters: Arc::default(),
            address,
            settings: settings.clone(),
            workers: (0..settings.concurrency.max(1))
                .map(|_| Mutex::new(None))
                .collect(),
        };
        let first = client.open().await?;
        *client.workers[0].lock().await = Some(first);
        Ok(client)
    }

    async fn open(&self) -> Result<CountedStream> {
        connect_counted(
            &self.address,
            &self.settings,
            &self.counters,
            "TCP floor server",
            "--tcp-url",
        )
        .await
    }

    pub async fn call(&self, worker: usize, request: WireRequest) -> Result<Exchange> {
        let mut slot = self.workers[worker % self.workers.len()].lock().await;
        if slot.is_none() {
            *slot = Some(self.open().await?);
        }
        let stream = slot.as_mut().expect("just opened");
        let limit = self.settings.max_message_bytes;
        let start = Instant::now();
        let exchange = exchange_message(stream, request.body.contiguous(), limit);
        let result = tokio::time::timeout(self.settings.request_timeout, exchange)
            .await
            .map_err(|_| {
                anyhow!(
                    "the TCP floor exchange timed out after {:?} (raise --timeout-s)",
                    self.settings.request_timeout
                )
            })
            .and_then(|r| r);
        let roundtrip = start.elapsed();
        if result.is_err() {
            *slot = None; // the stream is mid-message: never reuse it
        }
        Ok(Exchange {
            body: result?,
            server_timing: None,
            trace_response: None,
            roundtrip,
        })
    }
}

/// Sends one length-prefixed body and reads the length-prefixed answer;
/// the body is let go once written, so a request never holds it and the
/// answer at once.
async fn exchange_message(stream: &mut CountedStream, body: Bytes, limit: usize) -> Result<Bytes> {
    let len =
        u32::try_from(body.len()).map_err(|_| anyhow!("a TCP message is limited to 4 GiB"))?;
    stream
        .write_all(&len.to_be_bytes())
        .await
        .context("the TCP floor server closed the connection")?;
    stream
        .write_all(&body)
        .await
        .context("the TCP floor server closed the connection")?;
    drop(body);
    let mut head = [0u8; 4];
    stream
        .read_exact(&mut head)
        .await
        .context("the TCP floor server closed the connection (did it stop?)")?;
    let back = u32::from_be_bytes(head) as usize;
    if back > limit {
        if let Some(what) = not_a_floor_server(head) {
            bail!(
                "--tcp-url points at {what}, not a TCP floor server (its answer began with \
                 {:?}): give --tcp-url the floor port (`imgwire serve` prints it), or leave \
                 tcp out of --protocols",
                String::from_utf8_lossy(&head)
            );
        }
        bail!("the TCP floor server answered {back} bytes, over --max-message-mb");
    }
    let mut reply = vec![0u8; back];
    stream
        .read_exact(&mut reply)
        .await
        .context("the TCP floor server's answer was cut short")?;
    Ok(Bytes::from(reply))
}

/// What an answer's first four bytes say the port is, where they are
/// another protocol's (an HTTP/1 status line, a TLS record) rather than a
/// length (read only when, as a length, they are over the limit).
fn not_a_floor_server(head: [u8; 4]) -> Option<&'static str> {
    match head {
        [b'H', b'T', b'T', b'P'] => Some("an HTTP port"),
        // A TLS alert or handshake record: content type, version 3.x.
        [21 | 22, 3, 0..=4, _] => Some("a TLS port"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::not_a_floor_server;

    #[test]
    fn another_protocols_first_bytes_are_named() {
        assert_eq!(not_a_floor_server(*b"HTTP"), Some("an HTTP port"));
        assert_eq!(not_a_floor_server([21, 3, 3, 0]), Some("a TLS port"));
        assert_eq!(not_a_floor_server([0, 0, 0, 4]), None);
    }
}
