//! The store's approval requests as Salesforce approval processes: a submission or a recall
//! is one Process Approvals call; the states of many requests are one query of their
//! `ProcessInstance`s (per 200), and one more of the decision steps (who, when, what they
//! said) when any was decided.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use storesync_core::ids::CrmId;
use storesync_core::sync::approvals::{
    ApprovalSubmission, ApprovalTicket, CrmApprovalState, CrmApprovalStatus, CrmApprovals,
};
use storesync_core::sync::crm::CrmError;

use super::{SalesforceCrm, crm_error, crm_id, describe};
use crate::ProcessResult;
use crate::error::SalesforceError;
use crate::soql::{Condition, Soql};

/// Ids per `IN` list: keeps each query's URL well inside the limits.
const IDS_PER_QUERY: usize = 200;

/// The step statuses that decide a request.
const DECISIONS: [&str; 3] = ["Approved", "Rejected", "Removed"];

/// A record already pending in a process can be submitted again once that one is decided.
fn approval_error(e: SalesforceError) -> CrmError {
    if e.error_code() == Some("ALREADY_IN_PROCESS") {
        return CrmError::Retryable(e.to_string());
    }
    crm_error(e)
}

/// The one result of a one-request call; a failed request is the error it carries.
fn only(results: Vec<ProcessResult>) -> Result<ProcessResult, CrmError> {
    let result = results
        .into_iter()
        .next()
        .ok_or_else(|| CrmError::Retryable("the approval request got no answer".into()))?;
    if result.success {
        return Ok(result);
    }
    let text = describe(&result.errors);
    Err(
        if result
            .errors
            .iter()
            .any(|e| e.is_retryable() || e.error_code == "ALREADY_IN_PROCESS")
        {
            CrmError::Retryable(text)
        } else {
            CrmError::Permanent(text)
        },
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InstanceRow {
    id: String,
    status: String,
    #[serde(default)]
    completed_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StepRow {
    process_instance_id: String,
    step_status: String,
    #[serde(default)]
    actor: Option<Named>,
    #[serde(default)]
    comments: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Named {
    #[serde(default)]
    name: Option<String>,
}

/// An id's case-sensitive 15 characters: a 15- and an 18-character id of one record match.
fn key(id: &str) -> &str {
    id.get(..15).unwrap_or(id)
}

fn state(status: &str) -> CrmApprovalState {
    match status {
        "Approved" => CrmApprovalState::Approved,
        "Rejected" => CrmApprovalState::Rejected,
        "Removed" => CrmApprovalState::Removed,
        // Pending, and Held or Reassigned: still waiting for an approver.
        _ => CrmApprovalState::Pending,
    }
}

/// A dateTime as Salesforce writes it (`2026-11-22T10:00:00.000+0000`).
fn instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl SalesforceCrm {
    async fn one_request(&self, request: serde_json::Value) -> Result<ProcessResult, CrmError> {
        let results = self
            .client
            .process_approvals(&[request])
            .await
            .map_err(approval_error)?;
        only(results)
    }

    async fn instances(&self, ids: &[CrmId]) -> Result<Vec<InstanceRow>, CrmError> {
        let mut rows = Vec::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let soql = Soql::select(&["Id", "Status", "CompletedDate"])
                .from("ProcessInstance")
                .where_in("Id", chunk.iter().map(CrmId::as_str));
            rows.extend(
                self.client
                    .query_all::<InstanceRow>(&soql.build())
                    .await
                    .map_err(crm_error)?,
            );
        }
        Ok(rows)
    }

    /// The decision steps of these instances, oldest first.
    async fn decisions(&self, instance_ids: &[&str]) -> Result<Vec<StepRow>, CrmError> {
        let mut rows = Vec::new();
        for chunk in instance_ids.chunks(IDS_PER_QUERY) {
            let soql = Soql::select(&[
                "ProcessInstanceId",
                "StepStatus",
                "Actor.Name",
                "Comments",
                "CreatedDate",
            ])
            .from("ProcessInstanceStep")
            .where_in("ProcessInstanceId", chunk.iter().copied())
            .filter(Condition::is_in("StepStatus", DECISIONS))
            .order_by("CreatedDate", true);
            rows.extend(
                self.client
                    .query_all::<StepRow>(&soql.build())
                    .await
                    .map_err(crm_error)?,
            );
        }
        Ok(rows)
    }
}

#[async_trait]
impl CrmApprovals for SalesforceCrm {
    async fn submit(&self, submission: &ApprovalSubmission) -> Result<ApprovalTicket, CrmError> {
        let result = self
            .one_request(json!({
                "actionType": "Submit",
                "contextId": submission.record_id.as_str(),
                "processDefinitionNameOrId": submission.process.api_name(),
                "comments": submission.comment,
                // The store has decided the request needs a manager: the process's own
                // entry criteria are not asked again.
                "skipEntryCriteria": true,
            }))
            .await?;
        let instance = result.instance_id.as_deref().unwrap_or_default();
        let workitem = result
            .new_workitem_ids
            .first()
            .map(String::as_str)
            .unwrap_or_default();
        Ok(ApprovalTicket {
            instance_id: crm_id(instance)?,
            workitem_id: crm_id(workitem)?,
        })
    }

    async fn statuses(&self, instances: &[CrmId]) -> Result<Vec<CrmApprovalStatus>, CrmError> {
        if instances.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self.instances(instances).await?;
        let decided: Vec<&str> = rows
            .iter()
            .filter(|row| state(&row.status) != CrmApprovalState::Pending)
            .map(|row| row.id.as_str())
            .collect();
        // The latest decision step of each instance: who acted and what they said.
        let mut steps: HashMap<String, StepRow> = HashMap::new();
        if !decided.is_empty() {
            for step in self.decisions(&decided).await? {
                steps.insert(key(&step.process_instance_id).to_string(), step);
            }
        }
        let by_key: HashMap<&str, &InstanceRow> =
            rows.iter().map(|row| (key(&row.id), row)).collect();
        let mut out = Vec::new();
        for asked in instances {
            let Some(row) = by_key.get(key(asked.as_str())) else {
                continue;
            };
            let state = state(&row.status);
            let step = steps
                .get(key(&row.id))
                .filter(|s| state != CrmApprovalState::Pending && s.step_status == row.status);
            out.push(CrmApprovalStatus {
                instance_id: asked.clone(),
                state,
                actor: step.and_then(|s| s.actor.as_ref()?.name.clone()),
                decided_at: row.completed_date.as_deref().and_then(instant),
                comment: step.and_then(|s| s.comments.clone()),
            });
        }
        Ok(out)
    }

    async fn recall(&self, ticket: &ApprovalTicket, comment: &str) -> Result<(), CrmError> {
        self.one_request(json!({
            "actionType": "Removed",
            "contextId": ticket.workitem_id.as_str(),
            "comments": comment,
        }))
        .await
        .map(|_| ())
    }
}
