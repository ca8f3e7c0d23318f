//! What a client trusts for `https://` URLs: the certificates in
//! `--tls-ca` (CAs, or a server's own self-signed certificate, which is
//! then trusted as it is, pinned: `openssl req -x509` marks such a
//! certificate as a CA, which path validation refuses as a server's), and
//! without `--tls-ca` the system's CA certificates, read from disk.

use crate::net::tls::{crypto, read_certificates, TlsError};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::path::PathBuf;
use std::sync::Arc;

/// The certificates in `--tls-ca` and `pinned` where either is given, else
/// the system's CA certificates (as `rustls-native-certs` finds them).
#[derive(Clone, Debug, Default)]
pub struct ClientTrust {
    /// `--tls-ca`: a PEM file of CA (or self-signed) certificates.
    pub ca_file: Option<PathBuf>,
    /// Certificates trusted for this run only (the built-in servers'
    /// generated one, under `--sweep tls`).
    pub pinned: Vec<CertificateDer<'static>>,
}

impl ClientTrust {
    /// A client config offering `alpn`, trusting what `self` says.
    pub fn client_config(&self, alpn: &[u8]) -> Result<Arc<rustls::ClientConfig>, TlsError> {
        let rejected = |what: &str| {
            let what = what.to_string();
            move |error| TlsError::Rejected { what, error }
        };
        let mut given = self.pinned.clone();
        if let Some(path) = &self.ca_file {
            given.extend(read_certificates(path, "--tls-ca")?);
        }
        let mut roots = rustls::RootCertStore::empty();
        if given.is_empty() {
            // Unreadable system certificates are skipped: a server they
            // would have vouched for fails its handshake, naming --tls-ca.
            let system = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(system.certs);
        }
        for certificate in &given {
            roots
                .add(certificate.clone())
                .map_err(rejected("a certificate of --tls-ca"))?;
        }
        let chains = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), crypto())
            .build()
            .map_err(|e| TlsError::NoTrust(e.to_string()))?;
        let verifier = Arc::new(PinnedOrChained {
            pinned: given,
            chains,
        });
        let mut config = rustls::ClientConfig::builder_with_provider(crypto())
            .with_safe_default_protocol_versions()
            .map_err(rejected("the client's protocol versions"))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        config.alpn_protocols = vec![alpn.to_vec()];
        Ok(Arc::new(config))
    }
}

/// Trusts a server whose certificate is one of `pinned`, byte for byte (a
/// self-signed certificate given to `--tls-ca`), or one `chains` (the usual
/// path validation, name checked) trusts. Handshake signatures are always
/// checked, so the server must hold the certificate's key.
#[derive(Debug)]
struct PinnedOrChained {
    pinned: Vec<CertificateDer<'static>>,
    chains: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for PinnedOrChained {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.pinned.iter().any(|pinned| pinned == end_entity) {
            return Ok(ServerCertVerified::assertion());
        }
        self.chains
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.chains.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.chains.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.chains.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::tls::{ALPN_H2, ALPN_HTTP1};

    #[test]
    fn an_unreadable_ca_file_is_refused_naming_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let trust = ClientTrust {
            ca_file: Some(dir.path().join("missing.pem")),
            pinned: Vec::new(),
        };
        let err = trust.client_config(ALPN_H2).unwrap_err();
        assert!(err.to_string().contains("--tls-ca"), "{err}");
    }

    #[test]
    fn a_ca_file_and_the_system_store_make_a_config() {
        let generated = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("c.pem");
        std::fs::write(&cert, generated.cert.pem()).unwrap();
        let trust = ClientTrust {
            ca_file: Some(cert),
            pinned: Vec::new(),
        };
        let config = trust.client_config(ALPN_HTTP1).unwrap();
        assert_eq!(config.alpn_protocols, vec![ALPN_HTTP1.to_vec()]);
    }
}
