//! After-sales end to end: a delivered order's returned mug is received by an operator, its
//! money (worked out to the minor unit) is refunded once through the gateway (the local
//! Stripe), even when the refund is asked for again; items cancelled before fulfilment give
//! their money back and their units back to the shelf, and only the rest ships.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use storesync_core::after_sales::{RefundRun, Refunds};
use storesync_core::fulfilment::process::Fulfilment;
use storesync_core::ids::{OrderId, PaymentRef};
use storesync_core::money::{Currency, Money};
use storesync_core::order::RefundState;
use storesync_core::payments::gateway::PaymentGateway;
use storesync_core::ports::SystemClock;
use storesync_stripe::{LocalStripe, StripeConfig, StripePayments};
use storesync_tests::app::Auth;
use storesync_tests::crm::SyncHarness;
use storesync_tests::fulfilment::deliver;

fn always() -> bool {
    true
}

fn operator() -> Auth {
    Auth::customer("ops-1:admin")
}

fn manager() -> Auth {
    Auth::customer("mgr-1:admin,managers")
}

fn gateway(stripe: &LocalStripe) -> Arc<StripePayments> {
    let mut config = StripeConfig::new(stripe.secret_key());
    config.api_base = stripe.base_url();
    Arc::new(StripePayments::new(config).unwrap())
}

fn refunds(h: &SyncHarness, stripe: &LocalStripe) -> Refunds {
    Refunds::new(
        h.store.clone(),
        gateway(stripe),
        h.store.clone(),
        Arc::new(SystemClock),
    )
}

#[tokio::test]
async fn a_returned_mug_is_refunded_once_even_when_the_refund_is_asked_for_again() {
    let h = SyncHarness::start().await;
    let stripe = LocalStripe::start().await.unwrap();
    h.register("ret-1", "ret@example.com", None).await;
    // 3 mugs at USD 12.00, under the free-shipping threshold: shipping USD 5.00, no US tax.
    let (order, total) = h.order("ret-1", 3).await;
    assert_eq!(total, 4100);
    h.pay(&order, total).await;
    let intent = format!("pi_{}", &order[4..16]);
    stripe.put_intent(&intent, &order, total, "usd", "succeeded");
    deliver(&h, &order).await;
    let mugs = h.on_shelf("MUG-WHT").await;

    let auth = Auth::customer("ret-1");
    let asked = h
        .app
        .call(
            Method::POST,
            &format!("/v1/orders/{order}/returns"),
            &auth,
            Some(json!({"lines": [{"sku": "MUG-WHT", "quantity": 1}], "reason": "chipped"})),
        )
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{:?}", asked.body);
    let return_id = asked.body["returns"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/admin/orders/{order}/returns/{return_id}/receive");
    let received = h.app.call(Method::POST, &path, &operator(), None).await;
    assert_eq!(received.status, StatusCode::OK, "{:?}", received.body);
    assert_eq!(received.body["status"], "returned");
    // Received twice: the second is refused, nothing more is owed.
    let again = h.app.call(Method::POST, &path, &operator(), None).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{:?}", again.body);
    assert_eq!(
        h.on_shelf("MUG-WHT").await,
        mugs + 1,
        "the mug is back once"
    );

    // One mug: USD 12.00; the shipping stays (two mugs were kept), no tax.
    let after = h.stored_order(&order).await;
    assert_eq!(after.credit_memos.len(), 1);
    let memo = after.credit_memos[0].clone();
    assert_eq!(memo.amount, Money::new(1200, Currency::USD));
    assert_eq!(memo.refund, RefundState::AwaitingApproval);

    // The refund of a return waits for a manager: the run refunds nothing until one approves.
    assert_eq!(
        refunds(&h, &stripe).run(&always).await.unwrap(),
        RefundRun::default()
    );
    assert!(stripe.refunds_of(&intent).is_empty());
    let decision = format!("/v1/admin/approvals/{order}:refund:{}/decision", memo.id);
    let approve = json!({"decision": "approve", "comment": "chipped in transit"});
    let refused = h
        .app
        .call(Method::POST, &decision, &operator(), Some(approve.clone()))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
    let approved = h
        .app
        .call(Method::POST, &decision, &manager(), Some(approve))
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["decision"]["by"], "mgr-1");
    assert_eq!(approved.body["decision"]["via"], "store");
    let memo = h.stored_order(&order).await.credit_memos[0].clone();
    assert_eq!(memo.refund, RefundState::Pending);

    // A previous run asked Stripe and stopped before it could record the answer.
    let payment = PaymentRef::parse(&intent).unwrap();
    let lost = gateway(&stripe)
        .refund(&payment, memo.amount, &memo.id)
        .await
        .unwrap();
    let run = refunds(&h, &stripe).run(&always).await.unwrap();
    assert_eq!(
        run,
        RefundRun {
            refunded: 1,
            ..RefundRun::default()
        }
    );
    let refunded = stripe.refunds_of(&intent);
    assert_eq!(refunded.len(), 1, "refunded once: {refunded:?}");
    assert_eq!(refunded[0]["amount"], 1200);
    let after = h.stored_order(&order).await;
    assert!(
        matches!(&after.credit_memos[0].refund, RefundState::Refunded { refund_id, .. } if *refund_id == lost),
        "{:?}",
        after.credit_memos
    );
    // Again: nothing is pending, nothing is asked.
    assert_eq!(
        refunds(&h, &stripe).run(&always).await.unwrap(),
        RefundRun::default()
    );
    assert_eq!(stripe.refunds_of(&intent).len(), 1);
}

#[tokio::test]
async fn items_cancelled_before_fulfilment_give_the_money_and_the_units_back() {
    let h = SyncHarness::start().await;
    h.register("can-1", "can@example.com", None).await;
    let (order, total) = h.order("can-1", 3).await;
    h.pay(&order, total).await;
    let mugs = h.on_shelf("MUG-WHT").await;
    let auth = Auth::customer("can-1");
    let path = format!("/v1/orders/{order}/cancel-items");
    let call = |body: Value| {
        let (h, auth, path) = (&h, &auth, &path);
        async move { h.app.call(Method::POST, path, auth, Some(body)).await }
    };
    let too_many = call(json!({"lines": [{"sku": "MUG-WHT", "quantity": 4}], "reason": "x"})).await;
    assert_eq!(
        too_many.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        too_many.body
    );
    assert_eq!(too_many.problem(), "cancel-exceeds-order");
    let unknown = call(json!({"lines": [{"sku": "HAT-RED", "quantity": 1}], "reason": "x"})).await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        unknown.body
    );
    assert_eq!(h.on_shelf("MUG-WHT").await, mugs, "refusals change nothing");

    let cancelled = call(
        json!({"lines": [{"sku": "MUG-WHT", "quantity": 1}], "reason": "ordered one too many"}),
    )
    .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    assert_eq!(cancelled.body["status"], "paid");
    assert_eq!(h.on_shelf("MUG-WHT").await, mugs + 1);
    let after = h.stored_order(&order).await;
    assert_eq!(
        after.credit_memos[0].amount,
        Money::new(1200, Currency::USD)
    );
    assert_eq!(after.credit_memos[0].refund, RefundState::Pending);

    // Only the two mugs left are handed to fulfilment.
    let fulfilment = Fulfilment::new(
        h.store.clone(),
        h.store.clone(),
        h.store.clone(),
        Arc::new(SystemClock),
    );
    let run = fulfilment.run(&always).await.unwrap();
    assert_eq!(run.started, 1, "{run:?}");
    let fos = h
        .store
        .fulfilment_orders(&OrderId::parse(&order).unwrap())
        .await
        .unwrap();
    let shipping: u32 = fos
        .iter()
        .flat_map(|fo| &fo.lines)
        .map(|l| l.quantity.get())
        .sum();
    assert_eq!(shipping, 2);
    // Handed to fulfilment: too late to cancel items.
    let late = call(json!({"lines": [{"sku": "MUG-WHT", "quantity": 1}], "reason": "x"})).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{:?}", late.body);
    assert_eq!(late.problem(), "invalid-transition");
}
