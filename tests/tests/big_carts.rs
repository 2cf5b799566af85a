//! Big carts, end to end: a registered customer's cart that reaches USD 500.00 opens one
//! Opportunity while it is filled; each later change of the cart (through the outbox, as a
//! `cart.updated` event) updates that Opportunity, and the order placed from the cart moves
//! the same Opportunity on to its order's stages. A customer who has not ordered keeps their
//! Lead, which shows the cart's value. Salesforce is the project's emulator, read as sales
//! would; events are delivered by hand so that every one can be delivered again.

use order_events::Delivery;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use storesync_core::events::{EventType, OutboxEvent};
use storesync_core::ids::CartId;
use storesync_core::sync::status::{CartReason, CrmObject, SyncState};
use storesync_sf_emulator::Record;
use storesync_tests::app::{Auth, Reply, shipping_body};
use storesync_tests::crm::{SyncHarness, text};
use storesync_tests::{Backend, against_both_stores};

/// Takes the events waiting on the queue and delivers them once, as SQS would; returns
/// them, to be delivered again.
async fn deliver(h: &SyncHarness) -> Vec<Delivery> {
    let deliveries: Vec<Delivery> = h
        .take_messages()
        .await
        .into_iter()
        .map(|m| Delivery {
            id: m.id,
            group: m.group,
            body: m.body,
            receive_count: 1,
        })
        .collect();
    let failed = h.consumer().consume(&deliveries).await;
    assert!(failed.is_empty(), "every event is applied: {failed:?}");
    deliveries
}

fn event_types(deliveries: &[Delivery]) -> Vec<EventType> {
    deliveries
        .iter()
        .map(|d| {
            serde_json::from_str::<OutboxEvent>(&d.body)
                .expect("an outbox event")
                .event_type
        })
        .collect()
}

/// What the cart is worth to sales: the goods after the discount, in dollars.
fn goods_value(cart: &Value) -> f64 {
    let totals = &cart["totals"];
    let minor = totals["subtotal"]["minor_units"]
        .as_i64()
        .expect("subtotal")
        - totals["discount"]["minor_units"]
            .as_i64()
            .expect("discount");
    minor as f64 / 100.0
}

async fn set_line(h: &SyncHarness, auth: &Auth, cart: &str, sku: &str, quantity: i64) -> Value {
    let reply = h
        .app
        .call(
            Method::PUT,
            &format!("/v1/carts/{cart}/lines/{sku}"),
            auth,
            Some(json!({ "quantity": quantity })),
        )
        .await;
    ok(reply)
}

fn ok(reply: Reply) -> Value {
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body
}

async fn new_cart(h: &SyncHarness, auth: &Auth) -> String {
    let created = h
        .app
        .call(
            Method::POST,
            "/v1/carts",
            auth,
            Some(json!({"currency": "USD"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    created.body["id"].as_str().expect("a cart id").to_owned()
}

/// A customer who has ordered before: a Contact with an Account in Salesforce.
async fn known_customer(h: &SyncHarness, id: &str) -> Auth {
    h.register(id, &format!("{id}@example.com"), None).await;
    h.order(id, 1).await;
    deliver(h).await;
    assert_eq!(h.records("Contact").len(), 1);
    assert_eq!(h.records("Opportunity").len(), 1, "the first order's");
    Auth::customer(id)
}

async fn a_big_cart_is_one_opportunity_that_its_edits_update_and_its_order_moves_on(b: Backend) {
    let h = SyncHarness::start_on(b).await;
    let auth = known_customer(&h, "big-1").await;
    let first_order = h.records("Opportunity")[0]["Id"].clone();
    let cart = new_cart(&h, &auth).await;

    // USD 480.00: not big yet, nothing goes to Salesforce.
    set_line(&h, &auth, &cart, "MUG-WHT", 40).await;
    assert!(h.take_messages().await.is_empty(), "no event below USD 500");
    let calls = h.emulator.api_calls();

    // USD 504.00: big. One event, one Opportunity at the big-cart stage, by the cart's id.
    let crossed = set_line(&h, &auth, &cart, "MUG-WHT", 42).await;
    let mut all = deliver(&h).await;
    assert_eq!(event_types(&all), [EventType::CartUpdated]);
    assert_eq!(
        h.emulator.api_calls() - calls,
        1,
        "a known customer's big cart is one Composite Graph"
    );
    let opportunity = |h: &SyncHarness| -> Record {
        let found: Vec<Record> = h
            .records("Opportunity")
            .into_iter()
            .filter(|o| o["Id"] != first_order)
            .collect();
        assert_eq!(found.len(), 1, "one Opportunity for the cart: {found:?}");
        found.into_iter().next().expect("one")
    };
    let opened = opportunity(&h);
    assert_eq!(text(&opened, "StageName"), "Prospecting");
    assert_eq!(opened["Amount"], json!(504.0));
    assert_eq!(opened["Amount"], json!(goods_value(&crossed)));
    assert!(text(&opened, "Name").starts_with("Cart "), "{opened:?}");
    assert!(text(&opened, "Description").contains("42 x"), "{opened:?}");
    let contact = h.one("Contact", "Email", "big-1@example.com");
    assert_eq!(opened["AccountId"], contact["AccountId"]);
    let mut stages = vec![text(&opened, "StageName").to_owned()];

    // Three more edits, one of them below the threshold again: the same Opportunity follows.
    for edit in 0..3 {
        if let Some(counter) = h.app.backend.request_counter() {
            counter.reset();
        }
        let cart_now = match edit {
            0 => set_line(&h, &auth, &cart, "HOODIE-GRY-L", 1).await,
            1 => set_line(&h, &auth, &cart, "MUG-WHT", 30).await,
            _ => ok(h
                .app
                .call(
                    Method::PUT,
                    &format!("/v1/carts/{cart}/discount"),
                    &auth,
                    Some(json!({"code": "SAVE5"})),
                )
                .await),
        };
        if let (2, Some(counter)) = (edit, h.app.backend.request_counter()) {
            let ops: Vec<(String, u64)> = counter.by_operation().into_iter().collect();
            assert_eq!(
                ops,
                [
                    ("GetItem".to_owned(), 2),
                    ("TransactWriteItems".to_owned(), 1),
                    ("UpdateItem".to_owned(), 1)
                ],
                "a big cart's discount: the cart read, the cart and its event written together, \
                 the event marked sent, the customer read for her account's terms (she has \
                 none); the thresholds are not read for a cart already big"
            );
        }
        let delivered = deliver(&h).await;
        assert_eq!(
            event_types(&delivered),
            [EventType::CartUpdated],
            "edit {edit}"
        );
        all.extend(delivered);
        let updated = opportunity(&h);
        assert_eq!(updated["Id"], opened["Id"], "edit {edit}");
        assert_eq!(
            updated["Amount"],
            json!(goods_value(&cart_now)),
            "edit {edit}"
        );
        stages.push(text(&updated, "StageName").to_owned());
    }
    assert_eq!(
        opportunity(&h)["Amount"],
        json!(404.99),
        "USD 360.00 of mugs, a hoodie, USD 5.00 off"
    );
    assert!(text(&opportunity(&h), "Description").contains("Discount code SAVE5"));
    let sync = h
        .store
        .cart_sync(&CartId::parse(&cart).unwrap())
        .await
        .unwrap()
        .expect("the cart's sync status");
    assert_eq!(sync.state(), SyncState::Synced);
    assert_eq!(sync.reason, CartReason::Big);
    assert_eq!(
        sync.id(CrmObject::Opportunity).map(|id| id.as_str()),
        opened["Id"].as_str()
    );

    // The order: the same Opportunity moves on to the order's stage, then is won.
    let placed = h
        .app
        .checkout(
            &auth,
            &format!("/v1/carts/{cart}"),
            "big-order",
            &shipping_body(),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
    let order_id = placed.body["id"].as_str().unwrap().to_owned();
    let total = placed.body["totals"]["total"]["minor_units"]
        .as_i64()
        .unwrap();
    all.extend(deliver(&h).await);
    let moved = opportunity(&h);
    assert_eq!(
        moved["Id"], opened["Id"],
        "the order made no second Opportunity"
    );
    assert!(text(&moved, "Name").starts_with("SO-"), "{moved:?}");
    stages.push(text(&moved, "StageName").to_owned());
    h.pay(&order_id, total).await;
    all.extend(deliver(&h).await);
    let won = opportunity(&h);
    assert_eq!(won["Id"], opened["Id"]);
    assert_eq!(won["Amount"], json!(total as f64 / 100.0));
    stages.push(text(&won, "StageName").to_owned());
    assert_eq!(
        stages,
        [
            "Prospecting",
            "Prospecting",
            "Prospecting",
            "Prospecting",
            "Proposal/Price Quote",
            "Closed Won"
        ]
    );
    assert_eq!(
        h.records("OpportunityContactRole").len(),
        2,
        "one role on each Opportunity"
    );
    let order_sync = h.order_sync(&order_id).await;
    assert_eq!(
        order_sync.id(CrmObject::Opportunity).map(|id| id.as_str()),
        opened["Id"].as_str()
    );

    // Every event of the cart and its order, delivered twice more: nothing changes, not a
    // single call to Salesforce.
    assert_eq!(
        event_types(&all),
        [
            EventType::CartUpdated,
            EventType::CartUpdated,
            EventType::CartUpdated,
            EventType::CartUpdated,
            EventType::OrderPlaced,
            EventType::OrderPaid
        ]
    );
    let before = (
        h.records("Opportunity"),
        h.records("Contact"),
        h.records("Account"),
        h.records("Order"),
        h.records("OpportunityContactRole"),
    );
    let calls = h.emulator.api_calls();
    for _ in 0..2 {
        assert!(h.consumer().consume(&all).await.is_empty());
    }
    assert_eq!(
        h.emulator.api_calls(),
        calls,
        "a replay asks Salesforce nothing"
    );
    let after = (
        h.records("Opportunity"),
        h.records("Contact"),
        h.records("Account"),
        h.records("Order"),
        h.records("OpportunityContactRole"),
    );
    assert_eq!(after, before);
}

async fn a_big_cart_of_a_customer_who_has_not_ordered_shows_its_value_on_their_lead(b: Backend) {
    let h = SyncHarness::start_on(b).await;
    h.register("lead-1", "lead-1@example.com", None).await;
    deliver(&h).await;
    let lead = h.one("Lead", "Email", "lead-1@example.com");
    assert!(
        lead.get("Storesync_Cart_Value__c")
            .is_none_or(Value::is_null)
    );
    let auth = Auth::customer("lead-1");
    let cart = new_cart(&h, &auth).await;

    set_line(&h, &auth, &cart, "HOODIE-GRY-L", 11).await;
    let calls = h.emulator.api_calls();
    let delivered = deliver(&h).await;
    assert_eq!(event_types(&delivered), [EventType::CartUpdated]);
    assert_eq!(h.emulator.api_calls() - calls, 1, "one graph, no lookup");
    let valued = h.one("Lead", "Id", lead["Id"].as_str().unwrap());
    assert_eq!(valued["Storesync_Cart_Value__c"], json!(549.89));
    assert_eq!(
        valued["IsConverted"],
        json!(false),
        "a big cart converts no one"
    );
    assert!(text(&valued, "Description").contains("11 x"), "{valued:?}");
    assert!(h.records("Opportunity").is_empty());
    assert!(h.records("Contact").is_empty());

    set_line(&h, &auth, &cart, "HOODIE-GRY-L", 12).await;
    deliver(&h).await;
    let leads = h.records("Lead");
    assert_eq!(leads.len(), 1, "{leads:?}");
    assert_eq!(leads[0]["Storesync_Cart_Value__c"], json!(599.88));
    assert!(h.records("Opportunity").is_empty());

    // The order converts the Lead: the Opportunity comes with it.
    let placed = h
        .app
        .checkout(
            &auth,
            &format!("/v1/carts/{cart}"),
            "lead-order",
            &shipping_body(),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
    deliver(&h).await;
    let converted = h.one("Lead", "Id", lead["Id"].as_str().unwrap());
    assert_eq!(converted["IsConverted"], json!(true));
    let opportunities = h.records("Opportunity");
    assert_eq!(opportunities.len(), 1, "{opportunities:?}");
    assert!(text(&opportunities[0], "Name").starts_with("SO-"));
}

against_both_stores!(
    a_big_cart_is_one_opportunity_that_its_edits_update_and_its_order_moves_on,
    a_big_cart_of_a_customer_who_has_not_ordered_shows_its_value_on_their_lead,
);

#[tokio::test]
async fn without_big_carts_for_its_currency_a_cart_sends_nothing() {
    let h = SyncHarness::start().await;
    h.settings(|s| {
        s.big_cart_over
            .remove(&storesync_core::money::Currency::USD);
    })
    .await;
    let auth = known_customer(&h, "no-big").await;
    let cart = new_cart(&h, &auth).await;
    set_line(&h, &auth, &cart, "MUG-WHT", 100).await;
    assert!(
        h.take_messages().await.is_empty(),
        "USD 1,200.00, no threshold"
    );
    assert_eq!(h.records("Opportunity").len(), 1, "the first order's only");
}

#[tokio::test]
async fn with_automatic_sync_of_carts_off_a_big_cart_waits_for_an_operator() {
    let h = SyncHarness::start().await;
    h.settings(|s| s.auto_sync_carts = false).await;
    let auth = known_customer(&h, "held").await;
    let cart = new_cart(&h, &auth).await;
    set_line(&h, &auth, &cart, "MUG-WHT", 50).await;
    let calls = h.emulator.api_calls();
    let delivered = deliver(&h).await;
    assert_eq!(event_types(&delivered), [EventType::CartUpdated]);
    assert_eq!(h.emulator.api_calls(), calls, "nothing sent");
    assert_eq!(h.records("Opportunity").len(), 1, "the first order's only");
    let sync = h
        .store
        .cart_sync(&CartId::parse(&cart).unwrap())
        .await
        .unwrap()
        .expect("the waiting cart");
    assert_eq!(sync.state(), SyncState::Pending);

    let (carts, _) = h.abandoned_carts();
    carts
        .sync_now(&CartId::parse(&cart).unwrap())
        .await
        .expect("an operator's sync");
    let opportunities = h.records_where("Opportunity", "StageName", "Prospecting");
    assert_eq!(opportunities.len(), 1, "the big cart, at its stage");
    assert_eq!(opportunities[0]["Amount"], json!(600.0));
}
