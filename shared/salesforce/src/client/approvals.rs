//! Approval processes through the Process Approvals resource: records submitted, work items
//! approved, rejected or recalled, each request answered with its ProcessResult.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::SalesforceClient;
use super::call::Call;
use crate::error::{ApiError, SalesforceError};

/// What one process request came to (the API's `ProcessResult`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessResult {
    /// Who the new work items are assigned to.
    #[serde(default, deserialize_with = "null_as_default")]
    pub actor_ids: Vec<String>,
    /// The record the request is about.
    #[serde(default)]
    pub entity_id: Option<String>,
    /// Why it failed; Salesforce sends `null` on success.
    #[serde(default, deserialize_with = "null_as_default")]
    pub errors: Vec<ApiError>,
    /// The `ProcessInstance`.
    #[serde(default)]
    pub instance_id: Option<String>,
    /// `Pending`, `Approved`, `Rejected` or `Removed`.
    #[serde(default)]
    pub instance_status: Option<String>,
    /// The `ProcessInstanceWorkitem`s made (one per approver of the next step).
    #[serde(default, deserialize_with = "null_as_default")]
    pub new_workitem_ids: Vec<String>,
    /// Whether the request was carried out.
    #[serde(default)]
    pub success: bool,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl SalesforceClient {
    /// `POST process/approvals/` with `{"requests": [...]}` (each with `actionType`
    /// `Submit`, `Approve`, `Reject` or `Removed` and its `contextId`), in one API call.
    /// Never resent after a timeout: a submission may have landed (a second one is refused
    /// with `ALREADY_IN_PROCESS`), a decision may have been taken.
    pub async fn process_approvals(
        &self,
        requests: &[Value],
    ) -> Result<Vec<ProcessResult>, SalesforceError> {
        let body = json!({ "requests": requests });
        self.call_json(Call {
            method: Method::POST,
            path: "process/approvals/".into(),
            body: Some(&body),
            idempotent: false,
        })
        .await
    }
}
