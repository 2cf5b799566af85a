//! Customers and orders reach Salesforce (the emulator over HTTP): matched as the connector
//! spec says, never duplicated, each seed-003 setting doing what it says, failures visible
//! and nothing lost.

use serde_json::json;
use storesync_core::sync::status::{CrmObject, SyncState};
use storesync_tests::crm::{SyncHarness, text};

const WEB_EMAIL: &str = "Jane.Doe@Example.COM";

/// A registered customer's first order, placed and paid, synced; returns the order id.
async fn first_order_paid(h: &SyncHarness, customer: &str, email: &str) -> String {
    h.register(customer, email, None).await;
    let (order, total) = h.order(customer, 2).await;
    h.pay(&order, total).await;
    h.sync().await;
    order
}

// --- customer matching (seed 002), e-mail stored in mixed case ---

#[tokio::test]
async fn a_customer_without_orders_becomes_one_lead_with_its_source() {
    let h = SyncHarness::start().await;
    h.register("lead-1", WEB_EMAIL, None).await;
    h.sync().await;
    let lead = h.one("Lead", "Email", "jane.doe@example.com");
    assert_eq!(text(&lead, "LeadSource"), "Web");
    assert_eq!(text(&lead, "Company"), "Jane Doe lead-1");
    assert!(h.records("Contact").is_empty() && h.records("Account").is_empty());
    let status = h.customer_sync("lead-1").await;
    assert_eq!(status.state(), SyncState::Synced);
    assert_eq!(
        status.id(CrmObject::Lead).map(|id| id.as_str()),
        lead.get("Id").and_then(|v| v.as_str())
    );
}

#[tokio::test]
async fn a_lead_converted_on_first_purchase_leaves_one_contact_and_one_account() {
    let h = SyncHarness::start().await;
    h.register("conv-1", WEB_EMAIL, None).await;
    h.sync().await;
    let lead_id = text(&h.one("Lead", "Email", WEB_EMAIL), "Id").to_owned();
    let (order, total) = h.order("conv-1", 1).await;
    h.pay(&order, total).await;
    h.sync().await;

    let contact = h.one("Contact", "Email", WEB_EMAIL);
    let account_id = text(&contact, "AccountId").to_owned();
    assert_eq!(h.records("Account").len(), 1);
    let lead = h.emulator.record(&lead_id).expect("the Lead is kept");
    assert_eq!(lead["IsConverted"], json!(true));
    assert_eq!(text(&lead, "ConvertedContactId"), text(&contact, "Id"));
    assert_eq!(text(&lead, "ConvertedAccountId"), account_id);
    assert_eq!(h.records("Lead").len(), 1, "no second Lead");
    let status = h.customer_sync("conv-1").await;
    assert_eq!(
        status.id(CrmObject::Contact).map(|id| id.as_str()),
        Some(text(&contact, "Id"))
    );
}

/// A sales rep: a User other than the integration user.
fn sales_rep(h: &SyncHarness, name: &str) -> String {
    let username = format!("{name}@example.com");
    h.emulator
        .insert(
            "User",
            json!({"Username": username, "LastName": name, "Email": username, "Alias": name}),
        )
        .expect("a User")
}

#[tokio::test]
async fn an_existing_contact_is_used_its_owners_and_account_name_kept() {
    let h = SyncHarness::start().await;
    // New records would be owned by the integration user: the existing ones must not be.
    let default_owner = h.emulator.integration_user_id();
    h.settings(|s| s.default_owner_id = Some(default_owner))
        .await;
    let other_owner = sales_rep(&h, "rep");
    let account = h
        .emulator
        .insert(
            "Account",
            json!({"Name": "Doe Household", "OwnerId": other_owner}),
        )
        .unwrap();
    let contact = h
        .emulator
        .insert(
            "Contact",
            json!({"LastName": "Doe", "Email": "jane.doe@example.com", "AccountId": account, "OwnerId": other_owner}),
        )
        .unwrap();
    first_order_paid(&h, "known-1", WEB_EMAIL).await;

    assert_eq!(h.records("Contact").len(), 1, "the Contact is reused");
    assert_eq!(h.records("Account").len(), 1, "and its Account");
    let account_now = h.emulator.record(&account).unwrap();
    assert_eq!(
        text(&account_now, "Name"),
        "Doe Household",
        "the name is kept"
    );
    assert_eq!(text(&account_now, "OwnerId"), other_owner);
    assert_eq!(
        text(&h.emulator.record(&contact).unwrap(), "OwnerId"),
        other_owner
    );
    let opportunity = &h.records("Opportunity")[0];
    assert_eq!(text(opportunity, "AccountId"), account);
}

#[tokio::test]
async fn with_overwrite_account_name_on_a_matched_account_takes_the_stores_name() {
    let h = SyncHarness::start().await;
    h.settings(|s| s.overwrite_account_name = true).await;
    let account = h
        .emulator
        .insert("Account", json!({"Name": "Old Name"}))
        .unwrap();
    h.emulator
        .insert(
            "Contact",
            json!({"LastName": "Doe", "Email": "jane.doe@example.com", "AccountId": account}),
        )
        .unwrap();
    first_order_paid(&h, "rename-1", WEB_EMAIL).await;
    assert_eq!(
        text(&h.emulator.record(&account).unwrap(), "Name"),
        "Jane Doe rename-1"
    );
}

#[tokio::test]
async fn a_matching_account_gets_a_new_contact_owned_by_the_account_owner() {
    let h = SyncHarness::start().await;
    let default_owner = h.emulator.integration_user_id();
    h.settings(|s| s.default_owner_id = Some(default_owner))
        .await;
    let owner = sales_rep(&h, "owner");
    let account = h
        .emulator
        .insert("Account", json!({"Name": "Acme Corp", "OwnerId": owner}))
        .unwrap();
    h.register("b2b-1", WEB_EMAIL, Some("Acme Corp")).await;
    let (order, total) = h.order("b2b-1", 1).await;
    h.pay(&order, total).await;
    h.sync().await;
    let contact = h.one("Contact", "Email", WEB_EMAIL);
    assert_eq!(text(&contact, "AccountId"), account);
    assert_eq!(text(&contact, "OwnerId"), owner);
    assert_eq!(h.records("Account").len(), 1, "no second Account");
}

#[tokio::test]
async fn a_new_customer_with_orders_gets_account_and_contact_with_the_default_owner() {
    let h = SyncHarness::start().await;
    let owner = sales_rep(&h, "default");
    h.settings(|s| s.default_owner_id = Some(owner.clone()))
        .await;
    first_order_paid(&h, "new-1", WEB_EMAIL).await;
    let contact = h.one("Contact", "Email", WEB_EMAIL);
    let account = h
        .emulator
        .record(text(&contact, "AccountId"))
        .expect("an Account");
    assert_eq!(text(&account, "Name"), "Jane Doe new-1");
    assert_eq!(text(&account, "OwnerId"), owner);
    assert_eq!(text(&contact, "OwnerId"), owner);
    let leads = h.records("Lead");
    assert_eq!(leads.len(), 1, "the registration's Lead, converted");
    assert_eq!(leads[0]["IsConverted"], json!(true));
}

#[tokio::test]
async fn a_lead_converted_by_a_guest_order_is_followed_to_its_contact() {
    let h = SyncHarness::start().await;
    h.register("twin-1", "twin@example.com", None).await;
    h.sync().await;
    h.guest_order("TWIN@example.com").await;
    h.sync().await;
    let lead = &h.records("Lead")[0];
    assert_eq!(
        lead["IsConverted"],
        json!(true),
        "the guest's order converted it"
    );

    // The registered customer, still a Lead as far as the store knew, changes her name.
    let changed = h
        .app
        .call(
            reqwest::Method::PATCH,
            "/v1/customers/me",
            &storesync_tests::Auth::customer("twin-1"),
            Some(json!({"last_name": "Twin"})),
        )
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    let messages = h.take_messages().await;
    let consumer = h.consumer();
    let deliver = |n| {
        messages
            .iter()
            .map(|m| order_events::Delivery {
                id: m.id.clone(),
                group: m.group.clone(),
                body: m.body.clone(),
                receive_count: n,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(consumer.consume(&deliver(1)).await.len(), 1, "tried again");
    assert!(consumer.consume(&deliver(2)).await.is_empty());
    assert_eq!(h.customer_sync("twin-1").await.state(), SyncState::Synced);
    let contact = h.one("Contact", "Email", "twin@example.com");
    assert_eq!(text(&contact, "LastName"), "Twin");
    assert_eq!(h.records("Lead").len(), 1);
}

#[tokio::test]
async fn the_whole_sync_runs_the_same_over_dynamodb() {
    let h = SyncHarness::start_on(storesync_tests::Backend::dynamodb().await).await;
    h.register("dyn-1", WEB_EMAIL, None).await;
    h.sync().await;
    let (first, total) = h.order("dyn-1", 2).await;
    h.pay(&first, total).await;
    h.sync().await;
    let (second, total) = h.order("dyn-1", 1).await;
    h.pay(&second, total).await;
    h.sync().await;

    assert_eq!(h.records("Contact").len(), 1);
    assert_eq!(h.records("Account").len(), 1);
    assert_eq!(h.records("Lead")[0]["IsConverted"], json!(true));
    assert_eq!(
        h.records("PricebookEntry").len(),
        1,
        "the price is remembered"
    );
    for order in [&first, &second] {
        let status = h.order_sync(order).await;
        assert_eq!(status.state(), SyncState::Synced, "{status:?}");
        let sf_order = h.one("Order", "Storesync_Order_Id__c", order);
        assert_eq!(text(&sf_order, "Status"), "Activated");
    }
    assert_eq!(h.customer_sync("dyn-1").await.state(), SyncState::Synced);
}
