//! Invocable actions: what an org exposes of its Apex (`@InvocableMethod`) to the REST API.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::SalesforceClient;
use super::call::Call;
use crate::error::{ApiError, SalesforceError};

/// One input's result of an invocable action.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionResult {
    /// The action's API name.
    #[serde(default)]
    pub action_name: String,
    /// Whether this input succeeded. (An Apex action that throws fails the whole call:
    /// the answer is then an error, with every input's errors.)
    pub is_success: bool,
    /// The action's outputs for this input.
    #[serde(default)]
    pub output_values: Value,
    /// Why this input failed.
    #[serde(default, deserialize_with = "errors_or_null")]
    pub errors: Vec<ApiError>,
}

/// Salesforce sends `"errors": null` on success.
fn errors_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ApiError>, D::Error> {
    Ok(Option::<Vec<ApiError>>::deserialize(d)?.unwrap_or_default())
}

impl SalesforceClient {
    /// `POST actions/custom/apex/{class}`: runs an invocable Apex action on each input, in
    /// one API call. Never resent after a timeout: an action may have run. A failed action
    /// is `SalesforceError::Api` with the errors of its inputs.
    pub async fn invoke_apex(
        &self,
        class: &str,
        inputs: &[Value],
    ) -> Result<Vec<ActionResult>, SalesforceError> {
        let body = json!({ "inputs": inputs });
        self.call_json(Call {
            method: Method::POST,
            path: format!(
                "actions/custom/apex/{}",
                crate::composite::encode_segment(class)
            ),
            body: Some(&body),
            idempotent: false,
        })
        .await
    }
}
