//! TLS on a connection, client side and the parts the servers share: a
//! stream that is plain or encrypted (`Secured`), PEM certificates and keys
//! read with errors that name the flag, and the client handshake, whose
//! errors say what to check. rustls, with ring's crypto; what the client
//! trusts is `trust`'s.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// ALPN names: HTTP/2 (gRPC, REST/2) and HTTP/1.1.
pub const ALPN_H2: &[u8] = b"h2";
pub const ALPN_HTTP1: &[u8] = b"http/1.1";

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("could not read {flag} '{}': {error}", path.display())]
    Read {
        flag: &'static str,
        path: PathBuf,
        error: io::Error,
    },
    #[error("{flag} '{}' is not a PEM file of {what}: {detail}", path.display())]
    Pem {
        flag: &'static str,
        path: PathBuf,
        what: &'static str,
        detail: String,
    },
    #[error("{what} refused by TLS: {error}")]
    Rejected { what: String, error: rustls::Error },
    #[error(
        "no certificate to trust for https:// ({0}): the system has no CA certificates \
         rustls-native-certs can read; give --tls-ca PEM"
    )]
    NoTrust(String),
    #[error("could not make a self-signed certificate")]
    Generate(#[from] rcgen::Error),
}

/// The crypto every TLS config here uses: ring.
pub fn crypto() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Every certificate in the PEM file `path` (at least one), in order.
pub fn read_certificates(
    path: &Path,
    flag: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let what = "certificates (-----BEGIN CERTIFICATE-----)";
    let pem = read(path, flag)?;
    let certificates: Vec<_> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| pem_error(path, flag, what, e))?;
    if certificates.is_empty() {
        return Err(pem_error(path, flag, what, "none found"));
    }
    Ok(certificates)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) in the PEM file `path`.
pub fn read_private_key(
    path: &Path,
    flag: &'static str,
) -> Result<PrivateKeyDer<'static>, TlsError> {
    let what = "a private key (-----BEGIN PRIVATE KEY-----)";
    let pem = read(path, flag)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => pem_error(path, flag, what, "none found"),
        other => pem_error(path, flag, what, other),
    })
}

fn read(path: &Path, flag: &'static str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|error| TlsError::Read {
        flag,
        path: path.to_path_buf(),
        error,
    })
}

fn pem_error(
    path: &Path,
    flag: &'static str,
    what: &'static str,
    detail: impl std::fmt::Display,
) -> TlsError {
    TlsError::Pem {
        flag,
        path: path.to_path_buf(),
        what,
        detail: detail.to_string(),
    }
}

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

/// A connection, plain or TLS over the same stream `S`.
pub enum Secured<S> {
    Plain(S),
    Tls(Box<tokio_rustls::TlsStream<S>>),
}

impl<S> Secured<S> {
    /// The stream under any TLS.
    pub fn get_ref(&self) -> &S {
        match self {
            Secured::Plain(stream) => stream,
            Secured::Tls(tls) => tls.get_ref().0,
        }
    }

    /// The protocol ALPN settled on, if TLS did.
    pub fn alpn(&self) -> Option<&[u8]> {
        match self {
            Secured::Plain(_) => None,
            Secured::Tls(tls) => tls.get_ref().1.alpn_protocol(),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Secured<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Secured::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Secured::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Secured<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Secured::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Secured::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Secured::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Secured::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Secured::Plain(s) => s.is_write_vectored(),
            Secured::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Secured::Plain(s) => Pin::new(s).poll_flush(cx),
            Secured::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Secured::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Secured::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_files_that_hold_nothing_usable_are_refused_naming_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not pem at all\n").unwrap();
        let missing = dir.path().join("missing.pem");
        for err in [
            read_certificates(&empty, "--tls-cert").unwrap_err(),
            read_certificates(&missing, "--tls-cert").unwrap_err(),
        ] {
            assert!(err.to_string().contains("--tls-cert"), "{err}");
        }
        let err = read_private_key(&empty, "--tls-key").unwrap_err();
        assert!(err.to_string().contains("--tls-key"), "{err}");
    }

    #[test]
    fn a_generated_certificate_reads_back_from_pem() {
        let generated = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&cert, generated.cert.pem()).unwrap();
        std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
        let read = read_certificates(&cert, "--tls-cert").unwrap();
        assert_eq!(read, vec![generated.cert.der().clone()]);
        read_private_key(&key, "--tls-key").unwrap();
    }
}
