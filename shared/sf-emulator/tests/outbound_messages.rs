//! Outbound messages: a contact created or edited is sent to the listener as a SOAP
//! `notifications` message with the chosen fields, and sent again until the listener
//! acknowledges it. Also the account terms the store reads, and their field history.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::json;
use storesync_sf_emulator::{
    EmulatorConfig, MANAGER_PASSWORD, MANAGER_USERNAME, OutboundMessage, schema,
};
use support::Org;
use support::target::Target;

const ACK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>"#;

async fn org_sending_contacts_to(target: &Target) -> Org {
    Org::start_with(EmulatorConfig {
        outbound_messages: vec![OutboundMessage::new(
            "Contact",
            &target.url,
            &["Email", "LastName", "Phone"],
        )],
        ..EmulatorConfig::default()
    })
    .await
}

#[tokio::test]
async fn a_created_contact_is_sent_as_a_soap_notification_with_the_chosen_fields() {
    let target = Target::start(200, ACK).await;
    let org = org_sending_contacts_to(&target).await;

    let (_, _, created) = org
        .post(
            "sobjects/Contact",
            json!({ "LastName": "O'Brien & Sons", "Email": "ob@example.com", "FirstName": "Pat" }),
        )
        .await;
    let received = target.wait_for(1).await;

    let id = created["id"].as_str().unwrap();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.headers["content-type"], "text/xml; charset=utf-8");
    assert_eq!(request.headers["soapaction"], "\"\"");
    let body = &request.body;
    assert!(body.contains(r#"<notifications xmlns="http://soap.sforce.com/2005/09/outbound">"#));
    assert!(body.contains("<OrganizationId>00D"));
    assert!(body.contains("<ActionId>04k"));
    assert!(body.contains(r#"<SessionId xsi:nil="true"/>"#));
    assert!(body.contains("/services/Soap/c/62.0/00D"));
    assert!(body.contains("/services/Soap/u/62.0/00D"));
    assert!(body.contains("<Notification><Id>04l"));
    assert!(body.contains(r#"<sObject xsi:type="sf:Contact""#));
    assert!(body.contains(&format!("<sf:Id>{id}</sf:Id>")));
    assert!(body.contains("<sf:Email>ob@example.com</sf:Email>"));
    assert!(body.contains("<sf:LastName>O&apos;Brien &amp; Sons</sf:LastName>"));
    assert!(
        !body.contains("FirstName"),
        "only the chosen fields are sent"
    );
    assert!(!body.contains("sf:Phone"), "a blank field is left out");
    assert_eq!(org.emulator.outbound_messages(), vec![body.clone()]);
}

#[tokio::test]
async fn a_message_is_resent_until_the_listener_acknowledges_it() {
    let target = Target::start(200, ACK).await;
    target.answer_next(1, 500, "");
    target.answer_next(
        1,
        200,
        "<notificationsResponse><Ack>false</Ack></notificationsResponse>",
    );
    let org = org_sending_contacts_to(&target).await;

    let id = org.insert("Contact", json!({ "LastName": "Nakamura" }));
    org.patch(&format!("sobjects/Contact/{id}"), json!({ "Phone": "555" }))
        .await;
    let received = target.wait_for(4).await;

    assert_eq!(received.len(), 4, "500, no ack, then both messages");
    assert_eq!(received[0].body, received[1].body);
    assert_eq!(received[1].body, received[2].body);
    assert!(received[3].body.contains("<sf:Phone>555</sf:Phone>"));
    let attempts = org.emulator.outbound_attempts();
    let delivered: Vec<bool> = attempts.iter().map(|a| a.delivered).collect();
    assert_eq!(delivered, [false, false, true, true]);
    assert_eq!(org.emulator.outbound_messages().len(), 2);
    assert_eq!(org.emulator.flush_deliveries().await, 0);
}

#[tokio::test]
async fn an_outbound_message_naming_an_unknown_field_is_refused() {
    let org = Org::start().await;

    let refused = org.emulator.outbound_message(OutboundMessage::new(
        "Contact",
        "http://127.0.0.1:9/",
        &["Nickname__c"],
    ));

    assert_eq!(refused.unwrap_err().code(), "INVALID_FIELD");
}

#[tokio::test]
async fn account_terms_are_described_and_validated_like_the_deployed_org() {
    let org = Org::start().await;
    let id = org.account("Acme");
    let token = org.token_of(MANAGER_USERNAME, MANAGER_PASSWORD).await;
    let path = format!("sobjects/Account/{id}");

    let (_, _, describe) = org.get("sobjects/Account/describe").await;
    let (too_much, _, too_much_body) = org
        .send_as(
            &token,
            Method::PATCH,
            &path,
            Some(json!({ (schema::DISCOUNT_PERCENT): 120 })),
        )
        .await;
    let (bad_terms, _, bad_terms_body) = org
        .send_as(
            &token,
            Method::PATCH,
            &path,
            Some(json!({ (schema::PAYMENT_TERMS): "Cash" })),
        )
        .await;
    let (ok, _, _) = org
        .send_as(
            &token,
            Method::PATCH,
            &path,
            Some(
                json!({ (schema::DISCOUNT_PERCENT): 15, (schema::PAYMENT_TERMS): "Purchase Order",
                         (schema::SHIP_ON_ACCOUNT): true, (schema::SHIPPING_ACCOUNT): "UPS-12345",
                         (schema::TAX_EXEMPT): true }),
            ),
        )
        .await;

    let terms = Org::described_field(&describe, schema::PAYMENT_TERMS).unwrap();
    assert_eq!(terms["restrictedPicklist"], true);
    assert_eq!(terms["picklistValues"][1]["value"], "Purchase Order");
    let discount = Org::described_field(&describe, schema::DISCOUNT_PERCENT).unwrap();
    assert_eq!(discount["type"], "percent");
    assert_eq!(too_much, StatusCode::BAD_REQUEST);
    assert_eq!(
        Org::code(&too_much_body),
        "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    );
    assert_eq!(
        too_much_body[0]["fields"],
        json!([schema::DISCOUNT_PERCENT])
    );
    assert_eq!(bad_terms, StatusCode::BAD_REQUEST);
    assert_eq!(
        Org::code(&bad_terms_body),
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    );
    assert_eq!(ok, StatusCode::NO_CONTENT);
    let account = org.emulator.record(&id).unwrap();
    assert_eq!(account[schema::SHIPPING_ACCOUNT], "UPS-12345");
    assert_eq!(account[schema::TAX_EXEMPT], true);
}

#[tokio::test]
async fn a_change_of_the_terms_is_kept_in_the_account_history() {
    let org = Org::start().await;
    let id = org.insert(
        "Account",
        json!({ "Name": "Acme", (schema::DISCOUNT_PERCENT): 5 }),
    );
    let token = org.token_of(MANAGER_USERNAME, MANAGER_PASSWORD).await;
    org.send_as(
        &token,
        Method::PATCH,
        &format!("sobjects/Account/{id}"),
        Some(json!({ (schema::DISCOUNT_PERCENT): 10, "Phone": "1" })),
    )
    .await;

    let (status, _, body) = org
        .query(&format!(
            "SELECT AccountId, Field, OldValue, NewValue, CreatedById FROM AccountHistory WHERE AccountId = '{id}'"
        ))
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = body["records"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        2,
        "created, then the discount (Phone is not tracked): {body}"
    );
    assert_eq!(rows[0]["Field"], "created");
    assert_eq!(rows[1]["Field"], schema::DISCOUNT_PERCENT);
    assert_eq!(rows[1]["OldValue"], 5);
    assert_eq!(rows[1]["NewValue"], 10);
    assert_eq!(
        rows[1]["CreatedById"],
        json!(org.emulator.user_id(MANAGER_USERNAME).unwrap())
    );
    let (refused, _, _) = org
        .post(
            "sobjects/AccountHistory",
            json!({ "AccountId": id, "Field": "Phone" }),
        )
        .await;
    assert_eq!(refused, StatusCode::BAD_REQUEST, "history is read-only");
}
