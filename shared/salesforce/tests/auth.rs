mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use storesync_salesforce::{Auth, SalesforceClient, SalesforceConfig, SalesforceError};
use storesync_sf_emulator::{Fault, INTEGRATION_USERNAME};
use support::*;

#[tokio::test]
async fn an_expired_session_mid_run_is_refreshed_once_and_the_call_succeeds() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let id = client
        .create("Account", &json!({ "Name": "Acme" }))
        .await
        .unwrap();
    assert_eq!(client.token_requests(), 1);

    emulator.expire_sessions();
    let account = client.get("Account", &id, Some(&["Name"])).await.unwrap();

    assert_eq!(account["Name"], "Acme");
    assert_eq!(client.token_requests(), 2, "exactly one refresh");
    // create, the GET refused with 401, the GET resent with the new token
    assert_eq!(client.api_calls(), 3);
    assert_eq!(emulator.api_calls(), 3);
}

#[tokio::test]
async fn a_session_still_refused_after_one_refresh_is_reported_without_looping() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    client.limits().await.unwrap();
    emulator.inject(Fault::ExpiredSession, 2);

    let error = client.limits().await.unwrap_err();

    assert!(
        matches!(error, SalesforceError::Api { status: 401, .. }),
        "{error:?}"
    );
    assert_eq!(client.token_requests(), 2, "one refresh, not a loop");
    assert_eq!(emulator.api_calls(), 3);
}

#[tokio::test]
async fn a_wrong_client_secret_fails_fast_with_a_clear_error() {
    let emulator = emulator().await;
    let mut config = config_for(&emulator);
    config.auth = Auth::ClientCredentials {
        client_id: emulator.client_id().to_string(),
        client_secret: "not-the-secret".into(),
    };
    config.retry.base_delay = Duration::from_secs(2);
    let client = SalesforceClient::new(config).unwrap();
    let started = Instant::now();

    let error = client.limits().await.unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(1), "no backoff");
    match &error {
        SalesforceError::Auth {
            error, description, ..
        } => {
            assert_eq!(error, "invalid_client");
            assert_eq!(description, "invalid client credentials");
        }
        other => panic!("expected an auth error, got {other:?}"),
    }
    assert!(!error.is_retryable());
    assert_eq!(client.token_requests(), 1);
    assert_eq!(emulator.api_calls(), 0);
    assert!(error.to_string().contains("invalid_client"));
}

#[tokio::test]
async fn an_unknown_client_id_is_refused_as_invalid_client_id() {
    let emulator = emulator().await;
    let mut config = config_for(&emulator);
    config.auth = Auth::ClientCredentials {
        client_id: "nobody".into(),
        client_secret: emulator.client_secret().to_string(),
    };
    let error = SalesforceClient::new(config)
        .unwrap()
        .limits()
        .await
        .unwrap_err();
    assert!(
        matches!(error, SalesforceError::Auth { ref error, .. } if error == "invalid_client_id")
    );
}

fn jwt_config(emulator: &storesync_sf_emulator::Emulator, key: &str) -> SalesforceConfig {
    let mut config = config_for(emulator);
    config.auth = Auth::JwtBearer {
        client_id: emulator.client_id().to_string(),
        username: INTEGRATION_USERNAME.to_string(),
        private_key_pem: key.to_string(),
        audience: "https://login.salesforce.com".into(),
    };
    config
}

#[tokio::test]
async fn the_jwt_bearer_flow_signs_an_rs256_assertion_the_org_verifies() {
    let emulator = emulator_with_jwt_key().await;
    let client = SalesforceClient::new(jwt_config(&emulator, TEST_PRIVATE_KEY)).unwrap();

    let id = client
        .create("Account", &json!({ "Name": "Signed Inc" }))
        .await
        .unwrap();

    assert!(id.starts_with("001"));
    assert_eq!(client.token_requests(), 1);
}

#[tokio::test]
async fn a_jwt_signed_with_another_key_is_refused_as_invalid_grant() {
    let emulator = emulator_with_jwt_key().await;
    let other_key = include_str!("fixtures/test_only_other_private_key.pem");
    let client = SalesforceClient::new(jwt_config(&emulator, other_key)).unwrap();

    let error = client.limits().await.unwrap_err();

    assert!(
        matches!(error, SalesforceError::Auth { ref error, .. } if error == "invalid_grant"),
        "{error:?}"
    );
    assert_eq!(client.token_requests(), 1);
    assert_eq!(emulator.api_calls(), 0);
}

#[tokio::test]
async fn a_jwt_for_an_unknown_user_is_refused() {
    let emulator = emulator_with_jwt_key().await;
    let mut config = jwt_config(&emulator, TEST_PRIVATE_KEY);
    if let Auth::JwtBearer { username, .. } = &mut config.auth {
        *username = "someone.else@example.com".into();
    }
    let error = SalesforceClient::new(config)
        .unwrap()
        .limits()
        .await
        .unwrap_err();
    assert!(matches!(error, SalesforceError::Auth { ref error, .. } if error == "invalid_grant"));
}

#[test]
fn a_malformed_private_key_is_a_configuration_error() {
    let config = SalesforceConfig::new(
        "http://127.0.0.1:1",
        Auth::JwtBearer {
            client_id: "x".into(),
            username: "u".into(),
            private_key_pem: "not a key".into(),
            audience: "https://login.salesforce.com".into(),
        },
    );
    assert!(matches!(
        SalesforceClient::new(config),
        Err(SalesforceError::Config(_))
    ));
}

#[test]
fn debug_output_never_shows_the_secret() {
    let auth = Auth::ClientCredentials {
        client_id: "id".into(),
        client_secret: "s3cret".into(),
    };
    assert!(!format!("{auth:?}").contains("s3cret"));
}

#[tokio::test]
async fn a_jwt_clients_debug_output_never_shows_the_private_key() {
    let emulator = emulator_with_jwt_key().await;
    let client = SalesforceClient::new(jwt_config(&emulator, TEST_PRIVATE_KEY)).unwrap();
    let shown = format!("{client:?}");
    assert!(shown.contains("<redacted>"), "{shown}");
    for secret_part in ["primes", "BEGIN", "PRIVATE KEY"] {
        assert!(!shown.contains(secret_part), "{secret_part} in {shown}");
    }
}

#[test]
fn an_api_version_before_v46_or_malformed_is_a_configuration_error() {
    for bad in ["v45.0", "62.0", "v62", "vX.0", ""] {
        let mut config = SalesforceConfig::new(
            "http://127.0.0.1:1",
            Auth::ClientCredentials {
                client_id: "id".into(),
                client_secret: "s".into(),
            },
        );
        config.api_version = bad.into();
        assert!(
            matches!(
                SalesforceClient::new(config),
                Err(SalesforceError::Config(_))
            ),
            "{bad:?} accepted"
        );
    }
}
