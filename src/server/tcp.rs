//! The TCP echo server behind the `tcp` floor: reads a 4-byte big-endian
//! length and that many bytes, writes them back the same way. A length over
//! the limit closes the connection: there is no way to answer within the
//! protocol, and reading on would only buffer what the limit forbids.

use super::counted::CountingListener;
use super::{stopped, ServerState};
use crate::transport::counting::CountingStream;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

pub async fn serve(
    listener: CountingListener,
    state: Arc<ServerState>,
    signal: watch::Receiver<bool>,
) {
    let limit = state.config.max_message_bytes;
    let accept = async {
        loop {
            let stream = listener.accept_counted().await;
            tokio::spawn(echo_connection(stream, limit));
        }
    };
    tokio::select! {
        () = accept => {}
        () = stopped(signal) => {}
    }
}

async fn echo_connection(mut stream: CountingStream, limit: usize) {
    let mut buffer = Vec::new();
    while let Ok(len) = stream.read_u32().await {
        let len = len as usize;
        if len > limit {
            eprintln!("error: a TCP message of {len} bytes is over the limit (raise --max-message-mb); closing");
            return;
        }
        buffer.resize(len, 0);
        if stream.read_exact(&mut buffer).await.is_err() {
            return;
        }
        let prefix = (len as u32).to_be_bytes();
        if stream.write_all(&prefix).await.is_err() || stream.write_all(&buffer).await.is_err() {
            return;
        }
    }
}
