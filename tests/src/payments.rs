//! Signed gateway events and a queue that can be made to fail, for the payment tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use payment_webhook::stripe::StripeGateway;
use reqwest::Method;
use serde_json::{Value, json};
use storesync_core::queue::{EventQueue, QueueError, QueueMessage, ReceivedMessage};

use crate::app::{Auth, Reply, TestApp};

/// A Stripe event of `event_type` about `object`.
pub fn stripe_event(id: &str, event_type: &str, object: Value) -> Value {
    json!({
        "id": id,
        "object": "event",
        "type": event_type,
        "created": chrono::Utc::now().timestamp(),
        "livemode": false,
        "data": { "object": object }
    })
}

/// A PaymentIntent for an order.
pub fn payment_intent(intent: &str, order_id: &str, amount: i64, currency: &str) -> Value {
    json!({
        "id": intent, "object": "payment_intent", "amount": amount, "amount_received": amount,
        "currency": currency, "metadata": { "order_id": order_id }, "status": "succeeded"
    })
}

/// A Charge of an intent with `refunded` of `amount` refunded so far.
pub fn charge(intent: &str, order_id: &str, amount: i64, refunded: i64, currency: &str) -> Value {
    json!({
        "id": format!("ch_{intent}"), "object": "charge", "payment_intent": intent,
        "amount": amount, "amount_refunded": refunded, "currency": currency,
        "metadata": { "order_id": order_id },
        "payment_method_details": { "card": { "brand": "visa", "last4": "4242" } }
    })
}

impl TestApp {
    /// Posts `event` to the Stripe webhook, signed with `secret` at `timestamp`.
    pub async fn stripe_webhook(&self, event: &Value, secret: &str, timestamp: i64) -> Reply {
        let body = event.to_string();
        let header = StripeGateway::signature_header(secret, timestamp, body.as_bytes());
        self.send(
            self.request(Method::POST, "/v1/webhooks/stripe", &Auth::None)
                .header("Stripe-Signature", header)
                .header("Content-Type", "application/json")
                .body(body),
        )
        .await
    }
}

/// Receives everything visible on a queue, deleting what it reads.
pub async fn drain(queue: &dyn EventQueue) -> Vec<QueueMessage> {
    let mut messages = Vec::new();
    loop {
        let batch = queue.receive(10).await.expect("the queue answers");
        if batch.is_empty() {
            return messages;
        }
        for received in batch {
            queue
                .delete(&received.receipt)
                .await
                .expect("a received message can be deleted");
            messages.push(received.message);
        }
    }
}

/// A real queue that can be switched to refuse sends, as an unreachable SQS would.
pub struct SwitchableQueue {
    inner: Arc<dyn EventQueue>,
    down: AtomicBool,
}

impl SwitchableQueue {
    pub fn new(inner: Arc<dyn EventQueue>) -> Self {
        SwitchableQueue {
            inner,
            down: AtomicBool::new(false),
        }
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}

#[async_trait]
impl EventQueue for SwitchableQueue {
    async fn send(&self, message: &QueueMessage) -> Result<(), QueueError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(QueueError::Unavailable("the queue is switched off".into()));
        }
        self.inner.send(message).await
    }

    async fn receive(&self, max: usize) -> Result<Vec<ReceivedMessage>, QueueError> {
        self.inner.receive(max).await
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        self.inner.delete(receipt).await
    }

    async fn release(&self, receipt: &str) -> Result<(), QueueError> {
        self.inner.release(receipt).await
    }
}
