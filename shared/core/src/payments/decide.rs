//! The payment rules: how one gateway report moves a payment and its order. Pure: the
//! processor reads, calls [`decide`] and writes. Reports may arrive late, twice or out of
//! order; the rules give the same end state.

use chrono::{DateTime, Utc};

use crate::events::EventType;
use crate::fulfilment::allocation::LocationUnits;
use crate::money::Money;
use crate::order::Order;
use crate::order::lifecycle::{OrderEvent, OrderStatus, PaymentStatus};
use crate::payments::record::{
    Payment, PaymentEvent, PaymentEventKind, PaymentHistoryEntry, PaymentRecordStatus,
};

/// What one report changes, decided from the order and payment as they are now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentDecision {
    /// The order one version on, if the report moves it.
    pub order: Option<Order>,
    /// Units to put back, each at the location checkout took it from.
    pub restock: Vec<LocationUnits>,
    pub payment: Payment,
    pub event_type: EventType,
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
        kind: event.kind.report_kind(),
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
            event_type: EventType::PaymentNeedsReview,
        }
    };
    if !order.payment_method.is_card() {
        // Paid by purchase order on the account: a gateway payment moves nothing.
        return review(
            record,
            "a gateway payment was reported for an order paid by purchase order on account".into(),
        );
    }
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
    let mut event_type = EventType::PaymentUpdated;

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
                    event_type = EventType::OrderPaid;
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
                event_type = EventType::PaymentFailed;
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
                event_type = EventType::OrderCancelled;
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
                        restock = order.allocation().stock_taken();
                    }
                    next = refunded_order;
                    event_type = EventType::OrderRefunded;
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

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::ids::{GatewayName, PaymentRef};
    use crate::order::tests::sample_order;

    fn report(id: &str, payment_ref: &str, kind: PaymentEventKind, amount: Money) -> PaymentEvent {
        PaymentEvent {
            event_id: id.into(),
            gateway: GatewayName::parse("stripe").unwrap(),
            kind,
            order_id: None,
            payment_ref: PaymentRef::parse(payment_ref).unwrap(),
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
    fn a_gateway_report_for_an_order_paid_by_purchase_order_moves_nothing_and_is_flagged() {
        let order = crate::order::tests::on_account_order();
        let total = order.totals.total;
        for kind in [
            PaymentEventKind::Captured,
            PaymentEventKind::Canceled,
            PaymentEventKind::Refunded { refunded: total },
        ] {
            let d = decide(&order, None, &report("e1", "pi_1", kind, total), Utc::now());
            assert_eq!(d.order, None);
            assert!(d.restock.is_empty());
            assert_eq!(d.event_type, EventType::PaymentNeedsReview);
            assert_eq!(d.payment.status, PaymentRecordStatus::NeedsReview);
        }
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
        assert_eq!(decisions[1].event_type, EventType::PaymentNeedsReview);
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
        assert_eq!(after.paid_by.as_ref().map(|p| p.as_str()), Some("pi_1"));
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

    #[test]
    fn a_cancelled_payment_puts_the_units_back_where_checkout_took_them() {
        let mut order = sample_order();
        let (main, east) = (
            crate::ids::LocationId::default(),
            crate::ids::LocationId::parse("east").unwrap(),
        );
        let mug = crate::ids::Sku::parse("MUG").unwrap();
        let stock = crate::fulfilment::StockByLocation::from([
            (main.clone(), [(mug.clone(), 1)].into()),
            (east.clone(), [(mug.clone(), 1)].into()),
        ]);
        order.allocation =
            Some(crate::fulfilment::allocate(&[(mug.clone(), 2)], &stock, &main).unwrap());
        let total = order.totals.total;

        let (after, decisions) = apply_all(
            &order,
            &[report("e1", "pi_1", PaymentEventKind::Canceled, total)],
        );

        assert_eq!(after.status, OrderStatus::Cancelled);
        assert_eq!(
            decisions[0].restock,
            vec![(main, mug.clone(), 1), (east, mug, 1)]
        );
    }
}
