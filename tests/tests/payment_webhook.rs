//! The payment webhook end to end: signed Stripe events over HTTP, the store (embedded, or
//! DynamoDB on moto) and the queue (in-process, or SQS FIFO on moto).

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use storesync_core::ids::OrderId;
use storesync_core::outbox::OutboxRelay;
use storesync_core::payments::PaymentRecordStatus;
use storesync_core::queue::{EventQueue, QueueMessage};
use storesync_devstack::{DEV_STRIPE_SECRET, LocalStack};
use storesync_tests::app::shipping_body;
use storesync_tests::payments::{SwitchableQueue, charge, drain, payment_intent, stripe_event};
use storesync_tests::queue::QueueBackend;
use storesync_tests::{Auth, Backend, TestApp};

/// A stack with its queue, and the order a shopper has just placed (its event already read).
struct Paying {
    app: TestApp,
    queue: Arc<SwitchableQueue>,
    relay: Arc<OutboxRelay>,
    order_id: String,
    total: i64,
}

impl Paying {
    async fn new(backend: Backend, queue: QueueBackend) -> Paying {
        let queue = Arc::new(SwitchableQueue::new(queue.queue()));
        let stack = LocalStack::new(backend.store(), queue.clone());
        let relay = stack.relay();
        let app = TestApp::spawn_stack(backend, stack).await;
        let buyer = Auth::customer("buyer-7");
        let cart = app.cart_with(&buyer, "HOODIE-GRY-L", 1).await;
        let placed = app
            .checkout(
                &buyer,
                &format!("/v1/carts/{cart}"),
                "pay-1",
                &shipping_body(),
            )
            .await;
        assert_eq!(placed.status, StatusCode::CREATED);
        let placed_events = drain(queue.as_ref()).await;
        assert_eq!(placed_events.len(), 1, "the order.placed event");
        Paying {
            order_id: placed.body["id"].as_str().unwrap().to_owned(),
            total: placed.body["totals"]["total"]["minor_units"]
                .as_i64()
                .unwrap(),
            app,
            queue,
            relay,
        }
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    async fn deliver(&self, event: &Value) -> storesync_tests::app::Reply {
        self.app
            .stripe_webhook(event, DEV_STRIPE_SECRET, Self::now())
            .await
    }

    fn succeeded(&self, id: &str, amount: i64) -> Value {
        stripe_event(
            id,
            "payment_intent.succeeded",
            payment_intent("pi_1", &self.order_id, amount, "usd"),
        )
    }

    async fn order(&self) -> Value {
        self.app
            .get(
                &format!("/v1/orders/{}", self.order_id),
                &Auth::customer("buyer-7"),
            )
            .await
            .body
    }

    async fn payments(&self) -> Vec<storesync_core::payments::Payment> {
        let store = self.app.backend.store();
        store
            .payments_for_order(&OrderId::parse(&self.order_id).unwrap())
            .await
            .unwrap()
    }

    /// The open process exceptions, as the admin API lists them.
    async fn open_exceptions(&self) -> Vec<Value> {
        let reply = self
            .app
            .get(
                "/v1/admin/exceptions?status=open",
                &Auth::customer("ops-1:admin"),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body["items"].as_array().cloned().unwrap_or_default()
    }

    async fn messages(&self) -> Vec<(QueueMessage, Value)> {
        drain(self.queue.as_ref())
            .await
            .into_iter()
            .map(|m| {
                let body = serde_json::from_str(&m.body).unwrap();
                (m, body)
            })
            .collect()
    }
}

macro_rules! against_both_stacks {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn embedded_and_local_queue() {
                    let queue = super::QueueBackend::local(std::time::Duration::from_secs(30), 5);
                    super::$name(super::Paying::new(super::Backend::embedded().await, queue).await).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn dynamodb_and_sqs_on_moto() {
                    let queue = super::QueueBackend::sqs(std::time::Duration::from_secs(30), 5).await;
                    super::$name(super::Paying::new(super::Backend::dynamodb().await, queue).await).await
                }
            }
        )*
    };
}

async fn a_signed_success_pays_the_order_and_sends_one_event(p: Paying) {
    let reply = p.deliver(&p.succeeded("evt_ok", p.total)).await;
    assert_eq!(
        (reply.status, reply.body["outcome"].as_str()),
        (StatusCode::OK, Some("applied")),
        "{:?}",
        reply.body
    );
    let order = p.order().await;
    assert_eq!(
        (order["status"].as_str(), order["payment_status"].as_str()),
        (Some("paid"), Some("captured"))
    );
    let payments = p.payments().await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].status, PaymentRecordStatus::Captured);
    assert_eq!(payments[0].amount.minor_units(), p.total);
    let messages = p.messages().await;
    assert_eq!(messages.len(), 1);
    let (message, body) = &messages[0];
    assert_eq!(body["type"], "order.paid");
    assert_eq!(body["subject"]["order"]["order"]["id"], p.order_id.as_str());
    assert_eq!(message.group, "buyer-7", "grouped by customer");
    assert_eq!(message.id, body["event_id"].as_str().unwrap());
}

async fn the_same_event_ten_times_also_concurrently_is_applied_once(p: Paying) {
    let event = p.succeeded("evt_dup", p.total);
    let concurrent = join_all((0..5).map(|_| p.deliver(&event))).await;
    let mut replies = concurrent;
    for _ in 0..5 {
        replies.push(p.deliver(&event).await);
    }
    assert!(
        replies.iter().all(|r| r.status == StatusCode::OK),
        "{:?}",
        replies.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    let applied = replies
        .iter()
        .filter(|r| r.body["outcome"] == "applied")
        .count();
    let replayed = replies
        .iter()
        .filter(|r| r.body["outcome"] == "replayed")
        .count();
    assert_eq!((applied, replayed), (1, 9));
    let order = p.order().await;
    assert_eq!(
        (order["status"].as_str(), order["version"].as_i64()),
        (Some("paid"), Some(2)),
        "one transition"
    );
    let payments = p.payments().await;
    assert_eq!(
        (payments.len(), payments[0].history.len()),
        (1, 1),
        "one payment record, one entry"
    );
    assert_eq!(p.messages().await.len(), 1, "one queue message");
}

async fn badly_signed_requests_are_refused_and_change_nothing(p: Paying) {
    let event = p.succeeded("evt_bad", p.total);
    let body = event.to_string();
    let now = Paying::now();
    let good = payment_webhook::stripe::StripeGateway::signature_header(
        DEV_STRIPE_SECRET,
        now,
        body.as_bytes(),
    );
    let wrong = payment_webhook::stripe::StripeGateway::signature_header(
        "whsec_wrong",
        now,
        body.as_bytes(),
    );
    let old = payment_webhook::stripe::StripeGateway::signature_header(
        DEV_STRIPE_SECRET,
        now - 301,
        body.as_bytes(),
    );
    let tampered = body.replace(&p.total.to_string(), "1");
    let cases: Vec<(&str, Option<String>, String, &str)> = vec![
        (
            "tampered body",
            Some(good.clone()),
            tampered,
            "signature-mismatch",
        ),
        (
            "wrong secret",
            Some(wrong),
            body.clone(),
            "signature-mismatch",
        ),
        ("missing header", None, body.clone(), "signature-missing"),
        (
            "outside tolerance",
            Some(old),
            body.clone(),
            "signature-expired",
        ),
        (
            "malformed header",
            Some("t=yesterday,v1=abc".into()),
            body.clone(),
            "signature-malformed",
        ),
        (
            "no v1",
            Some(format!("t={now}")),
            body.clone(),
            "signature-malformed",
        ),
    ];
    let before = p.app.backend.snapshot().await;
    for (what, header, body, slug) in cases {
        let mut request = p
            .app
            .request(reqwest::Method::POST, "/v1/webhooks/stripe", &Auth::None)
            .body(body);
        if let Some(header) = header {
            request = request.header("Stripe-Signature", header);
        }
        let reply = p.app.send(request).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{what}");
        assert_eq!(reply.content_type(), "application/problem+json", "{what}");
        assert_eq!(reply.problem(), slug, "{what}: {:?}", reply.body);
    }
    assert_eq!(
        p.app.backend.snapshot().await,
        before,
        "the store is unchanged"
    );
    assert!(p.messages().await.is_empty(), "the queue is unchanged");
}

async fn an_amount_mismatch_never_pays_the_order(p: Paying) {
    let reply = p.deliver(&p.succeeded("evt_short", p.total - 1)).await;
    assert_eq!(reply.body["outcome"], "needs_review");
    let order = p.order().await;
    assert_eq!(
        (order["status"].as_str(), order["payment_status"].as_str()),
        (Some("pending_payment"), Some("pending"))
    );
    let payments = p.payments().await;
    assert_eq!(payments[0].status, PaymentRecordStatus::NeedsReview);
    assert!(
        payments[0]
            .review_reason
            .as_deref()
            .unwrap()
            .contains("order total")
    );
    let messages = p.messages().await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].1["type"], "payment.needs_review");
    // A different currency is a mismatch too.
    let eur = stripe_event(
        "evt_eur",
        "payment_intent.succeeded",
        payment_intent("pi_2", &p.order_id, p.total, "eur"),
    );
    assert_eq!(p.deliver(&eur).await.body["outcome"], "needs_review");
    assert_eq!(p.order().await["status"], "pending_payment");

    // Each held payment is an open process exception on the order, for operators.
    let open = p.open_exceptions().await;
    assert_eq!(open.len(), 2, "{open:?}");
    assert!(open.iter().all(|e| e["category"] == "payment_needs_review"
        && e["severity"] == "high"
        && e["order_id"] == p.order_id.as_str()));
    assert!(
        open.iter()
            .any(|e| e["message"].as_str().unwrap().contains("order total")),
        "{open:?}"
    );
    // The same report again is a replay: still two.
    p.deliver(&eur).await;
    assert_eq!(p.open_exceptions().await.len(), 2);
}

async fn a_refund_before_the_success_ends_refunded_with_both_recorded(p: Paying) {
    let before = p.app.available("HOODIE-GRY-L").await;
    let refund = stripe_event(
        "evt_refund",
        "charge.refunded",
        charge("pi_1", &p.order_id, p.total, p.total, "usd"),
    );
    assert_eq!(p.deliver(&refund).await.body["outcome"], "applied");
    assert_eq!(
        p.deliver(&p.succeeded("evt_late_success", p.total))
            .await
            .body["outcome"],
        "applied"
    );
    let order = p.order().await;
    assert_eq!(
        (order["status"].as_str(), order["payment_status"].as_str()),
        (Some("refunded"), Some("refunded"))
    );
    let payments = p.payments().await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].status, PaymentRecordStatus::Refunded);
    let kinds: Vec<&str> = payments[0]
        .history
        .iter()
        .map(|h| h.kind.as_str())
        .collect();
    assert_eq!(kinds, vec!["refunded", "captured"]);
    assert_eq!(
        payments[0].card.as_ref().map(|c| c.last4.as_str()),
        Some("4242")
    );
    assert_eq!(
        p.app.available("HOODIE-GRY-L").await,
        before + 1,
        "an order refunded before fulfilment goes back on the shelf"
    );
    let types: Vec<Value> = p
        .messages()
        .await
        .into_iter()
        .map(|(_, b)| b["type"].clone())
        .collect();
    assert_eq!(
        types,
        vec![json!("order.refunded"), json!("payment.updated")]
    );
}

async fn a_failure_after_the_success_does_not_unpay_the_order(p: Paying) {
    p.deliver(&p.succeeded("evt_paid", p.total)).await;
    let failed = stripe_event(
        "evt_failed_late",
        "payment_intent.payment_failed",
        payment_intent("pi_1", &p.order_id, p.total, "usd"),
    );
    assert_eq!(p.deliver(&failed).await.status, StatusCode::OK);
    let order = p.order().await;
    assert_eq!(
        (order["status"].as_str(), order["payment_status"].as_str()),
        (Some("paid"), Some("captured"))
    );
    let payments = p.payments().await;
    assert_eq!(payments[0].status, PaymentRecordStatus::Captured);
    assert_eq!(
        payments[0].history.len(),
        2,
        "the failure is recorded, not lost"
    );
}

async fn a_partial_refund_and_a_dispute_update_the_payment(p: Paying) {
    p.deliver(&p.succeeded("evt_paid", p.total)).await;
    let partial = stripe_event(
        "evt_part",
        "charge.refunded",
        charge("pi_1", &p.order_id, p.total, 100, "usd"),
    );
    p.deliver(&partial).await;
    let order = p.order().await;
    assert_eq!(
        (order["status"].as_str(), order["payment_status"].as_str()),
        (Some("paid"), Some("partially_refunded"))
    );
    // A dispute names only the payment; the order is found through it.
    let dispute = stripe_event(
        "evt_dispute",
        "charge.dispute.created",
        json!({"id": "dp_1", "object": "dispute", "amount": p.total, "currency": "usd", "payment_intent": "pi_1", "metadata": {}}),
    );
    assert_eq!(p.deliver(&dispute).await.body["outcome"], "applied");
    assert_eq!(p.order().await["payment_status"], "disputed");
    assert_eq!(p.payments().await[0].status, PaymentRecordStatus::Disputed);
}

async fn unknown_event_types_and_unknown_orders_are_acknowledged(p: Paying) {
    let before = p.app.backend.snapshot().await;
    let other = stripe_event("evt_other", "customer.created", json!({"id": "cus_1"}));
    let reply = p.deliver(&other).await;
    assert_eq!(
        (reply.status, reply.body["outcome"].as_str()),
        (StatusCode::OK, Some("ignored"))
    );
    assert_eq!(p.app.backend.snapshot().await, before);
    let stray = stripe_event(
        "evt_stray",
        "payment_intent.succeeded",
        payment_intent("pi_9", "ord_00000000000000000000000000000000", 100, "usd"),
    );
    assert_eq!(p.deliver(&stray).await.body["outcome"], "unmatched");
    assert_eq!(p.deliver(&stray).await.body["outcome"], "replayed");
    let open = p.open_exceptions().await;
    assert_eq!(
        open.len(),
        1,
        "one exception, however often it came: {open:?}"
    );
    assert_eq!(open[0]["category"], "payment_unmatched");
    assert_eq!(open[0]["order_id"], Value::Null);
    assert!(open[0]["message"].as_str().unwrap().contains("pi_9"));
    assert!(
        p.app
            .backend
            .snapshot()
            .await
            .to_string()
            .contains("evt_stray"),
        "kept for an operator"
    );
}

async fn with_the_queue_down_events_wait_in_the_outbox_and_the_sweep_sends_them_once(p: Paying) {
    p.queue.set_down(true);
    assert_eq!(
        p.deliver(&p.succeeded("evt_while_down", p.total))
            .await
            .body["outcome"],
        "applied"
    );
    assert_eq!(p.order().await["status"], "paid", "the change is committed");
    let store = p.app.backend.store();
    let unsent = store.unsent_events(10).await.unwrap();
    assert_eq!(unsent.len(), 1);
    assert!(p.messages().await.is_empty());

    // Still down: the sweep fails and keeps the event.
    assert_eq!(p.relay.sweep(10).await.unwrap().failed, 1);
    p.queue.set_down(false);
    let report = p.relay.sweep(10).await.unwrap();
    assert_eq!((report.sent, report.failed), (1, 0));
    assert!(store.unsent_events(10).await.unwrap().is_empty());
    assert_eq!(
        p.relay.sweep(10).await.unwrap().sent,
        0,
        "nothing is sent twice"
    );
    let messages = p.messages().await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].1["event_id"], unsent[0].event_id.as_str());
    assert_eq!(messages[0].1["type"], "order.paid");
}

against_both_stacks!(
    a_signed_success_pays_the_order_and_sends_one_event,
    the_same_event_ten_times_also_concurrently_is_applied_once,
    badly_signed_requests_are_refused_and_change_nothing,
    an_amount_mismatch_never_pays_the_order,
    a_refund_before_the_success_ends_refunded_with_both_recorded,
    a_failure_after_the_success_does_not_unpay_the_order,
    a_partial_refund_and_a_dispute_update_the_payment,
    unknown_event_types_and_unknown_orders_are_acknowledged,
    with_the_queue_down_events_wait_in_the_outbox_and_the_sweep_sends_them_once,
);

/// Checkout hands its event over the same way: with the queue down the order is still placed.
#[tokio::test]
async fn a_checkout_with_the_queue_down_still_places_the_order_and_the_sweep_sends_its_event() {
    let queue = Arc::new(SwitchableQueue::new(
        QueueBackend::local(Duration::from_secs(30), 5).queue(),
    ));
    let backend = Backend::embedded().await;
    let stack = LocalStack::new(backend.store(), queue.clone());
    let relay = stack.relay();
    let app = TestApp::spawn_stack(backend, stack).await;
    let who = Auth::customer("zoe");
    let cart = app.cart_with(&who, "MUG-WHT", 1).await;
    queue.set_down(true);
    let placed = app
        .checkout(&who, &format!("/v1/carts/{cart}"), "k", &shipping_body())
        .await;
    assert_eq!(placed.status, StatusCode::CREATED);
    assert!(drain(queue.as_ref() as &dyn EventQueue).await.is_empty());
    queue.set_down(false);
    assert_eq!(relay.sweep(10).await.unwrap().sent, 1);
    let messages = drain(queue.as_ref()).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].group, "zoe");
}
