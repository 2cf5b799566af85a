//! The API keeps to openapi.yaml where clients and fuzzers push at its edges: the shape of a
//! body, its media type, the headers, the values a field takes, the problems answered, and
//! what an order shows of its payments. A refused request changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::json;
use storesync_tests::app::{Reply, shipping_body};
use storesync_tests::{Auth, Backend, TestApp, against_both_stores};

/// Asserts a problem report: status, media type, slug, and the members every problem has.
fn assert_problem(reply: &Reply, status: u16, slug: &str, what: &str) {
    assert_eq!(reply.status.as_u16(), status, "{what}: {:?}", reply.body);
    assert_eq!(
        reply.content_type(),
        "application/problem+json",
        "{what}: {:?}",
        reply.body
    );
    assert_eq!(reply.problem(), slug, "{what}: {:?}", reply.body);
    assert_eq!(reply.body["status"], status, "{what}");
    assert!(
        reply.body["title"].is_string() && reply.body["detail"].is_string(),
        "{what}: {:?}",
        reply.body
    );
}

/// A body exactly as written, with or without a media type.
fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    auth: &Auth,
    content_type: Option<&str>,
    body: &str,
) -> reqwest::RequestBuilder {
    let mut request = app.request(method, path, auth);
    if let Some(content_type) = content_type {
        request = request.header("Content-Type", content_type);
    }
    request.body(body.to_owned())
}

const JSON: Option<&str> = Some("application/json");

async fn json_that_is_not_an_object_is_malformed_and_changes_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    let carol = Auth::customer("carol");
    assert_eq!(app.register("carol").await.status, StatusCode::CREATED);
    let cart = app.cart_with(&carol, "STICKER-PACK", 2).await;
    let lines = format!("/v1/carts/{cart}/lines/STICKER-PACK");
    let dave = Auth::customer("dave");
    let before = app.backend.snapshot().await;

    for (what, method, path, auth, body) in [
        (
            "registration as an array",
            Method::POST,
            "/v1/customers".to_owned(),
            &dave,
            r#"["dave@example.com","A","B"]"#,
        ),
        (
            "quantity as an array",
            Method::PUT,
            lines.clone(),
            &carol,
            "[3]",
        ),
        ("a bare number", Method::PUT, lines.clone(), &carol, "3"),
        ("null", Method::PUT, lines.clone(), &carol, "null"),
        ("a string", Method::PUT, lines.clone(), &carol, r#""x""#),
        (
            "a cart as an array",
            Method::POST,
            "/v1/carts".to_owned(),
            &carol,
            r#"["USD"]"#,
        ),
        (
            "a profile change as an array",
            Method::PATCH,
            "/v1/customers/me".to_owned(),
            &carol,
            "[null, null]",
        ),
    ] {
        let reply = app.send(raw(&app, method, &path, auth, JSON, body)).await;
        assert_problem(&reply, 400, "malformed-json", what);
    }

    // Nested, an array where an object belongs is a field error.
    let nested = app
        .send(
            raw(
                &app,
                Method::POST,
                &format!("/v1/carts/{cart}/checkout"),
                &carol,
                JSON,
                r#"{"shipping_address": ["1 Main St", null, "Springfield", null, "12345", "US"]}"#,
            )
            .header("Idempotency-Key", "nested-array"),
        )
        .await;
    assert_problem(&nested, 422, "invalid-request", "nested array");
    assert_eq!(nested.body["errors"][0]["field"], "shipping_address");
    let addresses = app
        .send(raw(
            &app,
            Method::PATCH,
            "/v1/customers/me",
            &carol,
            JSON,
            r#"{"addresses": [["1 Main St", null, "Springfield", null, "12345", "US"]]}"#,
        ))
        .await;
    assert_problem(&addresses, 422, "invalid-request", "address as an array");
    assert_eq!(addresses.body["errors"][0]["field"], "addresses[0]");

    assert_eq!(app.backend.snapshot().await, before, "nothing changed");
    assert_eq!(
        app.get("/v1/customers/me", &dave).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn a_profile_change_names_a_field_is_json_and_nulls_only_what_can_be_cleared(b: Backend) {
    let app = TestApp::spawn(b).await;
    let erin = Auth::customer("erin");
    assert_eq!(app.register("erin").await.status, StatusCode::CREATED);
    let before = app.backend.snapshot().await;

    for (body, field) in [
        ("{}", "body"),
        (r#"{"email": null}"#, "email"),
        (r#"{"first_name": null}"#, "first_name"),
        (r#"{"last_name": null}"#, "last_name"),
        (r#"{"addresses": null}"#, "addresses"),
    ] {
        let reply = app
            .send(raw(
                &app,
                Method::PATCH,
                "/v1/customers/me",
                &erin,
                JSON,
                body,
            ))
            .await;
        assert_problem(&reply, 422, "invalid-request", body);
        assert_eq!(reply.body["errors"][0]["field"], field, "{body}");
    }
    for (what, method, path, content_type) in [
        ("a change", Method::PATCH, "/v1/customers/me", None),
        (
            "a change as text",
            Method::PATCH,
            "/v1/customers/me",
            Some("text/plain"),
        ),
        ("a registration", Method::POST, "/v1/customers", None),
    ] {
        let reply = app
            .send(raw(
                &app,
                method,
                path,
                &erin,
                content_type,
                r#"{"email":"erin2@example.com","first_name":"E","last_name":"F"}"#,
            ))
            .await;
        assert_problem(&reply, 415, "unsupported-media-type", what);
    }
    assert_eq!(app.backend.snapshot().await, before, "nothing changed");
    assert_eq!(
        app.get("/v1/customers/me", &erin).await.body["version"],
        1,
        "no change, no new version"
    );

    // What may be cleared still can be, and a cancel needs no body (nor a media type).
    let cleared = app
        .send(raw(
            &app,
            Method::PATCH,
            "/v1/customers/me",
            &erin,
            JSON,
            r#"{"phone": null}"#,
        ))
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{:?}", cleared.body);
    let cart = app.cart_with(&erin, "MUG-WHT", 1).await;
    let placed = app
        .checkout(&erin, &format!("/v1/carts/{cart}"), "k1", &shipping_body())
        .await;
    let order = placed.body["id"].as_str().expect("an order").to_owned();
    let cancelled = app
        .send(raw(
            &app,
            Method::POST,
            &format!("/v1/orders/{order}/cancel"),
            &erin,
            None,
            "",
        ))
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
}

async fn an_idempotency_key_of_the_wrong_shape_is_its_own_problem(b: Backend) {
    let app = TestApp::spawn(b).await;
    let fay = Auth::customer("fay");
    let cart = app.cart_with(&fay, "MUG-WHT", 1).await;
    let path = format!("/v1/carts/{cart}/checkout");
    let body = shipping_body().to_string();
    let before = app.backend.snapshot().await;

    let too_long = "k".repeat(256);
    for (what, key) in [
        ("too long", too_long.as_bytes()),
        ("a space", &b"two words"[..]),
        ("not ASCII", "cl\u{e9}".as_bytes()),
        ("empty", b""),
    ] {
        let value = reqwest::header::HeaderValue::from_bytes(key).expect("a header value");
        let reply = app
            .send(
                raw(&app, Method::POST, &path, &fay, JSON, &body).header("Idempotency-Key", value),
            )
            .await;
        assert_problem(&reply, 400, "idempotency-key-invalid", what);
        let detail = reply.body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("255") && detail.contains("ASCII"),
            "{what}: the limit is said: {detail}"
        );
    }
    let missing = app
        .send(raw(&app, Method::POST, &path, &fay, JSON, &body))
        .await;
    assert_problem(&missing, 400, "idempotency-key-missing", "missing");
    assert_eq!(app.backend.snapshot().await, before, "nothing changed");

    let longest = app
        .checkout(
            &fay,
            &format!("/v1/carts/{cart}"),
            &"k".repeat(255),
            &shipping_body(),
        )
        .await;
    assert_eq!(longest.status, StatusCode::CREATED, "{:?}", longest.body);
}

async fn an_amount_discount_in_another_currency_is_a_currency_mismatch(b: Backend) {
    let app = TestApp::spawn(b).await;
    let gus = Auth::customer("gus");
    let created = app
        .call(
            Method::POST,
            "/v1/carts",
            &gus,
            Some(json!({"currency": "EUR"})),
        )
        .await;
    let cart = created.body["id"].as_str().expect("a cart").to_owned();
    app.set_line_quantity(&gus, &cart, "MUG-WHT", 3).await;
    let before = app.backend.snapshot().await;

    let path = format!("/v1/carts/{cart}/discount");
    let save5 = app
        .call(Method::PUT, &path, &gus, Some(json!({"code": "SAVE5"})))
        .await;
    assert_problem(&save5, 409, "currency-mismatch", "SAVE5 is in USD");
    let unknown = app
        .call(Method::PUT, &path, &gus, Some(json!({"code": "FREE100"})))
        .await;
    assert_problem(&unknown, 409, "unknown-discount-code", "no such code");
    assert_eq!(app.backend.snapshot().await, before, "nothing changed");
}

async fn a_malformed_sku_is_refused_and_never_echoed(b: Backend) {
    let app = TestApp::spawn(b).await;
    let hal = Auth::customer("hal");
    let cart = app.cart_with(&hal, "MUG-WHT", 1).await;
    let before = app.backend.snapshot().await;
    let script = "%3Cscript%3Ealert(1)%3C%2Fscript%3E";

    for (what, method, path) in [
        (
            "set",
            Method::PUT,
            format!("/v1/carts/{cart}/lines/{script}"),
        ),
        (
            "remove",
            Method::DELETE,
            format!("/v1/carts/{cart}/lines/{script}"),
        ),
        (
            "remove U+0084",
            Method::DELETE,
            format!("/v1/carts/{cart}/lines/%C2%84"),
        ),
        ("product", Method::GET, format!("/v1/products/{script}")),
    ] {
        let reply = app
            .send(raw(&app, method, &path, &hal, JSON, r#"{"quantity": 1}"#))
            .await;
        assert_problem(&reply, 404, "unknown-product", what);
        let text = reply.body.to_string();
        assert!(
            !text.contains("script") && !text.contains('\u{84}'),
            "{what}: the sku is not echoed: {text}"
        );
    }
    assert_eq!(app.backend.snapshot().await, before, "nothing changed");
}

async fn only_assigned_country_codes_in_upper_case_are_accepted(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ida = Auth::customer("ida");
    let cart = app.cart_with(&ida, "MUG-WHT", 1).await;
    let before = app.backend.snapshot().await;

    for country in ["ZZ", "XK", "AA", "us"] {
        let mut body = shipping_body();
        body["shipping_address"]["country"] = json!(country);
        let reply = app
            .checkout(&ida, &format!("/v1/carts/{cart}"), country, &body)
            .await;
        assert_problem(&reply, 422, "invalid-request", country);
        assert_eq!(
            reply.body["errors"][0]["field"], "shipping_address.country",
            "{country}"
        );
    }
    let registration = app
        .call(
            Method::POST,
            "/v1/customers",
            &ida,
            Some(json!({
                "email": "ida@example.com", "first_name": "Ida", "last_name": "Lo",
                "addresses": [{"line1": "x", "city": "y", "postal_code": "1", "country": "ZZ"}]
            })),
        )
        .await;
    assert_problem(&registration, 422, "invalid-request", "registration");
    assert_eq!(app.backend.snapshot().await, before, "nothing changed");

    let mut body = shipping_body();
    body["shipping_address"]["country"] = json!("AX");
    let placed = app
        .checkout(&ida, &format!("/v1/carts/{cart}"), "ax", &body)
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
}

async fn bidirectional_formatting_characters_in_text_are_refused(b: Backend) {
    let app = TestApp::spawn(b).await;
    let jo = Auth::customer("jo");
    let before = app.backend.snapshot().await;

    for c in [
        '\u{202E}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{2066}', '\u{2067}',
        '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
    ] {
        for field in ["first_name", "last_name", "company", "phone"] {
            let mut body =
                json!({"email": "jo@example.com", "first_name": "Jo", "last_name": "Ng"});
            body[field] = json!(format!("Jo{c}exe.txt"));
            let reply = app
                .call(Method::POST, "/v1/customers", &jo, Some(body))
                .await;
            let what = format!("U+{:04X} in {field}", c as u32);
            assert_problem(&reply, 422, "invalid-request", &what);
            assert_eq!(reply.body["errors"][0]["field"], field, "{what}");
        }
    }
    assert_eq!(app.backend.snapshot().await, before, "nothing changed");

    // Letters of right-to-left scripts are text like any other.
    let arabic = app
        .call(
            Method::POST,
            "/v1/customers",
            &jo,
            Some(json!({"email": "jo@example.com", "first_name": "\u{645}\u{646}\u{634}", "last_name": "Ng"})),
        )
        .await;
    assert_eq!(arabic.status, StatusCode::CREATED, "{:?}", arabic.body);
}

async fn a_payment_taken_for_a_cancelled_order_shows_on_the_order(b: Backend) {
    let app = TestApp::spawn(b).await;
    let kim = Auth::customer("kim");
    let secret = storesync_devstack::DEV_STRIPE_SECRET;
    let now = chrono::Utc::now().timestamp();

    // A paid order shows its captured payment and nothing to review.
    let cart = app.cart_with(&kim, "MUG-WHT", 1).await;
    let paid = app
        .checkout(
            &kim,
            &format!("/v1/carts/{cart}"),
            "pay-1",
            &shipping_body(),
        )
        .await;
    assert_eq!(paid.body["payments"], json!([]), "{:?}", paid.body);
    assert_eq!(paid.body["needs_review"], false);
    let paid_id = paid.body["id"].as_str().unwrap().to_owned();
    let total = paid.body["totals"]["total"]["minor_units"]
        .as_i64()
        .unwrap();
    let event = storesync_tests::payments::stripe_event(
        "evt_paid_1",
        "payment_intent.succeeded",
        storesync_tests::payments::payment_intent("pi_paid_1", &paid_id, total, "usd"),
    );
    assert_eq!(
        app.stripe_webhook(&event, secret, now).await.body["outcome"],
        "applied"
    );
    let shown = app.get(&format!("/v1/orders/{paid_id}"), &kim).await;
    assert_eq!(shown.body["status"], "paid", "{:?}", shown.body);
    assert_eq!(shown.body["needs_review"], false);
    assert_eq!(shown.body["payments"][0]["status"], "captured");
    assert_eq!(shown.body["payments"][0]["amount"]["minor_units"], total);

    // Money taken for a cancelled order: the order stays cancelled, and says it needs review.
    let cart = app.cart_with(&kim, "MUG-WHT", 1).await;
    let placed = app
        .checkout(
            &kim,
            &format!("/v1/carts/{cart}"),
            "pay-2",
            &shipping_body(),
        )
        .await;
    let id = placed.body["id"].as_str().unwrap().to_owned();
    let cancelled = app
        .call(Method::POST, &format!("/v1/orders/{id}/cancel"), &kim, None)
        .await;
    assert_eq!(cancelled.body["status"], "cancelled");
    let event = storesync_tests::payments::stripe_event(
        "evt_late_1",
        "payment_intent.succeeded",
        storesync_tests::payments::payment_intent("pi_late_1", &id, total, "usd"),
    );
    assert_eq!(
        app.stripe_webhook(&event, secret, now).await.body["outcome"],
        "needs_review"
    );
    let shown = app.get(&format!("/v1/orders/{id}"), &kim).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.body["status"], "cancelled");
    assert_eq!(shown.body["needs_review"], true, "{:?}", shown.body);
    assert_eq!(shown.body["payments"][0]["status"], "needs_review");
    assert_eq!(shown.body["payments"][0]["payment_ref"], "pi_late_1");
    assert!(shown.body["payments"][0]["review_reason"].is_string());
}

against_both_stores!(
    json_that_is_not_an_object_is_malformed_and_changes_nothing,
    a_profile_change_names_a_field_is_json_and_nulls_only_what_can_be_cleared,
    an_idempotency_key_of_the_wrong_shape_is_its_own_problem,
    an_amount_discount_in_another_currency_is_a_currency_mismatch,
    a_malformed_sku_is_refused_and_never_echoed,
    only_assigned_country_codes_in_upper_case_are_accepted,
    bidirectional_formatting_characters_in_text_are_refused,
    a_payment_taken_for_a_cancelled_order_shows_on_the_order,
);

/// Routes that do not exist and methods a route does not have answer problems too.
#[tokio::test]
async fn unknown_gateways_and_unsupported_methods_answer_problems() {
    let app = TestApp::spawn(Backend::embedded().await).await;
    let unknown = app
        .send(raw(
            &app,
            Method::POST,
            "/v1/webhooks/paypal",
            &Auth::None,
            JSON,
            r#"{"id": "evt_1"}"#,
        ))
        .await;
    assert_problem(&unknown, 404, "not-found", "unknown gateway");

    for (method, path, allow) in [
        (Method::GET, "/v1/webhooks/stripe", "POST"),
        (Method::DELETE, "/v1/customers", "POST"),
        (Method::PUT, "/v1/orders", "GET"),
    ] {
        let what = format!("{method} {path}");
        let reply = app
            .send(app.request(method, path, &Auth::customer("lu")))
            .await;
        assert_problem(&reply, 405, "method-not-allowed", &what);
        let allowed = reply
            .headers
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(allowed.contains(allow), "{what}: Allow: {allowed}");
    }
}

/// Headers past the server's limits are refused before the API runs: 431, as openapi.yaml says,
/// and the stack still answers afterwards.
#[tokio::test]
async fn too_many_headers_are_refused_with_431() {
    let app = TestApp::spawn(Backend::embedded().await).await;
    let mut request = app.request(Method::GET, "/v1/products", &Auth::None);
    for i in 0..200 {
        request = request.header(format!("x-filler-{i}"), "x");
    }
    let reply = app.send(request).await;
    assert_eq!(reply.status.as_u16(), 431, "{:?}", reply.body);
    assert_eq!(
        app.get("/v1/products", &Auth::None).await.status,
        StatusCode::OK
    );
    let spec = include_str!("../../openapi.yaml");
    assert!(
        spec.contains("\"431\":"),
        "openapi.yaml documents the 431 answer"
    );
}
