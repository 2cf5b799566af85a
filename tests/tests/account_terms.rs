//! Account terms from Salesforce at the storefront, on both stores: the account's discount,
//! tax exemption and shipping on its carrier account in the cart and at checkout; paying by
//! purchase order only on purchase-order terms; and guest orders placed with a customer's
//! e-mail in her order history.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use storesync_core::accounts::{AccountTerms, PaymentTerms};
use storesync_core::fulfilment::process::Fulfilment;
use storesync_core::ports::SystemClock;
use storesync_tests::accounts::{account, call_verified, invite_contact, join_account};
use storesync_tests::{Auth, Backend, TestApp, against_both_stores};

const SKU: &str = "TSHIRT-BLK-M";

fn to_germany(extra: Value) -> Value {
    let mut body = json!({
        "shipping_address": {
            "line1": "Hauptstr. 1", "city": "Berlin", "postal_code": "10115", "country": "DE"
        }
    });
    for (k, v) in extra.as_object().expect("an object") {
        body[k] = v.clone();
    }
    body
}

fn by_purchase_order(number: &str) -> Value {
    json!({ "payment_method": "purchase_order", "purchase_order_number": number })
}

fn minor(v: &Value) -> i64 {
    v["minor_units"]
        .as_i64()
        .unwrap_or_else(|| panic!("an amount: {v}"))
}

fn on_purchase_order() -> AccountTerms {
    AccountTerms {
        payment_terms: PaymentTerms::PurchaseOrder,
        ship_on_account: true,
        shipping_account: Some("UPS-4711".into()),
        tax_exempt: true,
        ..AccountTerms::default()
    }
}

fn discounted(bps: u32) -> AccountTerms {
    AccountTerms {
        discount_bps: bps,
        ..AccountTerms::default()
    }
}

async fn a_contact_added_to_a_synced_account_claims_her_profile_and_sees_its_discount_in_a_new_cart(
    b: Backend,
) {
    let app = TestApp::spawn(b).await;
    let sefton = account("001000000000001AAA", "Sefton Services", discounted(1250));
    invite_contact(&app, "003000000000001AAA", "Nita@Example.com", &sefton).await;

    let registered = call_verified(
        &app,
        Method::POST,
        "/v1/customers",
        "nita",
        "nita@example.com",
        Some(json!({"email": "nita@example.com", "first_name": "Nita", "last_name": "Sefton"})),
    )
    .await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{:?}",
        registered.body
    );
    assert_eq!(registered.body["account_id"], "001000000000001AAA");

    let nita = Auth::customer("nita");
    let created = app
        .call(
            Method::POST,
            "/v1/carts",
            &nita,
            Some(json!({"currency": "USD"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let account = &created.body["account"];
    assert_eq!(account["name"], "Sefton Services");
    assert_eq!(account["discount_percent"], 12.5);
    assert_eq!(account["payment_terms"], "card");
    assert_eq!(account["tax_exempt"], false);
    assert_eq!(account["ship_on_account"], false);

    let cart = created.body["id"].as_str().unwrap().to_owned();
    let edited = app.set_line_quantity(&nita, &cart, SKU, 2).await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    let totals = &edited.body["totals"];
    assert_eq!(minor(&totals["subtotal"]), 3998);
    assert_eq!(minor(&totals["discount"]), 500, "12.5% of 39.98, rounded");
    assert_eq!(minor(&totals["shipping"]), 500);
    assert_eq!(minor(&totals["total"]), 3998);
    assert_eq!(edited.body["account"]["discount_applied"], true);

    // A 10% code is worse than the account's 12.5%: the account's applies, not both.
    let coded = app
        .call(
            Method::PUT,
            &format!("/v1/carts/{cart}/discount"),
            &nita,
            Some(json!({"code": "WELCOME10"})),
        )
        .await;
    assert_eq!(coded.status, StatusCode::OK, "{:?}", coded.body);
    assert_eq!(minor(&coded.body["totals"]["discount"]), 500);
    assert_eq!(coded.body["account"]["discount_applied"], true);
    // A 25% code is better: it applies instead.
    let better = app
        .call(
            Method::PUT,
            &format!("/v1/carts/{cart}/discount"),
            &nita,
            Some(json!({"code": "VIP25"})),
        )
        .await;
    assert_eq!(minor(&better.body["totals"]["discount"]), 1000);
    assert_eq!(better.body["account"]["discount_applied"], false);

    let read = app.get(&format!("/v1/carts/{cart}"), &nita).await;
    assert_eq!(read.body["account"]["name"], "Sefton Services");

    // Without an account, a customer and a guest see no terms and pay the list price.
    app.register("walt").await;
    let walt = Auth::customer("walt");
    let plain = app.cart_with(&walt, SKU, 2).await;
    let plain = app.get(&format!("/v1/carts/{plain}"), &walt).await;
    assert!(plain.body.get("account").is_none(), "{:?}", plain.body);
    assert_eq!(minor(&plain.body["totals"]["discount"]), 0);
    let guest = app
        .call(
            Method::POST,
            "/v1/guest-carts",
            &Auth::None,
            Some(json!({"currency": "USD"})),
        )
        .await;
    assert!(guest.body.get("account").is_none(), "{:?}", guest.body);
}

async fn a_tax_exempt_account_on_purchase_order_terms_checks_out_without_tax_or_card_and_fulfilment_starts(
    b: Backend,
) {
    let app = TestApp::spawn(b).await;
    app.register("olga").await;
    join_account(
        &app,
        "olga",
        &account("001000000000002AAA", "Olga Labs", on_purchase_order()),
    )
    .await;
    let olga = Auth::customer("olga");
    let cart = app.cart_with(&olga, SKU, 2).await;
    let shown = app.get(&format!("/v1/carts/{cart}"), &olga).await;
    assert_eq!(shown.body["account"]["payment_terms"], "purchase_order");
    assert_eq!(shown.body["account"]["shipping_account"], "UPS-4711");
    assert_eq!(minor(&shown.body["totals"]["shipping"]), 0);

    let placed = app
        .checkout(
            &olga,
            &format!("/v1/carts/{cart}"),
            "po-1",
            &to_germany(by_purchase_order("PO-2026/0042")),
        )
        .await;

    assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
    let order = &placed.body;
    assert_eq!(order["status"], "paid");
    assert_eq!(order["payment_status"], "on_account");
    assert_eq!(order["payment_method"], "purchase_order");
    assert_eq!(order["purchase_order_number"], "PO-2026/0042");
    assert_eq!(
        minor(&order["totals"]["tax"]),
        0,
        "tax exempt, though Germany taxes 19%"
    );
    assert_eq!(
        minor(&order["totals"]["shipping"]),
        0,
        "on the account's carrier"
    );
    assert_eq!(minor(&order["totals"]["total"]), 3998);
    assert_eq!(order["payments"], json!([]), "no card, no gateway payment");
    let terms = &order["account_terms"];
    assert_eq!(terms["account_id"], "001000000000002AAA");
    assert_eq!(terms["tax_exempt"], true);
    assert_eq!(terms["shipping_account"], "UPS-4711");

    let store = app.backend.store();
    let run = Fulfilment::new(store.clone(), store.clone(), store, Arc::new(SystemClock))
        .run(&|| true)
        .await
        .unwrap();
    assert_eq!(run.started, 1);
    let id = order["id"].as_str().unwrap();
    let after = app.get(&format!("/v1/orders/{id}"), &olga).await;
    assert_eq!(after.body["status"], "fulfilling");
    assert_eq!(after.body["payment_status"], "on_account");

    // A customer on card terms shipping to Germany pays its tax, after her discount.
    app.register("kurt").await;
    join_account(
        &app,
        "kurt",
        &account("001000000000003AAA", "Kurt GmbH", discounted(1250)),
    )
    .await;
    let kurt = Auth::customer("kurt");
    let cart = app.cart_with(&kurt, SKU, 2).await;
    let taxed = app
        .checkout(
            &kurt,
            &format!("/v1/carts/{cart}"),
            "card-1",
            &to_germany(json!({})),
        )
        .await;
    assert_eq!(taxed.status, StatusCode::CREATED, "{:?}", taxed.body);
    assert_eq!(taxed.body["status"], "pending_payment");
    assert_eq!(taxed.body["payment_method"], "card");
    assert_eq!(minor(&taxed.body["totals"]["discount"]), 500);
    assert_eq!(
        minor(&taxed.body["totals"]["tax"]),
        760,
        "19% of 34.98 + 5.00"
    );
    assert_eq!(minor(&taxed.body["totals"]["total"]), 4758);
}

async fn paying_by_purchase_order_without_purchase_order_terms_is_refused_and_changes_nothing(
    b: Backend,
) {
    let app = TestApp::spawn(b).await;
    app.register("kurt").await;
    join_account(
        &app,
        "kurt",
        &account("001000000000003AAA", "Kurt GmbH", discounted(1250)),
    )
    .await;
    app.register("walt").await;
    let (kurt, walt) = (Auth::customer("kurt"), Auth::customer("walt"));
    let kurt_cart = app.cart_with(&kurt, SKU, 1).await;
    let walt_cart = app.cart_with(&walt, SKU, 1).await;
    let before = app.backend.snapshot().await;

    for (who, cart) in [(&kurt, &kurt_cart), (&walt, &walt_cart)] {
        let refused = app
            .checkout(
                who,
                &format!("/v1/carts/{cart}"),
                "po-1",
                &to_germany(by_purchase_order("PO-1")),
            )
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
        assert_eq!(refused.problem(), "payment-method-not-allowed");
        assert_eq!(refused.body["payment_method"], "purchase_order");
        assert_eq!(refused.content_type(), "application/problem+json");
    }
    assert_eq!(app.backend.snapshot().await, before, "nothing is written");

    // A number without the method, or the method without a number, is a malformed request.
    for body in [
        json!({"purchase_order_number": "PO-1"}),
        json!({"payment_method": "purchase_order"}),
        json!({"payment_method": "purchase_order", "purchase_order_number": " PO"}),
        json!({"payment_method": "invoice"}),
    ] {
        let bad = app
            .checkout(
                &kurt,
                &format!("/v1/carts/{kurt_cart}"),
                "po-2",
                &to_germany(body),
            )
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{:?}",
            bad.body
        );
        assert_eq!(bad.problem(), "invalid-request", "{:?}", bad.body);
    }
    assert_eq!(app.backend.snapshot().await, before, "nothing is written");
}

async fn a_guest_order_with_her_email_in_upper_case_is_in_her_history_and_no_one_elses(b: Backend) {
    let app = TestApp::spawn(b).await;
    let guest = app
        .call(
            Method::POST,
            "/v1/guest-carts",
            &Auth::None,
            Some(json!({"currency": "USD"})),
        )
        .await;
    let (cart, token) = (
        guest.body["id"].as_str().unwrap().to_owned(),
        Auth::Guest(guest.body["cart_token"].as_str().unwrap().to_owned()),
    );
    let line = app
        .call(
            Method::PUT,
            &format!("/v1/guest-carts/{cart}/lines/{SKU}"),
            &token,
            Some(json!({ "quantity": 1 })),
        )
        .await;
    assert_eq!(line.status, StatusCode::OK, "{:?}", line.body);
    let mut body = to_germany(json!({}));
    body["email"] = json!("NITA@EXAMPLE.COM");
    let placed = app
        .checkout(&token, &format!("/v1/guest-carts/{cart}"), "g-1", &body)
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
    let guest_order = placed.body["id"].as_str().unwrap().to_owned();

    app.register("nita").await; // nita@example.com
    let nita = Auth::customer("nita");
    let own = app.cart_with(&nita, SKU, 1).await;
    let own = app
        .checkout(
            &nita,
            &format!("/v1/carts/{own}"),
            "n-1",
            &to_germany(json!({})),
        )
        .await;
    let own_order = own.body["id"].as_str().unwrap().to_owned();

    let history = call_verified(
        &app,
        Method::GET,
        "/v1/orders",
        "nita",
        "nita@example.com",
        None,
    )
    .await;
    assert_eq!(history.status, StatusCode::OK, "{:?}", history.body);
    let listed: Vec<(&str, bool)> = history.body["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap(),
                o["placed_as_guest"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![(own_order.as_str(), false), (guest_order.as_str(), true)],
        "newest first"
    );

    // Another customer never sees it, even claiming her address without holding her profile's;
    // and without the provider's verification her own history lists only her own orders.
    app.register("bob").await;
    let ids = |r: &storesync_tests::app::Reply| -> Vec<String> {
        r.body["orders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let bob_own = call_verified(
        &app,
        Method::GET,
        "/v1/orders",
        "bob",
        "bob@example.com",
        None,
    )
    .await;
    assert_eq!(ids(&bob_own), Vec::<String>::new());
    let bob_claims = call_verified(
        &app,
        Method::GET,
        "/v1/orders",
        "bob",
        "nita@example.com",
        None,
    )
    .await;
    assert_eq!(ids(&bob_claims), Vec::<String>::new());
    let unverified = app.get("/v1/orders", &nita).await;
    assert_eq!(ids(&unverified), vec![own_order]);
}

against_both_stores!(
    a_contact_added_to_a_synced_account_claims_her_profile_and_sees_its_discount_in_a_new_cart,
    a_tax_exempt_account_on_purchase_order_terms_checks_out_without_tax_or_card_and_fulfilment_starts,
    paying_by_purchase_order_without_purchase_order_terms_is_refused_and_changes_nothing,
    a_guest_order_with_her_email_in_upper_case_is_in_her_history_and_no_one_elses,
);
