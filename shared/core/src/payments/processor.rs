//! The payment use case: turns verified gateway reports into payment records and order
//! changes, once each, retrying when another report for the same order got there first.

use std::sync::Arc;

use serde::Serialize;

use crate::app_error::AppError;
use crate::events::{EventType, OutboxEvent};
use crate::exceptions::{ExceptionCategory, ProcessException};
use crate::ids::OrderId;
use crate::outbox::OutboxRelay;
use crate::payments::decide::decide;
use crate::payments::record::PaymentEvent;
use crate::ports::{Clock, PaymentChange, PaymentRecordError, PaymentStore};
use crate::retry::{Attempt, retry_on_conflict};

/// How a report was handled; every one of them answers the gateway 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentOutcome {
    Applied,
    /// The same report was handled before; nothing changed.
    Replayed,
    /// Recorded, and an operator is asked to look at it.
    NeedsReview,
    /// The report names no order of this store; kept for an operator.
    Unmatched,
}

/// Turns verified gateway reports into payment records and order changes.
pub struct PaymentProcessor {
    store: Arc<dyn PaymentStore>,
    clock: Arc<dyn Clock>,
    relay: Option<Arc<OutboxRelay>>,
}

impl PaymentProcessor {
    pub fn new(
        store: Arc<dyn PaymentStore>,
        clock: Arc<dyn Clock>,
        relay: Option<Arc<OutboxRelay>>,
    ) -> Self {
        PaymentProcessor {
            store,
            clock,
            relay,
        }
    }

    pub async fn handle(&self, event: &PaymentEvent) -> Result<PaymentOutcome, AppError> {
        let order_id = match event.order_id.as_deref() {
            Some(raw) => OrderId::parse(raw).ok(),
            None => self.store.order_for_payment(&event.payment_ref).await?,
        };
        let Some(order_id) = order_id else {
            return self.unmatched(event).await;
        };
        let order_id = &order_id;
        retry_on_conflict(move || self.apply(order_id, event)).await
    }

    /// One read-decide-write round for a report about a known order.
    async fn apply(
        &self,
        order_id: &OrderId,
        event: &PaymentEvent,
    ) -> Result<Attempt<PaymentOutcome>, AppError> {
        let (order, payment) = self
            .store
            .order_and_payment(order_id, &event.payment_ref)
            .await?;
        let Some(order) = order else {
            return self.unmatched(event).await.map(Attempt::Done);
        };
        if payment
            .as_ref()
            .is_some_and(|p| p.history.iter().any(|h| h.event_id == event.event_id))
        {
            return Ok(Attempt::Done(PaymentOutcome::Replayed));
        }
        let now = self.clock.now();
        let decision = decide(&order, payment.as_ref(), event, now);
        let after = decision.order.as_ref().unwrap_or(&order);
        let outbox = OutboxEvent::for_payment(decision.event_type, after, &decision.payment, now);
        let change = PaymentChange {
            webhook_event_id: event.event_id.clone(),
            expected_order_version: order.version,
            order: decision.order.clone(),
            expected_payment_version: payment.as_ref().map(|p| p.version),
            payment: decision.payment.clone(),
            restock: decision.restock.clone(),
            event: outbox.clone(),
            received_at: now,
            exception: (decision.event_type == EventType::PaymentNeedsReview).then(|| {
                let reason = decision
                    .payment
                    .review_reason
                    .as_deref()
                    .unwrap_or("held for review");
                ProcessException::raise(
                    ExceptionCategory::PaymentNeedsReview,
                    Some(order_id.clone()),
                    &event.event_id,
                    format!(
                        "{} report {} for payment {}: {reason}",
                        event.gateway,
                        event.kind.name(),
                        event.payment_ref
                    ),
                    now,
                )
            }),
        };
        match self.store.record_payment(&change).await {
            Ok(()) => {
                tracing::info!(
                    order_id = %order_id,
                    event_id = %event.event_id,
                    kind = event.kind.name(),
                    payment_status = ?decision.payment.status,
                    "payment report applied"
                );
                if let Some(relay) = &self.relay {
                    relay.publish(std::slice::from_ref(&outbox)).await;
                }
                Ok(Attempt::Done(
                    if decision.event_type == EventType::PaymentNeedsReview {
                        PaymentOutcome::NeedsReview
                    } else {
                        PaymentOutcome::Applied
                    },
                ))
            }
            Err(PaymentRecordError::AlreadyProcessed) => {
                Ok(Attempt::Done(PaymentOutcome::Replayed))
            }
            Err(PaymentRecordError::Conflict) => Ok(Attempt::Conflict),
            Err(PaymentRecordError::Store(e)) => Err(e.into()),
        }
    }

    async fn unmatched(&self, event: &PaymentEvent) -> Result<PaymentOutcome, AppError> {
        let now = self.clock.now();
        let exception = ProcessException::raise(
            ExceptionCategory::PaymentUnmatched,
            None,
            &event.event_id,
            format!(
                "{} report {} for payment {} ({}) names no order of this store",
                event.gateway,
                event.kind.name(),
                event.payment_ref,
                event.amount
            ),
            now,
        );
        let first = self.store.record_unmatched(event, now, &exception).await?;
        if first {
            tracing::warn!(event_id = %event.event_id, payment_ref = %event.payment_ref, "payment report names no known order");
            Ok(PaymentOutcome::Unmatched)
        } else {
            Ok(PaymentOutcome::Replayed)
        }
    }
}
