//! What an order sync writes: prices keyed by SKU and currency, orders numbered and
//! totalled, lines named by their parents' external ids, people keyed by e-mail hash, and
//! one contact role per order.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::Org;

/// A product with a standard price in USD, keyed `sku:USD`.
fn priced_product(org: &Org, sku: &str) -> String {
    let product = org.insert(
        "Product2",
        json!({ "Name": sku, "Storesync_Sku__c": sku, "ProductCode": sku, "IsActive": true }),
    );
    org.insert(
        "PricebookEntry",
        json!({
            "Pricebook2Id": org.emulator.standard_pricebook_id(), "Product2Id": product,
            "UnitPrice": 10, "IsActive": true, "Storesync_Price_Key__c": format!("{sku}:USD"),
        }),
    );
    product
}

async fn upsert_order(org: &Org, order_id: &str) -> Value {
    let account = org.insert(
        "Account",
        json!({ "Name": format!("Customer of {order_id}"), "Storesync_Customer_Id__c": format!("cus_{order_id}") }),
    );
    let (status, _, body) = org
        .patch(
            &format!("sobjects/Order/Storesync_Order_Id__c/{order_id}"),
            json!({
                "AccountId": account, "EffectiveDate": "2026-11-22", "Status": "Draft",
                "Pricebook2Id": org.emulator.standard_pricebook_id(),
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

#[tokio::test]
async fn a_price_is_upserted_by_its_sku_and_currency_key_and_shows_its_product() {
    let org = Org::start().await;
    let product = org.insert(
        "Product2",
        json!({ "Name": "Sock", "ProductCode": "SKU-1" }),
    );
    let path = "sobjects/PricebookEntry/Storesync_Price_Key__c/SKU-1:EUR";
    let entry = json!({
        "Pricebook2Id": org.emulator.standard_pricebook_id(), "Product2Id": product,
        "UnitPrice": 9.5, "IsActive": true, "CurrencyIsoCode": "EUR",
    });

    let (created, _, first) = org.patch(path, entry).await;
    let (updated, _, _) = org.patch(path, json!({ "UnitPrice": 8.5 })).await;

    assert_eq!(created, StatusCode::CREATED);
    assert_eq!(updated, StatusCode::OK);
    let stored = org.emulator.record(first["id"].as_str().unwrap()).unwrap();
    assert_eq!(stored["UnitPrice"], 8.5);
    assert_eq!(stored["Name"], "Sock");
    assert_eq!(stored["ProductCode"], "SKU-1");
    assert_eq!(stored["CurrencyIsoCode"], "EUR");
}

#[tokio::test]
async fn a_new_entry_is_inactive_unless_it_says_otherwise_and_an_inactive_one_cannot_be_sold() {
    let org = Org::start().await;
    let product = org.insert("Product2", json!({ "Name": "Sock" }));
    let entry = org.insert(
        "PricebookEntry",
        json!({ "Pricebook2Id": org.emulator.standard_pricebook_id(), "Product2Id": product, "UnitPrice": 5 }),
    );
    let order = upsert_order(&org, "ord_1").await;

    let (status, _, body) = org
        .post(
            "sobjects/OrderItem",
            json!({ "OrderId": order["id"], "PricebookEntryId": entry, "Quantity": 1, "UnitPrice": 5 }),
        )
        .await;

    assert_eq!(org.emulator.record(&entry).unwrap()["IsActive"], false);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body[0]["message"],
        "field integrity exception: PricebookEntryId (pricebook entry is inactive)"
    );
}

#[tokio::test]
async fn lines_name_their_order_and_price_by_external_id_and_the_order_totals_them() {
    let org = Org::start().await;
    priced_product(&org, "SKU-1");
    priced_product(&org, "SKU-2");
    let order = upsert_order(&org, "ord_1").await;
    let line = |sku: &str, quantity: u32| {
        json!({
            "Order": { "Storesync_Order_Id__c": "ord_1" },
            "PricebookEntry": { "Storesync_Price_Key__c": format!("{sku}:USD") },
            "Quantity": quantity, "UnitPrice": 10,
        })
    };

    let (first, _, _) = org
        .patch(
            "sobjects/OrderItem/Storesync_Line_Id__c/ord_1-0",
            line("SKU-1", 1),
        )
        .await;
    let (second, _, _) = org
        .patch(
            "sobjects/OrderItem/Storesync_Line_Id__c/ord_1-1",
            line("SKU-2", 2),
        )
        .await;
    let (resent, _, refused) = org
        .patch(
            "sobjects/OrderItem/Storesync_Line_Id__c/ord_1-1",
            line("SKU-2", 3),
        )
        .await;
    let (changed, _, _) = org
        .patch(
            "sobjects/OrderItem/Storesync_Line_Id__c/ord_1-1",
            json!({ "Quantity": 3 }),
        )
        .await;

    assert_eq!((first, second), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(resent, StatusCode::BAD_REQUEST, "OrderId is create-only");
    assert_eq!(Org::code(&refused), "INVALID_FIELD_FOR_INSERT_UPDATE");
    assert_eq!(changed, StatusCode::OK);
    let stored = org.emulator.record(order["id"].as_str().unwrap()).unwrap();
    assert_eq!(stored["TotalAmount"], 40.0);
    assert_eq!(stored["OrderNumber"], "00000100");
    let items = org.emulator.records("OrderItem");
    assert_eq!(items[1]["TotalPrice"], 30.0);
    assert_eq!(items[1]["ListPrice"], 10);
    assert!(items.iter().all(|i| i["OrderId"] == order["id"]));
}

#[tokio::test]
async fn orders_number_themselves_and_record_when_they_are_activated() {
    let org = Org::start().await;
    let first = upsert_order(&org, "ord_1").await;
    let second = upsert_order(&org, "ord_2").await;
    let path = format!("sobjects/Order/{}", first["id"].as_str().unwrap());

    let (_, _, number) = org.patch(&path, json!({ "OrderNumber": "1" })).await;
    org.patch(&path, json!({ "Status": "Activated" })).await;

    let stored = |o: &Value| org.emulator.record(o["id"].as_str().unwrap()).unwrap();
    assert_eq!(stored(&first)["OrderNumber"], "00000100");
    assert_eq!(stored(&second)["OrderNumber"], "00000101");
    assert_eq!(Org::code(&number), "INVALID_FIELD_FOR_INSERT_UPDATE");
    assert!(
        stored(&first)["ActivatedDate"]
            .as_str()
            .unwrap()
            .ends_with("+0000")
    );
    assert!(stored(&second).get("ActivatedDate").is_none());
}

#[tokio::test]
async fn the_email_key_is_case_sensitive_and_the_customer_id_is_not() {
    let org = Org::start().await;
    let org = &org;
    let upsert = |key: &str, value: &str, last: &str| {
        let path = format!("sobjects/Contact/{key}/{value}");
        let body = json!({ "LastName": last });
        async move { org.patch(&path, body).await.0 }
    };

    let hashed = upsert("Storesync_Email_Key__c", "a1b2", "One").await;
    let other_case = upsert("Storesync_Email_Key__c", "A1B2", "Two").await;
    let customer = upsert("Storesync_Customer_Id__c", "cus_7", "Three").await;
    let customer_again = upsert("Storesync_Customer_Id__c", "CUS_7", "Four").await;

    assert_eq!(hashed, StatusCode::CREATED);
    assert_eq!(
        other_case,
        StatusCode::CREATED,
        "another hash is another person"
    );
    assert_eq!(customer, StatusCode::CREATED);
    assert_eq!(
        customer_again,
        StatusCode::OK,
        "the same customer id in another case"
    );
    assert_eq!(org.emulator.records("Contact").len(), 3);
}

#[tokio::test]
async fn a_standard_price_is_needed_before_a_custom_one_and_use_standard_price_takes_it() {
    let org = Org::start().await;
    let product = org.insert("Product2", json!({ "Name": "Sock" }));
    let wholesale = org.insert(
        "Pricebook2",
        json!({ "Name": "Wholesale", "IsActive": true }),
    );
    let custom = json!({ "Pricebook2Id": wholesale, "Product2Id": product, "UnitPrice": 4, "UseStandardPrice": true });

    let (_, _, early) = org.post("sobjects/PricebookEntry", custom.clone()).await;
    org.insert(
        "PricebookEntry",
        json!({ "Pricebook2Id": org.emulator.standard_pricebook_id(), "Product2Id": product, "UnitPrice": 6 }),
    );
    let (_, _, later) = org.post("sobjects/PricebookEntry", custom).await;

    assert_eq!(
        early,
        json!([{ "message": "No standard price defined for this product", "errorCode": "STANDARD_PRICE_NOT_DEFINED", "fields": [] }])
    );
    let entry = org.emulator.record(later["id"].as_str().unwrap()).unwrap();
    assert_eq!(entry["UnitPrice"], 6);
}

#[tokio::test]
async fn an_opportunity_record_type_must_be_an_active_one_of_opportunities() {
    let org = Org::start().await;
    let online = org.insert(
        "RecordType",
        json!({ "Name": "Online", "DeveloperName": "Online", "SobjectType": "Opportunity", "IsActive": true }),
    );
    let for_accounts = org.insert(
        "RecordType",
        json!({ "Name": "B2B", "DeveloperName": "B2B", "SobjectType": "Account", "IsActive": true }),
    );
    let deal = |record_type: &str| json!({ "Name": "Deal", "StageName": "Closed Won", "CloseDate": "2026-11-22", "RecordTypeId": record_type });

    let (ok, _, _) = org.post("sobjects/Opportunity", deal(&online)).await;
    let (wrong, _, body) = org.post("sobjects/Opportunity", deal(&for_accounts)).await;

    assert_eq!(ok, StatusCode::CREATED);
    assert_eq!(wrong, StatusCode::BAD_REQUEST);
    assert_eq!(Org::code(&body), "INVALID_CROSS_REFERENCE_KEY");
}
