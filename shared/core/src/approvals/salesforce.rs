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
use crate::ids::{CrmId, Email};
use crate::notifications::templates::escape_html;
use crate::notifications::{EmailMessage, Notifications, format_money};
use crate::ports::{ApprovalLog, Clock, PageRequest, StoreError, SyncLedger};
use crate::sync::approvals::{ApprovalSubmission, CrmApprovalState, CrmApprovals};
use crate::sync::crm::CrmError;
use crate::sync::status::CrmObject;

/// Requests read per page.
const PAGE: usize = 100;

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApprovalRun {
    /// New requests the managers were mailed about.
    pub managers_told: usize,
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
    crm: Option<Arc<dyn CrmApprovals>>,
    desk: ApprovalDesk,
    /// Who hears of each new request, and how.
    managers: Option<(Arc<dyn Notifications>, Vec<Email>)>,
    clock: Arc<dyn Clock>,
}

impl ApprovalSync {
    pub fn new(
        log: Arc<dyn ApprovalLog>,
        ledger: Arc<dyn SyncLedger>,
        desk: ApprovalDesk,
        clock: Arc<dyn Clock>,
    ) -> Self {
        ApprovalSync {
            log,
            ledger,
            crm: None,
            desk,
            managers: None,
            clock,
        }
    }

    /// Submits requests to Salesforce and reads the decisions made there.
    pub fn with_crm(mut self, crm: Arc<dyn CrmApprovals>) -> Self {
        self.crm = Some(crm);
        self
    }

    /// Mails `managers` about each new request.
    pub fn with_managers(mut self, mail: Arc<dyn Notifications>, managers: Vec<Email>) -> Self {
        if !managers.is_empty() {
            self.managers = Some((mail, managers));
        }
        self
    }

    /// Tells the managers of new requests and, with Salesforce, submits them, reads the
    /// decisions made there and recalls those made in the store, while `time_left` says so.
    pub async fn run(
        &self,
        time_left: &(dyn Fn() -> bool + Sync),
    ) -> Result<ApprovalRun, AppError> {
        let mut run = ApprovalRun::default();
        let mut open: BTreeMap<CrmId, ApprovalRequest> = BTreeMap::new();
        let mut page = PageRequest::first(PAGE);
        loop {
            let found = self.log.approvals(ApprovalStatus::Pending, &page).await?;
            for mut request in found.items {
                if !time_left() {
                    return Ok(run);
                }
                if !request.managers_notified && self.managers.is_some() {
                    match self.tell(&request).await? {
                        Some(told) => {
                            run.managers_told += 1;
                            request = told;
                        }
                        None => run.failed += 1,
                    }
                }
                let Some(crm) = &self.crm else {
                    continue;
                };
                match &request.crm {
                    Some(ticket) => {
                        open.insert(ticket.instance_id.clone(), request);
                    }
                    None if request.crm_error.is_none() => {
                        self.submit(crm.as_ref(), request, &mut run).await?;
                    }
                    None => {}
                }
            }
            match found.next {
                Some(after) => page.after = Some(after),
                None => break,
            }
        }
        if let Some(crm) = &self.crm {
            self.read_decisions(crm.as_ref(), open, &mut run).await?;
            self.recall_decided(crm.as_ref(), &mut run, time_left)
                .await?;
        }
        Ok(run)
    }

    /// Mails each manager about `request` and records that they were told; `None` when the
    /// mail service did not take it (tried again by the next run) or the request changed
    /// meanwhile.
    async fn tell(&self, request: &ApprovalRequest) -> Result<Option<ApprovalRequest>, AppError> {
        let Some((mail, managers)) = &self.managers else {
            return Ok(None);
        };
        for to in managers {
            let message = approval_mail(request, to.clone());
            if let Err(error) = mail.send(&message).await {
                tracing::warn!(approval_id = %request.id, %error, "managers not told of an approval request");
                return Ok(None);
            }
        }
        let mut told = request.clone();
        told.managers_notified = true;
        told.updated_at = self.clock.now();
        told.version += 1;
        match self.log.save_approval(&told).await {
            Ok(()) => Ok(Some(told)),
            Err(StoreError::Conflict) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn submit(
        &self,
        crm: &dyn CrmApprovals,
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
        let (ticket, crm_error) = match crm.submit(&submission).await {
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
            next.crm = ticket.clone();
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
        crm: &dyn CrmApprovals,
        open: BTreeMap<CrmId, ApprovalRequest>,
        run: &mut ApprovalRun,
    ) -> Result<(), AppError> {
        if open.is_empty() {
            return Ok(());
        }
        let instances: Vec<CrmId> = open.keys().cloned().collect();
        let statuses = match crm.statuses(&instances).await {
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
        crm_approvals: &dyn CrmApprovals,
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
            match crm_approvals.recall(&crm.ticket(), &comment).await {
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

/// The mail that tells a manager of a new request: what, for which order, and where to decide.
fn approval_mail(request: &ApprovalRequest, to: Email) -> EmailMessage {
    let what = match request.kind {
        ApprovalKind::Discount => "A discount",
        ApprovalKind::Refund => "A refund",
    };
    let subject = format!(
        "{what} of {} on order {} needs your approval",
        format_money(request.amount),
        request.order_number
    );
    let text = format!(
        "{}.\n\nApprove or reject it in Salesforce (Items to Approve) or with the store's admin \
         API: POST /v1/admin/approvals/{}/decision\n",
        request.reason, request.id
    );
    let html = format!(
        "<p>{}.</p><p>Approve or reject it in Salesforce (Items to Approve) or with the store's \
         admin API: <code>POST /v1/admin/approvals/{}/decision</code></p>",
        escape_html(&request.reason),
        escape_html(&request.id)
    );
    EmailMessage {
        id: format!("{}:requested:{}", request.id, to.normalized()),
        to,
        subject,
        text,
        html,
    }
}
