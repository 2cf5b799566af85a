//! Process exceptions: every failure an operator must act on (a payment report for no known
//! order, a payment that needs review, a capture or refund that failed, an order that cannot
//! be allocated), kept as a record with its category, severity and status, listed to
//! operators until one of them resolves it. Raising the same exception twice keeps one: its id
//! comes from what caused it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::{InvalidValue, OrderId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionCategory {
    /// A gateway report that names no order of this store.
    PaymentUnmatched,
    /// A payment the rules hold for a person to look at (amount or currency differs, a
    /// dispute, a payment for a cancelled order).
    PaymentNeedsReview,
    CaptureFailed,
    RefundFailed,
    /// The order's lines cannot be allocated to the locations' stock.
    AllocationImpossible,
    /// A shipment notice for a fulfilment order the store does not know, or that does not
    /// fit it.
    ShipmentUnmatched,
    /// The fulfilment provider refused a fulfilment order.
    FulfilmentRefused,
}

impl ExceptionCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionCategory::PaymentUnmatched => "payment_unmatched",
            ExceptionCategory::PaymentNeedsReview => "payment_needs_review",
            ExceptionCategory::CaptureFailed => "capture_failed",
            ExceptionCategory::RefundFailed => "refund_failed",
            ExceptionCategory::AllocationImpossible => "allocation_impossible",
            ExceptionCategory::ShipmentUnmatched => "shipment_unmatched",
            ExceptionCategory::FulfilmentRefused => "fulfilment_refused",
        }
    }

    /// How urgent the category is: money taken or owed is high.
    pub fn severity(self) -> Severity {
        match self {
            ExceptionCategory::CaptureFailed
            | ExceptionCategory::RefundFailed
            | ExceptionCategory::PaymentNeedsReview => Severity::High,
            ExceptionCategory::PaymentUnmatched
            | ExceptionCategory::AllocationImpossible
            | ExceptionCategory::ShipmentUnmatched
            | ExceptionCategory::FulfilmentRefused => Severity::Medium,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionStatus {
    Open,
    Resolved,
}

impl ExceptionStatus {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        match raw {
            "open" => Ok(ExceptionStatus::Open),
            "resolved" => Ok(ExceptionStatus::Resolved),
            _ => Err(InvalidValue::new("status", "must be open or resolved")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionStatus::Open => "open",
            ExceptionStatus::Resolved => "resolved",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessException {
    pub id: String,
    pub category: ExceptionCategory,
    pub severity: Severity,
    pub status: ExceptionStatus,
    /// The order it is about, when it is about one.
    pub order_id: Option<OrderId>,
    /// What an operator needs to know, without personal data.
    pub message: String,
    pub raised_at: DateTime<Utc>,
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub version: u64,
}

impl ProcessException {
    /// A new open exception. `cause` names what raised it (a report's event id, a fulfilment
    /// order and a try): the same cause makes the same id, so raising it again keeps one.
    pub fn raise(
        category: ExceptionCategory,
        order_id: Option<OrderId>,
        cause: &str,
        message: impl Into<String>,
        now: DateTime<Utc>,
    ) -> Self {
        let digest = Sha256::digest(format!("{}\n{cause}", category.as_str()));
        let id = format!("exc_{}", hex::encode(&digest[..16]));
        ProcessException {
            id,
            category,
            severity: category.severity(),
            status: ExceptionStatus::Open,
            order_id,
            message: message.into(),
            raised_at: now,
            resolved_by: None,
            resolution: None,
            resolved_at: None,
            version: 1,
        }
    }

    /// Its place in the lists by status: by when it was raised.
    pub fn position(&self) -> String {
        crate::listing::position(self.raised_at, &self.id)
    }

    /// The same failure came back after an operator resolved it: open again, with the new
    /// message, raised now.
    pub fn reopen(&mut self, message: impl Into<String>, now: DateTime<Utc>) {
        self.status = ExceptionStatus::Open;
        self.message = message.into();
        self.raised_at = now;
        self.resolved_by = None;
        self.resolution = None;
        self.resolved_at = None;
        self.version += 1;
    }

    /// An operator dealt with it. Resolving a resolved exception changes nothing.
    pub fn resolve(&mut self, by: &str, resolution: &str, now: DateTime<Utc>) -> bool {
        if self.status == ExceptionStatus::Resolved {
            return false;
        }
        self.status = ExceptionStatus::Resolved;
        self.resolved_by = Some(by.to_owned());
        self.resolution = Some(resolution.to_owned());
        self.resolved_at = Some(now);
        self.version += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_cause_is_the_same_exception_and_another_cause_another() {
        let now = Utc::now();
        let a =
            ProcessException::raise(ExceptionCategory::PaymentUnmatched, None, "evt_1", "x", now);
        let again =
            ProcessException::raise(ExceptionCategory::PaymentUnmatched, None, "evt_1", "y", now);
        let other =
            ProcessException::raise(ExceptionCategory::PaymentUnmatched, None, "evt_2", "x", now);
        let other_kind =
            ProcessException::raise(ExceptionCategory::RefundFailed, None, "evt_1", "x", now);
        assert_eq!(a.id, again.id);
        assert_ne!(a.id, other.id);
        assert_ne!(a.id, other_kind.id);
        assert_eq!(a.severity, Severity::Medium);
        assert_eq!(other_kind.severity, Severity::High);
    }

    #[test]
    fn resolving_is_once() {
        let mut e = ProcessException::raise(
            ExceptionCategory::CaptureFailed,
            None,
            "c",
            "card declined",
            Utc::now(),
        );
        assert!(e.resolve("ops-1", "captured by hand", Utc::now()));
        assert_eq!((e.status, e.version), (ExceptionStatus::Resolved, 2));
        assert!(!e.resolve("ops-2", "again", Utc::now()));
        assert_eq!(e.resolved_by.as_deref(), Some("ops-1"));
    }
}
