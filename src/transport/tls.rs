//! The client's TLS handshake, run on its counted socket after the TCP
//! connect and before HTTP's, whose errors say what to check (`--tls-ca`,
//! the URL's scheme, ALPN). What the client trusts is `trust`'s; what both
//! sides share of TLS is `net::tls`'s.

use crate::net::secured::Secured;
use rustls::pki_types::ServerName;
use std::io;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};

/// Runs the client's TLS handshake on `stream` for `host` (the URL's host:
/// a name or an IP address). Errors say what to check: `--tls-ca` for a
/// certificate this client does not trust, the URL's scheme for a server
/// that does not speak TLS.
pub async fn handshake<S>(
    stream: S,
    host: &str,
    config: Arc<rustls::ClientConfig>,
    flag: &str,
) -> anyhow::Result<Secured<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let name = ServerName::try_from(host.trim_matches(['[', ']']).to_string())
        .map_err(|e| anyhow::anyhow!("{flag}: '{host}' is not a host name TLS can check: {e}"))?;
    let connector = tokio_rustls::TlsConnector::from(config);
    match connector.connect(name, stream).await {
        Ok(tls) => Ok(Secured::Tls(Box::new(tls.into()))),
        Err(err) => Err(handshake_failure(&err, host, flag)),
    }
}

fn handshake_failure(err: &io::Error, host: &str, flag: &str) -> anyhow::Error {
    let rustls_error = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    let hint = match rustls_error {
        Some(rustls::Error::InvalidCertificate(_)) => format!(
            "the server's certificate is not one this client trusts; --tls-ca PEM trusts a \
             private CA or a self-signed certificate, and the certificate must name '{host}'"
        ),
        Some(rustls::Error::NoApplicationProtocol)
        | Some(rustls::Error::AlertReceived(rustls::AlertDescription::NoApplicationProtocol)) => {
            "the server offers no HTTP version this client speaks over TLS (ALPN); REST/2 and \
             gRPC need h2"
                .into()
        }
        _ => format!(
            "does the server at {flag} speak TLS? an http:// server answers TLS with \
             something else; give {flag} as http://"
        ),
    };
    anyhow::anyhow!("the TLS handshake with {host} ({flag}) failed: {err} ({hint})")
}
