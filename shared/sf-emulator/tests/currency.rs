//! A multi-currency org (the default): records carry `CurrencyIsoCode`, prices are per
//! currency, and an order's lines are priced in its currency. Off, the field does not
//! exist.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use storesync_sf_emulator::EmulatorConfig;
use support::Org;

/// A product with a standard price in each currency: (product, entries by currency).
fn product_priced_in(org: &Org, currencies: &[&str]) -> (String, Vec<String>) {
    let product = org.insert("Product2", json!({ "Name": "Sock", "IsActive": true }));
    let entries = currencies
        .iter()
        .map(|c| {
            org.insert(
                "PricebookEntry",
                json!({
                    "Pricebook2Id": org.emulator.standard_pricebook_id(), "Product2Id": product,
                    "UnitPrice": 5, "IsActive": true, "CurrencyIsoCode": c,
                }),
            )
        })
        .collect();
    (product, entries)
}

fn draft_order(org: &Org, currency: &str) -> String {
    let account = org.account("Acme");
    org.insert(
        "Order",
        json!({
            "AccountId": account, "EffectiveDate": "2026-11-22", "Status": "Draft",
            "Pricebook2Id": org.emulator.standard_pricebook_id(), "CurrencyIsoCode": currency,
        }),
    )
}

#[tokio::test]
async fn a_record_gets_the_corporate_currency_unless_it_names_an_active_one() {
    let org = Org::start().await;

    let (_, _, default) = org.post("sobjects/Account", json!({ "Name": "A" })).await;
    let (_, _, euro) = org
        .post(
            "sobjects/Account",
            json!({ "Name": "B", "CurrencyIsoCode": "EUR" }),
        )
        .await;

    let currency = |answer: &Value| {
        org.emulator.record(answer["id"].as_str().unwrap()).unwrap()["CurrencyIsoCode"].clone()
    };
    assert_eq!(currency(&default), "USD");
    assert_eq!(currency(&euro), "EUR");
}

#[tokio::test]
async fn an_inactive_or_unknown_currency_is_refused_as_a_restricted_picklist_value() {
    let org = Org::start().await;
    for code in ["CHF", "XXX", "eur"] {
        let (status, _, body) = org
            .post(
                "sobjects/Account",
                json!({ "Name": "A", "CurrencyIsoCode": code }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{code}");
        assert_eq!(
            body,
            json!([{
                "message": format!("Currency ISO Code: invalid currency code: {code}"),
                "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                "fields": ["CurrencyIsoCode"],
            }])
        );
    }
}

#[tokio::test]
async fn a_product_has_one_price_per_price_book_and_currency() {
    let org = Org::start().await;
    let (product, _) = product_priced_in(&org, &["USD", "EUR"]);

    let (status, _, body) = org
        .post(
            "sobjects/PricebookEntry",
            json!({ "Pricebook2Id": org.emulator.standard_pricebook_id(), "Product2Id": product, "UnitPrice": 6, "CurrencyIsoCode": "EUR" }),
        )
        .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(Org::code(&body), "DUPLICATE_VALUE");
    assert_eq!(org.emulator.records("PricebookEntry").len(), 2);
}

#[tokio::test]
async fn a_custom_price_needs_a_standard_price_in_the_same_currency() {
    let org = Org::start().await;
    let (product, _) = product_priced_in(&org, &["USD"]);
    let wholesale = org.insert(
        "Pricebook2",
        json!({ "Name": "Wholesale", "IsActive": true }),
    );
    let entry = |currency: &str| json!({ "Pricebook2Id": wholesale, "Product2Id": product, "UnitPrice": 4, "CurrencyIsoCode": currency });

    let (_, _, euro) = org.post("sobjects/PricebookEntry", entry("EUR")).await;
    let (dollar, _, _) = org.post("sobjects/PricebookEntry", entry("USD")).await;

    assert_eq!(Org::code(&euro), "STANDARD_PRICE_NOT_DEFINED");
    assert_eq!(dollar, StatusCode::CREATED);
}

#[tokio::test]
async fn an_entry_keeps_the_currency_it_was_created_in() {
    let org = Org::start().await;
    let (_, entries) = product_priced_in(&org, &["GBP"]);

    let (_, _, body) = org
        .patch(
            &format!("sobjects/PricebookEntry/{}", entries[0]),
            json!({ "CurrencyIsoCode": "USD" }),
        )
        .await;

    assert_eq!(Org::code(&body), "INVALID_FIELD_FOR_INSERT_UPDATE");
}

#[tokio::test]
async fn an_order_line_needs_an_entry_in_the_order_currency_and_takes_that_currency() {
    let org = Org::start().await;
    let (_, entries) = product_priced_in(&org, &["USD", "EUR"]);
    let order = draft_order(&org, "EUR");
    let line = |entry: &str| json!({ "OrderId": order, "PricebookEntryId": entry, "Quantity": 2, "UnitPrice": 5 });

    let (_, _, dollars) = org.post("sobjects/OrderItem", line(&entries[0])).await;
    let (status, _, euros) = org.post("sobjects/OrderItem", line(&entries[1])).await;

    assert_eq!(Org::code(&dollars), "FIELD_INTEGRITY_EXCEPTION");
    assert_eq!(
        dollars[0]["message"],
        "field integrity exception: PricebookEntryId (pricebook entry currency code does not match order currency code)"
    );
    assert_eq!(status, StatusCode::CREATED);
    let item = org.emulator.record(euros["id"].as_str().unwrap()).unwrap();
    assert_eq!(item["CurrencyIsoCode"], "EUR");
    assert_eq!(item["TotalPrice"], 10.0);
    assert_eq!(org.emulator.record(&order).unwrap()["TotalAmount"], 10.0);
}

#[tokio::test]
async fn an_order_with_lines_keeps_its_currency() {
    let org = Org::start().await;
    let (_, entries) = product_priced_in(&org, &["USD"]);
    let order = draft_order(&org, "USD");
    org.insert(
        "OrderItem",
        json!({ "OrderId": order, "PricebookEntryId": entries[0], "Quantity": 1, "UnitPrice": 5 }),
    );

    let (_, _, body) = org
        .patch(
            &format!("sobjects/Order/{order}"),
            json!({ "CurrencyIsoCode": "EUR" }),
        )
        .await;

    assert_eq!(Org::code(&body), "FIELD_INTEGRITY_EXCEPTION");
    assert_eq!(
        org.emulator.record(&order).unwrap()["CurrencyIsoCode"],
        "USD"
    );
}

#[tokio::test]
async fn describe_shows_the_currency_field_with_the_active_currencies() {
    let org = Org::start().await;

    let (_, _, account) = org.get("sobjects/Account/describe").await;

    let field = Org::described_field(&account, "CurrencyIsoCode")
        .expect("CurrencyIsoCode in a multi-currency org");
    assert_eq!(field["type"], "picklist");
    assert_eq!(field["restrictedPicklist"], true);
    let codes: Vec<&str> = field["picklistValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["USD", "EUR", "GBP", "INR", "JPY"]);
}

#[tokio::test]
async fn a_single_currency_org_has_no_currency_field() {
    let org = Org::start_with(EmulatorConfig {
        multi_currency: false,
        ..EmulatorConfig::default()
    })
    .await;

    let (_, _, create) = org
        .post(
            "sobjects/Account",
            json!({ "Name": "A", "CurrencyIsoCode": "USD" }),
        )
        .await;
    let (_, _, query) = org.query("SELECT CurrencyIsoCode FROM Account").await;
    let (_, _, describe) = org.get("sobjects/Account/describe").await;
    let (created, _, _) = org.post("sobjects/Account", json!({ "Name": "B" })).await;

    assert_eq!(Org::code(&create), "INVALID_FIELD");
    assert_eq!(Org::code(&query), "INVALID_FIELD");
    assert_eq!(Org::described_field(&describe, "CurrencyIsoCode"), None);
    assert_eq!(created, StatusCode::CREATED);
    assert!(
        org.emulator.records("Account")[0]
            .get("CurrencyIsoCode")
            .is_none()
    );
}
