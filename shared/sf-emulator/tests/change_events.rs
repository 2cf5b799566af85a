//! Change Data Capture: every committed write to an Account or Contact, whatever API made
//! it, is a change event on the org's bus, relayed to EventBridge as Event Relay does; reads
//! and rolled-back writes are not; gap and overflow events stand in when the org cannot
//! describe a change.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use storesync_sf_emulator::{
    EmulatorConfig, EventRelay, MANAGER_PASSWORD, MANAGER_USERNAME, schema,
};
use support::Org;
use support::target::Target;

fn header(event: &Value) -> &Value {
    &event["detail"]["payload"]["ChangeEventHeader"]
}

fn payload(event: &Value) -> &Value {
    &event["detail"]["payload"]
}

#[tokio::test]
async fn a_contact_created_through_rest_is_one_create_event_by_the_integration_user() {
    let org = Org::start().await;
    let (status, _, created) = org
        .post(
            "sobjects/Contact",
            json!({ "FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@example.com",
                    "MailingCity": "London", "MailingCountry": "UK" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    let events = org.emulator.change_events();

    assert_eq!(events.len(), 1, "{events:#?}");
    let event = &events[0];
    assert_eq!(event["detail-type"], "ContactChangeEvent");
    assert_eq!(event["version"], "0");
    assert_eq!(event["account"], "000000000000");
    assert_eq!(event["region"], "us-east-1");
    assert_eq!(event["resources"], json!([]));
    assert!(
        event["source"]
            .as_str()
            .unwrap()
            .starts_with("aws.partner/salesforce.com/00D"),
        "{event}"
    );
    assert_eq!(event["detail"]["replayId"], "1");
    assert!(event["detail"]["schemaId"].is_string());
    let header = header(event);
    assert_eq!(header["entityName"], "Contact");
    assert_eq!(header["changeType"], "CREATE");
    assert_eq!(header["recordIds"], json!([created["id"]]));
    assert_eq!(
        header["commitUser"],
        json!(org.emulator.integration_user_id())
    );
    assert_eq!(header["changeOrigin"], "com/salesforce/api/rest/62.0");
    assert_eq!(header["sequenceNumber"], 1);
    assert_eq!(header["changedFields"], json!([]));
    assert!(header["commitTimestamp"].as_i64().unwrap() > 1_700_000_000_000);
    let payload = payload(event);
    assert_eq!(
        payload["Name"],
        json!({ "FirstName": "Ada", "LastName": "Lovelace" })
    );
    assert_eq!(
        payload["MailingAddress"],
        json!({ "City": "London", "Country": "UK" })
    );
    assert_eq!(payload["Email"], "ada@example.com");
    assert_eq!(
        payload["OwnerId"],
        json!(org.emulator.integration_user_id())
    );
    assert!(payload.get("Id").is_none() && payload.get("MailingCity").is_none());
    assert!(
        payload.get("Phone").is_none(),
        "a create carries only non-null fields"
    );
    assert!(payload["CreatedDate"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn an_update_carries_only_what_changed_and_names_compound_components() {
    let org = Org::start().await;
    let id = org.insert(
        "Contact",
        json!({ "FirstName": "Ada", "LastName": "Lovelace", "Phone": "123", "MailingCity": "London" }),
    );

    let (status, _, _) = org
        .send(
            Method::PATCH,
            &format!("sobjects/Contact/{id}"),
            Some(json!({ "FirstName": "Augusta", "Phone": null, "MailingCity": "London" })),
        )
        .await;

    assert_eq!(status, StatusCode::NO_CONTENT);
    let events = org.emulator.change_events();
    assert_eq!(events.len(), 2);
    let update = &events[1];
    let header = header(update);
    assert_eq!(header["changeType"], "UPDATE");
    let changed: Vec<&str> = header["changedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(changed.contains(&"Name.FirstName"), "{changed:?}");
    assert!(changed.contains(&"Phone") && changed.contains(&"LastModifiedDate"));
    assert!(!changed.iter().any(|f| f.contains("MailingAddress")));
    assert_eq!(header["nulledFields"], json!(["Phone"]));
    let payload = payload(update);
    assert_eq!(payload["Name"], json!({ "FirstName": "Augusta" }));
    assert_eq!(payload["Phone"], Value::Null);
    assert!(payload.get("Email").is_none() && payload.get("MailingAddress").is_none());
    assert_eq!(
        events[0]["detail"]["payload"]["ChangeEventHeader"]["changeOrigin"], "",
        "a record the test stores directly is no API's change"
    );
}

#[tokio::test]
async fn the_manager_is_the_commit_user_of_her_edits_and_the_client_names_the_origin() {
    let org = Org::start().await;
    let id = org.account("Acme");
    let token = org.token_of(MANAGER_USERNAME, MANAGER_PASSWORD).await;

    let response = org
        .http
        .patch(org.url(&format!("sobjects/Account/{id}")))
        .bearer_auth(&token)
        .header("Sforce-Call-Options", "client=SalesConsole")
        .json(
            &json!({ (schema::PAYMENT_TERMS): "Purchase Order", (schema::DISCOUNT_PERCENT): 12.5 }),
        )
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let events = org.emulator.change_events();
    let header = header(&events[1]);
    let manager = org.emulator.user_id(MANAGER_USERNAME).unwrap();
    assert_eq!(header["commitUser"], json!(manager));
    assert_eq!(
        header["changeOrigin"],
        "com/salesforce/api/rest/62.0;client=SalesConsole"
    );
    let payload = payload(&events[1]);
    assert_eq!(payload[schema::PAYMENT_TERMS], "Purchase Order");
    assert_eq!(payload[schema::DISCOUNT_PERCENT], 12.5);
    assert_eq!(payload["LastModifiedById"], json!(manager));
}

#[tokio::test]
async fn a_graph_touching_an_account_and_its_contact_is_one_transaction() {
    let org = Org::start().await;
    let graph = json!({ "graphs": [{ "graphId": "1", "compositeRequest": [
        { "method": "POST", "url": "/services/data/v62.0/sobjects/Account", "referenceId": "acct",
          "body": { "Name": "Acme", "BillingCity": "Paris" } },
        { "method": "POST", "url": "/services/data/v62.0/sobjects/Contact", "referenceId": "person",
          "body": { "LastName": "Curie", "AccountId": "@{acct.id}" } },
        { "method": "PATCH", "url": "/services/data/v62.0/sobjects/Account/@{acct.id}", "referenceId": "rename",
          "body": { "Name": "Acme Labs" } },
    ]}]});

    let (status, _, body) = org.post("composite/graph", graph).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["graphs"][0]["isSuccessful"], true, "{body}");
    let events = org.emulator.change_events();
    let headers: Vec<&Value> = events.iter().map(header).collect();
    assert_eq!(headers.len(), 3);
    let kinds: Vec<(&str, &str)> = headers
        .iter()
        .map(|h| {
            (
                h["entityName"].as_str().unwrap(),
                h["changeType"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("Account", "CREATE"),
            ("Contact", "CREATE"),
            ("Account", "UPDATE")
        ]
    );
    assert!(
        headers
            .iter()
            .all(|h| h["transactionKey"] == headers[0]["transactionKey"])
    );
    let sequence: Vec<i64> = headers
        .iter()
        .map(|h| h["sequenceNumber"].as_i64().unwrap())
        .collect();
    assert_eq!(sequence, [1, 2, 3]);
    assert_eq!(
        payload(&events[0])["BillingAddress"],
        json!({ "City": "Paris" })
    );
    let replay: Vec<&str> = events
        .iter()
        .map(|e| e["detail"]["replayId"].as_str().unwrap())
        .collect();
    assert_eq!(replay, ["1", "2", "3"]);
}

#[tokio::test]
async fn reads_and_rolled_back_writes_produce_no_events_and_each_call_is_its_own_transaction() {
    let org = Org::start().await;
    let id = org.account("Acme");
    org.get(&format!("sobjects/Account/{id}")).await;
    org.query("SELECT Id FROM Account").await;
    let failing = json!({ "allOrNone": true, "compositeRequest": [
        { "method": "POST", "url": "/services/data/v62.0/sobjects/Contact", "referenceId": "ok",
          "body": { "LastName": "Kept?" } },
        { "method": "POST", "url": "/services/data/v62.0/sobjects/Contact", "referenceId": "bad",
          "body": { "FirstName": "No last name" } },
    ]});
    org.post("composite", failing).await;
    let (_, _, results) = org
        .post(
            "composite/sobjects",
            json!({ "records": [
                { "attributes": { "type": "Contact" }, "LastName": "One" },
                { "attributes": { "type": "Contact" }, "LastName": "Two" },
            ]}),
        )
        .await;
    org.send(Method::DELETE, &format!("sobjects/Account/{id}"), None)
        .await;

    let events = org.emulator.change_events();

    let kinds: Vec<&str> = events
        .iter()
        .map(|e| header(e)["changeType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["CREATE", "CREATE", "CREATE", "DELETE"], "{results}");
    assert_eq!(
        header(&events[1])["transactionKey"],
        header(&events[2])["transactionKey"]
    );
    assert_ne!(
        header(&events[0])["transactionKey"],
        header(&events[1])["transactionKey"]
    );
    assert_eq!(header(&events[3])["recordIds"], json!([id]));
    let delete = payload(&events[3]).as_object().unwrap();
    assert_eq!(
        delete.len(),
        1,
        "a delete carries only its header: {delete:?}"
    );
}

#[tokio::test]
async fn lead_conversion_makes_an_account_and_a_contact_event() {
    let org = Org::start().await;
    let lead = org.insert("Lead", json!({ "LastName": "Hopper", "Company": "Navy" }));

    let (status, _, body) = org
        .post(
            "actions/custom/apex/Storesync_LeadConvert",
            json!({ "inputs": [{ "leadId": lead }] }),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let kinds: Vec<(String, String)> = org
        .emulator
        .change_events()
        .iter()
        .map(|e| {
            (
                header(e)["entityName"].as_str().unwrap().to_string(),
                header(e)["changeType"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("Account".to_string(), "CREATE".to_string()),
            ("Contact".to_string(), "CREATE".to_string())
        ]
    );
}

#[tokio::test]
async fn gap_events_replace_events_the_org_cannot_produce() {
    let org = Org::start().await;
    org.emulator.fail_change_events(1);

    let id = org.account("Acme");
    org.patch(&format!("sobjects/Account/{id}"), json!({ "Phone": "1" }))
        .await;

    let events = org.emulator.change_events();
    assert_eq!(header(&events[0])["changeType"], "GAP_CREATE");
    assert_eq!(header(&events[0])["recordIds"], json!([id]));
    assert_eq!(payload(&events[0]).as_object().unwrap().len(), 1);
    assert_eq!(header(&events[1])["changeType"], "UPDATE");
}

#[tokio::test]
async fn changes_beyond_the_overflow_threshold_are_one_overflow_event_per_object() {
    let org = Org::start().await;
    org.emulator.set_change_event_overflow_threshold(1);

    let (status, _, _) = org
        .post(
            "composite/sobjects",
            json!({ "records": [
                { "attributes": { "type": "Account" }, "Name": "A" },
                { "attributes": { "type": "Account" }, "Name": "B" },
                { "attributes": { "type": "Contact" }, "LastName": "C" },
                { "attributes": { "type": "Account" }, "Name": "D" },
            ]}),
        )
        .await;

    assert_eq!(status, StatusCode::OK);
    let events = org.emulator.change_events();
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                header(e)["entityName"].as_str().unwrap(),
                header(e)["changeType"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("Account", "CREATE"),
            ("Account", "GAP_OVERFLOW"),
            ("Contact", "GAP_OVERFLOW")
        ]
    );
    assert_eq!(header(&events[1])["recordIds"], json!([]));
}

#[tokio::test]
async fn relayed_events_reach_the_target_in_order_and_are_retried_after_a_500() {
    let target = Target::start(200, "").await;
    target.answer_next(1, 500, "down");
    let org = Org::start_with(EmulatorConfig {
        event_relay: Some(EventRelay {
            relay_id: Some("0YLRM0000004DfgAAE".into()),
            ..EventRelay::to(&target.url)
        }),
        ..EmulatorConfig::default()
    })
    .await;

    let first = org.insert("Contact", json!({ "LastName": "First" }));
    let second = org.insert("Contact", json!({ "LastName": "Second" }));
    let received = target.wait_for(3).await;

    assert_eq!(received.len(), 3, "one refused try, then both events");
    let bodies: Vec<Value> = received
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    assert_eq!(header(&bodies[0])["recordIds"], json!([first]));
    assert_eq!(
        bodies[1], bodies[0],
        "the refused event is sent again as it was"
    );
    assert_eq!(header(&bodies[2])["recordIds"], json!([second]));
    assert!(
        bodies[2]["source"]
            .as_str()
            .unwrap()
            .ends_with("/0YLRM0000004DfgAAE")
    );
    assert_eq!(received[0].headers["content-type"], "application/json",);
    let attempts = org.emulator.relay_attempts();
    assert_eq!(attempts[0].status, Some(500));
    assert!(!attempts[0].delivered && attempts[1].delivered);
    assert_eq!(org.emulator.flush_deliveries().await, 0);
}

#[tokio::test]
async fn a_relay_that_is_down_keeps_its_events_until_a_flush_gets_through() {
    let target = Target::start(503, "").await;
    let org = Org::start().await;
    org.emulator.relay_to(Some(EventRelay::to(&target.url)));

    org.account("Acme");
    target.wait_for(1).await;
    target.answer_next(1, 200, "");
    let remaining = org.emulator.flush_deliveries().await;

    assert_eq!(remaining, 0);
    assert!(org.emulator.relay_attempts().iter().any(|a| a.delivered));
}
