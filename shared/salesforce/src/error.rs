//! Typed Salesforce errors.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::budget::ApiUsage;
use crate::collections::RecordResult;

/// One entry of a Salesforce error body (`[{"message","errorCode","fields"}]`), or of a
/// per-record result (`statusCode` there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// `REQUIRED_FIELD_MISSING`, `DUPLICATE_VALUE`, ...
    #[serde(rename = "errorCode", alias = "statusCode")]
    pub error_code: String,
    /// Salesforce's text; it can quote the values sent, so keep it out of log lines.
    #[serde(default)]
    pub message: String,
    /// The fields the error is about.
    #[serde(default)]
    pub fields: Vec<String>,
}

/// Error codes worth retrying: the org was busy or over its rate, not the request wrong.
const RETRYABLE_CODES: &[&str] = &[
    "REQUEST_LIMIT_EXCEEDED",
    "UNABLE_TO_LOCK_ROW",
    "SERVER_UNAVAILABLE",
    "UNKNOWN_EXCEPTION",
];

impl ApiError {
    /// `REQUEST_LIMIT_EXCEEDED` is retried when it is a concurrency or rate limit, but not
    /// when the org's 24-hour `TotalRequests` limit is spent: a backoff of seconds cannot
    /// help there, and retrying only burns the budget guard's margin.
    pub fn is_retryable(&self) -> bool {
        if self.error_code == "REQUEST_LIMIT_EXCEEDED" && self.message.starts_with("TotalRequests")
        {
            return false;
        }
        RETRYABLE_CODES.contains(&self.error_code.as_str())
    }
}

/// Everything that can go wrong talking to Salesforce.
#[derive(Debug, thiserror::Error)]
pub enum SalesforceError {
    /// The token endpoint refused the credentials (`invalid_client`, `invalid_grant`, ...).
    /// Never retried: a wrong secret or key does not heal.
    #[error("Salesforce refused to authenticate: {error} ({description})")]
    Auth {
        /// The HTTP status.
        status: u16,
        /// The OAuth error code.
        error: String,
        /// Salesforce's description.
        description: String,
    },
    /// An error body from the REST API.
    #[error("Salesforce answered {status}: {}", summary(.errors))]
    Api {
        /// The HTTP status.
        status: u16,
        /// The error list; empty when the answer had no Salesforce error body.
        errors: Vec<ApiError>,
    },
    /// A duplicate rule blocked the write; `matches` are the ids of the existing records.
    #[error("Salesforce duplicate rule {rule} matched {} record(s)", .matches.len())]
    Duplicate {
        /// The duplicate rule's API name.
        rule: String,
        /// Salesforce's message.
        message: String,
        /// Ids of the records the new one duplicates.
        matches: Vec<String>,
    },
    /// An upsert's external id matched several records (HTTP 300).
    #[error("external id matched {} records", .urls.len())]
    MultipleMatches {
        /// The matching records' URLs.
        urls: Vec<String>,
    },
    /// No answer within the request timeout; a write may still have landed.
    #[error("request to Salesforce timed out")]
    Timeout(#[source] reqwest::Error),
    /// The connection failed or broke off; a write may have landed unless it was never
    /// connected.
    #[error("could not reach Salesforce")]
    Transport(#[source] reqwest::Error),
    /// Deferrable work refused: API usage is past the configured share of the daily limit.
    /// `completed` holds the results of the chunks sent before the budget ran out.
    #[error("API budget exhausted: {}/{} requests used", .usage.used, .usage.limit)]
    BudgetExceeded {
        /// The usage that stopped the work.
        usage: ApiUsage,
        /// Per-record results of the chunks already written.
        completed: Vec<RecordResult>,
    },
    /// A Collections call failed after earlier chunks were committed: `completed` holds
    /// their results, so a caller resends only the rest.
    #[error("{} records were written before Salesforce failed: {source}", .completed.len())]
    Partial {
        /// Per-record results of the chunks already written.
        completed: Vec<RecordResult>,
        /// Why the next chunk failed.
        #[source]
        source: Box<SalesforceError>,
    },
    /// Salesforce answered something this client cannot read.
    #[error("unexpected response from Salesforce ({status}): {detail}")]
    Protocol {
        /// The HTTP status.
        status: u16,
        /// What could not be read.
        detail: String,
    },
    /// The configuration or the key cannot work; caught before any request is sent.
    #[error("invalid Salesforce configuration: {0}")]
    Config(String),
    /// A request this client refuses to send (e.g. more than 25 Composite subrequests).
    #[error("invalid Salesforce request: {0}")]
    InvalidRequest(String),
}

/// Codes and fields only: Salesforce messages can quote values (an invalid email, say), and
/// this text ends up in log lines. The messages stay available in `errors`.
fn summary(errors: &[ApiError]) -> String {
    if errors.is_empty() {
        return "no error body".to_string();
    }
    errors
        .iter()
        .map(|e| {
            if e.fields.is_empty() {
                e.error_code.clone()
            } else {
                format!("{} {:?}", e.error_code, e.fields)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl SalesforceError {
    /// Whether trying again later may succeed: 5xx, `REQUEST_LIMIT_EXCEEDED`,
    /// `UNABLE_TO_LOCK_ROW`, timeouts and connection failures.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api { status, errors } => {
                *status >= 500 || errors.iter().any(ApiError::is_retryable)
            }
            Self::Timeout(_) | Self::Transport(_) => true,
            _ => false,
        }
    }

    /// The first Salesforce error code, if any.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Self::Api { errors, .. } => errors.first().map(|e| e.error_code.as_str()),
            Self::Duplicate { .. } => Some("DUPLICATES_DETECTED"),
            _ => None,
        }
    }

    /// Whether the error proves the request changed nothing, so even a create may be resent:
    /// 503, or a limit or lock error. Other 5xx may come after the write was committed.
    pub(crate) fn proves_nothing_written(&self) -> bool {
        match self {
            Self::Api { status, errors } => {
                *status == 503
                    || errors.iter().any(|e| {
                        e.is_retryable()
                            && matches!(
                                e.error_code.as_str(),
                                "REQUEST_LIMIT_EXCEEDED" | "UNABLE_TO_LOCK_ROW"
                            )
                    })
            }
            _ => false,
        }
    }

    pub(crate) fn is_invalid_session(&self) -> bool {
        matches!(self, Self::Api { status: 401, errors } if errors.iter().any(|e| e.error_code == "INVALID_SESSION_ID"))
            || matches!(self, Self::Api { status: 401, errors } if errors.is_empty())
    }

    /// The typed error for a REST API answer of `status` (300 or more) with this body: several
    /// upsert matches, a duplicate rule, or the usual error list.
    pub(crate) fn from_response(status: u16, body: &[u8]) -> Self {
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        if status == 300 {
            let urls = body
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|u| u.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            return Self::MultipleMatches { urls };
        }
        if let Some(first) = body.get(0)
            && first["errorCode"] == "DUPLICATES_DETECTED"
        {
            let result = &first["duplicateResult"];
            let matches = result["matchResults"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|m| m["matchRecords"].as_array().into_iter().flatten())
                .filter_map(|r| r["record"]["Id"].as_str().map(str::to_string))
                .collect();
            return Self::Duplicate {
                rule: result["duplicateRule"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                message: first["message"].as_str().unwrap_or_default().to_string(),
                matches,
            };
        }
        // An invocable action that failed answers its per-input results, each with errors.
        if let Some(results) = body.as_array()
            && !results.is_empty()
            && results.iter().all(|r| r.get("isSuccess").is_some())
        {
            let errors = results
                .iter()
                .flat_map(|r| r["errors"].as_array().cloned().unwrap_or_default())
                .filter_map(|e| serde_json::from_value::<ApiError>(e).ok())
                .collect();
            return Self::Api { status, errors };
        }
        match serde_json::from_value::<Vec<ApiError>>(body) {
            Ok(errors) => Self::Api { status, errors },
            // Gateways and session failures may answer without a Salesforce error body.
            Err(_) if status >= 500 || status == 401 => Self::Api {
                status,
                errors: Vec::new(),
            },
            Err(e) => Self::Protocol {
                status,
                detail: format!("unreadable error body: {e}"),
            },
        }
    }

    /// A failure of the HTTP exchange itself, a timeout told apart.
    pub(crate) fn transport(error: reqwest::Error) -> Self {
        if error.is_timeout() {
            Self::Timeout(error)
        } else {
            Self::Transport(error)
        }
    }
}
