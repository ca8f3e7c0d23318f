//! HTTP/1.1 GETs to a server's side routes (health, metadata, statistics,
//! metrics, a remote profile), over TLS for `https://` URLs (trusting what
//! `--tls-ca` says, as the measured requests do), bounded in time and size
//! so a silent or flooding server cannot hang the run. Measured requests
//! never come here; they go through the protocol clients beside it.

use super::tls::handshake;
use super::trust::ClientTrust;
use super::ClientSettings;
use crate::net::secured::Secured;
use crate::net::tls::ALPN_HTTP1;
use anyhow::{anyhow, Context, Result};
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

/// How side routes are read: how long one GET may take (`--timeout-s`)
/// and what an `https://` server is trusted by (`--tls-ca`).
#[derive(Clone, Debug)]
pub struct SideGet {
    pub timeout: Duration,
    pub trust: ClientTrust,
}

impl SideGet {
    /// The run's client settings' timeout and trust.
    pub fn of(client: &ClientSettings) -> SideGet {
        SideGet {
            timeout: client.request_timeout,
            trust: client.tls.clone(),
        }
    }

    /// `GET url`, giving up after the timeout; `flag` names the flag that
    /// gave the URL, for the error a user reads.
    pub async fn get(&self, url: &str, flag: &str) -> Result<Answer> {
        let timeout = self.timeout;
        tokio::time::timeout(timeout, fetch(url, flag, MAX_ANSWER_BYTES, &self.trust))
            .await
            .map_err(|_| {
                anyhow!(
                    "GET {url} got no answer within {:.0} s (is the server at {flag} up? \
                     --timeout-s raises the limit)",
                    timeout.as_secs_f64()
                )
            })?
    }
}

/// `GET url` with no time limit of its own (the caller bounds it), reading
/// at most `max_bytes` of answer; `https://` over TLS trusting `trust`.
pub async fn fetch(url: &str, flag: &str, max_bytes: usize, trust: &ClientTrust) -> Result<Answer> {
    let uri: http::Uri = url
        .parse()
        .with_context(|| format!("{flag}: '{url}' is not a URL"))?;
    let tls = match uri.scheme_str() {
        Some("https") => Some(trust.client_config(ALPN_HTTP1)?),
        _ => None,
    };
    let authority = uri
        .authority()
        .map(|a| a.to_string())
        .ok_or_else(|| anyhow!("{flag}: '{url}' has no host"))?;
    let stream = tokio::net::TcpStream::connect(&authority)
        .await
        .with_context(|| format!("GET {url}: could not connect to {authority} (check {flag})"))?;
    let stream = match tls {
        None => Secured::Plain(stream),
        Some(config) => handshake(stream, uri.host().unwrap_or_default(), config, flag).await?,
    };
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

    fn side(timeout: Duration) -> SideGet {
        SideGet {
            timeout,
            trust: ClientTrust::default(),
        }
    }

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
        let answer = side(Duration::from_secs(2))
            .get(&url, "--rest-url")
            .await
            .unwrap();
        assert_eq!(answer.status, http::StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.text(), "busy");
        let err = side(Duration::from_millis(200))
            .get(&url, "--rest-url")
            .await
            .err()
            .unwrap();
        assert!(err.to_string().contains("--rest-url"), "{err}");
    }

    #[tokio::test]
    async fn an_https_url_to_a_plain_server_fails_naming_the_flag() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut plain, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = plain.read(&mut buf).await;
            let _ = plain.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        });
        let url = format!("https://127.0.0.1:{port}/metrics");
        let err = side(Duration::from_secs(5))
            .get(&url, "--stats-url")
            .await
            .err()
            .unwrap();
        let err = format!("{err:#}");
        assert!(err.contains("--stats-url") && err.contains("TLS"), "{err}");
    }
}
