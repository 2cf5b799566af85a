//! After-sales: a customer cancels units before the order is handed to fulfilment; an operator
//! receives a returned parcel; each change records the money it gives back ([`changes`]) and
//! a credit memo for it, and the goods go back on the shelf they were taken from. The refund
//! itself goes through the payment gateway, named by the credit memo's id, so however often it
//! is asked for it is made once; a refused refund is a process exception.
//!
//! [`changes`]: crate::order::changes

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::app_error::AppError;
use crate::approvals::ApprovalRequest;
use crate::error::DomainError;
use crate::events::{EventType, OutboxEvent};
use crate::exceptions::{ExceptionCategory, ProcessException};
use crate::fulfilment::LocationUnits;
use crate::ids::OrderId;
use crate::order::changes::{
    ChangeKind, ChangeLine, ChangeRecord, ChangeRequest, checkout_tax_rate, plan_change,
};
use crate::order::lifecycle::{OrderEvent, OrderStatus};
use crate::order::{CreditMemo, Order, RefundState, ReturnStatus};
use crate::outbox::OutboxRelay;
use crate::payments::gateway::PaymentGateway;
use crate::payments::reconcile::GatewayError;
use crate::ports::{Clock, ExceptionLog, OrderChange, OrderStore, PageRequest, Period, StoreError};
use crate::pricing::PricingPolicy;
use crate::retry::{Attempt, retry_on_conflict};

/// Orders read per page by the refund run.
const PAGE: usize = 100;
/// How far back the refund run looks for credit memos still to refund.
const REFUND_LOOKBACK_DAYS: i64 = 30;

pub struct AfterSales {
    orders: Arc<dyn OrderStore>,
    clock: Arc<dyn Clock>,
    /// To find the rate an order was taxed at.
    policy: PricingPolicy,
    relay: Option<Arc<OutboxRelay>>,
}

/// What a refund run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RefundRun {
    pub refunded: usize,
    /// Refused by the gateway: each is a process exception.
    pub refused: usize,
    /// The gateway could not be reached; the next run tries again.
    pub not_tried: usize,
}

impl AfterSales {
    pub fn new(orders: Arc<dyn OrderStore>, clock: Arc<dyn Clock>, policy: PricingPolicy) -> Self {
        AfterSales {
            orders,
            clock,
            policy,
            relay: None,
        }
    }

    /// Sends each change's event to the queue once it is committed (else the sweep does).
    pub fn with_relay(mut self, relay: Arc<OutboxRelay>) -> Self {
        self.relay = Some(relay);
        self
    }

    /// Reads, changes and writes order `id` until no one else changed it in between.
    pub(crate) async fn change<F, Fut>(&self, id: &OrderId, change: F) -> Result<Order, AppError>
    where
        F: Fn(Order, DateTime<Utc>) -> Fut,
        Fut: Future<Output = Result<Changed, AppError>>,
    {
        let change = &change;
        let request = retry_on_conflict(move || async move {
            let current = self
                .orders
                .order(id)
                .await?
                .ok_or(AppError::NotFound { what: "order" })?;
            let expected_version = current.version;
            let Changed {
                order,
                restock,
                approvals,
            } = change(current, self.clock.now()).await?;
            let request = OrderChange {
                event: OutboxEvent::for_order(EventType::OrderChanged, &order, order.updated_at),
                expected_version,
                restock,
                order,
                approvals,
            };
            match self.orders.change_order(&request).await {
                Ok(()) => Ok(Attempt::Done(request)),
                Err(StoreError::Conflict) => Ok(Attempt::Conflict),
                Err(e) => Err(e.into()),
            }
        })
        .await?;
        if let Some(relay) = &self.relay {
            relay.publish(std::slice::from_ref(&request.event)).await;
        }
        Ok(request.order)
    }

    /// Cancels units of a paid order before it is handed to fulfilment: the units go back to
    /// the shelves they were reserved on, and a credit memo owes the money back. Once every
    /// unit is cancelled the order is cancelled.
    pub async fn cancel_items(
        &self,
        id: &OrderId,
        lines: Vec<ChangeLine>,
    ) -> Result<Order, AppError> {
        self.change(id, |order, now| {
            let lines = lines.clone();
            async move {
                let (order, restock) = self.cancel_lines(&order, lines, now)?;
                Ok(Changed::new(order, restock))
            }
        })
        .await
    }

    /// `order` with `lines` cancelled, and the units to put back.
    pub(crate) fn cancel_lines(
        &self,
        order: &Order,
        lines: Vec<ChangeLine>,
        now: DateTime<Utc>,
    ) -> Result<(Order, Vec<LocationUnits>), AppError> {
        if order.status != OrderStatus::Paid {
            // Pending orders are cancelled whole; fulfilling ones are with the provider.
            return Err(DomainError::InvalidTransition {
                current: order.status,
                event: OrderEvent::Cancel,
            }
            .into());
        }
        let change = self.plan(order, ChangeKind::Cancel, lines, now)?;
        let mut allocation = order.allocation();
        let mut restock = Vec::new();
        for line in &change.lines {
            let (left, back) = allocation.release(&line.sku, line.quantity.get());
            allocation = left;
            restock.extend(back);
        }
        let mut next = with_change(order, change, now);
        next.allocation = Some(allocation);
        if next.allocation().locations().is_empty() {
            next = next.apply(OrderEvent::Cancel, now)?;
        }
        Ok((next, restock))
    }

    /// An operator received the parcel of return `return_id`: its units go back on the shelf
    /// that shipped them, and a credit memo owes the money back.
    pub async fn receive_return(&self, id: &OrderId, return_id: &str) -> Result<Order, AppError> {
        self.change(id, |order, now| async move {
            self.receive(&order, return_id, now)
        })
        .await
    }

    fn receive(
        &self,
        order: &Order,
        return_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Changed, AppError> {
        let request = order
            .returns
            .iter()
            .find(|r| r.id == return_id)
            .ok_or(AppError::NotFound { what: "return" })?;
        if request.status != ReturnStatus::Requested {
            return Err(DomainError::InvalidTransition {
                current: order.status,
                event: OrderEvent::ReceiveReturn,
            }
            .into());
        }
        let lines: Vec<ChangeLine> = request
            .lines
            .iter()
            .map(|l| ChangeLine {
                sku: l.sku.clone(),
                quantity: l.quantity,
                reason: request.reason.clone(),
            })
            .collect();
        let change = self.plan(order, ChangeKind::Return, lines, now)?;
        // The goods come back to the location that shipped them (its first, for a line
        // shipped from several).
        let allocation = order.allocation();
        let restock = change
            .lines
            .iter()
            .map(|line| {
                let from = allocation
                    .locations()
                    .iter()
                    .find(|l| l.lines.iter().any(|(s, _)| s == &line.sku))
                    .map_or_else(|| order.location.clone(), |l| l.location.clone());
                (from, line.sku.clone(), line.quantity.get())
            })
            .collect();
        let reason = request.reason.clone();
        let mut next = with_change(order, change, now);
        for r in next.returns.iter_mut().filter(|r| r.id == return_id) {
            r.status = ReturnStatus::Received;
        }
        if order.status == OrderStatus::ReturnRequested {
            next = next.apply(OrderEvent::ReceiveReturn, now)?;
        }
        // The money of a return goes back once a manager approves it.
        let mut approvals = Vec::new();
        if let Some(memo) = next.credit_memos.last_mut()
            && memo.refund == RefundState::Pending
        {
            memo.refund = RefundState::AwaitingApproval;
            approvals.push(ApprovalRequest::for_refund(order, memo, &reason));
        }
        Ok(Changed {
            order: next,
            restock,
            approvals,
        })
    }

    fn plan(
        &self,
        order: &Order,
        kind: ChangeKind,
        lines: Vec<ChangeLine>,
        now: DateTime<Utc>,
    ) -> Result<ChangeRecord, AppError> {
        let request = ChangeRequest {
            kind,
            lines,
            tax_rate_bps: checkout_tax_rate(&self.policy, order),
        };
        Ok(plan_change(order, &order.changes, request, now)?)
    }
}

/// An order change: the order after it, the units to put back, the approval requests it
/// raised or decided.
pub(crate) struct Changed {
    pub order: Order,
    pub restock: Vec<LocationUnits>,
    pub approvals: Vec<ApprovalRequest>,
}

impl Changed {
    pub fn new(order: Order, restock: Vec<LocationUnits>) -> Self {
        Changed {
            order,
            restock,
            approvals: Vec::new(),
        }
    }
}

/// `order` with `change` and its credit memo, one version on.
fn with_change(order: &Order, change: ChangeRecord, now: DateTime<Utc>) -> Order {
    let mut next = order.clone();
    next.credit_memos.push(CreditMemo {
        id: format!("cm_{}", change.id),
        change_id: change.id.clone(),
        amount: change.totals.total,
        refund: if order.paid_by.is_some() && !change.totals.total.is_zero() {
            RefundState::Pending
        } else {
            RefundState::NotPaid
        },
        created_at: now,
    });
    next.changes.push(change);
    next.updated_at = now;
    next.version += 1;
    next
}

/// Refunds credit memos through the gateway.
pub struct Refunds {
    orders: Arc<dyn OrderStore>,
    gateway: Arc<dyn PaymentGateway>,
    exceptions: Arc<dyn ExceptionLog>,
    clock: Arc<dyn Clock>,
    relay: Option<Arc<OutboxRelay>>,
}

impl Refunds {
    pub fn new(
        orders: Arc<dyn OrderStore>,
        gateway: Arc<dyn PaymentGateway>,
        exceptions: Arc<dyn ExceptionLog>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Refunds {
            orders,
            gateway,
            exceptions,
            clock,
            relay: None,
        }
    }

    pub fn with_relay(mut self, relay: Arc<OutboxRelay>) -> Self {
        self.relay = Some(relay);
        self
    }

    /// Refunds every pending credit memo of the orders changed in the last 30 days, while
    /// `time_left` says so.
    pub async fn run(&self, time_left: &(dyn Fn() -> bool + Sync)) -> Result<RefundRun, AppError> {
        let now = self.clock.now();
        let recent = Period {
            from: now - Duration::days(REFUND_LOOKBACK_DAYS),
            until: now,
        };
        let mut run = RefundRun::default();
        for status in [
            OrderStatus::Paid,
            OrderStatus::Cancelled,
            OrderStatus::Returned,
            OrderStatus::Delivered,
            OrderStatus::Closed,
        ] {
            let mut page = PageRequest::first(PAGE);
            loop {
                let found = self.orders.orders_in_status(status, &recent, &page).await?;
                for order in &found.items {
                    if !time_left() {
                        return Ok(run);
                    }
                    if order
                        .credit_memos
                        .iter()
                        .any(|m| m.refund == RefundState::Pending)
                    {
                        self.refund(order, &mut run).await?;
                    }
                }
                match found.next {
                    Some(after) => page.after = Some(after),
                    None => break,
                }
            }
        }
        Ok(run)
    }

    async fn refund(&self, order: &Order, run: &mut RefundRun) -> Result<(), AppError> {
        let Some(payment) = order.paid_by.clone() else {
            return Ok(());
        };
        for memo in order
            .credit_memos
            .iter()
            .filter(|m| m.refund == RefundState::Pending)
        {
            let outcome = match self.gateway.refund(&payment, memo.amount, &memo.id).await {
                Ok(refund_id) => RefundState::Refunded {
                    refund_id,
                    refunded_at: self.clock.now(),
                },
                Err(GatewayError::Refused(reason)) => {
                    let exception = ProcessException::raise(
                        ExceptionCategory::RefundFailed,
                        Some(order.id.clone()),
                        &memo.id,
                        format!(
                            "refund of {} for credit memo {} of order {} refused: {reason}",
                            memo.amount, memo.id, order.number
                        ),
                        self.clock.now(),
                    );
                    self.exceptions.raise(&exception).await?;
                    run.refused += 1;
                    RefundState::Failed { reason }
                }
                Err(GatewayError::Unavailable(error)) => {
                    tracing::warn!(order_id = %order.id, %error, "refund not tried: gateway unavailable");
                    run.not_tried += 1;
                    continue;
                }
            };
            if matches!(outcome, RefundState::Refunded { .. }) {
                run.refunded += 1;
            }
            self.record(&order.id, &memo.id, outcome).await?;
        }
        Ok(())
    }

    /// Records how memo `memo_id`'s refund went, on the order as it is now. Were it lost, the
    /// next run asks the gateway again under the same key, which refunds nothing more.
    async fn record(
        &self,
        id: &OrderId,
        memo_id: &str,
        outcome: RefundState,
    ) -> Result<(), AppError> {
        let (outcome, memo_id) = (&outcome, memo_id);
        let written = retry_on_conflict(move || async move {
            let Some(current) = self.orders.order(id).await? else {
                return Ok(Attempt::Done(None));
            };
            let now = self.clock.now();
            let mut next = current.clone();
            for memo in next.credit_memos.iter_mut().filter(|m| m.id == memo_id) {
                memo.refund = outcome.clone();
            }
            next.updated_at = now;
            next.version += 1;
            let request = OrderChange {
                event: OutboxEvent::for_order(EventType::OrderChanged, &next, now),
                expected_version: current.version,
                restock: Vec::new(),
                order: next,
                approvals: Vec::new(),
            };
            match self.orders.change_order(&request).await {
                Ok(()) => Ok(Attempt::Done(Some(request.event))),
                Err(StoreError::Conflict) => Ok(Attempt::Conflict),
                Err(e) => Err(e.into()),
            }
        })
        .await?;
        if let (Some(event), Some(relay)) = (written, &self.relay) {
            relay.publish(std::slice::from_ref(&event)).await;
        }
        Ok(())
    }
}
