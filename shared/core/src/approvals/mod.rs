//! Approvals: what the store holds for a manager. An order whose discount is over the limit
//! is not fulfilled until a manager approves it, and rejecting it cancels the order; the
//! refund of a returned parcel is not paid until a manager approves it, and rejecting it
//! keeps the money. Each request is a record listed by status, written in the same store
//! transaction as the order change that raised or decided it, so the order and its requests
//! never disagree. A decision comes from the store's admin API or from Salesforce (where
//! each request is also submitted as an approval request), and records who, where and when.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ids::{CrmId, InvalidValue, OrderId};
use crate::money::Money;
use crate::order::{CreditMemo, Order};
pub use crate::order::{Decision, DecisionSource};
use crate::sync::approvals::{ApprovalProcess, ApprovalTicket};

pub mod desk;
pub mod salesforce;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalKind {
    /// A discount over the limit: the order waits before fulfilment.
    Discount,
    /// The refund of a return: the credit memo waits before the money goes back.
    Refund,
}

impl ApprovalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalKind::Discount => "discount",
            ApprovalKind::Refund => "refund",
        }
    }

    /// The Salesforce approval process requests of this kind go to.
    pub fn process(self) -> ApprovalProcess {
        match self {
            ApprovalKind::Discount => ApprovalProcess::Discount,
            ApprovalKind::Refund => ApprovalProcess::Refund,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Rejected,
}

impl ApprovalStatus {
    pub const ALL: [ApprovalStatus; 3] = [
        ApprovalStatus::Pending,
        ApprovalStatus::Approved,
        ApprovalStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Rejected => "rejected",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        ApprovalStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| InvalidValue::new("status", "must be pending, approved or rejected"))
    }
}

/// Where the request stands in Salesforce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmRequest {
    pub instance_id: CrmId,
    pub workitem_id: CrmId,
    /// Decided there, or recalled by the store after it decided the request itself: nothing
    /// is left to do in Salesforce.
    #[serde(default)]
    pub closed: bool,
}

impl CrmRequest {
    pub fn ticket(&self) -> ApprovalTicket {
        ApprovalTicket {
            instance_id: self.instance_id.clone(),
            workitem_id: self.workitem_id.clone(),
        }
    }
}

/// One request for a manager's approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    /// `<order id>:discount`, or `<order id>:refund:<credit memo id>`.
    pub id: String,
    pub kind: ApprovalKind,
    pub order_id: OrderId,
    pub order_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_memo_id: Option<String>,
    /// The discount given, or the refund asked for.
    pub amount: Money,
    /// What the manager decides on, in a sentence.
    pub reason: String,
    pub status: ApprovalStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// The Salesforce approval request, once submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crm: Option<CrmRequest>,
    /// Why Salesforce refused the submission; it is not submitted again, and a manager
    /// decides it in the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crm_error: Option<String>,
    /// The store's approvers were mailed about it.
    #[serde(default)]
    pub managers_notified: bool,
    pub requested_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl ApprovalRequest {
    /// The request a new order raises: one for a discount over the limit, else none.
    pub fn for_new_order(order: &Order) -> Option<ApprovalRequest> {
        if !order.approvals.discount_required {
            return None;
        }
        let code = order.discount.as_ref().map_or("", |d| d.code.as_str());
        Some(ApprovalRequest::new(
            discount_id(&order.id),
            ApprovalKind::Discount,
            order,
            None,
            order.totals.discount,
            format!(
                "Order {} takes {} off {} with code {code}",
                order.number, order.totals.discount, order.totals.subtotal
            ),
            order.updated_at,
        ))
    }

    /// The request for the refund of a returned parcel's credit memo.
    pub fn for_refund(order: &Order, memo: &CreditMemo, reason: &str) -> ApprovalRequest {
        ApprovalRequest::new(
            refund_id(&order.id, &memo.id),
            ApprovalKind::Refund,
            order,
            Some(memo.id.clone()),
            memo.amount,
            format!(
                "Refund {} to the customer of order {} for a return: {reason}",
                memo.amount, order.number
            ),
            memo.created_at,
        )
    }

    fn new(
        id: String,
        kind: ApprovalKind,
        order: &Order,
        credit_memo_id: Option<String>,
        amount: Money,
        reason: String,
        now: DateTime<Utc>,
    ) -> ApprovalRequest {
        ApprovalRequest {
            id,
            kind,
            order_id: order.id.clone(),
            order_number: order.number.clone(),
            credit_memo_id,
            amount,
            reason,
            status: ApprovalStatus::Pending,
            decision: None,
            crm: None,
            crm_error: None,
            managers_notified: false,
            requested_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// The request decided, one version on. Deciding it again the same way changes nothing
    /// (`Ok(None)`: a replayed decision); the other way is refused.
    pub fn decide(&self, decision: Decision) -> Result<Option<ApprovalRequest>, DomainError> {
        if let Some(made) = &self.decision {
            return if made.approved == decision.approved {
                Ok(None)
            } else {
                Err(DomainError::AlreadyDecided {
                    status: self.status.as_str(),
                })
            };
        }
        let mut next = self.clone();
        next.status = if decision.approved {
            ApprovalStatus::Approved
        } else {
            ApprovalStatus::Rejected
        };
        next.updated_at = decision.at;
        if decision.via == DecisionSource::Salesforce
            && let Some(crm) = next.crm.as_mut()
        {
            crm.closed = true;
        }
        next.decision = Some(decision);
        next.version += 1;
        Ok(Some(next))
    }

    /// Decided in the store while its Salesforce request is still open: the store recalls
    /// that request.
    pub fn to_recall(&self) -> bool {
        self.status != ApprovalStatus::Pending && self.crm.as_ref().is_some_and(|c| !c.closed)
    }

    /// Its place in the lists by status: by its last change.
    pub fn position(&self) -> String {
        crate::listing::position(self.updated_at, &self.id)
    }

    /// Whether `raw` has the shape of a request's id.
    pub fn is_id(raw: &str) -> bool {
        let mut parts = raw.split(':');
        let order_fits = parts.next().is_some_and(|o| OrderId::parse(o).is_ok());
        order_fits
            && match (parts.next(), parts.next(), parts.next()) {
                (Some("discount"), None, None) => true,
                (Some("refund"), Some(memo), None) => {
                    (1..=80).contains(&memo.len())
                        && memo
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                }
                _ => false,
            }
    }
}

pub fn discount_id(order: &OrderId) -> String {
    format!("{}:discount", order.as_str())
}

pub fn refund_id(order: &OrderId, memo_id: &str) -> String {
    format!("{}:refund:{memo_id}", order.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(approved: bool) -> Decision {
        Decision {
            approved,
            by: "manager-1".into(),
            via: DecisionSource::Store,
            at: Utc::now(),
            comment: None,
        }
    }

    fn request() -> ApprovalRequest {
        let order = crate::order::tests::order();
        ApprovalRequest::new(
            discount_id(&order.id),
            ApprovalKind::Discount,
            &order,
            None,
            order.totals.discount,
            "why".into(),
            Utc::now(),
        )
    }

    #[test]
    fn a_decision_is_made_once_and_a_replay_of_it_changes_nothing() {
        let pending = request();
        let approved = pending.decide(decision(true)).unwrap().unwrap();
        assert_eq!(approved.status, ApprovalStatus::Approved);
        assert_eq!(approved.version, pending.version + 1);
        assert_eq!(approved.decide(decision(true)).unwrap(), None);
        assert_eq!(
            approved.decide(decision(false)).unwrap_err(),
            DomainError::AlreadyDecided { status: "approved" }
        );
    }

    #[test]
    fn ids_name_the_order_and_for_a_refund_the_credit_memo() {
        let order = crate::order::tests::order();
        assert!(ApprovalRequest::is_id(&discount_id(&order.id)));
        assert!(ApprovalRequest::is_id(&refund_id(&order.id, "cm_chg_1")));
        assert!(!ApprovalRequest::is_id(&format!("{}:refund", order.id)));
        assert!(!ApprovalRequest::is_id("ord_x:discount"));
        assert!(!ApprovalRequest::is_id(&format!("{}:discount:x", order.id)));
    }
}
