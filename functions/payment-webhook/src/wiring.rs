//! The webhook function put together, once, for the Lambda binary, the dev stack and tests.

use std::sync::Arc;

use storesync_core::fulfilment::process::Fulfilment;
use storesync_core::outbox::OutboxRelay;
use storesync_core::payments::PaymentProcessor;
use storesync_core::ports::{Clock, PaymentStore, Store};
use storesync_core::queue::EventQueue;

use storesync_web::signature::Secrets;

use crate::Webhook;
use crate::stripe::StripeGateway;

/// The webhook over `store`, accepting Stripe events signed with any of `secrets`; with a
/// queue, each change's event is sent as soon as it is committed.
pub fn webhook(
    store: Arc<dyn Store>,
    queue: Option<Arc<dyn EventQueue>>,
    clock: Arc<dyn Clock>,
    secrets: Vec<String>,
    tolerance_secs: i64,
) -> Webhook {
    let relay = queue.map(|queue| Arc::new(OutboxRelay::new(store.clone(), queue)));
    let payments: Arc<dyn PaymentStore> = store;
    let processor = PaymentProcessor::new(payments, clock.clone(), relay);
    let stripe = StripeGateway::new(secrets, tolerance_secs);
    Webhook::new(vec![Arc::new(stripe)], processor, clock)
}

/// Adds the fulfilment provider's shipment notices, signed with one of `secrets`, to `webhook`.
pub fn with_notices(
    webhook: Webhook,
    store: Arc<dyn Store>,
    queue: Option<Arc<dyn EventQueue>>,
    clock: Arc<dyn Clock>,
    secrets: Vec<String>,
    tolerance_secs: i64,
) -> Webhook {
    let mut fulfilment = Fulfilment::new(store.clone(), store.clone(), store.clone(), clock);
    if let Some(queue) = queue {
        fulfilment = fulfilment.with_relay(Arc::new(OutboxRelay::new(store, queue)));
    }
    webhook.with_notices(fulfilment, Secrets::new(secrets, tolerance_secs))
}
