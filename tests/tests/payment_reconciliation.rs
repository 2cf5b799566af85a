//! Payment reconciliation against a local Stripe: an order left awaiting payment is paid when
//! its PaymentIntent succeeded, cancelled and restocked when it was cancelled, and left alone
//! while it is still open or unknown; each once, whatever runs again later.

use std::sync::Arc;

use chrono::Duration;
use storesync_core::ids::OrderId;
use storesync_core::order::lifecycle::OrderStatus;
use storesync_core::outbox::OutboxRelay;
use storesync_core::payments::processor::PaymentProcessor;
use storesync_core::payments::reconcile::{ReconcileSummary, Reconciliation};
use storesync_core::ports::SystemClock;
use storesync_stripe::{LocalStripe, StripeConfig, StripePayments};
use storesync_tests::crm::SyncHarness;

fn reconciliation(h: &SyncHarness, stripe: &LocalStripe, key: &str) -> Reconciliation {
    let mut config = StripeConfig::new(key);
    config.api_base = stripe.base_url();
    let relay = Arc::new(OutboxRelay::new(h.store.clone(), h.queue.clone()));
    let processor = PaymentProcessor::new(h.store.clone(), Arc::new(SystemClock), Some(relay));
    Reconciliation::new(
        h.store.clone(),
        Arc::new(StripePayments::new(config).unwrap()),
        Arc::new(processor),
        Arc::new(SystemClock),
    )
}

async fn status(h: &SyncHarness, order: &str) -> OrderStatus {
    h.store
        .order(&OrderId::parse(order).unwrap())
        .await
        .unwrap()
        .unwrap()
        .status
}

fn always() -> bool {
    true
}

#[tokio::test]
async fn pending_orders_are_paid_or_cancelled_as_stripe_says_and_the_rest_wait() {
    let h = SyncHarness::start().await;
    let stripe = LocalStripe::start().await.unwrap();
    h.register("rec-1", "rec@example.com", None).await;
    let (succeeded, total) = h.order("rec-1", 1).await;
    let (canceled, canceled_total) = h.order("rec-1", 4).await;
    let (processing, _) = h.order("rec-1", 1).await;
    let (unknown, _) = h.order("rec-1", 1).await;
    stripe.put_intent("pi_succeeded", &succeeded, total, "usd", "succeeded");
    stripe.put_intent("pi_canceled", &canceled, canceled_total, "usd", "canceled");
    stripe.put_intent("pi_processing", &processing, total, "usd", "processing");
    let mugs_before = h.app.available("MUG-WHT").await;

    let reconcile = reconciliation(&h, &stripe, stripe.secret_key());
    // Orders changed within the last hour are not idle yet.
    let fresh = reconcile.run(Duration::hours(1), &always).await.unwrap();
    assert_eq!(fresh, ReconcileSummary::default());

    let summary = reconcile.run(Duration::zero(), &always).await.unwrap();
    assert_eq!(
        summary,
        ReconcileSummary {
            checked: 4,
            paid: 1,
            cancelled: 1,
            left_pending: 2,
            not_checked: 0,
        }
    );
    assert_eq!(status(&h, &succeeded).await, OrderStatus::Paid);
    assert_eq!(status(&h, &canceled).await, OrderStatus::Cancelled);
    assert_eq!(
        h.app.available("MUG-WHT").await,
        mugs_before + 4,
        "restocked"
    );
    assert_eq!(status(&h, &processing).await, OrderStatus::PendingPayment);
    assert_eq!(status(&h, &unknown).await, OrderStatus::PendingPayment);

    // Again: only the two still pending are asked about, and nothing changes.
    let again = reconcile.run(Duration::zero(), &always).await.unwrap();
    assert_eq!((again.checked, again.left_pending), (2, 2));
    assert_eq!(h.app.available("MUG-WHT").await, mugs_before + 4);

    // The webhook arriving late changes nothing more.
    h.pay(&succeeded, total).await;
    assert_eq!(status(&h, &succeeded).await, OrderStatus::Paid);
}

#[tokio::test]
async fn when_stripe_refuses_the_key_nothing_changes_and_the_orders_are_counted_unchecked() {
    let h = SyncHarness::start().await;
    let stripe = LocalStripe::start().await.unwrap();
    h.register("rec-2", "rec2@example.com", None).await;
    let (order, total) = h.order("rec-2", 1).await;
    stripe.put_intent("pi_x", &order, total, "usd", "succeeded");
    let summary = reconciliation(&h, &stripe, "sk_test_wrong")
        .run(Duration::zero(), &always)
        .await
        .unwrap();
    assert_eq!((summary.checked, summary.not_checked), (1, 1));
    assert_eq!(status(&h, &order).await, OrderStatus::PendingPayment);
}
