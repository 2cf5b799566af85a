//! The sample events in `events/` (the same files `sam local invoke -e` and
//! `cargo lambda invoke --data-file` use) go through the Lambda request conversion, the JWT
//! authorizer identity layer and the checkout router, as they would in AWS.

use std::sync::Arc;

use axum::Router;
use checkout::config::{AdminSettings, StorefrontSettings};
use checkout::wiring::{admin, lambda_app, storefront};
use chrono::Utc;
use http_body_util::BodyExt;
use serde_json::Value;
use storesync_core::cart::{Cart, CartOwner};
use storesync_core::ids::{CartId, CustomerId};
use storesync_core::money::Currency;
use storesync_core::ports::{CartStore, SystemClock};
use storesync_embedded::EmbeddedStore;
use tower::ServiceExt;

const SAMPLE_ORDER_ID: &str = "ord_9f1c2b7a4e6d4c0b8a3e5f1d2c7b9a01";

async fn invoke(app: &Router, event: &str) -> (u16, Value) {
    let request =
        lambda_http::request::from_str(event).expect("the sample is an API Gateway event");
    let response = app
        .clone()
        .oneshot(request)
        .await
        .expect("the router answers");
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn every_sample_event_is_served_by_the_lambda_router() {
    let store = Arc::new(EmbeddedStore::new());
    storesync_devstack::seed_demo_catalog(store.as_ref())
        .await
        .unwrap();
    let app = lambda_app(
        storefront(
            store.clone(),
            None,
            Arc::new(SystemClock),
            StorefrontSettings::default(),
        ),
        admin(store.clone(), None, None, AdminSettings::default()),
    );
    // The cart the cart events name, owned by the events' JWT subject.
    let cart = Cart::new(
        CartId::parse("cart_5b2e8c1d9a7f4e3b6c0d1a2f3e4b5c6d").unwrap(),
        CartOwner::Customer {
            customer_id: CustomerId::parse("cust-demo-0001").unwrap(),
        },
        Currency::USD,
        Utc::now(),
    );
    store.create_cart(&cart).await.unwrap();

    let (status, body) = invoke(
        &app,
        include_str!("../../events/checkout-list-products.json"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["products"].as_array().map(Vec::len), Some(5));

    let (status, body) = invoke(
        &app,
        include_str!("../../events/checkout-register-customer.json"),
    )
    .await;
    assert_eq!(
        (status, body["id"].as_str()),
        (201, Some("cust-demo-0001")),
        "{body}"
    );

    let (status, body) = invoke(&app, include_str!("../../events/checkout-create-cart.json")).await;
    assert_eq!(status, 201, "{body}");

    let (status, body) = invoke(
        &app,
        include_str!("../../events/checkout-guest-create-cart.json"),
    )
    .await;
    assert_eq!(
        (status, body["cart_token"].is_string()),
        (201, true),
        "{body}"
    );

    let (status, body) = invoke(
        &app,
        include_str!("../../events/checkout-set-cart-line.json"),
    )
    .await;
    assert_eq!(
        (status, body["lines"][0]["quantity"].as_i64()),
        (200, Some(2)),
        "{body}"
    );

    let (status, order) =
        invoke(&app, include_str!("../../events/checkout-place-order.json")).await;
    assert_eq!(status, 201, "{order}");
    let order_id = order["id"].as_str().unwrap();

    let get =
        include_str!("../../events/checkout-get-order.json").replace(SAMPLE_ORDER_ID, order_id);
    let (status, body) = invoke(&app, &get).await;
    assert_eq!((status, body["id"].as_str()), (200, Some(order_id)));

    let cancel =
        include_str!("../../events/checkout-cancel-order.json").replace(SAMPLE_ORDER_ID, order_id);
    let (status, body) = invoke(&app, &cancel).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("cancelled")),
        "{body}"
    );
}

#[tokio::test]
async fn without_authorizer_claims_a_customer_route_is_unauthorized() {
    let store = Arc::new(EmbeddedStore::new());
    let app = lambda_app(
        storefront(
            store.clone(),
            None,
            Arc::new(SystemClock),
            StorefrontSettings::default(),
        ),
        admin(store, None, None, AdminSettings::default()),
    );
    let mut event: Value =
        serde_json::from_str(include_str!("../../events/checkout-create-cart.json")).unwrap();
    event["requestContext"]["authorizer"] = Value::Null;
    let (status, body) = invoke(&app, &event.to_string()).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (401, Some("/problems/unauthorized"))
    );
}

struct FixedClock(chrono::DateTime<Utc>);

impl storesync_core::ports::Clock for FixedClock {
    fn now(&self) -> chrono::DateTime<Utc> {
        self.0
    }
}

/// The signed sample webhook verifies with the documented local test secret at its own time,
/// and only within the tolerance.
#[tokio::test]
async fn the_sample_webhook_verifies_with_the_documented_test_secret() {
    let event = include_str!("../../events/payment-webhook-stripe-succeeded.json");
    let signed_at = chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap();
    let webhook_at = |now| {
        let store = Arc::new(EmbeddedStore::new());
        let clock: Arc<dyn storesync_core::ports::Clock> = Arc::new(FixedClock(now));
        let processor = storesync_core::payments::PaymentProcessor::new(store, clock.clone(), None);
        let stripe = payment_webhook::stripe::StripeGateway::new(
            [storesync_devstack::DEV_STRIPE_SECRET.to_owned()],
            payment_webhook::stripe::DEFAULT_TOLERANCE_SECS,
        );
        let webhook = payment_webhook::Webhook::new(vec![Arc::new(stripe)], processor, clock);
        payment_webhook::router(Arc::new(webhook))
    };
    let (status, body) = invoke(
        &webhook_at(signed_at + chrono::Duration::seconds(60)),
        event,
    )
    .await;
    // No such order in an empty store: verified, acknowledged and kept for an operator.
    assert_eq!(
        (status, body["outcome"].as_str()),
        (200, Some("unmatched")),
        "{body}"
    );
    let (status, body) = invoke(
        &webhook_at(signed_at + chrono::Duration::seconds(301)),
        event,
    )
    .await;
    assert_eq!(
        (status, body["type"].as_str()),
        (400, Some("/problems/signature-expired"))
    );
}

/// The schedule's sample input runs the outbox sweep: events a queue outage left behind are
/// sent once; with the queue still down the run fails, so the outage shows in the metrics.
#[tokio::test]
async fn the_scheduled_outbox_sweep_sends_what_an_outage_left_behind() {
    use storesync_core::queue::EventQueue;
    use storesync_tests::payments::{SwitchableQueue, drain};

    let store = Arc::new(EmbeddedStore::new());
    storesync_devstack::seed_demo_catalog(store.as_ref())
        .await
        .unwrap();
    let queue = Arc::new(SwitchableQueue::new(Arc::new(
        storesync_embedded::LocalQueue::new(std::time::Duration::from_secs(30), 5),
    )));
    let relay = Arc::new(storesync_core::outbox::OutboxRelay::new(
        store.clone(),
        queue.clone(),
    ));
    let storefront = storefront(
        store.clone(),
        Some(queue.clone()),
        Arc::new(SystemClock),
        StorefrontSettings::default(),
    );
    let customer =
        storesync_core::storefront::Caller::Customer(CustomerId::parse("sweep-1").unwrap());
    let cart = storefront
        .create_customer_cart(CustomerId::parse("sweep-1").unwrap(), Currency::USD)
        .await
        .unwrap();
    let sku = storesync_core::ids::Sku::parse("MUG-WHT").unwrap();
    storefront
        .set_line(
            &customer,
            &cart.id,
            &sku,
            storesync_core::ids::Quantity::parse(1).unwrap(),
        )
        .await
        .unwrap();
    queue.set_down(true);
    let input = storesync_core::storefront::CheckoutInput {
        shipping_address: storesync_core::customer::Address {
            line1: "1 Main St".into(),
            line2: None,
            city: "Springfield".into(),
            region: None,
            postal_code: "12345".into(),
            country: storesync_core::customer::CountryCode::parse("US").unwrap(),
        },
        guest_email: None,
        payment_method: Default::default(),
    };
    storefront
        .checkout(&customer, &cart.id, "k", input)
        .await
        .unwrap();

    let scheduler = scheduled_sync::Scheduler::new(relay).with_log(store.clone());
    let event = || {
        let payload = serde_json::from_str(include_str!(
            "../../events/scheduled-sync-outbox-sweep.json"
        ))
        .unwrap();
        lambda_runtime::LambdaEvent::new(payload, lambda_runtime::Context::default())
    };
    let still_down = scheduled_sync::function_handler(&scheduler, event()).await;
    assert!(matches!(
        still_down,
        Err(scheduled_sync::JobError::QueueUnavailable { failed: 1, .. })
    ));
    queue.set_down(false);
    let summary = scheduled_sync::function_handler(&scheduler, event())
        .await
        .unwrap();
    let sent = |sent| {
        scheduled_sync::JobSummary::Sweep(scheduled_sync::SweepSummary {
            sent,
            ..Default::default()
        })
    };
    assert_eq!(summary, [sent(1)]);
    assert_eq!(
        scheduled_sync::function_handler(&scheduler, event())
            .await
            .unwrap(),
        [sent(0)]
    );
    let messages = drain(queue.as_ref() as &dyn EventQueue).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].group, "sweep-1");

    let unknown = lambda_runtime::LambdaEvent::new(
        serde_json::json!({"job": "make-coffee"}),
        lambda_runtime::Context::default(),
    );
    assert!(matches!(
        scheduled_sync::function_handler(&scheduler, unknown).await,
        Err(scheduled_sync::JobError::UnknownJob(_))
    ));

    // The runs that did something are in the log, newest first: the failed one with its
    // error. The scheduled sweep that found nothing is not.
    use storesync_core::jobs::{Job, Trigger};
    use storesync_core::ports::JobLog;
    let runs = store.recent_runs(10).await.unwrap();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(
        runs.iter()
            .all(|r| r.job == Job::OutboxSweep && r.trigger == Trigger::Schedule)
    );
    let sent_one = serde_json::json!({"sent": 1, "failed": 0});
    assert_eq!(runs[0].summary, Some(sent_one));
    assert!(runs[1].summary.is_none());
    let error = runs[1].error.as_deref().unwrap_or_default();
    assert!(error.contains("could not be sent"), "{error}");

    // An operator's request, delivered by the job-requests queue, runs the same way.
    let request = lambda_runtime::LambdaEvent::new(
        serde_json::json!({"Records": [{"body": serde_json::json!({
            "job": "outbox-sweep",
            "request_id": "r-1",
            "requested_by": "ops-1",
            "requested_at": "2026-12-01T09:30:00Z",
        }).to_string()}]}),
        lambda_runtime::Context::default(),
    );
    let answered = scheduled_sync::function_handler(&scheduler, request).await;
    assert_eq!(answered.unwrap(), [sent(0)]);
    let latest = &store.recent_runs(1).await.unwrap()[0];
    assert_eq!(
        latest.trigger,
        Trigger::Operator {
            subject: "ops-1".into(),
            request_id: "r-1".into()
        }
    );
}
