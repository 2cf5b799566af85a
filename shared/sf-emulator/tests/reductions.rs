//! Reduction orders as a real org takes them: a return or cancel of an activated order is a
//! reduction order naming it, with negative products naming the products they reduce; the
//! original products show what is left (`AvailableQuantity`), and an activated order's
//! products are never edited in place.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::Org;

/// An activated order of three mugs at 12.50: its id, its product's id and the price entry.
struct Sold {
    order: String,
    item: String,
    entry: String,
    account: String,
}

async fn sold(org: &Org) -> Sold {
    let product = org.insert("Product2", json!({ "Name": "Mug", "IsActive": true }));
    let entry = org.insert(
        "PricebookEntry",
        json!({
            "Pricebook2Id": org.emulator.standard_pricebook_id(), "Product2Id": product,
            "UnitPrice": 12.5, "IsActive": true, "CurrencyIsoCode": "USD",
        }),
    );
    let account = org.account("Jane Doe");
    let order = org.insert(
        "Order",
        json!({
            "AccountId": account, "EffectiveDate": "2026-11-22", "Status": "Draft",
            "Pricebook2Id": org.emulator.standard_pricebook_id(), "CurrencyIsoCode": "USD",
        }),
    );
    let item = org.insert(
        "OrderItem",
        json!({ "OrderId": order, "PricebookEntryId": entry, "Quantity": 3, "UnitPrice": 12.5 }),
    );
    let (status, _, body) = org
        .patch(
            &format!("sobjects/Order/{order}"),
            json!({ "Status": "Activated" }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    Sold {
        order,
        item,
        entry,
        account,
    }
}

/// `POST sobjects/Order` of a draft reduction order of `original`.
async fn reduction_order(org: &Org, sold: &Sold, original: &str) -> (StatusCode, Value) {
    let (status, _, body) = org
        .post(
            "sobjects/Order",
            json!({
                "AccountId": sold.account, "EffectiveDate": "2026-11-25", "Status": "Draft",
                "Pricebook2Id": org.emulator.standard_pricebook_id(),
                "IsReductionOrder": true, "OriginalOrderId": original,
            }),
        )
        .await;
    (status, body)
}

/// `POST sobjects/OrderItem` of a product of reduction order `order`.
async fn reduce(org: &Org, sold: &Sold, order: &str, quantity: i64) -> (StatusCode, Value) {
    let (status, _, body) = org
        .post(
            "sobjects/OrderItem",
            json!({
                "OrderId": order, "PricebookEntryId": sold.entry, "OriginalOrderItemId": sold.item,
                "Quantity": quantity, "UnitPrice": 12.5,
            }),
        )
        .await;
    (status, body)
}

fn available(org: &Org, item: &str) -> Value {
    org.emulator.record(item).unwrap()["AvailableQuantity"].clone()
}

#[tokio::test]
async fn an_activated_reduction_leaves_the_original_product_its_quantity_less_the_units_back() {
    let org = Org::start().await;
    let sold = sold(&org).await;
    assert_eq!(available(&org, &sold.item), json!(3.0));

    let (created, order) = reduction_order(&org, &sold, &sold.order).await;
    assert_eq!(created, StatusCode::CREATED, "{order}");
    let reduction = order["id"].as_str().unwrap().to_owned();
    let (added, line) = reduce(&org, &sold, &reduction, -1).await;
    assert_eq!(added, StatusCode::CREATED, "{line}");
    assert_eq!(
        available(&org, &sold.item),
        json!(3.0),
        "a draft reduction takes nothing yet"
    );
    org.patch(
        &format!("sobjects/Order/{reduction}"),
        json!({ "Status": "Activated" }),
    )
    .await;

    assert_eq!(available(&org, &sold.item), json!(2.0));
    let reduction_line = line["id"].as_str().unwrap();
    assert_eq!(available(&org, reduction_line), json!(0.0));
    let stored = org.emulator.record(&reduction).unwrap();
    assert_eq!(stored["TotalAmount"], -12.5);
    let (_, _, found) = org
        .query(&format!(
            "SELECT Id, Quantity, AvailableQuantity FROM OrderItem WHERE OrderId = '{}'",
            sold.order
        ))
        .await;
    assert_eq!(found["records"][0]["AvailableQuantity"], 2.0, "{found}");
    let (_, _, reductions) = org
        .query(&format!(
            "SELECT Id FROM Order WHERE IsReductionOrder = true AND OriginalOrderId = '{}'",
            sold.order
        ))
        .await;
    assert_eq!(reductions["totalSize"], 1, "{reductions}");
}

#[tokio::test]
async fn a_reduction_of_more_than_is_available_is_refused() {
    let org = Org::start().await;
    let sold = sold(&org).await;
    let (_, first) = reduction_order(&org, &sold, &sold.order).await;
    let first = first["id"].as_str().unwrap().to_owned();
    let (two_back, _) = reduce(&org, &sold, &first, -2).await;
    let (_, second) = reduction_order(&org, &sold, &sold.order).await;
    let second = second["id"].as_str().unwrap().to_owned();

    let (status, body) = reduce(&org, &sold, &second, -2).await;

    assert_eq!(two_back, StatusCode::CREATED);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(Org::code(&body), "FIELD_INTEGRITY_EXCEPTION");
    assert_eq!(body[0]["fields"], json!(["Quantity"]));
    let (one_left, _) = reduce(&org, &sold, &second, -1).await;
    assert_eq!(
        one_left,
        StatusCode::CREATED,
        "the last unit can still go back"
    );
}

#[tokio::test]
async fn a_reduction_names_an_activated_original_and_negative_units_of_its_products() {
    let org = Org::start().await;
    let sold = sold(&org).await;
    let draft = org.insert(
        "Order",
        json!({
            "AccountId": sold.account, "EffectiveDate": "2026-11-22", "Status": "Draft",
            "Pricebook2Id": org.emulator.standard_pricebook_id(),
        }),
    );
    let (of_draft, refused) = reduction_order(&org, &sold, &draft).await;
    assert_eq!(of_draft, StatusCode::BAD_REQUEST);
    assert_eq!(Org::code(&refused), "FIELD_INTEGRITY_EXCEPTION");

    let (_, _, unnamed) = org
        .post(
            "sobjects/Order",
            json!({
                "AccountId": sold.account, "EffectiveDate": "2026-11-25", "Status": "Draft",
                "Pricebook2Id": org.emulator.standard_pricebook_id(), "IsReductionOrder": true,
            }),
        )
        .await;
    assert_eq!(Org::code(&unnamed), "REQUIRED_FIELD_MISSING");

    let (_, order) = reduction_order(&org, &sold, &sold.order).await;
    let reduction = order["id"].as_str().unwrap().to_owned();
    let (positive, body) = reduce(&org, &sold, &reduction, 1).await;
    assert_eq!(positive, StatusCode::BAD_REQUEST);
    assert_eq!(Org::code(&body), "FIELD_INTEGRITY_EXCEPTION");
    let (_, _, no_original) = org
        .post(
            "sobjects/OrderItem",
            json!({ "OrderId": reduction, "PricebookEntryId": sold.entry, "Quantity": -1, "UnitPrice": 12.5 }),
        )
        .await;
    assert_eq!(Org::code(&no_original), "REQUIRED_FIELD_MISSING");
}

#[tokio::test]
async fn an_activated_order_takes_no_new_products_and_a_reduced_one_stays_as_sold() {
    let org = Org::start().await;
    let sold = sold(&org).await;

    let (_, _, added) = org
        .post(
            "sobjects/OrderItem",
            json!({ "OrderId": sold.order, "PricebookEntryId": sold.entry, "Quantity": 1, "UnitPrice": 12.5 }),
        )
        .await;
    let (_, _, edited) = org
        .patch(
            &format!("sobjects/OrderItem/{}", sold.item),
            json!({ "Quantity": 2 }),
        )
        .await;
    let (unchanged, _, _) = org
        .patch(
            &format!("sobjects/OrderItem/{}", sold.item),
            json!({ "Quantity": 3 }),
        )
        .await;
    let (_, order) = reduction_order(&org, &sold, &sold.order).await;
    let reduction = order["id"].as_str().unwrap().to_owned();
    reduce(&org, &sold, &reduction, -1).await;
    let (_, _, deactivated) = org
        .patch(
            &format!("sobjects/Order/{}", sold.order),
            json!({ "Status": "Draft" }),
        )
        .await;

    assert_eq!(Org::code(&added), "FIELD_INTEGRITY_EXCEPTION");
    assert_eq!(Org::code(&edited), "FIELD_INTEGRITY_EXCEPTION");
    assert_eq!(
        unchanged,
        StatusCode::NO_CONTENT,
        "the same values change nothing"
    );
    assert_eq!(Org::code(&deactivated), "FIELD_INTEGRITY_EXCEPTION");
    assert_eq!(org.emulator.record(&sold.item).unwrap()["Quantity"], 3);
}
