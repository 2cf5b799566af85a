mod support;

use std::time::Duration;

use serde_json::json;
use storesync_salesforce::{SalesforceClient, SalesforceError};
use storesync_sf_emulator::Fault;
use support::*;

#[tokio::test]
async fn two_503s_then_success_succeeds_in_three_calls() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    emulator.inject(Fault::ServiceUnavailable, 2);

    let id = client
        .upsert(
            "Account",
            "Storesync_Customer_Id__c",
            "cus_1",
            &json!({ "Name": "Acme" }),
        )
        .await
        .unwrap()
        .id;

    assert_eq!(client.api_calls(), 3);
    assert_eq!(emulator.api_calls(), 3);
    assert_eq!(emulator.records("Account").len(), 1);
    assert!(id.starts_with("001"));
}

#[tokio::test]
async fn a_validation_error_is_returned_at_once_with_its_fields_and_not_retried() {
    let emulator = emulator().await;
    let client = client_for(&emulator);

    let error = client
        .create("Contact", &json!({ "FirstName": "Ada" }))
        .await
        .unwrap_err();

    match &error {
        SalesforceError::Api { status, errors } => {
            assert_eq!(*status, 400);
            assert_eq!(errors[0].error_code, "REQUIRED_FIELD_MISSING");
            assert_eq!(errors[0].message, "Required fields are missing: [LastName]");
            assert_eq!(errors[0].fields, ["LastName"]);
        }
        other => panic!("expected an API error, got {other:?}"),
    }
    assert!(!error.is_retryable());
    assert_eq!(client.api_calls(), 1);
    assert_eq!(emulator.api_calls(), 1);
}

#[tokio::test]
async fn request_limit_exceeded_and_unable_to_lock_row_are_retried() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    emulator.inject(Fault::RequestLimitExceeded, 1);
    emulator.inject(Fault::UnableToLockRow, 1);

    client.limits().await.unwrap();

    assert_eq!(client.api_calls(), 3);
}

#[tokio::test]
async fn retries_stop_at_the_bound_and_return_the_last_error() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    emulator.inject(Fault::ServiceUnavailable, 10);

    let error = client.limits().await.unwrap_err();

    assert!(
        matches!(error, SalesforceError::Api { status: 503, .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(client.api_calls(), 4, "max_attempts = 4");
}

#[tokio::test]
async fn an_idempotent_call_that_times_out_is_retried_then_reported_as_a_timeout() {
    let emulator = emulator().await;
    let mut config = config_for(&emulator);
    config.request_timeout = Duration::from_millis(100);
    config.retry.max_attempts = 2;
    let client = SalesforceClient::new(config).unwrap();
    client.limits().await.unwrap();
    emulator.set_latency(Duration::from_millis(400));

    let error = client
        .get("Account", "001000000000001", None)
        .await
        .unwrap_err();

    assert!(matches!(error, SalesforceError::Timeout(_)), "{error:?}");
    assert_eq!(client.api_calls(), 3, "1 warm-up + 2 attempts");
}

#[tokio::test]
async fn a_create_that_times_out_is_not_resent_to_avoid_a_duplicate() {
    let emulator = emulator().await;
    let mut config = config_for(&emulator);
    config.request_timeout = Duration::from_millis(100);
    let client = SalesforceClient::new(config).unwrap();
    client.limits().await.unwrap();
    emulator.set_latency(Duration::from_millis(400));

    let error = client
        .create("Account", &json!({ "Name": "Once Only" }))
        .await
        .unwrap_err();

    assert!(matches!(error, SalesforceError::Timeout(_)), "{error:?}");
    assert_eq!(client.api_calls(), 2, "1 warm-up + 1 attempt");
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported_as_transport() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    client.limits().await.unwrap();
    drop(emulator);
    tokio::time::sleep(Duration::from_millis(50)).await;

    let error = client.limits().await.unwrap_err();

    assert!(matches!(error, SalesforceError::Transport(_)), "{error:?}");
    assert_eq!(client.api_calls(), 1 + 4);
}

#[tokio::test]
async fn a_read_cut_off_by_a_connection_reset_is_resent_and_succeeds() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let id = emulator
        .insert("Account", json!({ "Name": "Acme" }))
        .unwrap();
    emulator.inject(Fault::ConnectionReset, 1);

    let account = client.get("Account", &id, Some(&["Name"])).await.unwrap();

    assert_eq!(account["Name"], "Acme");
    assert_eq!(client.api_calls(), 2);
}

#[tokio::test]
async fn a_create_cut_off_by_a_connection_reset_is_not_resent_so_nothing_is_duplicated() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    emulator.inject(Fault::ConnectionReset, 1);

    let error = client
        .create("Account", &json!({ "Name": "Landed Anyway" }))
        .await
        .unwrap_err();

    assert!(matches!(error, SalesforceError::Transport(_)), "{error:?}");
    assert_eq!(client.api_calls(), 1);
    assert_eq!(
        emulator.records("Account").len(),
        1,
        "the first try landed; no second copy"
    );
}

#[tokio::test]
async fn an_upsert_cut_off_by_a_connection_reset_is_resent_safely() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    emulator.inject(Fault::ConnectionReset, 1);

    let result = client
        .upsert(
            "Account",
            "Storesync_Customer_Id__c",
            "cus_9",
            &json!({ "Name": "Acme" }),
        )
        .await
        .unwrap();

    assert!(
        !result.created,
        "the resend found the record the first try created"
    );
    assert_eq!(client.api_calls(), 2);
    assert_eq!(emulator.records("Account").len(), 1);
}

#[tokio::test]
async fn a_create_answered_500_is_not_resent_because_it_may_have_landed() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    client.limits().await.unwrap();
    let before = client.api_calls();
    emulator.inject(Fault::InternalError, 1);

    let error = client
        .create("Account", &json!({ "Name": "Maybe Written Ltd" }))
        .await
        .unwrap_err();

    assert!(
        matches!(error, SalesforceError::Api { status: 500, .. }),
        "{error:?}"
    );
    assert_eq!(client.api_calls() - before, 1, "one try only");
    // A 503 proves nothing was written, so a create is resent then.
    emulator.inject(Fault::ServiceUnavailable, 1);
    client
        .create("Account", &json!({ "Name": "Written Once Ltd" }))
        .await
        .unwrap();
    let written: Vec<_> = emulator
        .records("Account")
        .into_iter()
        .filter(|a| a["Name"] == "Written Once Ltd")
        .collect();
    assert_eq!(written.len(), 1);
}
