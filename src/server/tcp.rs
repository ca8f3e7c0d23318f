//! The TCP echo server behind the `tcp` floor: reads a 4-byte big-endian
//! length and that many bytes, writes them back the same way. A length over
//! the limit closes the connection: there is no way to answer within the
//! protocol, and reading on would only buffer what the limit forbids.

use super::{stopped, ServerState};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub async fn serve(listener: TcpListener, state: Arc<ServerState>, signal: watch::Receiver<bool>) {
    let limit = state.config.max_message_bytes;
    let accept = async {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(echo_connection(stream, limit));
                }
                Err(err) => eprintln!("error: the TCP echo server could not accept: {err}"),
            }
        }
    };
    tokio::select! {
        () = accept => {}
        () = stopped(signal) => {}
    }
}

async fn echo_connection(mut stream: TcpStream, limit: usize) {
    let _ = stream.set_nodelay(true);
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
