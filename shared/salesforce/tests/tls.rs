//! Needs the internet, so it is ignored by default:
//! `cargo test -p storesync-salesforce --test tls -- --ignored`.

use storesync_salesforce::{Auth, SalesforceClient, SalesforceConfig, SalesforceError};

#[tokio::test]
#[ignore = "reaches a public HTTPS host"]
async fn the_client_completes_a_rustls_handshake_with_a_public_https_host() {
    // Any HTTPS host that is not Salesforce answers the token request with an error page;
    // what matters is that the answer arrived over TLS (not a transport failure).
    let config = SalesforceConfig::new(
        "https://index.crates.io",
        Auth::ClientCredentials {
            client_id: "x".into(),
            client_secret: "y".into(),
        },
    );
    let error = SalesforceClient::new(config)
        .unwrap()
        .limits()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            SalesforceError::Protocol { .. } | SalesforceError::Api { .. }
        ),
        "expected an HTTP answer over TLS, got {error:?}"
    );
}
