//! What TLS set-up the client and the built-in servers share: PEM
//! certificates and keys read with errors that name the flag, the errors
//! of setting TLS up, the crypto every config uses (rustls with ring's) and
//! the ALPN names. The server's identity is `server::tls`'s; the client's
//! trust and handshake are `transport::trust`'s and `transport::tls`'s.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
