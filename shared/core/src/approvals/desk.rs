//! Deciding an approval request: the order moves on (or is cancelled, or keeps the money) in
//! the same write that records the decision.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::after_sales::{AfterSales, Changed};
use crate::app_error::AppError;
use crate::approvals::{ApprovalKind, ApprovalRequest, ApprovalStatus, Decision};
use crate::order::changes::{ChangeLine, line_quantities};
use crate::order::lifecycle::OrderStatus;
use crate::order::{Order, RefundState};
use crate::ports::{ApprovalLog, Page, PageRequest};

/// Why an order whose discount was rejected is cancelled, as its customer sees it.
pub const DISCOUNT_REJECTED: &str = "the discount was not approved";

pub struct ApprovalDesk {
    after_sales: AfterSales,
    log: Arc<dyn ApprovalLog>,
}

impl ApprovalDesk {
    pub fn new(after_sales: AfterSales, log: Arc<dyn ApprovalLog>) -> Self {
        ApprovalDesk { after_sales, log }
    }

    pub async fn approval(&self, id: &str) -> Result<ApprovalRequest, AppError> {
        self.log.approval(id).await?.ok_or(AppError::NotFound {
            what: "approval request",
        })
    }

    pub async fn approvals(
        &self,
        status: ApprovalStatus,
        page: &PageRequest,
    ) -> Result<Page<ApprovalRequest>, AppError> {
        Ok(self.log.approvals(status, page).await?)
    }

    /// Records `decision` on request `id` and applies it to the order: an approved discount
    /// lets fulfilment start, a rejected one cancels the order (its units go back on the
    /// shelf and a paid order's money is owed back); an approved refund is paid by the refund
    /// run, a rejected one is not. The same decision again changes nothing; the other one is
    /// refused.
    pub async fn decide(&self, id: &str, decision: Decision) -> Result<ApprovalRequest, AppError> {
        let known = self.approval(id).await?;
        if known.decide(decision.clone())?.is_none() {
            return Ok(known);
        }
        let decided: Mutex<Option<ApprovalRequest>> = Mutex::new(None);
        let (decided_ref, decision) = (&decided, &decision);
        self.after_sales
            .change(&known.order_id, |order, now| async move {
                let current = self.approval(id).await?;
                let next = current
                    .decide(decision.clone())?
                    // Decided the same way meanwhile: the other write recorded it.
                    .ok_or(AppError::Conflict)?;
                let changed = self.apply(&next, order, now)?;
                *decided_ref.lock().expect("not poisoned") = Some(next.clone());
                Ok(Changed {
                    approvals: vec![next],
                    ..changed
                })
            })
            .await?;
        let decided = decided.into_inner().expect("not poisoned");
        tracing::info!(approval_id = id, approved = decision.approved, via = ?decision.via, "approval decided");
        decided.ok_or(AppError::Conflict)
    }

    fn apply(
        &self,
        request: &ApprovalRequest,
        order: Order,
        now: DateTime<Utc>,
    ) -> Result<Changed, AppError> {
        let decision = request
            .decision
            .clone()
            .expect("a decided request has its decision");
        let approved = decision.approved;
        let mut next = order.clone();
        next.updated_at = now;
        next.version += 1;
        match request.kind {
            ApprovalKind::Discount => {
                next.approvals.discount = Some(decision);
                if approved {
                    return Ok(Changed::new(next, Vec::new()));
                }
                match next.status {
                    // Cancelled by the customer meanwhile: nothing is left to cancel.
                    OrderStatus::Cancelled => Ok(Changed::new(next, Vec::new())),
                    OrderStatus::PendingPayment => {
                        let (cancelled, restock) =
                            next.cancel(Some(DISCOUNT_REJECTED.into()), now)?;
                        Ok(Changed::new(cancelled, restock))
                    }
                    _ => {
                        let lines = line_quantities(&next, &next.changes)
                            .into_iter()
                            .filter(|l| l.cancellable() > 0)
                            .filter_map(|l| {
                                Some(ChangeLine {
                                    quantity: crate::ids::Quantity::parse(i64::from(
                                        l.cancellable(),
                                    ))
                                    .ok()?,
                                    sku: l.sku,
                                    reason: DISCOUNT_REJECTED.into(),
                                })
                            })
                            .collect();
                        let (mut cancelled, restock) =
                            self.after_sales.cancel_lines(&next, lines, now)?;
                        cancelled.cancel_reason = Some(DISCOUNT_REJECTED.into());
                        Ok(Changed::new(cancelled, restock))
                    }
                }
            }
            ApprovalKind::Refund => {
                let memo_id = request.credit_memo_id.as_deref().unwrap_or_default();
                for memo in next
                    .credit_memos
                    .iter_mut()
                    .filter(|m| m.id == memo_id && m.refund == RefundState::AwaitingApproval)
                {
                    memo.refund = if approved {
                        RefundState::Pending
                    } else {
                        RefundState::Declined
                    };
                }
                Ok(Changed::new(next, Vec::new()))
            }
        }
    }
}
