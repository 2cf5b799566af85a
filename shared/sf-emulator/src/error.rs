//! The error bodies the REST API answers with.

use serde_json::{Value, json};

/// An error the REST API answers with: an HTTP status and the JSON body Salesforce sends.
#[derive(Debug, Clone, PartialEq)]
pub struct SfError {
    /// The HTTP status.
    pub status: u16,
    /// The body as Salesforce sends it, usually `[{"message","errorCode","fields"}]`.
    pub body: Value,
}

impl SfError {
    /// The usual `[{"message","errorCode","fields"}]` body.
    pub fn new(status: u16, code: &str, message: impl Into<String>, fields: &[&str]) -> Self {
        Self {
            status,
            body: json!([{ "message": message.into(), "errorCode": code, "fields": fields }]),
        }
    }

    /// An error of a Connect REST API action: an Error with Output
    /// (`[{"errorCode","message","output"}]`), the output being the action's answer with
    /// `success` false and the same error.
    pub fn connect(status: u16, code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let error = json!({ "errorCode": code, "message": message });
        Self {
            status,
            body: json!([{
                "errorCode": code,
                "message": message,
                "output": { "errors": [error], "success": false },
            }]),
        }
    }

    /// 404 `NOT_FOUND`: an unknown path, object type or record.
    pub fn not_found() -> Self {
        Self::new(
            404,
            "NOT_FOUND",
            "The requested resource does not exist",
            &[],
        )
    }

    /// 400 `JSON_PARSER_ERROR` for a body that is not the JSON object the call takes.
    pub(crate) fn body_not_an_object() -> Self {
        Self::new(
            400,
            "JSON_PARSER_ERROR",
            "The request body must be a JSON object",
            &[],
        )
    }

    /// The error code of the first error in the body.
    pub fn code(&self) -> &str {
        self.body[0]["errorCode"]
            .as_str()
            .unwrap_or("UNKNOWN_EXCEPTION")
    }

    /// This error in the per-record shape of sObject Collections (`statusCode`, not `errorCode`).
    pub fn as_record_errors(&self) -> Value {
        let items = self.body.as_array().cloned().unwrap_or_default();
        Value::Array(
            items
                .into_iter()
                .map(|e| {
                    json!({
                        "statusCode": e["errorCode"],
                        "message": e["message"],
                        "fields": e.get("fields").cloned().unwrap_or_else(|| json!([])),
                    })
                })
                .collect(),
        )
    }
}
