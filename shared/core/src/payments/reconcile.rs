//! Payment reconciliation: an order still awaiting payment long after checkout is checked
//! with the gateway. A payment the gateway took (its webhook lost or late) pays the order; a
//! payment the gateway cancelled cancels the order and puts its stock back. Both go through
//! the payment use case as the gateway's own report would, so a webhook arriving later is a
//! replay or a no-op, never a second change.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use thiserror::Error;

use crate::ids::{GatewayName, PaymentRef};
use crate::money::Money;
use crate::order::Order;
use crate::order::lifecycle::OrderStatus;
use crate::payments::processor::{PaymentOutcome, PaymentProcessor};
use crate::payments::record::{PaymentEvent, PaymentEventKind};
use crate::ports::{Clock, OrderStore, PageRequest, Period, StoreError};

/// Orders read per page.
const PAGE: usize = 100;

/// Where a payment stands at the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayState {
    /// The money was taken.
    Succeeded,
    /// The payment will not happen: cancelled by the shopper, the gateway or a timeout.
    Canceled,
    /// Still going on (waiting for the shopper, processing, needing an action).
    Open,
}

/// A payment of an order as the gateway holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayPayment {
    pub gateway: GatewayName,
    pub payment_ref: PaymentRef,
    pub state: GatewayState,
    /// What was taken when it succeeded, else what was asked.
    pub amount: Money,
    pub changed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GatewayError {
    #[error("the payment gateway is unavailable: {0}")]
    Unavailable(String),
    #[error("the payment gateway refused the query: {0}")]
    Refused(String),
}

/// Asking the gateway about an order's payments (the query side of a payment gateway).
#[async_trait]
pub trait GatewayPayments: Send + Sync {
    async fn payments_of(&self, order: &Order) -> Result<Vec<GatewayPayment>, GatewayError>;
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileSummary {
    pub checked: usize,
    pub paid: usize,
    pub cancelled: usize,
    /// Still open at the gateway, or not known there: left as they are.
    pub left_pending: usize,
    /// The gateway could not be asked about these; the next run tries again.
    pub not_checked: usize,
}

#[derive(Debug, Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Reconciliation {
    orders: Arc<dyn OrderStore>,
    gateway: Arc<dyn GatewayPayments>,
    payments: Arc<PaymentProcessor>,
    clock: Arc<dyn Clock>,
}

impl Reconciliation {
    pub fn new(
        orders: Arc<dyn OrderStore>,
        gateway: Arc<dyn GatewayPayments>,
        payments: Arc<PaymentProcessor>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Reconciliation {
            orders,
            gateway,
            payments,
            clock,
        }
    }

    /// Checks every order awaiting payment whose last change is older than `idle`, oldest
    /// first, while `time_left` says so.
    pub async fn run(
        &self,
        idle: Duration,
        time_left: &(dyn Fn() -> bool + Sync),
    ) -> Result<ReconcileSummary, ReconcileError> {
        let now = self.clock.now();
        let stale = Period {
            from: DateTime::<Utc>::UNIX_EPOCH,
            until: now - idle,
        };
        let mut summary = ReconcileSummary::default();
        let mut page = PageRequest::first(PAGE);
        loop {
            let found = self
                .orders
                .orders_in_status(OrderStatus::PendingPayment, &stale, &page)
                .await?;
            for order in &found.items {
                if !time_left() {
                    return Ok(summary);
                }
                self.reconcile(order, &mut summary).await?;
            }
            match found.next {
                Some(after) => page.after = Some(after),
                None => return Ok(summary),
            }
        }
    }

    async fn reconcile(
        &self,
        order: &Order,
        summary: &mut ReconcileSummary,
    ) -> Result<(), ReconcileError> {
        summary.checked += 1;
        let payments = match self.gateway.payments_of(order).await {
            Ok(payments) => payments,
            Err(error) => {
                tracing::warn!(order_id = %order.id, %error, "payment reconciliation: gateway not asked");
                summary.not_checked += 1;
                return Ok(());
            }
        };
        // One taken payment pays the order; only when every payment is cancelled is it dead.
        let decisive = payments
            .iter()
            .find(|p| p.state == GatewayState::Succeeded)
            .or_else(|| {
                (!payments.is_empty() && payments.iter().all(|p| p.state == GatewayState::Canceled))
                    .then(|| &payments[0])
            });
        let Some(payment) = decisive else {
            summary.left_pending += 1;
            return Ok(());
        };
        let kind = match payment.state {
            GatewayState::Succeeded => PaymentEventKind::Captured,
            _ => PaymentEventKind::Canceled,
        };
        let report = PaymentEvent {
            // One report per payment and outcome: a second run is a replay.
            event_id: format!("reconcile:{}:{:?}", payment.payment_ref, payment.state),
            gateway: payment.gateway.clone(),
            kind,
            order_id: Some(order.id.to_string()),
            payment_ref: payment.payment_ref.clone(),
            amount: payment.amount,
            card: None,
            occurred_at: payment.changed_at,
        };
        match self.payments.handle(&report).await {
            Ok(PaymentOutcome::Applied | PaymentOutcome::Replayed) => {
                match payment.state {
                    GatewayState::Succeeded => summary.paid += 1,
                    _ => summary.cancelled += 1,
                }
                tracing::info!(order_id = %order.id, state = ?payment.state, "payment reconciled");
            }
            Ok(outcome) => {
                tracing::warn!(order_id = %order.id, ?outcome, "payment reconciliation needs an operator");
                summary.left_pending += 1;
            }
            Err(error) => {
                tracing::warn!(order_id = %order.id, %error, "payment reconciliation: not applied");
                summary.not_checked += 1;
            }
        }
        Ok(())
    }
}
