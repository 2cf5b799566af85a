//! The AWS configuration every function starts from.
//!
//! The SDK's stock HTTPS client reads the system's trust store when it is built, which on a cold
//! start is one file read per root certificate on some distributions. The functions only ever
//! talk to AWS endpoints, whose certificates chain to public roots, so they trust the Mozilla
//! root programme compiled into the binary instead: no file system reads at init, and the same
//! roots wherever the binary runs.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Region, credentials and endpoint overrides from the environment (as
/// `aws_config::load_from_env`), with an HTTPS client that trusts the compiled-in roots.
pub async fn config() -> SdkConfig {
    let roots = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(public_roots_pem());
    let tls = TlsContext::builder()
        .with_trust_store(roots)
        .build()
        .expect("a trust store of PEM certificates is a valid TLS context");
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(tls)
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .load()
        .await
}

/// The Mozilla roots as one PEM bundle, the form the SDK's trust store takes.
fn public_roots_pem() -> Vec<u8> {
    let mut pem = String::with_capacity(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() * 2_200);
    for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        let body = STANDARD.encode(cert.as_ref());
        for line in body.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    pem.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    #[test]
    fn the_bundle_holds_every_compiled_in_root_byte_for_byte() {
        let parsed: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(&public_roots_pem())
                .collect::<Result<_, _>>()
                .expect("the bundle is valid PEM");
        assert!(parsed.len() > 100, "only {} roots", parsed.len());
        assert_eq!(parsed, webpki_root_certs::TLS_SERVER_ROOT_CERTS.to_vec());
    }
}
