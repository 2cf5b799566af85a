//! Ensuring funds before fulfilment: an order whose payment the gateway only authorised is
//! captured for its total before anything ships. A capture the gateway takes pays the order
//! through the payment use case, as the gateway's own report would; one it refuses leaves the
//! order unpaid and raises a process exception, never a silent `paid`. A refused capture is
//! not tried again until an operator resolves its exception.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::exceptions::{ExceptionCategory, ExceptionStatus, ProcessException};
use crate::order::Order;
use crate::order::lifecycle::OrderStatus;
use crate::payments::gateway::PaymentGateway;
use crate::payments::processor::{PaymentOutcome, PaymentProcessor};
use crate::payments::reconcile::GatewayError;
use crate::payments::record::{PaymentEvent, PaymentEventKind, PaymentRecordStatus};
use crate::ports::{
    Clock, ExceptionLog, OrderStore, PageRequest, PaymentStore, Period, StoreError,
};

/// Orders read per page.
const PAGE: usize = 100;

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CaptureSummary {
    pub captured: usize,
    /// Refused by the gateway: each is a process exception.
    pub refused: usize,
    /// The gateway could not be reached; the next run tries again.
    pub not_tried: usize,
}

pub struct FundsCapture {
    orders: Arc<dyn OrderStore>,
    payments: Arc<dyn PaymentStore>,
    gateway: Arc<dyn PaymentGateway>,
    processor: Arc<PaymentProcessor>,
    exceptions: Arc<dyn ExceptionLog>,
    clock: Arc<dyn Clock>,
}

impl FundsCapture {
    pub fn new(
        orders: Arc<dyn OrderStore>,
        payments: Arc<dyn PaymentStore>,
        gateway: Arc<dyn PaymentGateway>,
        processor: Arc<PaymentProcessor>,
        exceptions: Arc<dyn ExceptionLog>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        FundsCapture {
            orders,
            payments,
            gateway,
            processor,
            exceptions,
            clock,
        }
    }

    /// Captures every order awaiting payment whose payment is authorised for its total,
    /// oldest first, while `time_left` says so.
    pub async fn run(
        &self,
        time_left: &(dyn Fn() -> bool + Sync),
    ) -> Result<CaptureSummary, StoreError> {
        let every = Period {
            from: DateTime::<Utc>::UNIX_EPOCH,
            until: self.clock.now(),
        };
        let mut summary = CaptureSummary::default();
        let mut page = PageRequest::first(PAGE);
        loop {
            let found = self
                .orders
                .orders_in_status(OrderStatus::PendingPayment, &every, &page)
                .await?;
            for order in &found.items {
                if !time_left() {
                    return Ok(summary);
                }
                self.capture(order, &mut summary).await?;
            }
            match found.next {
                Some(after) => page.after = Some(after),
                None => return Ok(summary),
            }
        }
    }

    async fn capture(&self, order: &Order, summary: &mut CaptureSummary) -> Result<(), StoreError> {
        let payments = self.payments.payments_for_order(&order.id).await?;
        let Some(payment) = payments.iter().find(|p| {
            p.status == PaymentRecordStatus::Authorized && p.amount == order.totals.total
        }) else {
            return Ok(());
        };
        let cause = payment.payment_ref.as_str();
        let failed = ProcessException::raise(
            ExceptionCategory::CaptureFailed,
            Some(order.id.clone()),
            cause,
            "",
            self.clock.now(),
        );
        if self
            .exceptions
            .exception(&failed.id)
            .await?
            .is_some_and(|e| e.status == ExceptionStatus::Open)
        {
            return Ok(());
        }
        let key = format!("capture-{}", payment.payment_ref);
        match self
            .gateway
            .capture(&payment.payment_ref, order.totals.total, &key)
            .await
        {
            Ok(()) => {
                let report = PaymentEvent {
                    event_id: key,
                    gateway: payment.gateway.clone(),
                    kind: PaymentEventKind::Captured,
                    order_id: Some(order.id.to_string()),
                    payment_ref: payment.payment_ref.clone(),
                    amount: order.totals.total,
                    card: None,
                    occurred_at: self.clock.now(),
                };
                match self.processor.handle(&report).await {
                    Ok(PaymentOutcome::Applied | PaymentOutcome::Replayed) => {
                        summary.captured += 1;
                        tracing::info!(order_id = %order.id, "payment captured");
                    }
                    Ok(outcome) => {
                        tracing::warn!(order_id = %order.id, ?outcome, "captured payment not applied");
                        summary.not_tried += 1;
                    }
                    Err(error) => {
                        // Captured at the gateway: its own report, or the next run (a replay
                        // of the same capture key), pays the order.
                        tracing::warn!(order_id = %order.id, %error, "captured payment not recorded yet");
                        summary.not_tried += 1;
                    }
                }
            }
            Err(GatewayError::Refused(message)) => {
                let exception = ProcessException {
                    message: format!(
                        "capture of {} for payment {} refused: {message}",
                        order.totals.total, payment.payment_ref
                    ),
                    ..failed
                };
                if !self.exceptions.raise(&exception).await?
                    && let Some(mut resolved) = self.exceptions.exception(&exception.id).await?
                {
                    // Refused again after an operator resolved it: it is open again.
                    resolved.reopen(exception.message, exception.raised_at);
                    self.exceptions.save_exception(&resolved).await?;
                }
                tracing::warn!(order_id = %order.id, "capture refused: process exception raised");
                summary.refused += 1;
            }
            Err(GatewayError::Unavailable(error)) => {
                tracing::warn!(order_id = %order.id, %error, "capture not tried: gateway unavailable");
                summary.not_tried += 1;
            }
        }
        Ok(())
    }
}
