mod support;

use serde_json::json;
use storesync_salesforce::SalesforceError;
use support::*;

#[tokio::test]
async fn a_record_is_created_read_updated_and_deleted() {
    let emulator = emulator().await;
    let client = client_for(&emulator);

    let id = client
        .create("Account", &json!({ "Name": "Acme", "Industry": "Retail" }))
        .await
        .unwrap();
    client
        .update("Account", &id, &json!({ "Industry": "Apparel" }))
        .await
        .unwrap();
    let account = client.get("Account", &id, None).await.unwrap();
    client.delete("Account", &id).await.unwrap();
    let again = client.delete("Account", &id).await.unwrap_err();

    assert_eq!(id.len(), 18);
    assert_eq!(account["attributes"]["type"], "Account");
    assert_eq!(account["Industry"], "Apparel");
    assert_eq!(account["OwnerId"], emulator.integration_user_id());
    assert!(account["CreatedDate"].as_str().unwrap().ends_with("+0000"));
    assert_eq!(again.error_code(), Some("ENTITY_IS_DELETED"));
    assert!(emulator.records("Account").is_empty());
}

#[tokio::test]
async fn upserting_the_same_external_ids_twice_creates_nothing_new() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let body = json!({ "LastName": "Lovelace", "Email": "ada@example.com" });

    let first = client
        .upsert("Contact", "Storesync_Customer_Id__c", "cus_42", &body)
        .await
        .unwrap();
    let second = client
        .upsert(
            "Contact",
            "Storesync_Customer_Id__c",
            "cus_42",
            &json!({ "LastName": "King" }),
        )
        .await
        .unwrap();

    assert!(first.created);
    assert!(!second.created);
    assert_eq!(first.id, second.id);
    let contacts = emulator.records("Contact");
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["LastName"], "King");
    assert_eq!(contacts[0]["Storesync_Customer_Id__c"], "cus_42");
}

#[tokio::test]
async fn an_unknown_external_id_field_is_not_found() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let error = client
        .upsert("Contact", "Nope__c", "1", &json!({ "LastName": "X" }))
        .await
        .unwrap_err();
    assert!(
        matches!(error, SalesforceError::Api { status: 404, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_duplicate_contact_name_and_email_is_a_typed_duplicate_error_naming_the_match() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let existing = client
        .create(
            "Contact",
            &json!({ "LastName": "Lovelace", "Email": "ada@example.com" }),
        )
        .await
        .unwrap();

    let error = client
        .create(
            "Contact",
            &json!({ "LastName": "LOVELACE", "Email": "ADA@example.com" }),
        )
        .await
        .unwrap_err();

    match &error {
        SalesforceError::Duplicate { rule, matches, .. } => {
            assert_eq!(rule, "Standard_Contact_Duplicate_Rule");
            assert_eq!(matches, &[existing]);
        }
        other => panic!("expected a duplicate error, got {other:?}"),
    }
    assert!(!error.is_retryable());
    assert_eq!(client.api_calls(), 2);
}

#[tokio::test]
async fn an_invalid_field_is_reported_with_its_code() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let error = client
        .create("Account", &json!({ "Name": "Acme", "Bogus__c": 1 }))
        .await
        .unwrap_err();
    assert_eq!(error.error_code(), Some("INVALID_FIELD"));
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_record_is_read_by_its_external_id() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let id = emulator
        .insert(
            "Product2",
            json!({ "Name": "Sock", "Storesync_Sku__c": "SKU 1/2" }),
        )
        .unwrap();

    let product = client
        .get_by_external_id("Product2", "Storesync_Sku__c", "sku 1/2")
        .await
        .unwrap();
    let missing = client
        .get_by_external_id("Product2", "Storesync_Sku__c", "nope")
        .await
        .unwrap_err();

    assert_eq!(product["Id"], id);
    assert!(matches!(missing, SalesforceError::Api { status: 404, .. }));
}
