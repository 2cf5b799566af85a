//! Ensuring funds before fulfilment, against a local Stripe: an order whose payment Stripe
//! only authorised is captured for its total and paid, once; a capture Stripe refuses leaves
//! the order unpaid and raises one process exception, listed by the admin API, and is not
//! tried again until an operator resolves it.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use storesync_core::ids::OrderId;
use storesync_core::order::lifecycle::{OrderStatus, PaymentStatus};
use storesync_core::outbox::OutboxRelay;
use storesync_core::payments::capture::{CaptureSummary, FundsCapture};
use storesync_core::payments::processor::PaymentProcessor;
use storesync_core::ports::SystemClock;
use storesync_devstack::DEV_STRIPE_SECRET;
use storesync_stripe::{LocalStripe, StripeConfig, StripePayments};
use storesync_tests::Auth;
use storesync_tests::crm::SyncHarness;
use storesync_tests::payments::{payment_intent, stripe_event};

fn capture(h: &SyncHarness, stripe_base: String, key: &str) -> FundsCapture {
    let mut config = StripeConfig::new(key);
    config.api_base = stripe_base;
    let relay = Arc::new(OutboxRelay::new(h.store.clone(), h.queue.clone()));
    let processor = PaymentProcessor::new(h.store.clone(), Arc::new(SystemClock), Some(relay));
    FundsCapture::new(
        h.store.clone(),
        h.store.clone(),
        Arc::new(StripePayments::new(config).unwrap()),
        Arc::new(processor),
        h.store.clone(),
        Arc::new(SystemClock),
    )
}

/// Stripe reports the order's payment authorised (manual capture).
async fn authorise(h: &SyncHarness, stripe: &LocalStripe, intent: &str, order: &str, total: i64) {
    stripe.put_intent(intent, order, total, "usd", "requires_capture");
    let authorised = json!({
        "id": intent, "object": "payment_intent", "amount": total, "amount_capturable": total,
        "amount_received": 0, "currency": "usd", "metadata": { "order_id": order },
        "status": "requires_capture"
    });
    let event = stripe_event(
        &format!("evt_auth_{intent}"),
        "payment_intent.amount_capturable_updated",
        authorised,
    );
    let reply = h
        .app
        .stripe_webhook(&event, DEV_STRIPE_SECRET, chrono::Utc::now().timestamp())
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

async fn order_state(h: &SyncHarness, order: &str) -> (OrderStatus, PaymentStatus) {
    let o = h
        .store
        .order(&OrderId::parse(order).unwrap())
        .await
        .unwrap()
        .unwrap();
    (o.status, o.payment_status)
}

async fn open_exceptions(h: &SyncHarness) -> Vec<Value> {
    let reply = h
        .app
        .get("/v1/admin/exceptions", &Auth::customer("ops-1:admin"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["items"].as_array().cloned().unwrap_or_default()
}

fn always() -> bool {
    true
}

#[tokio::test]
async fn an_authorised_payment_is_captured_once_and_pays_the_order() {
    let h = SyncHarness::start().await;
    let stripe = LocalStripe::start().await.unwrap();
    h.register("cap-1", "cap@example.com", None).await;
    let (order, total) = h.order("cap-1", 2).await;
    authorise(&h, &stripe, "pi_auth1", &order, total).await;
    assert_eq!(
        order_state(&h, &order).await,
        (OrderStatus::PendingPayment, PaymentStatus::Authorized),
        "an authorisation does not pay the order"
    );

    let funds = capture(&h, stripe.base_url(), stripe.secret_key());
    let summary = funds.run(&always).await.unwrap();
    assert_eq!(
        summary,
        CaptureSummary {
            captured: 1,
            refused: 0,
            not_tried: 0
        }
    );
    assert_eq!(
        order_state(&h, &order).await,
        (OrderStatus::Paid, PaymentStatus::Captured)
    );
    let intent = stripe.intent("pi_auth1").unwrap();
    assert_eq!(intent["status"], "succeeded");
    assert_eq!(intent["amount_received"], total);

    // Again: the order is paid, nothing is captured twice.
    assert_eq!(funds.run(&always).await.unwrap(), CaptureSummary::default());
    // Stripe's own report of the capture, arriving late, changes nothing.
    let succeeded = stripe_event(
        "evt_captured_auth1",
        "payment_intent.succeeded",
        payment_intent("pi_auth1", &order, total, "usd"),
    );
    let reply = h
        .app
        .stripe_webhook(
            &succeeded,
            DEV_STRIPE_SECRET,
            chrono::Utc::now().timestamp(),
        )
        .await;
    assert_eq!(reply.body["outcome"], "applied", "{:?}", reply.body);
    assert_eq!(
        order_state(&h, &order).await,
        (OrderStatus::Paid, PaymentStatus::Captured)
    );
    assert!(open_exceptions(&h).await.is_empty());
}

#[tokio::test]
async fn a_refused_capture_leaves_the_order_unpaid_with_one_process_exception() {
    let h = SyncHarness::start().await;
    let stripe = LocalStripe::start().await.unwrap();
    h.register("cap-2", "late@example.com", None).await;
    let (order, total) = h.order("cap-2", 1).await;
    authorise(&h, &stripe, "pi_expired", &order, total).await;
    stripe.expire_authorization("pi_expired");

    // Stripe unreachable first: nothing is decided.
    let down = capture(&h, "http://127.0.0.1:9".into(), stripe.secret_key());
    assert_eq!(down.run(&always).await.unwrap().not_tried, 1);
    assert!(open_exceptions(&h).await.is_empty());

    let funds = capture(&h, stripe.base_url(), stripe.secret_key());
    let summary = funds.run(&always).await.unwrap();
    assert_eq!(summary.refused, 1, "{summary:?}");
    assert_eq!(
        order_state(&h, &order).await,
        (OrderStatus::PendingPayment, PaymentStatus::Authorized),
        "never a silent paid"
    );
    let open = open_exceptions(&h).await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["category"], "capture_failed");
    assert_eq!(open[0]["order_id"], order.as_str());
    assert!(
        open[0]["message"]
            .as_str()
            .unwrap()
            .contains("charge_expired_for_capture"),
        "{:?}",
        open[0]
    );

    // Not tried again while the exception is open.
    assert_eq!(funds.run(&always).await.unwrap(), CaptureSummary::default());
    assert_eq!(open_exceptions(&h).await.len(), 1);

    // Resolved, the next run tries again; refused again, the exception is open again.
    let id = open[0]["id"].as_str().unwrap();
    let resolved = h
        .app
        .call(
            Method::POST,
            &format!("/v1/admin/exceptions/{id}/resolve"),
            &Auth::customer("ops-1:admin"),
            Some(json!({"resolution": "asked the shopper to pay again"})),
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{:?}", resolved.body);
    assert!(open_exceptions(&h).await.is_empty());
    let retried = funds.run(&always).await.unwrap();
    assert_eq!(retried.refused, 1, "{retried:?}");
    let reopened = open_exceptions(&h).await;
    assert_eq!(reopened.len(), 1);
    assert_eq!(reopened[0]["id"], id);
}
