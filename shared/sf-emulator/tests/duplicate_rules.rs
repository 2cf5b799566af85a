//! The standard duplicate rules of a new org: accounts match on name together with billing
//! city or postal code, contacts and leads on last name together with e-mail.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::Org;

async fn create(org: &Org, object: &str, body: Value) -> (StatusCode, Value) {
    let (status, _, answer) = org.post(&format!("sobjects/{object}"), body).await;
    (status, answer)
}

#[tokio::test]
async fn an_account_with_the_same_name_alone_is_not_a_duplicate() {
    let org = Org::start().await;
    org.insert("Account", json!({ "Name": "Acme", "BillingCity": "Leeds" }));

    let (no_city, _) = create(&org, "Account", json!({ "Name": "Acme" })).await;
    let (other_city, _) = create(
        &org,
        "Account",
        json!({ "Name": "ACME", "BillingCity": "York" }),
    )
    .await;

    assert_eq!(no_city, StatusCode::CREATED);
    assert_eq!(other_city, StatusCode::CREATED);
}

#[tokio::test]
async fn an_account_with_the_same_name_and_city_or_postal_code_is_a_duplicate() {
    let org = Org::start().await;
    let first = org.insert(
        "Account",
        json!({ "Name": "Acme", "BillingCity": "Leeds", "BillingPostalCode": "LS1 4AP" }),
    );

    let (city, by_city) = create(
        &org,
        "Account",
        json!({ "Name": " acme ", "BillingCity": "LEEDS" }),
    )
    .await;
    let (postal_code, by_postal_code) = create(
        &org,
        "Account",
        json!({ "Name": "Acme", "BillingPostalCode": "ls1 4ap" }),
    )
    .await;

    assert_eq!(city, StatusCode::BAD_REQUEST);
    assert_eq!(postal_code, StatusCode::BAD_REQUEST);
    for body in [by_city, by_postal_code] {
        let result = &body[0]["duplicateResult"];
        assert_eq!(result["duplicateRule"], "Standard_Account_Duplicate_Rule");
        assert_eq!(
            result["matchResults"][0]["rule"],
            "Standard_Account_Match_Rule_v1_0"
        );
        assert_eq!(
            result["matchResults"][0]["matchRecords"][0]["record"]["Id"],
            first.as_str()
        );
    }
}

#[tokio::test]
async fn a_contact_or_lead_with_the_same_last_name_and_email_is_a_duplicate() {
    let org = Org::start().await;
    org.insert(
        "Contact",
        json!({ "LastName": "Lovelace", "Email": "ada@example.com" }),
    );
    org.insert(
        "Lead",
        json!({ "LastName": "Lovelace", "Company": "Co", "Email": "ada@example.com" }),
    );

    let (contact, contact_body) = create(
        &org,
        "Contact",
        json!({ "FirstName": "Augusta", "LastName": "LOVELACE", "Email": "Ada@Example.com" }),
    )
    .await;
    let (lead, lead_body) = create(
        &org,
        "Lead",
        json!({ "LastName": "lovelace", "Company": "Other", "Email": "ADA@example.com" }),
    )
    .await;

    assert_eq!(contact, StatusCode::BAD_REQUEST);
    assert_eq!(
        contact_body[0]["duplicateResult"]["duplicateRule"],
        "Standard_Contact_Duplicate_Rule"
    );
    assert_eq!(lead, StatusCode::BAD_REQUEST);
    assert_eq!(
        lead_body[0]["duplicateResult"]["duplicateRule"],
        "Standard_Lead_Duplicate_Rule"
    );
}

#[tokio::test]
async fn the_same_email_with_another_name_or_the_same_name_without_email_is_not_a_duplicate() {
    let org = Org::start().await;
    org.insert(
        "Contact",
        json!({ "LastName": "Lovelace", "Email": "ada@example.com" }),
    );

    let (other_name, _) = create(
        &org,
        "Contact",
        json!({ "LastName": "Byron", "Email": "ada@example.com" }),
    )
    .await;
    let (no_email, _) = create(&org, "Contact", json!({ "LastName": "Lovelace" })).await;

    assert_eq!(other_name, StatusCode::CREATED);
    assert_eq!(no_email, StatusCode::CREATED);
}

#[tokio::test]
async fn an_update_that_makes_a_duplicate_is_refused_and_one_that_leaves_the_rule_fields_is_not() {
    let org = Org::start().await;
    org.insert(
        "Contact",
        json!({ "LastName": "Lovelace", "Email": "ada@example.com" }),
    );
    let other = org.insert("Contact", json!({ "LastName": "Lovelace" }));
    let path = format!("sobjects/Contact/{other}");

    let (phone, _, _) = org.patch(&path, json!({ "Phone": "+44 1" })).await;
    let (email, _, body) = org
        .patch(&path, json!({ "Email": "ada@example.com" }))
        .await;

    assert_eq!(phone, StatusCode::NO_CONTENT);
    assert_eq!(email, StatusCode::BAD_REQUEST);
    assert_eq!(Org::code(&body), "DUPLICATES_DETECTED");
}

#[tokio::test]
async fn the_duplicate_rule_header_saves_a_duplicate_anyway() {
    let org = Org::start().await;
    org.insert(
        "Contact",
        json!({ "LastName": "Lovelace", "Email": "ada@example.com" }),
    );

    let response = org
        .http
        .post(org.url("sobjects/Contact"))
        .bearer_auth(&org.token)
        .header("Sforce-Duplicate-Rule-Header", "allowSave=true")
        .json(&json!({ "LastName": "Lovelace", "Email": "ada@example.com" }))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(org.emulator.records("Contact").len(), 2);
}
