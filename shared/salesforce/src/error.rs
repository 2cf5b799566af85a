//! Typed Salesforce errors.

use serde::{Deserialize, Serialize};

use crate::budget::ApiUsage;
use crate::collections::RecordResult;

/// One entry of a Salesforce error body (`[{"message","errorCode","fields"}]`), or of a
/// per-record result (`statusCode` there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    #[serde(rename = "errorCode", alias = "statusCode")]
    pub error_code: String,
    #[serde(default)]
    pub message: String,
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
        status: u16,
        error: String,
        description: String,
    },
    /// An error body from the REST API.
    #[error("Salesforce answered {status}: {}", summary(.errors))]
    Api { status: u16, errors: Vec<ApiError> },
    /// A duplicate rule blocked the write; `matches` are the ids of the existing records.
    #[error("Salesforce duplicate rule {rule} matched {} record(s)", .matches.len())]
    Duplicate {
        rule: String,
        message: String,
        matches: Vec<String>,
    },
    /// An upsert's external id matched several records (HTTP 300).
    #[error("external id matched {} records", .urls.len())]
    MultipleMatches { urls: Vec<String> },
    #[error("request to Salesforce timed out")]
    Timeout(#[source] reqwest::Error),
    #[error("could not reach Salesforce")]
    Transport(#[source] reqwest::Error),
    /// Deferrable work refused: API usage is past the configured share of the daily limit.
    /// `completed` holds the results of the chunks sent before the budget ran out.
    #[error("API budget exhausted: {}/{} requests used", .usage.used, .usage.limit)]
    BudgetExceeded {
        usage: ApiUsage,
        completed: Vec<RecordResult>,
    },
    /// A Collections call failed after earlier chunks were committed: `completed` holds
    /// their results, so a caller resends only the rest.
    #[error("{} records were written before Salesforce failed: {source}", .completed.len())]
    Partial {
        completed: Vec<RecordResult>,
        #[source]
        source: Box<SalesforceError>,
    },
    /// Salesforce answered something this client cannot read.
    #[error("unexpected response from Salesforce ({status}): {detail}")]
    Protocol { status: u16, detail: String },
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
}
