//! Payments: what a gateway reports, the payment record, and how each report moves the order.
//! Reports may arrive late, twice or out of order; the rules below give the same end state.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::events::{OrderEventType, OutboxEvent};
use crate::ids::{OrderId, Sku};
use crate::money::Money;
use crate::order::{Order, OrderEvent, OrderStatus, PaymentStatus};
use crate::outbox::OutboxRelay;
use crate::ports::{Clock, PaymentChange, PaymentRecordError, PaymentStore};

/// What happened to a payment, as the gateway says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PaymentEventKind {
    Authorized,
    Captured,
    Failed {
        reason: Option<String>,
    },
    Canceled,
    /// `refunded` is the total refunded so far, not this refund alone.
    Refunded {
        refunded: Money,
    },
    Disputed,
}

impl PaymentEventKind {
    pub fn name(&self) -> &'static str {
        match self {
            PaymentEventKind::Authorized => "authorized",
            PaymentEventKind::Captured => "captured",
            PaymentEventKind::Failed { .. } => "failed",
            PaymentEventKind::Canceled => "canceled",
            PaymentEventKind::Refunded { .. } => "refunded",
            PaymentEventKind::Disputed => "disputed",
        }
    }
}

/// Card details safe to keep: never the number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardSummary {
    pub brand: String,
    pub last4: String,
}

/// A verified gateway report about one payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentEvent {
    /// The gateway's event id; a report with a known id is a replay.
    pub event_id: String,
    pub gateway: String,
    pub kind: PaymentEventKind,
    /// The order named in the payment's metadata, as sent.
    pub order_id: Option<String>,
    /// The gateway's payment id (a Stripe PaymentIntent id).
    pub payment_ref: String,
    pub amount: Money,
    pub card: Option<CardSummary>,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentRecordStatus {
    Authorized,
    Captured,
    Failed,
    Canceled,
    PartiallyRefunded,
    Refunded,
    Disputed,
    /// Something does not add up; an operator decides.
    NeedsReview,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentHistoryEntry {
    pub event_id: String,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

/// One payment of an order, as known from every report received about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub order_id: OrderId,
    pub payment_ref: String,
    pub gateway: String,
    pub status: PaymentRecordStatus,
    pub amount: Money,
    pub refunded: Money,
    pub card: Option<CardSummary>,
    pub review_reason: Option<String>,
    pub history: Vec<PaymentHistoryEntry>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

/// What one report changes, decided from the order and payment as they are now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentDecision {
    /// The order one version on, if the report moves it.
    pub order: Option<Order>,
    pub restock: Vec<(Sku, u32)>,
    pub payment: Payment,
    pub event_type: OrderEventType,
}

/// Applies a report: the payment record always learns of it; the order moves only as the life
/// cycle allows, so a late or repeated report never undoes a later state.
pub fn decide(
    order: &Order,
    payment: Option<&Payment>,
    event: &PaymentEvent,
    now: DateTime<Utc>,
) -> PaymentDecision {
    let mut record = payment.cloned().unwrap_or_else(|| Payment {
        order_id: order.id.clone(),
        payment_ref: event.payment_ref.clone(),
        gateway: event.gateway.clone(),
        status: PaymentRecordStatus::Authorized,
        amount: event.amount,
        refunded: Money::zero(event.amount.currency()),
        card: None,
        review_reason: None,
        history: Vec::new(),
        created_at: now,
        updated_at: now,
        version: 0,
    });
    record.history.push(PaymentHistoryEntry {
        event_id: event.event_id.clone(),
        kind: event.kind.name().to_owned(),
        occurred_at: event.occurred_at,
        received_at: now,
    });
    record.updated_at = now;
    record.version += 1;
    if record.card.is_none() {
        record.card = event.card.clone();
    }

    let review = |mut record: Payment, reason: String| {
        record.status = PaymentRecordStatus::NeedsReview;
        record.review_reason = Some(reason);
        PaymentDecision {
            order: None,
            restock: Vec::new(),
            payment: record,
            event_type: OrderEventType::PaymentNeedsReview,
        }
    };
    let expected = order.totals.total;
    let settled = matches!(
        record.status,
        PaymentRecordStatus::Refunded
            | PaymentRecordStatus::PartiallyRefunded
            | PaymentRecordStatus::Disputed
    );
    // Before any capture, every report may be about the payment that will pay the order.
    let pays_this_order = order
        .paid_by
        .as_ref()
        .is_none_or(|paying| *paying == event.payment_ref);
    let mut next = order.clone();
    let mut restock = Vec::new();
    let mut event_type = OrderEventType::PaymentUpdated;

    match &event.kind {
        PaymentEventKind::Authorized | PaymentEventKind::Captured if event.amount != expected => {
            return review(
                record,
                format!(
                    "the gateway reports {} but the order total is {}",
                    event.amount, expected
                ),
            );
        }
        PaymentEventKind::Authorized => {
            if record.status == PaymentRecordStatus::Authorized
                || record.status == PaymentRecordStatus::Failed
            {
                record.status = PaymentRecordStatus::Authorized;
            }
            if order.status == OrderStatus::PendingPayment
                && matches!(
                    next.payment_status,
                    PaymentStatus::Pending | PaymentStatus::Failed
                )
            {
                next.payment_status = PaymentStatus::Authorized;
            }
        }
        PaymentEventKind::Captured => {
            if !pays_this_order {
                return review(
                    record,
                    "a second payment was captured for an order already paid; refund one".into(),
                );
            }
            if !settled {
                record.status = PaymentRecordStatus::Captured;
            }
            match order.status {
                OrderStatus::PendingPayment => {
                    // A refund or dispute may have been reported first: keep what is known.
                    let known = order.payment_status;
                    next = order
                        .apply(OrderEvent::PaymentCaptured, now)
                        .unwrap_or(next);
                    if matches!(
                        known,
                        PaymentStatus::PartiallyRefunded | PaymentStatus::Disputed
                    ) {
                        next.payment_status = known;
                    }
                    next.paid_by = Some(event.payment_ref.clone());
                    event_type = OrderEventType::OrderPaid;
                }
                OrderStatus::Cancelled => {
                    return review(
                        record,
                        "money was captured for a cancelled order; refund it".into(),
                    );
                }
                _ => {}
            }
        }
        PaymentEventKind::Failed { .. } => {
            if matches!(
                record.status,
                PaymentRecordStatus::Authorized | PaymentRecordStatus::Failed
            ) {
                record.status = PaymentRecordStatus::Failed;
            }
            // A failure after a capture is history; it never un-pays the order.
            if matches!(
                next.payment_status,
                PaymentStatus::Pending | PaymentStatus::Authorized
            ) {
                next.payment_status = PaymentStatus::Failed;
                event_type = OrderEventType::PaymentFailed;
            }
        }
        PaymentEventKind::Canceled => {
            if matches!(
                record.status,
                PaymentRecordStatus::Authorized | PaymentRecordStatus::Failed
            ) {
                record.status = PaymentRecordStatus::Canceled;
            }
            if order.status == OrderStatus::PendingPayment
                && let Ok((cancelled, units)) = order.cancel(Some("payment canceled".into()), now)
            {
                next = cancelled;
                next.payment_status = PaymentStatus::Failed;
                restock = units;
                event_type = OrderEventType::OrderCancelled;
            }
        }
        PaymentEventKind::Refunded { refunded } => {
            if refunded.currency() != expected.currency()
                || refunded.minor_units() > expected.minor_units()
            {
                return review(
                    record,
                    format!("the gateway refunded {refunded} of an order of {expected}"),
                );
            }
            // Totals only grow; an older report with a smaller total changes nothing.
            if refunded.minor_units() >= record.refunded.minor_units() {
                record.refunded = *refunded;
            }
            let full = record.refunded == expected;
            record.status = if full {
                PaymentRecordStatus::Refunded
            } else {
                PaymentRecordStatus::PartiallyRefunded
            };
            if !pays_this_order {
                // A refund of a duplicate payment: the order keeps the payment that paid it.
            } else if full {
                next.payment_status = PaymentStatus::Refunded;
                if let Ok(refunded_order) = order.apply(OrderEvent::PaymentRefunded, now) {
                    if matches!(
                        order.status,
                        OrderStatus::PendingPayment | OrderStatus::Paid
                    ) {
                        restock = order
                            .lines
                            .iter()
                            .map(|l| (l.sku.clone(), l.quantity.get()))
                            .collect();
                    }
                    next = refunded_order;
                    event_type = OrderEventType::OrderRefunded;
                }
            } else if next.payment_status != PaymentStatus::Refunded {
                next.payment_status = PaymentStatus::PartiallyRefunded;
            }
        }
        PaymentEventKind::Disputed => {
            record.status = PaymentRecordStatus::Disputed;
            if pays_this_order {
                next.payment_status = PaymentStatus::Disputed;
            }
        }
    }

    let changed = next != *order;
    if changed && next.version == order.version {
        next.version += 1;
        next.updated_at = now;
    }
    PaymentDecision {
        order: changed.then_some(next),
        restock,
        payment: record,
        event_type,
    }
}

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

const CONFLICT_RETRIES: usize = 8;

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
        for _ in 0..CONFLICT_RETRIES {
            let (order, payment) = self
                .store
                .order_and_payment(&order_id, &event.payment_ref)
                .await?;
            let Some(order) = order else {
                return self.unmatched(event).await;
            };
            if payment
                .as_ref()
                .is_some_and(|p| p.history.iter().any(|h| h.event_id == event.event_id))
            {
                return Ok(PaymentOutcome::Replayed);
            }
            let now = self.clock.now();
            let decision = decide(&order, payment.as_ref(), event, now);
            let after = decision.order.as_ref().unwrap_or(&order);
            let outbox =
                OutboxEvent::for_payment(decision.event_type, after, &decision.payment, now);
            let change = PaymentChange {
                webhook_event_id: event.event_id.clone(),
                expected_order_version: order.version,
                order: decision.order.clone(),
                expected_payment_version: payment.as_ref().map(|p| p.version),
                payment: decision.payment.clone(),
                restock: decision.restock.clone(),
                event: outbox.clone(),
                received_at: now,
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
                    return Ok(
                        if decision.event_type == OrderEventType::PaymentNeedsReview {
                            PaymentOutcome::NeedsReview
                        } else {
                            PaymentOutcome::Applied
                        },
                    );
                }
                Err(PaymentRecordError::AlreadyProcessed) => return Ok(PaymentOutcome::Replayed),
                Err(PaymentRecordError::Conflict) => continue,
                Err(PaymentRecordError::Store(e)) => return Err(e.into()),
            }
        }
        Err(AppError::Conflict)
    }

    async fn unmatched(&self, event: &PaymentEvent) -> Result<PaymentOutcome, AppError> {
        let first = self.store.record_unmatched(event, self.clock.now()).await?;
        if first {
            tracing::warn!(event_id = %event.event_id, payment_ref = %event.payment_ref, "payment report names no known order");
            Ok(PaymentOutcome::Unmatched)
        } else {
            Ok(PaymentOutcome::Replayed)
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::order::tests::sample_order;

    fn report(id: &str, payment_ref: &str, kind: PaymentEventKind, amount: Money) -> PaymentEvent {
        PaymentEvent {
            event_id: id.into(),
            gateway: "stripe".into(),
            kind,
            order_id: None,
            payment_ref: payment_ref.into(),
            amount,
            card: None,
            occurred_at: Utc::now(),
        }
    }

    /// Applies reports in turn, keeping each payment's record as a store would.
    fn apply_all(order: &Order, reports: &[PaymentEvent]) -> (Order, Vec<PaymentDecision>) {
        let mut order = order.clone();
        let mut records: Vec<Payment> = Vec::new();
        let mut decisions = Vec::new();
        for r in reports {
            let known = records.iter().find(|p| p.payment_ref == r.payment_ref);
            let d = decide(&order, known, r, Utc::now());
            records.retain(|p| p.payment_ref != r.payment_ref);
            records.push(d.payment.clone());
            if let Some(o) = &d.order {
                order = o.clone();
            }
            decisions.push(d);
        }
        (order, decisions)
    }

    #[test]
    fn a_second_capture_for_a_paid_order_is_flagged_and_its_refund_leaves_the_order_paid() {
        let order = sample_order();
        let total = order.totals.total;
        let (after, decisions) = apply_all(
            &order,
            &[
                report("e1", "pi_1", PaymentEventKind::Captured, total),
                report("e2", "pi_2", PaymentEventKind::Captured, total),
                report(
                    "e3",
                    "pi_2",
                    PaymentEventKind::Refunded { refunded: total },
                    total,
                ),
            ],
        );
        assert_eq!(decisions[1].event_type, OrderEventType::PaymentNeedsReview);
        assert_eq!(
            decisions[1].payment.status,
            PaymentRecordStatus::NeedsReview
        );
        assert_eq!(decisions[2].payment.status, PaymentRecordStatus::Refunded);
        assert!(decisions[2].restock.is_empty());
        assert_eq!(
            (after.status, after.payment_status),
            (OrderStatus::Paid, PaymentStatus::Captured)
        );
        assert_eq!(after.paid_by.as_deref(), Some("pi_1"));
    }

    #[test]
    fn a_capture_after_a_partial_refund_still_pays_the_order() {
        let order = sample_order();
        let total = order.totals.total;
        let part = Money::new(100, total.currency());
        let (after, _) = apply_all(
            &order,
            &[
                report(
                    "e1",
                    "pi_1",
                    PaymentEventKind::Refunded { refunded: part },
                    total,
                ),
                report("e2", "pi_1", PaymentEventKind::Captured, total),
            ],
        );
        assert_eq!(
            (after.status, after.payment_status),
            (OrderStatus::Paid, PaymentStatus::PartiallyRefunded)
        );
    }

    #[test]
    fn a_late_authorisation_leaves_a_cancelled_order_alone() {
        let order = sample_order();
        let total = order.totals.total;
        let (after, decisions) = apply_all(
            &order,
            &[
                report("e1", "pi_1", PaymentEventKind::Canceled, total),
                report("e2", "pi_1", PaymentEventKind::Authorized, total),
            ],
        );
        assert_eq!(after.status, OrderStatus::Cancelled);
        assert_eq!(after.payment_status, PaymentStatus::Failed);
        assert!(decisions[1].order.is_none());
    }

    #[test]
    fn a_full_refund_before_the_capture_ends_refunded_and_restocks() {
        let order = sample_order();
        let total = order.totals.total;
        let (after, decisions) = apply_all(
            &order,
            &[
                report(
                    "e1",
                    "pi_1",
                    PaymentEventKind::Refunded { refunded: total },
                    total,
                ),
                report("e2", "pi_1", PaymentEventKind::Captured, total),
            ],
        );
        assert_eq!(
            (after.status, after.payment_status),
            (OrderStatus::Refunded, PaymentStatus::Refunded)
        );
        assert_eq!(decisions[0].restock.len(), 1);
        assert!(
            decisions[1].order.is_none(),
            "the late capture changes nothing"
        );
        assert_eq!(decisions[1].payment.history.len(), 2);
    }
}
