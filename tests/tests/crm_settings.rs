//! Each sync setting of the connector guide (seed 003), read at run time from the settings
//! item, and the change it makes in Salesforce (the emulator over HTTP).

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use storesync_core::order::lifecycle::OrderStatus;
use storesync_core::sync::settings::{OpportunityPolicy, SalesforceOrderPolicy, SyncSettings};
use storesync_core::sync::status::SyncState;
use storesync_sf_emulator::Record;
use storesync_tests::crm::{SyncHarness, text};

/// One customer's order under `settings`, synced once placed and, if `paid`, once paid.
async fn order_under(change: impl FnOnce(&mut SyncSettings), paid: bool) -> (SyncHarness, String) {
    let h = SyncHarness::start().await;
    h.settings(change).await;
    h.register("cust-1", "ada@example.com", None).await;
    let (order, total) = h.order("cust-1", 2).await;
    h.sync().await;
    if paid {
        h.pay(&order, total).await;
        h.sync().await;
    }
    (h, order)
}

fn opportunity(h: &SyncHarness, order: &str) -> Record {
    h.one("Opportunity", "Storesync_Order_Id__c", order)
}

#[tokio::test]
async fn automatic_sync_off_syncs_nothing_by_itself() {
    let (h, order) = order_under(
        |s| {
            s.auto_sync_customers = false;
            s.auto_sync_orders = false;
        },
        true,
    )
    .await;
    assert!(h.records("Lead").is_empty() && h.records("Contact").is_empty());
    assert!(h.records("Opportunity").is_empty() && h.records("Order").is_empty());
    assert_eq!(h.emulator.api_calls(), 0);
    // Shown as waiting, so an operator sees what automatic sync left out.
    let waiting = h.order_sync(&order).await;
    assert_eq!(waiting.state(), SyncState::Pending);
    assert!(waiting.objects.is_empty(), "{waiting:?}");
}

#[tokio::test]
async fn salesforce_orders_for_paid_orders_by_default_activated_with_their_items() {
    let (h, order) = order_under(|_| {}, false).await;
    assert!(h.records("Order").is_empty(), "not before payment");
    let total = h
        .app
        .get(
            &format!("/v1/orders/{order}"),
            &storesync_tests::Auth::customer("cust-1"),
        )
        .await
        .body["totals"]["total"]["minor_units"]
        .as_i64()
        .unwrap();
    h.pay(&order, total).await;
    h.sync().await;
    let sf_order = h.one("Order", "Storesync_Order_Id__c", &order);
    assert_eq!(text(&sf_order, "Status"), "Activated");
    assert_eq!(text(&sf_order, "Storesync_Status__c"), "paid");
    let items = h.records_where("OrderItem", "OrderId", text(&sf_order, "Id"));
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["Quantity"].as_f64(), Some(2.0));
    assert_eq!(
        text(
            &h.one("Product2", "Storesync_Sku__c", "MUG-WHT"),
            "ProductCode"
        ),
        "MUG-WHT"
    );
    assert_eq!(text(&sf_order, "CurrencyIsoCode"), "USD");
}

#[tokio::test]
async fn salesforce_orders_for_every_order_start_as_draft() {
    let (h, order) = order_under(
        |s| s.salesforce_order = SalesforceOrderPolicy::EveryOrder,
        false,
    )
    .await;
    let sf_order = h.one("Order", "Storesync_Order_Id__c", &order);
    assert_eq!(text(&sf_order, "Status"), "Draft");
    assert_eq!(text(&sf_order, "Storesync_Status__c"), "pending_payment");
}

#[tokio::test]
async fn salesforce_orders_never_makes_none() {
    let (h, _) = order_under(|s| s.salesforce_order = SalesforceOrderPolicy::Never, true).await;
    assert!(h.records("Order").is_empty() && h.records("OrderItem").is_empty());
    assert_eq!(h.records("Opportunity").len(), 1);
}

#[tokio::test]
async fn opportunities_never_makes_none_and_no_contact_role() {
    let (h, order) = order_under(|s| s.opportunity = OpportunityPolicy::Never, true).await;
    assert!(h.records("Opportunity").is_empty());
    assert!(h.records("OpportunityContactRole").is_empty());
    let sf_order = h.one("Order", "Storesync_Order_Id__c", &order);
    assert!(sf_order.get("OpportunityId").is_none_or(Value::is_null));
}

#[tokio::test]
async fn the_record_type_is_set_on_the_opportunity() {
    let h = SyncHarness::start().await;
    let record_type = h
        .emulator
        .insert(
            "RecordType",
            json!({"Name": "Online", "DeveloperName": "Online", "SobjectType": "Opportunity", "IsActive": true}),
        )
        .expect("a record type");
    h.settings(|s| s.opportunity_record_type_id = Some(record_type.clone()))
        .await;
    h.register("cust-1", "ada@example.com", None).await;
    let (order, _) = h.order("cust-1", 1).await;
    h.sync().await;
    assert_eq!(text(&opportunity(&h, &order), "RecordTypeId"), record_type);
}

#[tokio::test]
async fn the_sales_cycle_length_sets_the_close_date() {
    let (h, order) = order_under(|s| s.sales_cycle_days = 15, false).await;
    let expected = (Utc::now() + Duration::days(15)).date_naive().to_string();
    assert_eq!(text(&opportunity(&h, &order), "CloseDate"), expected);
}

#[tokio::test]
async fn contact_roles_link_the_contact_in_the_configured_role_or_not_at_all() {
    let (h, order) = order_under(|s| s.contact_role = "Economic Buyer".into(), false).await;
    let opp = opportunity(&h, &order);
    let role = h.one("OpportunityContactRole", "OpportunityId", text(&opp, "Id"));
    assert_eq!(text(&role, "Role"), "Economic Buyer");
    assert_eq!(
        text(&role, "ContactId"),
        text(&h.one("Contact", "Email", "ada@example.com"), "Id")
    );

    let (h, _) = order_under(|s| s.contact_roles = false, false).await;
    assert!(h.records("OpportunityContactRole").is_empty());
}

#[tokio::test]
async fn the_draft_stage_holds_an_open_unmapped_order() {
    let (h, order) = order_under(
        |s| {
            s.stage_mapping.remove(&OrderStatus::PendingPayment);
            s.draft_stage = "Qualification".into();
        },
        false,
    )
    .await;
    assert_eq!(text(&opportunity(&h, &order), "StageName"), "Qualification");
}

#[tokio::test]
async fn the_stage_mapping_follows_the_order_status() {
    let (h, order) = order_under(
        |s| {
            s.stage_mapping
                .insert(OrderStatus::Cancelled, "Closed Lost".into());
        },
        false,
    )
    .await;
    let cancel = h
        .app
        .call(
            reqwest::Method::POST,
            &format!("/v1/orders/{order}/cancel"),
            &storesync_tests::Auth::customer("cust-1"),
            Some(json!({})),
        )
        .await;
    assert_eq!(cancel.status, 200, "{:?}", cancel.body);
    h.sync().await;
    assert_eq!(text(&opportunity(&h, &order), "StageName"), "Closed Lost");
}

#[tokio::test]
async fn payment_converts_the_opportunity_to_the_configured_stage_or_keeps_the_mapping() {
    let (h, order) = order_under(|s| s.converted_stage = "Closed Won".into(), true).await;
    let opp = opportunity(&h, &order);
    assert_eq!(text(&opp, "StageName"), "Closed Won");
    assert_eq!(opp["IsWon"], json!(true));

    let (h, order) = order_under(
        |s| {
            s.convert_on_payment = false;
            s.stage_mapping
                .insert(OrderStatus::Paid, "Negotiation/Review".into());
        },
        true,
    )
    .await;
    assert_eq!(
        text(&opportunity(&h, &order), "StageName"),
        "Negotiation/Review"
    );
}

#[tokio::test]
async fn the_invoice_date_becomes_the_close_date_when_the_setting_is_on() {
    let (h, order) = order_under(
        |s| {
            s.sales_cycle_days = 90;
            s.invoice_date_as_close_date = true;
        },
        true,
    )
    .await;
    let today = Utc::now().date_naive().to_string();
    assert_eq!(text(&opportunity(&h, &order), "CloseDate"), today);

    let (h, order) = order_under(|s| s.sales_cycle_days = 90, true).await;
    assert_ne!(text(&opportunity(&h, &order), "CloseDate"), today);
}

#[tokio::test]
async fn a_refund_after_payment_loses_the_opportunity_and_marks_the_order() {
    let h = SyncHarness::start().await;
    h.register("cust-1", "ada@example.com", None).await;
    let (order, total) = h.order("cust-1", 1).await;
    h.pay(&order, total).await;
    h.sync().await;
    assert_eq!(text(&opportunity(&h, &order), "StageName"), "Closed Won");
    h.refund(&order, total).await;
    h.sync().await;
    assert_eq!(text(&opportunity(&h, &order), "StageName"), "Closed Lost");
    let sf_order = h.one("Order", "Storesync_Order_Id__c", &order);
    assert_eq!(text(&sf_order, "Storesync_Status__c"), "refunded");
    assert_eq!(
        text(&sf_order, "Status"),
        "Activated",
        "an activated Order stays so"
    );
}
