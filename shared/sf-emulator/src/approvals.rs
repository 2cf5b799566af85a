//! The approval processes the org has, deployed from `salesforce/` (`approvalProcesses/`)
//! and run through `POST /services/data/vXX.X/process/approvals`. `tests/approvals.rs`
//! checks each against its metadata file.
//!
//! Each has one step assigned to the submitter's manager (`User.ManagerId`, the hierarchy
//! field `Manager`): the integration user submits, so its manager, the sales manager, decides.
//! (Opportunity does not support queues, so a queue cannot be the approver of both.)
//!
//! A submitted record is locked while its request is pending (and after the decision when
//! the process keeps it locked): see `org::locks`.

/// The user hierarchy field naming a step's approver: the submitter's `Manager`.
pub const APPROVER_FIELD: &str = "Manager";

/// Who may edit a record while it is locked by a pending request (`recordEditability`).
/// Users with "Modify All Data", or "Modify All" on the record's object, always may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordEditability {
    /// `AdminOnly`: only those users.
    AdminOnly,
    /// `AdminOrCurrentApprover`: those users and the approver of the pending work item.
    AdminOrCurrentApprover,
}

impl RecordEditability {
    /// The value as the metadata file spells it.
    pub fn metadata_name(self) -> &'static str {
        match self {
            Self::AdminOnly => "AdminOnly",
            Self::AdminOrCurrentApprover => "AdminOrCurrentApprover",
        }
    }
}

/// One active approval process with a single step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApprovalProcessDef {
    /// The API (developer) name, `processDefinitionNameOrId` of a submission.
    pub name: &'static str,
    /// The label, as `GET process/approvals` names it.
    pub label: &'static str,
    /// The object its records are of.
    pub object: &'static str,
    /// The submitter's user hierarchy field naming the approver of its step.
    pub approver_field: &'static str,
    /// The submitter may recall a pending request (`allowRecall`).
    pub allow_recall: bool,
    /// Who may edit the record while the request is pending (`recordEditability`).
    pub record_editability: RecordEditability,
    /// The record stays locked after final approval (`finalApprovalRecordLock`).
    pub final_approval_record_lock: bool,
    /// The record stays locked after final rejection (`finalRejectionRecordLock`).
    pub final_rejection_record_lock: bool,
    /// The description `GET process/approvals` lists. (Who may submit: the record's owner
    /// or its creator, as `allowedSubmitters` says.)
    pub description: &'static str,
}

/// `Storesync_Discount_Approval`: an order's discount over the store's limit, on its Opportunity.
pub const DISCOUNT_APPROVAL: ApprovalProcessDef = ApprovalProcessDef {
    name: "Storesync_Discount_Approval",
    label: "Storesync Discount Approval",
    object: "Opportunity",
    approver_field: APPROVER_FIELD,
    allow_recall: true,
    record_editability: RecordEditability::AdminOnly,
    final_approval_record_lock: false,
    final_rejection_record_lock: false,
    description: "An order whose discount is over the store's limit waits for a manager.",
};

/// `Storesync_Refund_Approval`: the refund of a return, on the order's Salesforce Order.
pub const REFUND_APPROVAL: ApprovalProcessDef = ApprovalProcessDef {
    name: "Storesync_Refund_Approval",
    label: "Storesync Refund Approval",
    object: "Order",
    approver_field: APPROVER_FIELD,
    allow_recall: true,
    record_editability: RecordEditability::AdminOnly,
    final_approval_record_lock: false,
    final_rejection_record_lock: false,
    description: "The refund of a returned order waits for a manager.",
};

/// Every approval process of the org, in process order.
pub static APPROVAL_PROCESSES: &[ApprovalProcessDef] = &[DISCOUNT_APPROVAL, REFUND_APPROVAL];

/// A process by developer name (case-insensitive).
pub fn approval_process(name: &str) -> Option<&'static ApprovalProcessDef> {
    APPROVAL_PROCESSES
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
}
