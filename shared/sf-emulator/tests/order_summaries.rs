//! Order summaries as an Order Management org makes them: only through the Connect API's
//! `commerce/order-management/order-summaries` action, one per activated original Order;
//! the sObject API reads them but never inserts one.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::Org;

const ORDER_SUMMARIES: &str = "commerce/order-management/order-summaries";

/// An Order of two mugs at 12.50 for a new account, activated when `activate`: its id and
/// the account's.
async fn order(org: &Org, activate: bool) -> (String, String) {
    let product = org.insert("Product2", json!({ "Name": "Mug", "IsActive": true }));
    let entry = org.insert(
        "PricebookEntry",
        json!({
            "Pricebook2Id": org.emulator.standard_pricebook_id(), "Product2Id": product,
            "UnitPrice": 12.5, "IsActive": true, "CurrencyIsoCode": "EUR",
        }),
    );
    let account = org.account("Jane Doe");
    let order = org.insert(
        "Order",
        json!({
            "AccountId": account, "EffectiveDate": "2026-11-22", "Status": "Draft",
            "Pricebook2Id": org.emulator.standard_pricebook_id(), "CurrencyIsoCode": "EUR",
        }),
    );
    org.insert(
        "OrderItem",
        json!({ "OrderId": order, "PricebookEntryId": entry, "Quantity": 2, "UnitPrice": 12.5 }),
    );
    if activate {
        let (status, _, body) = org
            .patch(
                &format!("sobjects/Order/{order}"),
                json!({ "Status": "Activated" }),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    (order, account)
}

async fn summarize(org: &Org, order: &str) -> (StatusCode, Value) {
    let (status, _, body) = org
        .post(
            ORDER_SUMMARIES,
            json!({ "orderId": order, "orderLifeCycleType": "UNMANAGED" }),
        )
        .await;
    (status, body)
}

#[tokio::test]
async fn an_activated_order_gets_one_summary_that_soql_and_the_record_page_show() {
    let org = Org::start().await;
    let (order, account) = order(&org, true).await;
    let calls = org.emulator.api_calls();

    let (status, body) = summarize(&org, &order).await;

    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["errors"], json!([]));
    let id = body["orderSummaryId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("1Os") && id.len() == 18, "{id}");
    assert_eq!(org.emulator.api_calls(), calls + 1, "one API call");
    let activated = org.emulator.record(&order).unwrap()["ActivatedDate"].clone();
    let (status, _, found) = org
        .query(&format!(
            "SELECT Id, OriginalOrderId, AccountId, OrderLifeCycleType, Status, GrandTotalAmount, OrderedDate, CurrencyIsoCode FROM OrderSummary WHERE OriginalOrderId = '{order}'"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["totalSize"], 1);
    let summary = &found["records"][0];
    assert_eq!(summary["Id"], json!(id));
    assert_eq!(summary["AccountId"], json!(account));
    assert_eq!(summary["OrderLifeCycleType"], "UNMANAGED");
    assert_eq!(summary["Status"], "Created");
    assert_eq!(summary["GrandTotalAmount"], json!(25.0));
    assert_eq!(summary["OrderedDate"], activated);
    assert_eq!(summary["CurrencyIsoCode"], "EUR");
    let page = org
        .http
        .get(format!(
            "{}/lightning/r/OrderSummary/{id}/view",
            org.emulator.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains(&order));
}

#[tokio::test]
async fn a_second_summary_for_the_same_order_is_refused_naming_the_first() {
    let org = Org::start().await;
    let (order, _) = order(&org, true).await;
    let (_, first) = summarize(&org, &order).await;

    let (status, body) = summarize(&org, &order).await;

    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(Org::code(&body), "DUPLICATE_VALUE");
    let first_id = first["orderSummaryId"].as_str().unwrap();
    assert!(
        body[0]["message"].as_str().unwrap().ends_with(first_id),
        "{body}"
    );
    assert_eq!(body[0]["output"]["success"], false);
    assert_eq!(org.emulator.records("OrderSummary").len(), 1);
}

#[tokio::test]
async fn an_order_that_is_not_activated_gets_no_summary() {
    let org = Org::start().await;
    let (draft, _) = order(&org, false).await;

    let (status, body) = summarize(&org, &draft).await;

    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(Org::code(&body), "FIELD_INTEGRITY_EXCEPTION");
    assert!(org.emulator.records("OrderSummary").is_empty());
}

#[tokio::test]
async fn an_input_without_an_order_or_naming_no_order_is_refused() {
    let org = Org::start().await;
    let account = org.account("Jane Doe");

    let (missing, _, body) = org
        .post(ORDER_SUMMARIES, json!({ "orderLifeCycleType": "MANAGED" }))
        .await;
    assert_eq!(missing, StatusCode::BAD_REQUEST);
    assert_eq!(Org::code(&body), "REQUIRED_FIELD_MISSING");
    let (status, body) = summarize(&org, &account).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(Org::code(&body), "MALFORMED_ID");
    let (status, _, body) = org
        .post(
            ORDER_SUMMARIES,
            json!({ "orderId": "801000000000001AAA", "orderLifeCycleType": "SOMETIMES" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(Org::code(&body), "JSON_PARSER_ERROR");
    assert!(org.emulator.records("OrderSummary").is_empty());
}

#[tokio::test]
async fn the_sobject_api_reads_order_summaries_but_never_inserts_one() {
    let org = Org::start().await;
    let (order, account) = order(&org, true).await;

    let (status, _, body) = org
        .post(
            "sobjects/OrderSummary",
            json!({ "OriginalOrderId": order, "AccountId": account, "OrderLifeCycleType": "MANAGED" }),
        )
        .await;

    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(Org::code(&body), "INVALID_TYPE_FOR_OPERATION");
    let (_, _, describe) = org.get("sobjects/OrderSummary/describe").await;
    assert_eq!(describe["createable"], false);
    assert_eq!(describe["updateable"], false);
    assert!(org.emulator.records("OrderSummary").is_empty());
}

#[tokio::test]
async fn the_action_is_authenticated_post_only_and_no_subrequest() {
    let org = Org::start().await;
    let (order, _) = order(&org, true).await;

    let anonymous = org
        .http
        .post(org.url(ORDER_SUMMARIES))
        .json(&json!({ "orderId": order }))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let (status, headers, _) = org.send(Method::GET, ORDER_SUMMARIES, None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers["allow"], "POST");
    let (status, _, body) = org
        .post(
            "composite/graph",
            json!({ "graphs": [{ "graphId": "1", "compositeRequest": [{
                "method": "POST", "referenceId": "summary",
                "url": format!("/services/data/v62.0/{ORDER_SUMMARIES}"),
                "body": { "orderId": order },
            }]}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["graphs"][0]["isSuccessful"], false, "{body}");
    assert!(org.emulator.records("OrderSummary").is_empty());
}
