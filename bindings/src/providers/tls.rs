//! TLS settings shared by the providers (`ssl = true` plus VerneMQ's
//! `certfile`, `cacertfile`, `keyfile`, `verify`, `depth`,
//! `customize_hostname_check`, `use_system_cas`, `sni`), turned into a
//! rustls client configuration.
//!
//! Differences from Erlang's `ssl` (documented in COMPATIBILITY.md):
//! - `depth` is accepted and ignored (webpki limits chains itself);
//! - with `verify_peer` the server name is always checked (rustls cannot
//!   verify a chain without it); `customize_hostname_check = "https"` is the
//!   same check and therefore accepted;
//! - `verify_none` accepts any certificate (what the operator asked for).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verify {
    Peer,
    None,
}

/// Operator defaults for the TLS keys.
#[derive(Clone, Debug)]
pub struct TlsDefaults {
    pub certfile: Option<String>,
    pub cacertfile: Option<String>,
    pub keyfile: Option<String>,
    pub verify: Verify,
    pub depth: u32,
    pub customize_hostname_check: Option<String>,
    pub use_system_cas: bool,
}

impl Default for TlsDefaults {
    /// VerneMQ's: verify_peer, depth 3, system CAs on.
    fn default() -> Self {
        TlsDefaults {
            certfile: None,
            cacertfile: None,
            keyfile: None,
            verify: Verify::Peer,
            depth: 3,
            customize_hostname_check: None,
            use_system_cas: true,
        }
    }
}

/// The TLS keys of one `ensure_pool` call.
#[derive(Clone, Debug)]
pub struct TlsOptions {
    pub certfile: Option<String>,
    pub cacertfile: Option<String>,
    pub keyfile: Option<String>,
    pub verify: Verify,
    #[allow(dead_code)]
    pub depth: u32,
    #[allow(dead_code)]
    pub customize_hostname_check: Option<String>,
    pub use_system_cas: bool,
    pub sni: Option<String>,
}

fn read_certs(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let data = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let certs: Result<Vec<_>, _> = rustls_pemfile::certs(&mut data.as_slice()).collect();
    let certs = certs.map_err(|e| format!("bad PEM in {path}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("no certificate in {path}"));
    }
    Ok(certs)
}

fn read_key(path: &str) -> Result<PrivateKeyDer<'static>, String> {
    let data = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    rustls_pemfile::private_key(&mut data.as_slice())
        .map_err(|e| format!("bad PEM in {path}: {e}"))?
        .ok_or_else(|| format!("no private key in {path}"))
}

/// Build the rustls client configuration; errors name the offending file.
pub fn client_config(opts: &TlsOptions) -> Result<ClientConfig, String> {
    super::init_crypto();
    let builder = ClientConfig::builder();
    let builder = match opts.verify {
        Verify::None => builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAny::new())),
        Verify::Peer => {
            let mut roots = RootCertStore::empty();
            if let Some(ca) = &opts.cacertfile {
                for c in read_certs(ca)? {
                    roots.add(c).map_err(|e| format!("bad CA certificate in {ca}: {e}"))?;
                }
            }
            if opts.use_system_cas {
                let found = rustls_native_certs::load_native_certs();
                let (_added, _ignored) = roots.add_parsable_certificates(found.certs);
                if roots.is_empty() {
                    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
                }
            }
            if roots.is_empty() {
                return Err("verify_peer needs cacertfile or use_system_cas".into());
            }
            builder.with_root_certificates(roots)
        }
    };
    match (&opts.certfile, &opts.keyfile) {
        (Some(cert), Some(key)) => builder
            .with_client_auth_cert(read_certs(cert)?, read_key(key)?)
            .map_err(|e| format!("client certificate {cert} / key {key}: {e}")),
        (None, None) => Ok(builder.with_no_client_auth()),
        _ => Err("certfile and keyfile must be given together".into()),
    }
}

/// `verify_none`: accept every server certificate, but still check the
/// handshake signatures with the installed provider.
#[derive(Debug)]
struct AcceptAny {
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl AcceptAny {
    fn new() -> Self {
        let provider =
            rustls::crypto::CryptoProvider::get_default().cloned().unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
        AcceptAny { provider }
    }
}

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
