mod support;

use serde_json::{Value, json};
use storesync_salesforce::{
    CollectionOptions, Priority, RecordResult, SalesforceClient, SalesforceError, sobject,
};
use support::*;

/// Contacts upserted by customer id in one Collections call per 200, as the customer sync does.
async fn upsert_contacts(
    client: &SalesforceClient,
    records: &[Value],
) -> Result<Vec<RecordResult>, SalesforceError> {
    client
        .upsert_collection(
            "Contact",
            "Storesync_Customer_Id__c",
            records,
            CollectionOptions::default(),
        )
        .await
}

fn customers(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({
                "Storesync_Customer_Id__c": format!("cus_{i:04}"),
                "LastName": format!("Customer {i}"),
                "Email": format!("customer{i}@example.com"),
            })
        })
        .collect()
}

#[tokio::test]
async fn four_hundred_fifty_records_are_upserted_by_collections_in_exactly_three_calls() {
    let emulator = emulator().await;
    let client = client_for(&emulator);

    let results = upsert_contacts(&client, &customers(450)).await.unwrap();

    assert_eq!(client.api_calls(), 3);
    assert_eq!(emulator.api_calls(), 3);
    assert_eq!(results.len(), 450);
    assert!(results.iter().all(|r| r.success && r.created == Some(true)));
    assert_eq!(emulator.records("Contact").len(), 450);
}

#[tokio::test]
async fn chunks_are_filled_to_the_200_record_maximum() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let records = customers(401);

    upsert_contacts(&client, &records[..400]).await.unwrap();
    let after_400 = client.api_calls();
    upsert_contacts(&client, &records).await.unwrap();

    assert_eq!(after_400, 2);
    assert_eq!(client.api_calls() - after_400, 3);
}

#[tokio::test]
async fn upserting_the_same_batch_again_updates_the_same_ids() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let records = customers(250);

    let first = upsert_contacts(&client, &records).await.unwrap();
    let second = upsert_contacts(&client, &records).await.unwrap();

    assert!(second.iter().all(|r| r.success && r.created == Some(false)));
    let first_ids: Vec<_> = first.iter().map(|r| r.id.clone()).collect();
    let second_ids: Vec<_> = second.iter().map(|r| r.id.clone()).collect();
    assert_eq!(first_ids, second_ids);
    assert_eq!(emulator.records("Contact").len(), 250);
}

#[tokio::test]
async fn per_record_failures_are_reported_per_record() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let mut records = customers(5);
    records[1]["LastName"] = Value::Null;
    // Same e-mail and last name as customer 0: the standard contact rule's match.
    records[3]["Email"] = json!("customer0@example.com");
    records[3]["LastName"] = json!("Customer 0");

    let results = upsert_contacts(&client, &records).await.unwrap();

    let ok: Vec<bool> = results.iter().map(|r| r.success).collect();
    assert_eq!(ok, [true, false, true, false, true]);
    assert_eq!(results[1].errors[0].error_code, "REQUIRED_FIELD_MISSING");
    assert_eq!(results[1].errors[0].fields, ["LastName"]);
    assert_eq!(results[3].errors[0].error_code, "DUPLICATES_DETECTED");
    assert_eq!(emulator.records("Contact").len(), 3);
}

#[tokio::test]
async fn all_or_none_rolls_the_whole_chunk_back_when_one_record_fails() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let records = vec![
        sobject("Account", json!({ "Name": "Good One" })),
        sobject("Account", json!({ "Industry": "No Name" })),
    ];

    let results = client
        .create_collection(
            &records,
            CollectionOptions {
                all_or_none: true,
                priority: Priority::Urgent,
            },
        )
        .await
        .unwrap();

    assert!(!results[0].success);
    assert_eq!(
        results[0].errors[0].error_code,
        "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    );
    assert_eq!(results[1].errors[0].error_code, "REQUIRED_FIELD_MISSING");
    assert!(emulator.records("Account").is_empty());
}

#[tokio::test]
async fn collections_update_changes_records_by_id() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let created = client
        .create_collection(
            &[
                sobject("Account", json!({ "Name": "A" })),
                sobject("Account", json!({ "Name": "B" })),
            ],
            CollectionOptions::default(),
        )
        .await
        .unwrap();
    let updates: Vec<Value> = created
        .iter()
        .map(|r| sobject("Account", json!({ "Id": r.id, "Industry": "Retail" })))
        .collect();

    let results = client
        .update_collection(&updates, CollectionOptions::default())
        .await
        .unwrap();

    assert!(results.iter().all(|r| r.success));
    assert!(
        emulator
            .records("Account")
            .iter()
            .all(|a| a["Industry"] == "Retail")
    );
}

#[tokio::test]
async fn deferrable_bulk_work_stops_when_usage_passes_the_budget_share() {
    let emulator = emulator().await;
    let mut config = config_for(&emulator);
    config.budget_share = 0.5;
    let client = storesync_salesforce::SalesforceClient::new(config).unwrap();
    emulator.set_daily_limit(100);
    emulator.set_api_usage(49);
    let options = CollectionOptions {
        all_or_none: false,
        priority: Priority::Deferrable,
    };

    // The first chunk takes usage to 50/100: the second chunk must wait.
    let error = client
        .upsert_collection(
            "Contact",
            "Storesync_Customer_Id__c",
            &customers(450),
            options,
        )
        .await
        .unwrap_err();

    match error {
        SalesforceError::BudgetExceeded { usage, completed } => {
            assert_eq!((usage.used, usage.limit), (50, 100));
            assert_eq!(completed.len(), 200);
        }
        other => panic!("expected BudgetExceeded, got {other:?}"),
    }
    assert_eq!(client.api_calls(), 1);
    assert_eq!(emulator.records("Contact").len(), 200);
    // Urgent work still goes through.
    client
        .upsert(
            "Contact",
            "Storesync_Customer_Id__c",
            "cus_live",
            &json!({ "LastName": "Live" }),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_failure_after_the_first_chunk_returns_what_was_already_written() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    client.limits().await.unwrap();
    // The org's daily limit runs out after one more call: the second chunk is refused.
    emulator.set_daily_limit(100);
    emulator.set_api_usage(99);

    let error = upsert_contacts(&client, &customers(450)).await.unwrap_err();

    match error {
        SalesforceError::Partial { completed, source } => {
            assert_eq!(completed.len(), 200);
            assert!(completed.iter().all(|r| r.success));
            assert_eq!(source.error_code(), Some("REQUEST_LIMIT_EXCEEDED"));
        }
        other => panic!("expected Partial, got {other:?}"),
    }
    assert_eq!(emulator.records("Contact").len(), 200);
}
