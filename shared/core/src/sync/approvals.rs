//! The CRM's approval requests: a discount or a refund the store holds for a manager is
//! submitted to a Salesforce approval process, so managers can decide it where they work;
//! the store reads their decisions back, and recalls a request it decided itself.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::ids::CrmId;
use crate::sync::crm::CrmError;

/// The approval processes the store submits to (metadata in `salesforce/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalProcess {
    /// On the order's Opportunity: a discount over the store's limit.
    Discount,
    /// On the order's Salesforce Order: the refund of a return.
    Refund,
}

impl ApprovalProcess {
    /// The process's API name in the org.
    pub fn api_name(self) -> &'static str {
        match self {
            ApprovalProcess::Discount => "Storesync_Discount_Approval",
            ApprovalProcess::Refund => "Storesync_Refund_Approval",
        }
    }
}

/// A record to submit for approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalSubmission {
    pub process: ApprovalProcess,
    /// The Opportunity (discount) or Order (refund) the request is about.
    pub record_id: CrmId,
    /// What the approver reads first: the order, the amount, why.
    pub comment: String,
}

/// What Salesforce made of a submission: the process instance, and the work item an
/// approver acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalTicket {
    pub instance_id: CrmId,
    pub workitem_id: CrmId,
}

/// Where a request stands in Salesforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrmApprovalState {
    Pending,
    Approved,
    Rejected,
    /// Recalled by the submitter (the store, after deciding it itself).
    Removed,
}

/// One request's state, with who decided it and when once it is decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmApprovalStatus {
    pub instance_id: CrmId,
    pub state: CrmApprovalState,
    /// The approver's name (the user who acted last), once decided.
    pub actor: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The approver's comment on the decision, if any.
    pub comment: Option<String>,
}

#[async_trait]
pub trait CrmApprovals: Send + Sync {
    /// Submits a record to its approval process: one call. A record already pending in a
    /// process is refused (`Retryable`: it can be submitted once that one is decided).
    async fn submit(&self, submission: &ApprovalSubmission) -> Result<ApprovalTicket, CrmError>;
    /// The states of the given requests, in as few calls as the API allows (one query, and
    /// one more when any was decided, for who decided it).
    async fn statuses(&self, instances: &[CrmId]) -> Result<Vec<CrmApprovalStatus>, CrmError>;
    /// Recalls a pending request the store decided itself, with a comment saying who
    /// decided what: one call.
    async fn recall(&self, ticket: &ApprovalTicket, comment: &str) -> Result<(), CrmError>;
}
