//! The Process Approvals resource, `process/approvals`: `GET` lists the org's approval
//! processes by object; `POST` carries out `{"requests":[...]}` (Submit a record, Approve,
//! Reject or recall (`Removed`) a work item) as the session's user, answering one
//! ProcessResult per request. Requests that succeed are committed; when any fails, the call
//! answers 400 with the errors of those that failed. Answered for a call of its own, never as
//! a Composite subrequest.

use serde_json::Value;

use super::routes::{Reply, SubRequest};
use crate::error::SfError;
use crate::org::{ApprovalAction, Org, ProcessRequest};

/// The resource's path after `/services/data/vXX.X/`.
pub(super) const APPROVALS: &str = "process/approvals";
/// The methods the resource has.
pub(super) const APPROVALS_ALLOWED: &str = "GET,HEAD,POST";

/// The properties of a process request.
const REQUEST_PROPERTIES: &[&str] = &[
    "actionType",
    "contextId",
    "comments",
    "nextApproverIds",
    "processDefinitionNameOrId",
    "skipEntryCriteria",
];

/// Answers a call to `process/approvals` made by `user`.
pub(super) fn answer(org: &mut Org, request: &SubRequest, user: &str) -> Reply {
    if matches!(request.method.as_str(), "GET" | "HEAD") {
        return Reply::json(200, org.approval_processes());
    }
    let requests = match requests(request.body.as_ref()) {
        Ok(requests) => requests,
        Err(e) => return Reply::json(e.status, e.body),
    };
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for process_request in &requests {
        match org.process_approval(user, process_request) {
            Ok(result) => results.push(result),
            Err(e) => errors.extend(e.body.as_array().cloned().unwrap_or_default()),
        }
    }
    if errors.is_empty() {
        Reply::json(200, Value::Array(results))
    } else {
        Reply::json(400, Value::Array(errors))
    }
}

fn parser_error(message: impl Into<String>) -> SfError {
    SfError::new(400, "JSON_PARSER_ERROR", message, &[])
}

/// The body's `requests`, each checked as the REST API deserializes it.
fn requests(body: Option<&Value>) -> Result<Vec<ProcessRequest>, SfError> {
    let Some(Value::Object(body)) = body else {
        return Err(SfError::body_not_an_object());
    };
    let Some(Value::Array(items)) = body.get("requests") else {
        return Err(SfError::new(
            400,
            "INVALID_INPUT",
            "No requests were found in the request body.",
            &[],
        ));
    };
    items.iter().map(request).collect()
}

fn request(item: &Value) -> Result<ProcessRequest, SfError> {
    let Value::Object(item) = item else {
        return Err(parser_error("Each request must be a JSON object"));
    };
    if let Some(unknown) = item
        .keys()
        .find(|k| !REQUEST_PROPERTIES.contains(&k.as_str()))
    {
        return Err(parser_error(format!(
            "Unrecognized field \"{unknown}\" in the process request"
        )));
    }
    let string = |name: &str| -> Result<Option<String>, SfError> {
        match item.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(parser_error(format!("{name} must be a string"))),
        }
    };
    let action_type = string("actionType")?.unwrap_or_default();
    let action = ApprovalAction::parse(&action_type).ok_or_else(|| {
        parser_error(format!(
            "Cannot deserialize value of actionType from \"{action_type}\": not one of Submit, Approve, Reject, Removed"
        ))
    })?;
    let context_id = string("contextId")?.ok_or_else(|| {
        SfError::new(
            400,
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [contextId]",
            &["contextId"],
        )
    })?;
    match item.get("skipEntryCriteria") {
        None | Some(Value::Null) | Some(Value::Bool(_)) => {}
        Some(Value::String(s)) if s == "true" || s == "false" => {}
        Some(_) => return Err(parser_error("skipEntryCriteria must be a boolean")),
    }
    match item.get("nextApproverIds") {
        None | Some(Value::Null) => {}
        Some(Value::Array(ids)) if ids.iter().all(Value::is_string) => {}
        Some(_) => return Err(parser_error("nextApproverIds must be an array of ids")),
    }
    Ok(ProcessRequest {
        action,
        context_id,
        process: string("processDefinitionNameOrId")?,
        comments: string("comments")?,
    })
}
