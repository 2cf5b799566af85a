//! Approval requests in Salesforce: each pending request is submitted to its approval process
//! once its record (the order's Opportunity, or its Salesforce Order) is there; the decisions
//! approvers make in Salesforce are read back and applied to the order; a request decided in
//! the store is recalled in Salesforce with a comment saying who decided what.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::app_error::AppError;
use crate::approvals::desk::ApprovalDesk;
use crate::approvals::{
    ApprovalKind, ApprovalRequest, ApprovalStatus, CrmRequest, Decision, DecisionSource,
};
use crate::ids::CrmId;
use crate::ports::{ApprovalLog, Clock, PageRequest, StoreError, SyncLedger};
use crate::sync::approvals::{ApprovalSubmission, CrmApprovalState, CrmApprovals};
use crate::sync::crm::CrmError;
use crate::sync::status::CrmObject;

/// Requests read per page.
const PAGE: usize = 100;

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApprovalRun {
    pub submitted: usize,
    /// Pending requests whose record is not in Salesforce yet (the order's sync comes first).
    pub waiting_for_sync: usize,
    /// Decided by an approver in Salesforce, and applied to the order.
    pub decided_in_salesforce: usize,
    /// Decided in the store; their Salesforce request recalled.
    pub recalled: usize,
    /// Salesforce did not answer or refused; tried again by the next run (a refused
    /// submission is recorded on the request and not tried again).
    pub failed: usize,
}

impl ApprovalRun {
    /// Nothing moved: requests only waiting for their order's sync do not count.
    pub fn is_idle(&self) -> bool {
        *self
            == ApprovalRun {
                waiting_for_sync: self.waiting_for_sync,
                ..ApprovalRun::default()
            }
    }
}

pub struct ApprovalSync {
    log: Arc<dyn ApprovalLog>,
    ledger: Arc<dyn SyncLedger>,
    crm: Arc<dyn CrmApprovals>,
    desk: ApprovalDesk,
    clock: Arc<dyn Clock>,
}

impl ApprovalSync {
    pub fn new(
        log: Arc<dyn ApprovalLog>,
        ledger: Arc<dyn SyncLedger>,
        crm: Arc<dyn CrmApprovals>,
        desk: ApprovalDesk,
        clock: Arc<dyn Clock>,
    ) -> Self {
        ApprovalSync {
            log,
            ledger,
            crm,
            desk,
            clock,
        }
    }

    /// Submits, reads back and recalls, while `time_left` says so.
    pub async fn run(
        &self,
        time_left: &(dyn Fn() -> bool + Sync),
    ) -> Result<ApprovalRun, AppError> {
        let mut run = ApprovalRun::default();
        let mut open: BTreeMap<CrmId, ApprovalRequest> = BTreeMap::new();
        let mut page = PageRequest::first(PAGE);
        loop {
            let found = self.log.approvals(ApprovalStatus::Pending, &page).await?;
            for request in found.items {
                if !time_left() {
                    return Ok(run);
                }
                match &request.crm {
                    Some(crm) => {
                        open.insert(crm.instance_id.clone(), request);
                    }
                    None if request.crm_error.is_none() => {
                        self.submit(request, &mut run).await?;
                    }
                    None => {}
                }
            }
            match found.next {
                Some(after) => page.after = Some(after),
                None => break,
            }
        }
        self.read_decisions(open, &mut run).await?;
        self.recall_decided(&mut run, time_left).await?;
        Ok(run)
    }

    async fn submit(
        &self,
        request: ApprovalRequest,
        run: &mut ApprovalRun,
    ) -> Result<(), AppError> {
        let Some(record_id) = self.record_of(&request).await? else {
            run.waiting_for_sync += 1;
            return Ok(());
        };
        let submission = ApprovalSubmission {
            process: request.kind.process(),
            record_id,
            comment: request.reason.clone(),
        };
        let (crm, crm_error) = match self.crm.submit(&submission).await {
            Ok(ticket) => {
                run.submitted += 1;
                let crm = CrmRequest {
                    instance_id: ticket.instance_id,
                    workitem_id: ticket.workitem_id,
                    closed: false,
                };
                (Some(crm), None)
            }
            Err(CrmError::Permanent(message)) => {
                tracing::warn!(approval_id = %request.id, error = %message, "Salesforce refused the approval request");
                run.failed += 1;
                (None, Some(message))
            }
            Err(error) => {
                tracing::warn!(approval_id = %request.id, %error, "approval request not submitted");
                run.failed += 1;
                return Ok(());
            }
        };
        // Kept on the request as it is now: a manager may have decided it meanwhile, and
        // then the next run recalls what was just submitted.
        let mut current = request;
        for _ in 0..3 {
            let mut next = current.clone();
            next.crm = crm.clone();
            next.crm_error = crm_error.clone();
            next.updated_at = self.clock.now();
            next.version += 1;
            match self.log.save_approval(&next).await {
                Ok(()) => return Ok(()),
                Err(StoreError::Conflict) => {}
                Err(e) => return Err(e.into()),
            }
            match self.log.approval(&current.id).await? {
                Some(latest) => current = latest,
                None => return Ok(()),
            }
        }
        Err(AppError::Conflict)
    }

    /// The Salesforce record the request is about, once the order's sync has written it.
    async fn record_of(&self, request: &ApprovalRequest) -> Result<Option<CrmId>, StoreError> {
        let object = match request.kind {
            ApprovalKind::Discount => CrmObject::Opportunity,
            ApprovalKind::Refund => CrmObject::Order,
        };
        Ok(self
            .ledger
            .order_sync(&request.order_id)
            .await?
            .and_then(|sync| sync.id(object).cloned()))
    }

    /// Applies the decisions approvers made in Salesforce on the open requests.
    async fn read_decisions(
        &self,
        open: BTreeMap<CrmId, ApprovalRequest>,
        run: &mut ApprovalRun,
    ) -> Result<(), AppError> {
        if open.is_empty() {
            return Ok(());
        }
        let instances: Vec<CrmId> = open.keys().cloned().collect();
        let statuses = match self.crm.statuses(&instances).await {
            Ok(statuses) => statuses,
            Err(error) => {
                tracing::warn!(%error, "approval decisions not read");
                run.failed += 1;
                return Ok(());
            }
        };
        for status in statuses {
            let Some(request) = open.get(&status.instance_id) else {
                continue;
            };
            let approved = match status.state {
                CrmApprovalState::Pending => continue,
                CrmApprovalState::Approved => true,
                CrmApprovalState::Rejected => false,
                CrmApprovalState::Removed => {
                    // Recalled by someone in Salesforce: submitted again by the next run.
                    let mut next = request.clone();
                    next.crm = None;
                    next.updated_at = self.clock.now();
                    next.version += 1;
                    self.save(&next).await?;
                    continue;
                }
            };
            let decision = Decision {
                approved,
                by: status
                    .actor
                    .unwrap_or_else(|| "a Salesforce approver".into()),
                via: DecisionSource::Salesforce,
                at: status.decided_at.unwrap_or_else(|| self.clock.now()),
                comment: status.comment,
            };
            match self.desk.decide(&request.id, decision).await {
                Ok(_) => run.decided_in_salesforce += 1,
                // Decided the other way in the store meanwhile: the store's decision stands,
                // and the operators see the disagreement in the log.
                Err(AppError::Domain(error)) => {
                    tracing::warn!(approval_id = %request.id, %error, "a Salesforce decision came after the store's");
                }
                Err(AppError::Conflict) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Recalls in Salesforce the requests decided in the store.
    async fn recall_decided(
        &self,
        run: &mut ApprovalRun,
        time_left: &(dyn Fn() -> bool + Sync),
    ) -> Result<(), AppError> {
        let page = self
            .log
            .approvals_to_recall(&PageRequest::first(PAGE))
            .await?;
        for request in page.items {
            if !time_left() {
                return Ok(());
            }
            let (Some(crm), Some(decision)) = (&request.crm, &request.decision) else {
                continue;
            };
            let comment = format!(
                "{} in the store by {}{}",
                if decision.approved {
                    "Approved"
                } else {
                    "Rejected"
                },
                decision.by,
                decision
                    .comment
                    .as_deref()
                    .map(|c| format!(": {c}"))
                    .unwrap_or_default()
            );
            match self.crm.recall(&crm.ticket(), &comment).await {
                // Decided in Salesforce too (an approver acted before the recall): the work
                // item is gone, so there is nothing left to recall.
                Ok(()) | Err(CrmError::Permanent(_)) => {
                    let mut next = request.clone();
                    if let Some(crm) = next.crm.as_mut() {
                        crm.closed = true;
                    }
                    next.updated_at = self.clock.now();
                    next.version += 1;
                    self.save(&next).await?;
                    run.recalled += 1;
                }
                Err(error) => {
                    tracing::warn!(approval_id = %request.id, %error, "approval request not recalled");
                    run.failed += 1;
                }
            }
        }
        Ok(())
    }

    /// Saves the request; one changed meanwhile (decided by a manager) is left for the
    /// next run.
    async fn save(&self, request: &ApprovalRequest) -> Result<(), AppError> {
        match self.log.save_approval(request).await {
            Ok(()) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
