//! The checkout API over real HTTP, against both store backends.

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use storesync_core::ids::{LocationId, OrderId, Sku};
use storesync_tests::app::shipping_body;
use storesync_tests::{Auth, Backend, TestApp, against_both_stores};

const PROBLEM_JSON: &str = "application/problem+json";

async fn a_shopper_registers_fills_a_cart_checks_out_and_cancels(b: Backend) {
    let app = TestApp::spawn(b).await;
    let alice = Auth::customer("alice");
    assert_eq!(app.register("alice").await.status, StatusCode::CREATED);
    let me = app.get("/v1/customers/me", &alice).await;
    assert_eq!(me.body["email"], "alice@example.com");
    let patched = app
        .call(
            Method::PATCH,
            "/v1/customers/me",
            &alice,
            Some(json!({"company": "Acme Ltd", "phone": "+1 555 0100"})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{:?}", patched.body);
    assert_eq!(
        (
            patched.body["company"].clone(),
            patched.body["version"].clone()
        ),
        (json!("Acme Ltd"), json!(2))
    );

    let before = app.available("TSHIRT-BLK-M").await;
    let cart = app.cart_with(&alice, "TSHIRT-BLK-M", 3).await;
    let discounted = app
        .call(
            Method::PUT,
            &format!("/v1/carts/{cart}/discount"),
            &alice,
            Some(json!({"code": "welcome10"})),
        )
        .await;
    assert_eq!(
        discounted.body["totals"]["discount"]["minor_units"], 600,
        "10% of 3 x 19.99"
    );

    let placed = app
        .checkout(
            &alice,
            &format!("/v1/carts/{cart}"),
            "walk-1",
            &shipping_body(),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
    let order_id = placed.body["id"].as_str().unwrap().to_owned();
    assert_eq!(placed.body["status"], "pending_payment");
    assert_eq!(placed.body["totals"]["total"]["minor_units"], 5997 - 600);
    assert_eq!(
        placed.headers["location"].to_str().unwrap(),
        format!("/v1/orders/{order_id}")
    );
    assert_eq!(app.available("TSHIRT-BLK-M").await, before - 3);
    assert_eq!(
        app.get(&format!("/v1/carts/{cart}"), &alice).await.body["status"],
        "converted"
    );

    let listed = app.get("/v1/orders", &alice).await;
    assert_eq!(listed.body["orders"].as_array().unwrap().len(), 1);
    assert_eq!(listed.body["orders"][0]["id"], order_id.as_str());

    let cancelled = app
        .call(
            Method::POST,
            &format!("/v1/orders/{order_id}/cancel"),
            &alice,
            Some(json!({"reason": "changed my mind"})),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(
        app.available("TSHIRT-BLK-M").await,
        before,
        "cancelling puts the stock back"
    );

    let again = app
        .call(
            Method::POST,
            &format!("/v1/orders/{order_id}/cancel"),
            &alice,
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(
        (again.problem(), again.body["current_state"].as_str()),
        ("invalid-transition", Some("cancelled"))
    );
}

/// Units of `sku` on hand at `location`, read from the store.
async fn stock_at(app: &TestApp, sku: &str, location: &str) -> i64 {
    app.backend
        .store()
        .product(&Sku::parse(sku).unwrap())
        .await
        .unwrap()
        .unwrap()
        .available(&LocationId::parse(location).unwrap())
}

/// The stock of the demo's caps (2 at main, 10 at east) and mugs (250 at main).
async fn caps_and_mugs(app: &TestApp) -> (i64, i64, i64) {
    (
        stock_at(app, "CAP-NVY", "main").await,
        stock_at(app, "CAP-NVY", "east").await,
        stock_at(app, "MUG-WHT", "main").await,
    )
}

async fn an_order_whose_lines_sit_in_two_locations_is_taken_at_both_and_put_back_there(b: Backend) {
    let app = TestApp::spawn(b).await;
    let dora = Auth::customer("dora");
    assert_eq!(caps_and_mugs(&app).await, (2, 10, 250));
    let cart = app.cart_with(&dora, "CAP-NVY", 11).await;
    app.set_line_quantity(&dora, &cart, "MUG-WHT", 1).await;

    let placed = app
        .checkout(
            &dora,
            &format!("/v1/carts/{cart}"),
            "split-1",
            &shipping_body(),
        )
        .await;

    assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
    assert_eq!(
        placed.body["allocation"],
        json!([
            {"location": "main", "lines": [
                {"sku": "CAP-NVY", "quantity": 2}, {"sku": "MUG-WHT", "quantity": 1}
            ]},
            {"location": "east", "lines": [{"sku": "CAP-NVY", "quantity": 9}]},
        ])
    );
    assert_eq!(caps_and_mugs(&app).await, (0, 1, 249));
    let order_id = placed.body["id"].as_str().unwrap().to_owned();
    let stored = app
        .backend
        .store()
        .order(&OrderId::parse(&order_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    let locations: Vec<&str> = stored
        .allocation
        .as_ref()
        .expect("the order keeps its allocation")
        .locations()
        .iter()
        .map(|at| at.location.as_str())
        .collect();
    assert_eq!(locations, ["main", "east"]);

    let cancelled = app
        .call(
            Method::POST,
            &format!("/v1/orders/{order_id}/cancel"),
            &dora,
            None,
        )
        .await;

    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    assert_eq!(
        caps_and_mugs(&app).await,
        (2, 10, 250),
        "each unit is back where it was taken"
    );
}

async fn an_order_for_more_than_all_locations_hold_is_out_of_stock_naming_what_they_hold(
    b: Backend,
) {
    let app = TestApp::spawn(b).await;
    let erin = Auth::customer("erin");
    assert_eq!(
        app.available("CAP-NVY").await,
        12,
        "2 at main and 10 at east"
    );
    let cart = app.cart_with(&erin, "CAP-NVY", 13).await;
    let before = app.backend.snapshot().await;

    let refused = app
        .checkout(
            &erin,
            &format!("/v1/carts/{cart}"),
            "too-many",
            &shipping_body(),
        )
        .await;

    assert_eq!(
        (refused.status, refused.problem()),
        (StatusCode::CONFLICT, "out-of-stock"),
        "{:?}",
        refused.body
    );
    assert_eq!(
        (
            refused.body["sku"].as_str(),
            refused.body["available"].as_i64()
        ),
        (Some("CAP-NVY"), Some(12))
    );
    assert_eq!(app.backend.snapshot().await, before, "nothing is written");
}

async fn fifty_concurrent_checkouts_for_ten_units_sell_exactly_ten(b: Backend) {
    let app = TestApp::spawn(b).await;
    app.set_stock("MUG-WHT", 10).await;
    let mut carts = Vec::new();
    for i in 0..50 {
        let who = Auth::customer(&format!("buyer-{i}"));
        let cart = app.cart_with(&who, "MUG-WHT", 1).await;
        carts.push((who, cart));
    }
    let body = shipping_body();
    let paths: Vec<String> = carts
        .iter()
        .map(|(_, cart)| format!("/v1/carts/{cart}"))
        .collect();
    let replies = join_all(
        carts
            .iter()
            .zip(&paths)
            .map(|((who, _), path)| app.checkout(who, path, "race", &body)),
    )
    .await;
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let sold_out = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT && r.problem() == "out-of-stock")
        .count();
    assert_eq!(
        (created, sold_out),
        (10, 40),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(
        replies
            .iter()
            .all(|r| r.status == StatusCode::CREATED || r.body["available"] == 0)
    );
    assert_eq!(app.available("MUG-WHT").await, 0);
}

async fn a_checkout_retried_with_one_key_places_one_order(b: Backend) {
    let app = TestApp::spawn(b).await;
    let bob = Auth::customer("bob");
    let before = app.available("HOODIE-GRY-L").await;
    let cart = app.cart_with(&bob, "HOODIE-GRY-L", 2).await;
    let path = format!("/v1/carts/{cart}");

    let sequential = {
        let mut replies = Vec::new();
        for _ in 0..5 {
            replies.push(app.checkout(&bob, &path, "key-seq", &shipping_body()).await);
        }
        replies
    };
    let ids: Vec<&Value> = sequential.iter().map(|r| &r.body["id"]).collect();
    assert!(sequential.iter().all(|r| r.status == StatusCode::CREATED));
    assert!(ids.iter().all(|id| *id == ids[0]), "one order: {ids:?}");
    let replayed = sequential
        .iter()
        .filter(|r| r.headers.get("idempotent-replayed").is_some())
        .count();
    assert_eq!(replayed, 4);
    assert_eq!(
        app.available("HOODIE-GRY-L").await,
        before - 2,
        "stock taken once"
    );

    // The same key with another body is refused, and changes nothing.
    let snapshot = app.backend.snapshot().await;
    let mut other = shipping_body();
    other["shipping_address"]["city"] = json!("Shelbyville");
    let reused = app.checkout(&bob, &path, "key-seq", &other).await;
    assert_eq!(
        (reused.status, reused.problem()),
        (StatusCode::CONFLICT, "idempotency-key-reused")
    );
    assert_eq!(app.backend.snapshot().await, snapshot);

    // Concurrent retries of a fresh checkout.
    let cart = app.cart_with(&bob, "HOODIE-GRY-L", 1).await;
    let path = format!("/v1/carts/{cart}");
    let body = shipping_body();
    let replies = join_all((0..5).map(|_| app.checkout(&bob, &path, "key-par", &body))).await;
    assert!(
        replies.iter().all(|r| r.status == StatusCode::CREATED),
        "{:?}",
        replies.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    assert!(
        replies
            .iter()
            .all(|r| r.body["id"] == replies[0].body["id"])
    );
    assert_eq!(app.available("HOODIE-GRY-L").await, before - 3);
    assert_eq!(
        app.get("/v1/orders", &bob).await.body["orders"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

/// One bad request: what is sent and the status and problem type expected.
struct Bad {
    what: &'static str,
    method: Method,
    path: String,
    auth: Auth,
    body: Option<Vec<u8>>,
    headers: Vec<(&'static str, &'static str)>,
    status: StatusCode,
    problem: &'static str,
}

fn bad(
    what: &'static str,
    method: Method,
    path: String,
    auth: &Auth,
    body: &str,
    status: u16,
    problem: &'static str,
) -> Bad {
    Bad {
        what,
        method,
        path,
        auth: auth.clone(),
        body: (!body.is_empty()).then(|| body.as_bytes().to_vec()),
        headers: vec![("content-type", "application/json")],
        status: StatusCode::from_u16(status).unwrap(),
        problem,
    }
}

async fn every_bad_request_gets_a_problem_and_changes_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    let carol = Auth::customer("carol");
    assert_eq!(app.register("carol").await.status, StatusCode::CREATED);
    let cart = app.cart_with(&carol, "STICKER-PACK", 2).await;
    let lines = format!("/v1/carts/{cart}/lines/STICKER-PACK");
    let checkout = format!("/v1/carts/{cart}/checkout");
    let gbp = app
        .call(
            Method::POST,
            "/v1/carts",
            &carol,
            Some(json!({"currency": "GBP"})),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let empty = app
        .call(
            Method::POST,
            "/v1/carts",
            &carol,
            Some(json!({"currency": "USD"})),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sold_out = app.cart_with(&carol, "MUG-WHT", 5).await;
    app.set_stock("MUG-WHT", 4).await;
    let ship = shipping_body().to_string();
    let huge = format!(r#"{{"quantity": 1, "pad": "{}"}}"#, "x".repeat(70 * 1024));

    let mut cases = vec![
        bad(
            "malformed JSON",
            Method::PUT,
            lines.clone(),
            &carol,
            r#"{"quantity": 2"#,
            400,
            "malformed-json",
        ),
        bad(
            "wrong type",
            Method::PUT,
            lines.clone(),
            &carol,
            r#"{"quantity": "two"}"#,
            422,
            "invalid-request",
        ),
        bad(
            "fractional quantity",
            Method::PUT,
            lines.clone(),
            &carol,
            r#"{"quantity": 1.5}"#,
            422,
            "invalid-request",
        ),
        bad(
            "unknown field",
            Method::PUT,
            lines.clone(),
            &carol,
            r#"{"quantity": 1, "colour": "red"}"#,
            422,
            "invalid-request",
        ),
        bad(
            "negative quantity",
            Method::PUT,
            lines.clone(),
            &carol,
            r#"{"quantity": -2}"#,
            422,
            "invalid-request",
        ),
        bad(
            "zero quantity",
            Method::PUT,
            lines.clone(),
            &carol,
            r#"{"quantity": 0}"#,
            422,
            "invalid-request",
        ),
        bad(
            "too large quantity",
            Method::PUT,
            lines.clone(),
            &carol,
            r#"{"quantity": 1000}"#,
            422,
            "invalid-request",
        ),
        bad(
            "missing body",
            Method::PUT,
            lines.clone(),
            &carol,
            "",
            400,
            "malformed-json",
        ),
        bad(
            "unknown sku",
            Method::PUT,
            format!("/v1/carts/{cart}/lines/NO-SUCH-SKU"),
            &carol,
            r#"{"quantity": 1}"#,
            404,
            "unknown-product",
        ),
        bad(
            "currency mismatch",
            Method::PUT,
            format!("/v1/carts/{gbp}/lines/MUG-WHT"),
            &carol,
            r#"{"quantity": 1}"#,
            409,
            "currency-mismatch",
        ),
        bad(
            "unsupported currency",
            Method::POST,
            "/v1/carts".into(),
            &carol,
            r#"{"currency": "XYZ"}"#,
            422,
            "invalid-request",
        ),
        bad(
            "unknown discount",
            Method::PUT,
            format!("/v1/carts/{cart}/discount"),
            &carol,
            r#"{"code": "FREE100"}"#,
            409,
            "unknown-discount-code",
        ),
        bad(
            "bad e-mail",
            Method::PATCH,
            "/v1/customers/me".into(),
            &carol,
            r#"{"email": "not-an-email"}"#,
            422,
            "invalid-request",
        ),
        bad(
            "already registered",
            Method::POST,
            "/v1/customers".into(),
            &carol,
            r#"{"email":"carol@example.com","first_name":"C","last_name":"D"}"#,
            409,
            "already-registered",
        ),
        bad(
            "body over 64 KiB",
            Method::PUT,
            lines.clone(),
            &carol,
            &huge,
            413,
            "payload-too-large",
        ),
        bad(
            "missing Idempotency-Key",
            Method::POST,
            checkout.clone(),
            &carol,
            &ship,
            400,
            "idempotency-key-missing",
        ),
        bad(
            "out of stock",
            Method::POST,
            format!("/v1/carts/{sold_out}/checkout"),
            &carol,
            &ship,
            409,
            "out-of-stock",
        ),
        bad(
            "empty cart",
            Method::POST,
            format!("/v1/carts/{empty}/checkout"),
            &carol,
            &ship,
            409,
            "empty-cart",
        ),
        bad(
            "bad country",
            Method::POST,
            checkout.clone(),
            &carol,
            r#"{"shipping_address":{"line1":"x","city":"y","postal_code":"1","country":"USA"}}"#,
            422,
            "invalid-request",
        ),
        bad(
            "no identity",
            Method::GET,
            format!("/v1/carts/{cart}"),
            &Auth::None,
            "",
            401,
            "unauthorized",
        ),
        bad(
            "someone else's cart",
            Method::GET,
            format!("/v1/carts/{cart}"),
            &Auth::customer("mallory"),
            "",
            404,
            "not-found",
        ),
        bad(
            "malformed cart id",
            Method::GET,
            "/v1/carts/..%2F..%2Fetc".into(),
            &carol,
            "",
            404,
            "not-found",
        ),
        bad(
            "unknown route",
            Method::GET,
            "/v1/nothing-here".into(),
            &carol,
            "",
            404,
            "not-found",
        ),
        bad(
            "text body",
            Method::PUT,
            lines.clone(),
            &carol,
            "quantity=2",
            415,
            "unsupported-media-type",
        ),
    ];
    for case in cases
        .iter_mut()
        .filter(|c| c.path.ends_with("/checkout") && c.what != "missing Idempotency-Key")
    {
        case.headers.push(("idempotency-key", "bad-input-key"));
    }
    if let Some(text) = cases.iter_mut().find(|c| c.what == "text body") {
        text.headers = vec![("content-type", "text/plain")];
    }

    let before = app.backend.snapshot().await;
    for case in &cases {
        let mut request = app.request(case.method.clone(), &case.path, &case.auth);
        for (name, value) in &case.headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = &case.body {
            request = request.body(body.clone());
        }
        let reply = app.send(request).await;
        assert_eq!(reply.status, case.status, "{}: {:?}", case.what, reply.body);
        assert_eq!(reply.content_type(), PROBLEM_JSON, "{}", case.what);
        assert_eq!(
            reply.problem(),
            case.problem,
            "{}: {:?}",
            case.what,
            reply.body
        );
        assert_eq!(reply.body["status"], case.status.as_u16(), "{}", case.what);
        if matches!(case.problem, "payload-too-large" | "unsupported-media-type") {
            // The body was not read: the connection must not carry another request.
            assert_eq!(
                reply.headers.get("connection").map(|v| v.as_bytes()),
                Some(&b"close"[..]),
                "{}",
                case.what
            );
        }
        assert!(
            reply.body["title"].is_string() && reply.body["detail"].is_string(),
            "{}",
            case.what
        );
    }
    assert_eq!(
        app.backend.snapshot().await,
        before,
        "no bad request changed the store"
    );

    // The details a client needs to recover.
    let reply = app
        .send(
            app.request(Method::PUT, &lines, &carol)
                .json(&json!({"quantity": -1})),
        )
        .await;
    assert_eq!(reply.body["errors"][0]["field"], "quantity");
    let reply = app
        .send(
            app.request(
                Method::POST,
                &format!("/v1/carts/{sold_out}/checkout"),
                &carol,
            )
            .header("Idempotency-Key", "k")
            .json(&shipping_body()),
        )
        .await;
    assert_eq!(
        (reply.body["sku"].as_str(), reply.body["available"].as_i64()),
        (Some("MUG-WHT"), Some(4))
    );
}

async fn carts_and_orders_are_private_and_guests_use_their_token(b: Backend) {
    let app = TestApp::spawn(b).await;
    let created = app
        .call(
            Method::POST,
            "/v1/guest-carts",
            &Auth::None,
            Some(json!({"currency": "EUR"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let token = created.body["cart_token"].as_str().unwrap().to_owned();
    let cart = created.body["id"].as_str().unwrap().to_owned();
    let guest = Auth::Guest(token.clone());
    let stranger = Auth::Guest("0".repeat(64));

    let set = app
        .call(
            Method::PUT,
            &format!("/v1/guest-carts/{cart}/lines/MUG-WHT"),
            &guest,
            Some(json!({"quantity": 2})),
        )
        .await;
    assert_eq!(
        set.body["totals"]["subtotal"]["minor_units"], 2200,
        "EUR prices"
    );
    assert_eq!(
        app.get(&format!("/v1/guest-carts/{cart}"), &stranger)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/v1/guest-carts/{cart}"), &Auth::None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get(&format!("/v1/carts/{cart}"), &Auth::customer("eve"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let no_email = app
        .checkout(
            &guest,
            &format!("/v1/guest-carts/{cart}"),
            "g1",
            &shipping_body(),
        )
        .await;
    assert_eq!(
        (no_email.status, no_email.problem()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid-request")
    );
    let mut body = shipping_body();
    body["email"] = json!("Guest@Example.com");
    let placed = app
        .checkout(&guest, &format!("/v1/guest-carts/{cart}"), "g1", &body)
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
    let order = placed.body["id"].as_str().unwrap();
    assert_eq!(placed.body["customer_id"], Value::Null);
    assert_eq!(
        app.get(&format!("/v1/guest-orders/{order}"), &guest)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/v1/guest-orders/{order}"), &stranger)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/v1/orders/{order}"), &Auth::customer("eve"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(
        app.get("/v1/orders", &Auth::customer("eve")).await.body["orders"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let leaked = serde_json::to_string(&placed.body).unwrap();
    assert!(!leaked.contains(&token), "the token is never echoed back");
}

async fn a_price_change_stops_checkout_and_reprices_the_cart(b: Backend) {
    let app = TestApp::spawn(b).await;
    let dan = Auth::customer("dan");
    let cart = app.cart_with(&dan, "MUG-WHT", 1).await;
    let store = app.backend.store();
    let sku = storesync_core::ids::Sku::parse("MUG-WHT").unwrap();
    let mut product = store.product(&sku).await.unwrap().unwrap();
    product
        .prices
        .insert(storesync_core::money::Currency::USD, 1500);
    store
        .upsert_product(&storesync_core::catalog::ProductDetails {
            sku: product.sku.clone(),
            name: product.name.clone(),
            category: product.category.clone(),
            active: true,
            prices: product.prices.clone(),
        })
        .await
        .unwrap();
    let before = app.available("MUG-WHT").await;
    let refused = app
        .checkout(&dan, &format!("/v1/carts/{cart}"), "p1", &shipping_body())
        .await;
    assert_eq!(
        (refused.status, refused.problem()),
        (StatusCode::CONFLICT, "price-changed")
    );
    assert_eq!(app.available("MUG-WHT").await, before);
    let repriced = app.get(&format!("/v1/carts/{cart}"), &dan).await;
    assert_eq!(repriced.body["lines"][0]["unit_price"]["minor_units"], 1500);
    let placed = app
        .checkout(&dan, &format!("/v1/carts/{cart}"), "p2", &shipping_body())
        .await;
    assert_eq!(placed.status, StatusCode::CREATED);
    assert_eq!(placed.body["totals"]["subtotal"]["minor_units"], 1500);
}

async fn a_return_is_requested_only_for_a_delivered_order(b: Backend) {
    let app = TestApp::spawn(b).await;
    let erin = Auth::customer("erin");
    let cart = app.cart_with(&erin, "MUG-WHT", 2).await;
    let placed = app
        .checkout(&erin, &format!("/v1/carts/{cart}"), "r1", &shipping_body())
        .await;
    let id = placed.body["id"].as_str().unwrap().to_owned();
    let body = json!({"lines": [{"sku": "MUG-WHT", "quantity": 1}], "reason": "chipped"});
    let early = app
        .call(
            Method::POST,
            &format!("/v1/orders/{id}/returns"),
            &erin,
            Some(body.clone()),
        )
        .await;
    assert_eq!(
        (early.status, early.body["current_state"].as_str()),
        (StatusCode::CONFLICT, Some("pending_payment"))
    );

    // Fulfilment is not built yet: move the stored order along the life cycle directly.
    let store = app.backend.store();
    let order_id = storesync_core::ids::OrderId::parse(&id).unwrap();
    let mut order = store.order(&order_id).await.unwrap().unwrap();
    for event in [
        storesync_core::order::OrderEvent::PaymentCaptured,
        storesync_core::order::OrderEvent::StartFulfilment,
        storesync_core::order::OrderEvent::Ship,
        storesync_core::order::OrderEvent::Deliver,
    ] {
        let next = order.apply(event, chrono::Utc::now()).unwrap();
        store
            .change_order(&storesync_core::ports::OrderChange {
                event: storesync_core::events::OutboxEvent::for_order(
                    storesync_core::events::EventType::OrderPlaced,
                    &next,
                    chrono::Utc::now(),
                ),
                expected_version: order.version,
                restock: vec![],
                order: next.clone(),
                approvals: vec![],
            })
            .await
            .unwrap();
        order = next;
    }
    let too_many = json!({"lines": [{"sku": "MUG-WHT", "quantity": 3}], "reason": "all"});
    let refused = app
        .call(
            Method::POST,
            &format!("/v1/orders/{id}/returns"),
            &erin,
            Some(too_many),
        )
        .await;
    assert_eq!(
        (refused.status, refused.problem()),
        (StatusCode::UNPROCESSABLE_ENTITY, "return-exceeds-order")
    );
    let accepted = app
        .call(
            Method::POST,
            &format!("/v1/orders/{id}/returns"),
            &erin,
            Some(body),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{:?}", accepted.body);
    assert_eq!(accepted.body["status"], "return_requested");
    assert_eq!(accepted.body["returns"][0]["lines"][0]["quantity"], 1);
}

against_both_stores!(
    a_shopper_registers_fills_a_cart_checks_out_and_cancels,
    an_order_whose_lines_sit_in_two_locations_is_taken_at_both_and_put_back_there,
    an_order_for_more_than_all_locations_hold_is_out_of_stock_naming_what_they_hold,
    fifty_concurrent_checkouts_for_ten_units_sell_exactly_ten,
    a_checkout_retried_with_one_key_places_one_order,
    every_bad_request_gets_a_problem_and_changes_nothing,
    carts_and_orders_are_private_and_guests_use_their_token,
    a_price_change_stops_checkout_and_reprices_the_cart,
    a_return_is_requested_only_for_a_delivered_order,
);

/// The cost of a checkout on DynamoDB: one read of the cart, one of the customer (whose
/// account's terms would apply: one more read when she has one) and one transaction place the
/// order; handing its event to the queue marks the outbox item sent with one more write.
#[tokio::test]
async fn a_checkout_costs_three_dynamodb_requests_plus_one_to_hand_off_its_event() {
    let app = TestApp::spawn(Backend::dynamodb().await).await;
    let counter = app
        .backend
        .request_counter()
        .expect("DynamoDB counts requests")
        .clone();
    let frank = Auth::customer("frank");
    let cart = app.cart_with(&frank, "TSHIRT-BLK-M", 2).await;
    app.set_line_quantity(&frank, &cart, "MUG-WHT", 1).await;

    counter.reset();
    let placed = app
        .checkout(
            &frank,
            &format!("/v1/carts/{cart}"),
            "cost-1",
            &shipping_body(),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED);
    let by_operation = counter.by_operation();
    assert_eq!(
        by_operation.get("GetItem"),
        Some(&2),
        "the cart and the customer: {by_operation:?}"
    );
    assert_eq!(
        by_operation.get("TransactWriteItems"),
        Some(&1),
        "{by_operation:?}"
    );
    assert_eq!(
        by_operation.get("UpdateItem"),
        Some(&1),
        "outbox hand-off: {by_operation:?}"
    );
    assert_eq!(counter.total(), 4, "{by_operation:?}");
}

/// The cost of a checkout the store's location cannot ship alone: the cart and the customer,
/// the transaction refused for want of stock there, one read per product (the catalog port
/// reads products one by one), and the allocated transaction.
#[tokio::test]
async fn a_checkout_taken_at_two_locations_costs_a_read_per_product_and_a_second_transaction() {
    let app = TestApp::spawn(Backend::dynamodb().await).await;
    let counter = app
        .backend
        .request_counter()
        .expect("DynamoDB counts requests")
        .clone();
    let gwen = Auth::customer("gwen");
    let cart = app.cart_with(&gwen, "CAP-NVY", 11).await;
    app.set_line_quantity(&gwen, &cart, "MUG-WHT", 1).await;

    counter.reset();
    let placed = app
        .checkout(
            &gwen,
            &format!("/v1/carts/{cart}"),
            "cost-split",
            &shipping_body(),
        )
        .await;

    assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
    let by_operation = counter.by_operation();
    assert_eq!(
        (
            by_operation.get("GetItem"),
            by_operation.get("TransactWriteItems"),
            by_operation.get("UpdateItem"),
        ),
        (Some(&4), Some(&2), Some(&1)),
        "the cart, the customer and two products, two transactions, the outbox hand-off: {by_operation:?}"
    );
    assert_eq!(counter.total(), 7, "{by_operation:?}");
}
