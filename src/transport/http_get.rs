//! Plain HTTP/1.1 GETs to a server's side routes (health, metadata,
//! statistics, metrics, a remote profile), bounded in time and size so a
//! silent or flooding server cannot hang the run. Measured requests never
//! come here; they go through the protocol clients beside it.

use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use std::time::Duration;

/// Largest side-route answer `get` reads (metadata, statistics, metrics).
pub const MAX_ANSWER_BYTES: usize = 16 << 20;

/// An answer: its status and whole body.
pub struct Answer {
    pub status: http::StatusCode,
    pub body: Bytes,
}

impl Answer {
    /// The body as text, for messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).trim().to_string()
    }
}

/// `GET url`, giving up after `timeout`; `flag` names the flag that gave
/// the URL, for the error a user reads.
pub async fn get(url: &str, timeout: Duration, flag: &str) -> Result<Answer> {
    tokio::time::timeout(timeout, fetch(url, flag, MAX_ANSWER_BYTES))
        .await
        .map_err(|_| {
            anyhow!(
                "GET {url} got no answer within {:.0} s (is the server at {flag} up? --timeout-s \
                 raises the limit)",
                timeout.as_secs_f64()
            )
        })?
}

/// `GET url` with no time limit of its own (the caller bounds it), reading
/// at most `max_bytes` of answer.
pub async fn fetch(url: &str, flag: &str, max_bytes: usize) -> Result<Answer> {
    let uri: http::Uri = url
        .parse()
        .with_context(|| format!("{flag}: '{url}' is not a URL"))?;
    if uri.scheme_str() == Some("https") {
        bail!(
            "GET {url}: side routes (health, model metadata, statistics, profiles) are read \
             over plain HTTP only so far, though measured requests can go over https://; give \
             {flag} as http://"
        );
    }
    let authority = uri
        .authority()
        .map(|a| a.to_string())
        .ok_or_else(|| anyhow!("{flag}: '{url}' has no host"))?;
    let stream = tokio::net::TcpStream::connect(&authority)
        .await
        .with_context(|| format!("GET {url}: could not connect to {authority} (check {flag})"))?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = http::Request::get(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(http::header::HOST, &authority)
        .body(Empty::<Bytes>::new())?;
    let response = sender
        .send_request(request)
        .await
        .with_context(|| format!("GET {url} failed (check {flag})"))?;
    let status = response.status();
    let body = Limited::new(response.into_body(), max_bytes)
        .collect()
        .await
        .map_err(|e| anyhow!("could not read the answer to GET {url}: {e}"))?
        .to_bytes();
    Ok(Answer { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn reads_a_status_and_body_and_times_out_on_silence() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut answering, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = answering.read(&mut buf).await.unwrap();
            answering
                .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\n\r\nbusy")
                .await
                .unwrap();
            let (_silent, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        let url = format!("http://127.0.0.1:{port}/v2/health/ready");
        let answer = get(&url, Duration::from_secs(2), "--rest-url")
            .await
            .unwrap();
        assert_eq!(answer.status, http::StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.text(), "busy");
        let err = get(&url, Duration::from_millis(200), "--rest-url")
            .await
            .err()
            .unwrap();
        assert!(err.to_string().contains("--rest-url"), "{err}");
    }

    #[tokio::test]
    async fn https_side_routes_are_refused_naming_the_flag() {
        let err = get(
            "https://127.0.0.1:9/metrics",
            Duration::from_secs(1),
            "--stats-url",
        )
        .await
        .err()
        .unwrap()
        .to_string();
        assert!(
            err.contains("--stats-url") && err.contains("http://"),
            "{err}"
        );
    }
}
