//! The TCP server behind the `tcp` floor: reads a 4-byte big-endian length
//! and that many bytes, and answers with the built-in servers' prediction
//! in its smallest form (gRPC's protobuf bytes), length-prefixed the same
//! way. So the floor moves the request body one way and the smallest answer
//! a built-in server gives back: no protocol can move less. A length over
//! the limit closes the connection at once: there is no way to answer
//! within the protocol, and reading on would only buffer what the limit
//! forbids. A message's memory grows as its bytes arrive, never ahead of
//! them on the prefix's word, and a connection that goes quiet for
//! `--idle-timeout-s` is closed (its stream fails, see `guarded`). Each
//! such close is counted as `too_large`, and said on stderr at most once
//! every 10 s (a client can send thousands a second), with how many went
//! unsaid since.

use super::guarded::GuardedStream;
use super::listener::GuardedListener;
use super::refusal::{RefusalCounts, RefusalKind};
use super::{stopped, ServerState};
use bytes::Bytes;
use prost::Message;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

pub async fn serve(
    listener: GuardedListener,
    state: Arc<ServerState>,
    signal: watch::Receiver<bool>,
) {
    let floor = Arc::new(Floor {
        limit: state.config.max_message_bytes,
        answer: framed_answer(),
        refusals: Arc::clone(&state.refusals),
        oversized: RateLimitedLog::new(LOG_EVERY),
    });
    let accept = async {
        loop {
            let stream = listener.accept_guarded().await;
            tokio::spawn(answer_connection(stream, Arc::clone(&floor)));
        }
    };
    tokio::select! {
        () = accept => {}
        () = stopped(signal) => {}
    }
}

/// The floor's answer as it goes on the wire: the 4-byte length, then the
/// prediction the built-in gRPC server sends (the smaller of its two
/// encodings; REST's JSON is longer).
fn framed_answer() -> Bytes {
    let prediction = crate::wire::content::prediction_proto().encode_to_vec();
    let mut framed = (prediction.len() as u32).to_be_bytes().to_vec();
    framed.extend_from_slice(&prediction);
    Bytes::from(framed)
}

/// What every connection of the floor shares.
struct Floor {
    limit: usize,
    answer: Bytes,
    refusals: Arc<RefusalCounts>,
    oversized: RateLimitedLog,
}

/// How often an oversized prefix may be said on stderr.
const LOG_EVERY: Duration = Duration::from_secs(10);

async fn answer_connection(mut stream: GuardedStream, floor: Arc<Floor>) {
    let mut buffer = Vec::new();
    while let Some(len) = next_prefix(&mut stream, &mut buffer).await {
        let len = len as usize;
        if len > floor.limit {
            floor.refusals.count(RefusalKind::TooLarge);
            floor.oversized.say(|unsaid| {
                let since = match unsaid {
                    0 => String::new(),
                    n => format!(" ({n} more since the last such line)"),
                };
                format!("error: a TCP message of {len} bytes is over the limit (raise --max-message-mb); closing{since}")
            });
            return;
        }
        if read_message(&mut stream, len, &mut buffer).await.is_err() {
            return;
        }
        if stream.write_all(&floor.answer).await.is_err() {
            return;
        }
    }
}

/// A stderr line said at most once per interval; the others are counted
/// and the next line says how many.
struct RateLimitedLog {
    every: Duration,
    last: Mutex<Option<Instant>>,
    unsaid: AtomicU64,
}

impl RateLimitedLog {
    fn new(every: Duration) -> Self {
        RateLimitedLog {
            every,
            last: Mutex::new(None),
            unsaid: AtomicU64::new(0),
        }
    }

    /// Prints `line(unsaid)` unless a line went out within the interval.
    fn say(&self, line: impl FnOnce(u64) -> String) {
        if let Some(text) = self.line(line) {
            eprintln!("{text}");
        }
    }

    /// The line to print now, if any.
    fn line(&self, line: impl FnOnce(u64) -> String) -> Option<String> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < self.every) {
            self.unsaid.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        *last = Some(now);
        Some(line(self.unsaid.swap(0, Ordering::Relaxed)))
    }
}

/// The most a connection's buffer keeps between messages.
const KEPT_BYTES: usize = 16 << 20;

/// How long a connection may wait for its next message before its buffer
/// is let go: a busy connection keeps it (same-sized messages do not regrow
/// it), an idle one holds no memory into the next scenarios.
const RELEASE_AFTER: std::time::Duration = std::time::Duration::from_millis(100);

/// The next message's length prefix, None when the connection ends. Waits
/// for the first byte with a timer (a one-byte read consumes nothing until
/// it completes, so cancelling it loses nothing), releasing the buffer when
/// the connection goes quiet.
async fn next_prefix<R: AsyncRead + Unpin>(stream: &mut R, buffer: &mut Vec<u8>) -> Option<u32> {
    let first = match tokio::time::timeout(RELEASE_AFTER, stream.read_u8()).await {
        Ok(read) => read.ok()?,
        Err(_) => {
            *buffer = Vec::new();
            stream.read_u8().await.ok()?
        }
    };
    let mut rest = [0u8; 3];
    stream.read_exact(&mut rest).await.ok()?;
    Some(u32::from_be_bytes([first, rest[0], rest[1], rest[2]]))
}

/// Reads exactly `len` bytes into `buffer` (emptied first), reserving
/// memory only as they arrive: a prefix that promises much and sends
/// little costs what was sent. Fails if the stream ends early.
async fn read_message<R: AsyncRead + Unpin>(
    stream: &mut R,
    len: usize,
    buffer: &mut Vec<u8>,
) -> std::io::Result<()> {
    buffer.clear();
    // Keeps what earlier messages reserved (bytes that did arrive) up to
    // KEPT_BYTES, so same-sized messages do not regrow it each time.
    buffer.shrink_to(KEPT_BYTES);
    stream.take(len as u64).read_to_end(buffer).await?;
    if buffer.len() == len {
        Ok(())
    } else {
        Err(std::io::ErrorKind::UnexpectedEof.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_prefix_reserves_nothing_ahead_of_its_bytes() {
        let mut sent: &[u8] = &[7; 1000];
        let mut buffer = Vec::new();
        let read = read_message(&mut sent, 64 << 20, &mut buffer).await;
        assert!(read.is_err(), "a message cut short is an error");
        assert_eq!(buffer.len(), 1000);
        assert!(
            buffer.capacity() < KEPT_BYTES,
            "{} reserved",
            buffer.capacity()
        );
    }

    #[test]
    fn a_repeated_line_is_said_once_per_interval_with_the_count_unsaid() {
        let log = RateLimitedLog::new(Duration::from_millis(200));
        let said: Vec<_> = (0..50)
            .filter_map(|_| log.line(|n| format!("over ({n})")))
            .collect();
        assert_eq!(said, ["over (0)"]);
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(
            log.line(|n| format!("over ({n})")).as_deref(),
            Some("over (49)")
        );
    }

    #[test]
    fn the_answer_is_the_prediction_length_prefixed() {
        let answer = framed_answer();
        let len = u32::from_be_bytes(answer[..4].try_into().unwrap()) as usize;
        assert_eq!(len, answer.len() - 4);
        let decoded = crate::wire::proto::imgwire::PredictionResponse::decode(&answer[4..]);
        assert_eq!(decoded.unwrap(), crate::wire::content::prediction_proto());
        let json = serde_json::to_vec(&crate::wire::content::prediction_json()).unwrap();
        assert!(len < json.len(), "the smallest built-in answer");
    }

    #[tokio::test]
    async fn a_whole_message_is_read_and_the_next_left() {
        let mut sent: &[u8] = b"abcdefgh";
        let mut buffer = vec![1, 2, 3];
        read_message(&mut sent, 5, &mut buffer).await.unwrap();
        assert_eq!(buffer, b"abcde");
        assert_eq!(sent, b"fgh");
    }
}
