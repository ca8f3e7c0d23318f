//! The built-in servers' TLS identity (`imgwire serve --tls-cert --tls-key`,
//! or a self-signed certificate made in memory for `bench --sweep tls`):
//! one certificate and key, and the acceptors REST and gRPC handshake with
//! (ALPN: REST offers h2 and http/1.1, gRPC h2 only).

use crate::net::tls::{crypto, read_certificates, read_private_key, TlsError};
use crate::net::tls::{ALPN_H2, ALPN_HTTP1};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde::{Serialize, Serializer};
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;

/// The servers' certificate and key, ready to accept TLS connections.
#[derive(Clone)]
pub struct ServerTls {
    rest: Arc<rustls::ServerConfig>,
    grpc: Arc<rustls::ServerConfig>,
    /// Where the certificate came from, in words.
    source: String,
}

/// Which server a handshake is for, so which HTTP versions ALPN offers.
#[derive(Clone, Copy, Debug)]
pub enum Alpn {
    /// HTTP/2 and HTTP/1.1.
    Rest,
    /// HTTP/2 only.
    Grpc,
}

impl ServerTls {
    /// The certificate chain in `cert` (`--tls-cert`) and the key in `key`
    /// (`--tls-key`), both PEM.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let chain = read_certificates(cert, "--tls-cert")?;
        let private = read_private_key(key, "--tls-key")?;
        Self::new(chain, private, format!("--tls-cert {}", cert.display()))
    }

    /// A certificate made now for `127.0.0.1` and `localhost`, signed by
    /// its own key, and that certificate for a client to trust.
    pub fn self_signed() -> Result<(Self, CertificateDer<'static>), TlsError> {
        let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
        let generated = rcgen::generate_simple_self_signed(names)?;
        let certificate = generated.cert.der().clone();
        let key = PrivatePkcs8KeyDer::from(generated.signing_key.serialize_der());
        let tls = Self::new(
            vec![certificate.clone()],
            key.into(),
            "self-signed for 127.0.0.1 and localhost, made for this run".into(),
        )?;
        Ok((tls, certificate))
    }

    fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        source: String,
    ) -> Result<Self, TlsError> {
        let config = rustls::ServerConfig::builder_with_provider(crypto())
            .with_safe_default_protocol_versions()
            .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, key))
            .map_err(|error| TlsError::Rejected {
                what: "the certificate (--tls-cert) and key (--tls-key)".into(),
                error,
            })?;
        let offering = |protocols: &[&[u8]]| {
            let mut config = config.clone();
            config.alpn_protocols = protocols.iter().map(|p| p.to_vec()).collect();
            Arc::new(config)
        };
        Ok(ServerTls {
            rest: offering(&[ALPN_H2, ALPN_HTTP1]),
            grpc: offering(&[ALPN_H2]),
            source,
        })
    }

    /// The acceptor for one server's handshakes.
    pub fn acceptor(&self, alpn: Alpn) -> TlsAcceptor {
        TlsAcceptor::from(Arc::clone(match alpn {
            Alpn::Rest => &self.rest,
            Alpn::Grpc => &self.grpc,
        }))
    }

    /// Where the certificate came from, in words.
    pub fn describe(&self) -> &str {
        &self.source
    }
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// Reports say where the certificate came from (never the key).
impl Serialize for ServerTls {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_that_is_not_the_certificate_s_is_refused_naming_both_flags() {
        let one = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let other = rcgen::KeyPair::generate().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&cert, one.cert.pem()).unwrap();
        std::fs::write(&key, other.serialize_pem()).unwrap();
        let err = ServerTls::from_pem_files(&cert, &key)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--tls-cert") && err.contains("--tls-key"),
            "{err}"
        );
        std::fs::write(&key, one.signing_key.serialize_pem()).unwrap();
        ServerTls::from_pem_files(&cert, &key).unwrap();
    }
}
