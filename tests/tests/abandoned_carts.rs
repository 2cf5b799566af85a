//! Abandoned carts, end to end: a shopper reaches the payment step and leaves; the scheduled
//! job tells sales (a customer's cart as an Opportunity at the configured stage, a guest's as
//! a Lead), once; an edit updates the same record; the order that follows carries the
//! Opportunity on. Salesforce is the project's emulator, read as sales would.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use storesync_core::ids::CartId;
use storesync_core::sync::abandoned::AbandonedSummary;
use storesync_core::sync::status::{CrmObject, SyncState};
use storesync_tests::app::{Auth, shipping_body};
use storesync_tests::crm::{SyncHarness, text};
use storesync_tests::{Backend, against_both_stores};

/// The stage the store owner chose for abandoned carts.
const STAGE: &str = "Qualification";

/// Runs the job over every cart at checkout (no idle time), as the schedule would.
async fn run_job(h: &SyncHarness) -> (AbandonedSummary, u64) {
    let (carts, client) = h.abandoned_carts();
    let summary = carts
        .run(Duration::zero(), &|| true)
        .await
        .expect("the job runs");
    (summary, client.api_calls())
}

async fn begin_checkout(h: &SyncHarness, auth: &Auth, cart_path: &str, body: Value) -> Value {
    let reply = h
        .app
        .call(
            Method::POST,
            &format!("{cart_path}/begin-checkout"),
            auth,
            Some(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body
}

fn minor_units(body: &Value) -> i64 {
    body["totals"]["subtotal"]["minor_units"]
        .as_i64()
        .expect("a subtotal")
}

async fn a_customers_abandoned_cart_is_one_opportunity_that_the_order_moves_on(b: Backend) {
    let h = SyncHarness::start_on(b).await;
    h.settings(|s| s.abandoned_cart_stage = STAGE.into()).await;
    h.register("c1", "jane@example.com", None).await;
    let auth = Auth::customer("c1");
    let cart = h.app.cart_with(&auth, "MUG-WHT", 2).await;
    let path = format!("/v1/carts/{cart}");
    let at_checkout = begin_checkout(&h, &auth, &path, json!({})).await;
    assert_eq!(at_checkout["status"], "checkout");
    let value = minor_units(&at_checkout);

    let (summary, calls) = run_job(&h).await;
    assert_eq!(summary.carts_synced, 1, "{summary:?}");
    let opportunities = h.records("Opportunity");
    assert_eq!(opportunities.len(), 1, "{opportunities:?}");
    let opportunity = &opportunities[0];
    assert_eq!(text(opportunity, "StageName"), STAGE);
    assert_eq!(opportunity["Amount"], json!(value as f64 / 100.0));
    assert!(
        text(opportunity, "Description").contains("2 x"),
        "{opportunity:?}"
    );
    let contact = h.one("Contact", "Email", "jane@example.com");
    assert_eq!(opportunity["AccountId"], contact["AccountId"]);
    assert_eq!(h.records("OpportunityContactRole").len(), 1);
    let sync = h
        .store
        .cart_sync(&CartId::parse(&cart).unwrap())
        .await
        .unwrap()
        .expect("the cart's sync status");
    assert_eq!(sync.state(), SyncState::Synced);
    assert_eq!(
        sync.id(CrmObject::Opportunity)
            .map(|id| id.as_str().to_owned()),
        opportunity["Id"].as_str().map(str::to_owned)
    );

    // Again: nothing new, not a single call.
    let before = h.records("Opportunity");
    let (again, calls_again) = run_job(&h).await;
    assert_eq!(
        (again.carts_synced, again.carts_unchanged),
        (0, 1),
        "{again:?}"
    );
    assert_eq!(calls_again, 0, "an unchanged cart costs no Salesforce call");
    assert_eq!(h.records("Opportunity"), before);
    assert!(calls > 0);

    // The shopper comes back and changes the cart: the same Opportunity follows.
    let edited = h.app.set_line_quantity(&auth, &cart, "MUG-WHT", 3).await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    assert_eq!(edited.body["status"], "checkout", "still at checkout");
    let (after_edit, _) = run_job(&h).await;
    assert_eq!(after_edit.carts_synced, 1, "{after_edit:?}");
    let opportunities = h.records("Opportunity");
    assert_eq!(opportunities.len(), 1, "{opportunities:?}");
    assert_eq!(opportunities[0]["Id"], opportunity["Id"]);
    assert_eq!(
        opportunities[0]["Amount"],
        json!(minor_units(&edited.body) as f64 / 100.0)
    );
    assert!(text(&opportunities[0], "Description").contains("3 x"));

    // The order comes: the same Opportunity moves on, and the payment wins it.
    let placed = h
        .app
        .checkout(&auth, &path, "order-1", &shipping_body())
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
    let order_id = placed.body["id"].as_str().unwrap().to_owned();
    let total = placed.body["totals"]["total"]["minor_units"]
        .as_i64()
        .unwrap();
    h.sync().await;
    let opportunities = h.records("Opportunity");
    assert_eq!(
        opportunities.len(),
        1,
        "the order made no second Opportunity"
    );
    assert_eq!(opportunities[0]["Id"], opportunity["Id"]);
    assert_eq!(text(&opportunities[0], "StageName"), "Proposal/Price Quote");
    assert!(
        text(&opportunities[0], "Name").starts_with("SO-"),
        "{:?}",
        opportunities[0]
    );
    assert_eq!(
        h.records("OpportunityContactRole").len(),
        1,
        "one role still"
    );
    h.pay(&order_id, total).await;
    h.sync().await;
    let won = h.one("Opportunity", "Id", opportunity["Id"].as_str().unwrap());
    assert_eq!(text(&won, "StageName"), "Closed Won");
    assert_eq!(won["Amount"], json!(total as f64 / 100.0));

    // A converted cart is no longer abandoned.
    let (after_order, calls_after_order) = run_job(&h).await;
    assert_eq!(after_order, AbandonedSummary::default());
    assert_eq!(calls_after_order, 0);
}

async fn a_guests_abandoned_cart_is_one_lead_updated_by_edits(b: Backend) {
    let h = SyncHarness::start_on(b).await;
    let (cart, guest) = h.guest_cart().await;
    let path = format!("/v1/guest-carts/{cart}");
    let at_checkout = begin_checkout(&h, &guest, &path, json!({"email": "Ada@Example.com"})).await;
    assert_eq!(at_checkout["contact_email"], "Ada@Example.com");

    let (summary, _) = run_job(&h).await;
    assert_eq!(summary.carts_synced, 1, "{summary:?}");
    let lead = h.one("Lead", "Email", "ada@example.com");
    assert!(text(&lead, "Description").contains("1 x"), "{lead:?}");
    assert_eq!(text(&lead, "LastName"), "Ada");
    assert!(
        h.records("Opportunity").is_empty(),
        "a guest's cart is a Lead"
    );

    let (again, calls) = run_job(&h).await;
    assert_eq!((again.carts_unchanged, calls), (1, 0), "{again:?}");

    let edited = h
        .app
        .call(
            Method::PUT,
            &format!("{path}/lines/MUG-WHT"),
            &guest,
            Some(json!({"quantity": 4})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    run_job(&h).await;
    let leads = h.records("Lead");
    assert_eq!(leads.len(), 1, "{leads:?}");
    assert_eq!(leads[0]["Id"], lead["Id"]);
    assert!(
        text(&leads[0], "Description").contains("4 x"),
        "{:?}",
        leads[0]
    );

    // The checkout may leave the e-mail out now: the one given at the payment step is used.
    let placed = h
        .app
        .checkout(&guest, &path, "guest-1", &shipping_body())
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
    h.sync().await;
    let lead = h.one("Lead", "Id", lead["Id"].as_str().unwrap());
    assert_eq!(
        lead["IsConverted"],
        json!(true),
        "the guest's order converts the Lead"
    );
}

against_both_stores!(
    a_customers_abandoned_cart_is_one_opportunity_that_the_order_moves_on,
    a_guests_abandoned_cart_is_one_lead_updated_by_edits,
);

#[tokio::test]
async fn with_automatic_sync_off_a_cart_waits_and_an_operators_sync_sends_it() {
    let h = SyncHarness::start().await;
    h.settings(|s| s.auto_sync_carts = false).await;
    h.register("c2", "max@example.com", None).await;
    let auth = Auth::customer("c2");
    let cart = h.app.cart_with(&auth, "MUG-WHT", 1).await;
    begin_checkout(&h, &auth, &format!("/v1/carts/{cart}"), json!({})).await;

    let (summary, calls) = run_job(&h).await;
    assert_eq!(
        (summary.carts_waiting, summary.carts_synced),
        (1, 0),
        "{summary:?}"
    );
    assert_eq!(calls, 0);
    assert!(h.records("Opportunity").is_empty());
    let (again, _) = run_job(&h).await;
    assert_eq!(
        again.carts_unchanged, 1,
        "waiting is recorded once: {again:?}"
    );

    let admin = Auth::Customer("ops-1:admin".into());
    let listed = h
        .app
        .get("/v1/admin/sync/carts?state=pending", &admin)
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["cart_id"], json!(cart));

    let requested = h
        .app
        .call(
            Method::POST,
            "/v1/admin/sync/requests",
            &admin,
            Some(json!({"carts": [cart]})),
        )
        .await;
    assert_eq!(
        requested.status,
        StatusCode::ACCEPTED,
        "{:?}",
        requested.body
    );
    assert_eq!(requested.body["carts"], 1);
    h.sync().await;
    let opportunity = h.one("Opportunity", "StageName", "Qualification");
    assert!(
        text(&opportunity, "Name").starts_with("Cart "),
        "{opportunity:?}"
    );
    let synced = h.app.get("/v1/admin/sync/carts?state=synced", &admin).await;
    assert_eq!(synced.body["items"][0]["cart_id"], json!(cart));
    let link = synced.body["items"][0]["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["object"] == "Opportunity")
        .expect("the Opportunity record");
    assert_eq!(link["id"], opportunity["Id"]);
}

#[tokio::test]
async fn the_payment_step_refuses_a_guest_without_email_and_an_empty_or_closed_cart() {
    let h = SyncHarness::start().await;
    let (cart, guest) = h.guest_cart().await;
    let path = format!("/v1/guest-carts/{cart}");
    let missing = h
        .app
        .call(
            Method::POST,
            &format!("{path}/begin-checkout"),
            &guest,
            Some(json!({})),
        )
        .await;
    assert_eq!(
        missing.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        missing.body
    );
    assert_eq!(missing.body["errors"][0]["field"], "email");
    let bad = h
        .app
        .call(
            Method::POST,
            &format!("{path}/begin-checkout"),
            &guest,
            Some(json!({"email": "not an address"})),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        bad.body
    );
    let unchanged = h.app.get(&path, &guest).await;
    assert_eq!(unchanged.body["status"], "open", "refusals change nothing");

    h.register("c3", "eve@example.com", None).await;
    let auth = Auth::customer("c3");
    let empty = h
        .app
        .call(
            Method::POST,
            "/v1/carts",
            &auth,
            Some(json!({"currency": "USD"})),
        )
        .await;
    let empty_id = empty.body["id"].as_str().unwrap();
    let refused = h
        .app
        .call(
            Method::POST,
            &format!("/v1/carts/{empty_id}/begin-checkout"),
            &auth,
            Some(json!({})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
    assert_eq!(refused.problem(), "empty-cart");

    // Twice is once; after the order, the cart is closed.
    let full = h.app.cart_with(&auth, "MUG-WHT", 1).await;
    let full_path = format!("/v1/carts/{full}");
    let first = begin_checkout(&h, &auth, &full_path, json!({})).await;
    let second = begin_checkout(&h, &auth, &full_path, json!({})).await;
    assert_eq!(
        first["version"], second["version"],
        "repeating it changes nothing"
    );
    let placed = h
        .app
        .checkout(&auth, &full_path, "k", &shipping_body())
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
    let closed = h
        .app
        .call(
            Method::POST,
            &format!("{full_path}/begin-checkout"),
            &auth,
            Some(json!({})),
        )
        .await;
    assert_eq!(closed.status, StatusCode::CONFLICT, "{:?}", closed.body);
    assert_eq!(closed.problem(), "cart-closed");
}
