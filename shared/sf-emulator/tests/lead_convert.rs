//! Lead conversion through the invocable Apex action `Storesync_LeadConvert`, as the order
//! sync calls it.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::Org;

const ACTION: &str = "actions/custom/apex/Storesync_LeadConvert";

fn lead(org: &Org, last: &str, email: &str) -> String {
    org.insert(
        "Lead",
        json!({
            "FirstName": "Ada", "LastName": last, "Company": format!("{last} Engines"),
            "Email": email, "Phone": "+44 20 7946 0000", "City": "London",
            "LeadSource": "Web",
        }),
    )
}

async fn convert(org: &Org, inputs: Value) -> (StatusCode, Value) {
    let (status, _, body) = org.post(ACTION, json!({ "inputs": inputs })).await;
    (status, body)
}

#[tokio::test]
async fn a_lead_converts_into_a_new_account_and_contact_without_an_opportunity() {
    let org = Org::start().await;
    let lead_id = lead(&org, "Lovelace", "ada@example.com");

    let (status, body) = convert(&org, json!([{ "leadId": lead_id }])).await;

    assert_eq!(status, StatusCode::OK);
    let result = &body[0];
    assert_eq!(result["actionName"], "Storesync_LeadConvert");
    assert_eq!(result["isSuccess"], true);
    assert_eq!(result["errors"], Value::Null);
    assert_eq!(result["version"], 1);
    let out = &result["outputValues"];
    assert_eq!(out["leadId"], lead_id.as_str());
    let account = org
        .emulator
        .record(out["accountId"].as_str().unwrap())
        .unwrap();
    let contact = org
        .emulator
        .record(out["contactId"].as_str().unwrap())
        .unwrap();
    assert_eq!(account["Name"], "Lovelace Engines");
    assert_eq!(account["BillingCity"], "London");
    assert_eq!(contact["LastName"], "Lovelace");
    assert_eq!(contact["Email"], "ada@example.com");
    assert_eq!(contact["MailingCity"], "London");
    assert_eq!(contact["AccountId"], out["accountId"]);
    assert_eq!(
        contact["OwnerId"],
        org.emulator.integration_user_id().as_str()
    );
    let converted = org.emulator.record(&lead_id).unwrap();
    assert_eq!(converted["IsConverted"], true);
    assert_eq!(converted["Status"], "Closed - Converted");
    assert_eq!(converted["ConvertedAccountId"], out["accountId"]);
    assert_eq!(converted["ConvertedContactId"], out["contactId"]);
    assert_eq!(converted["ConvertedOpportunityId"], Value::Null);
    assert_eq!(
        converted["ConvertedDate"],
        chrono::Utc::now().date_naive().to_string()
    );
    assert!(org.emulator.records("Opportunity").is_empty());
}

#[tokio::test]
async fn a_lead_merges_into_an_existing_account_and_contact_filling_only_blank_fields() {
    let org = Org::start().await;
    let account = org.account("Ada Lovelace (store)");
    let contact = org.insert(
        "Contact",
        json!({ "LastName": "Lovelace", "Phone": "+44 1", "AccountId": account }),
    );
    let lead_id = lead(&org, "Lovelace", "ada@example.com");

    let (status, body) = convert(
        &org,
        json!([{ "leadId": lead_id, "accountId": account, "contactId": contact }]),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0]["outputValues"]["accountId"], account.as_str());
    assert_eq!(body[0]["outputValues"]["contactId"], contact.as_str());
    assert_eq!(org.emulator.records("Account").len(), 1);
    assert_eq!(org.emulator.records("Contact").len(), 1);
    let merged = org.emulator.record(&contact).unwrap();
    assert_eq!(
        merged["Email"], "ada@example.com",
        "a blank field is filled"
    );
    assert_eq!(merged["Phone"], "+44 1", "a filled field is kept");
    assert_eq!(
        org.emulator.record(&lead_id).unwrap()["ConvertedAccountId"],
        account.as_str()
    );
}

#[tokio::test]
async fn a_lead_converts_into_an_existing_account_with_a_new_contact_on_it() {
    let org = Org::start().await;
    let account = org.account("Ada Lovelace (store)");
    let lead_id = lead(&org, "Lovelace", "ada@example.com");

    let (_, body) = convert(&org, json!([{ "leadId": lead_id, "accountId": account }])).await;

    let contact = org
        .emulator
        .record(body[0]["outputValues"]["contactId"].as_str().unwrap())
        .unwrap();
    assert_eq!(contact["AccountId"], account.as_str());
    assert_eq!(org.emulator.records("Account").len(), 1);
}

#[tokio::test]
async fn asking_for_an_opportunity_makes_one_on_the_account() {
    let org = Org::start().await;
    let lead_id = lead(&org, "Lovelace", "ada@example.com");

    let (_, body) = convert(
        &org,
        json!([{ "leadId": lead_id, "doNotCreateOpportunity": false }]),
    )
    .await;

    let opportunities = org.emulator.records("Opportunity");
    assert_eq!(opportunities.len(), 1);
    assert_eq!(
        opportunities[0]["AccountId"],
        body[0]["outputValues"]["accountId"]
    );
    assert_eq!(
        org.emulator.record(&lead_id).unwrap()["ConvertedOpportunityId"],
        opportunities[0]["Id"]
    );
}

#[tokio::test]
async fn results_come_back_one_per_input_in_order() {
    let org = Org::start().await;
    let first = lead(&org, "Lovelace", "ada@example.com");
    let second = lead(&org, "Byron", "byron@example.com");

    let (status, body) = convert(&org, json!([{ "leadId": second }, { "leadId": first }])).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_array().unwrap().len(), 2);
    assert_eq!(body[0]["outputValues"]["leadId"], second.as_str());
    assert_eq!(body[1]["outputValues"]["leadId"], first.as_str());
}

#[tokio::test]
async fn a_new_account_that_matches_the_duplicate_rule_stops_the_conversion() {
    let org = Org::start().await;
    org.insert(
        "Account",
        json!({ "Name": "Lovelace Engines", "BillingCity": "London" }),
    );
    let lead_id = lead(&org, "Lovelace", "ada@example.com");

    let (status, body) = convert(&org, json!([{ "leadId": lead_id }])).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body[0]["errors"][0]["statusCode"], "DUPLICATES_DETECTED");
    assert_eq!(org.emulator.records("Account").len(), 1);
}

#[tokio::test]
async fn converting_a_converted_lead_fails_with_cannot_update_converted_lead() {
    let org = Org::start().await;
    let lead_id = lead(&org, "Lovelace", "ada@example.com");
    convert(&org, json!([{ "leadId": lead_id }])).await;

    let (status, body) = convert(&org, json!([{ "leadId": lead_id }])).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body[0]["isSuccess"], false);
    assert_eq!(body[0]["outputValues"], Value::Null);
    assert_eq!(
        body[0]["errors"],
        json!([{
            "statusCode": "CANNOT_UPDATE_CONVERTED_LEAD",
            "message": "CANNOT_UPDATE_CONVERTED_LEAD: cannot reference converted lead",
            "fields": [],
        }])
    );
    assert_eq!(org.emulator.records("Account").len(), 1);
}

#[tokio::test]
async fn one_failing_input_fails_the_call_and_converts_nothing() {
    let org = Org::start().await;
    let good = lead(&org, "Lovelace", "ada@example.com");
    let unknown = storesync_sf_emulator::ids::make_id("00Q", 999_999);

    let (status, body) = convert(&org, json!([{ "leadId": good }, { "leadId": unknown }])).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    for result in body.as_array().unwrap() {
        assert_eq!(result["isSuccess"], false);
        assert_eq!(
            result["errors"][0]["statusCode"],
            "INVALID_CROSS_REFERENCE_KEY"
        );
    }
    assert_eq!(org.emulator.record(&good).unwrap()["IsConverted"], false);
    assert!(org.emulator.records("Account").is_empty());
    assert!(org.emulator.records("Contact").is_empty());
}

#[tokio::test]
async fn a_contact_that_is_not_on_the_given_account_is_refused() {
    let org = Org::start().await;
    let account = org.account("Acme");
    let elsewhere = org.account("Elsewhere");
    let contact = org.insert(
        "Contact",
        json!({ "LastName": "Other", "AccountId": elsewhere }),
    );
    let lead_id = lead(&org, "Lovelace", "ada@example.com");

    let (_, with_other_account) = convert(
        &org,
        json!([{ "leadId": lead_id, "accountId": account, "contactId": contact }]),
    )
    .await;
    let (_, without_account) =
        convert(&org, json!([{ "leadId": lead_id, "contactId": contact }])).await;

    assert_eq!(
        with_other_account[0]["errors"][0]["statusCode"],
        "INVALID_CROSS_REFERENCE_KEY"
    );
    assert_eq!(
        without_account[0]["errors"][0]["statusCode"],
        "REQUIRED_FIELD_MISSING"
    );
    assert_eq!(org.emulator.record(&lead_id).unwrap()["IsConverted"], false);
}

#[tokio::test]
async fn inputs_are_checked_against_the_request_class() {
    let org = Org::start().await;
    let lead_id = lead(&org, "Lovelace", "ada@example.com");

    let (_, missing) = convert(&org, json!([{ "accountId": null }])).await;
    let (_, unknown) = convert(&org, json!([{ "leadId": lead_id, "leadID": lead_id }])).await;
    let (_, status) = convert(
        &org,
        json!([{ "leadId": lead_id, "convertedStatus": "Working - Contacted" }]),
    )
    .await;
    let (_, malformed) = convert(&org, json!([{ "leadId": "not-an-id" }])).await;

    assert_eq!(
        missing[0]["errors"][0],
        json!({ "statusCode": "REQUIRED_FIELD_MISSING", "message": "Missing required input parameter: leadId", "fields": [] })
    );
    assert_eq!(unknown[0]["errors"][0]["statusCode"], "INVALID_INPUT");
    assert_eq!(status[0]["errors"][0]["statusCode"], "INVALID_STATUS");
    assert_eq!(malformed[0]["errors"][0]["statusCode"], "MALFORMED_ID");
    assert_eq!(org.emulator.record(&lead_id).unwrap()["IsConverted"], false);
}

#[tokio::test]
async fn a_converted_lead_cannot_be_updated_and_its_conversion_fields_are_read_only() {
    let org = Org::start().await;
    let lead_id = lead(&org, "Lovelace", "ada@example.com");
    let open = lead(&org, "Byron", "byron@example.com");
    convert(&org, json!([{ "leadId": lead_id }])).await;
    let path = format!("sobjects/Lead/{lead_id}");

    let (status, _, body) = org.patch(&path, json!({ "Phone": "+44 2" })).await;
    let (_, _, read_only) = org
        .patch(
            &format!("sobjects/Lead/{open}"),
            json!({ "IsConverted": true }),
        )
        .await;
    let (_, _, on_create) = org
        .post(
            "sobjects/Lead",
            json!({ "LastName": "X", "Company": "Y", "ConvertedDate": "2026-01-01" }),
        )
        .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!([{ "message": "cannot reference converted lead", "errorCode": "CANNOT_UPDATE_CONVERTED_LEAD", "fields": [] }])
    );
    assert_eq!(Org::code(&read_only), "INVALID_FIELD_FOR_INSERT_UPDATE");
    assert_eq!(read_only[0]["fields"], json!(["IsConverted"]));
    assert_eq!(Org::code(&on_create), "INVALID_FIELD_FOR_INSERT_UPDATE");
}

#[tokio::test]
async fn converted_leads_can_be_counted_apart_from_open_ones() {
    let org = Org::start().await;
    let lead_id = lead(&org, "Lovelace", "ada@example.com");
    lead(&org, "Byron", "byron@example.com");
    convert(&org, json!([{ "leadId": lead_id }])).await;

    let (_, _, open) = org
        .query("SELECT COUNT() FROM Lead WHERE IsConverted = false")
        .await;
    let (_, _, today) = org
        .query("SELECT Id FROM Lead WHERE ConvertedDate = TODAY")
        .await;

    assert_eq!(open, json!({ "totalSize": 1, "done": true, "records": [] }));
    assert_eq!(today["records"][0]["Id"], lead_id.as_str());
}

#[tokio::test]
async fn an_unknown_action_is_not_found_and_the_action_lists_and_describes_itself() {
    let org = Org::start().await;

    let (status, _, body) = org
        .post(
            "actions/custom/apex/No_Such_Class",
            json!({ "inputs": [{}] }),
        )
        .await;
    let (_, _, list) = org.get("actions/custom/apex").await;
    let (_, _, described) = org.get(ACTION).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(Org::code(&body), "NOT_FOUND");
    assert_eq!(list["actions"][0]["name"], "Storesync_LeadConvert");
    assert_eq!(described["label"], "Convert Lead");
    let inputs: Vec<&str> = described["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        inputs,
        [
            "leadId",
            "accountId",
            "contactId",
            "convertedStatus",
            "doNotCreateOpportunity"
        ]
    );
}
