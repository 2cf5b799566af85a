//! What every data API call passes before its work: an injected fault, a valid session, and
//! the org's daily API limit.

use axum::http::{HeaderMap, header};
use serde_json::{Value, json};

use super::{Control, Shared};
use crate::error::SfError;

/// A fault the next calls of the data API answer with instead of doing their work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 503 `SERVER_UNAVAILABLE`.
    ServiceUnavailable,
    /// 403 `REQUEST_LIMIT_EXCEEDED` for too many concurrent long requests
    /// ("ConcurrentPerOrgLongTxn Limit exceeded."). The daily limit itself answers
    /// "TotalRequests Limit exceeded." once usage reaches it (see `set_daily_limit`).
    RequestLimitExceeded,
    /// 400 `UNABLE_TO_LOCK_ROW`.
    UnableToLockRow,
    /// 500 `UNKNOWN_EXCEPTION`.
    InternalError,
    /// The call is carried out, then the connection drops before the response body
    /// arrives: the client cannot know whether a create landed.
    ConnectionReset,
    /// 401 `INVALID_SESSION_ID` "Session expired or invalid", whatever the token.
    /// (To expire the issued tokens themselves, use `Emulator::expire_sessions`.)
    ExpiredSession,
}

/// A call let through.
pub(super) struct Proceed {
    /// The `Sforce-Limit-Info` value.
    pub limit_info: String,
    /// The response must be cut off (`Fault::ConnectionReset`).
    pub reset: bool,
    /// The user whose session the call carries.
    pub user_id: String,
}

/// Whether a call may do its work.
pub(super) enum Gate {
    /// Go ahead.
    Proceed(Proceed),
    /// Answer with this status, body and `Sforce-Limit-Info` instead.
    Reject(u16, Value, String),
}

fn invalid_session() -> Value {
    json!([{ "message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID" }])
}

/// Counts the call toward the daily limit unless a fault, the session or the limit itself
/// turns it away first.
pub(super) fn gate(shared: &Shared, headers: &HeaderMap) -> Gate {
    let mut control = shared.control();
    let info = |c: &Control| format!("api-usage={}/{}", c.usage, c.daily_limit);
    let mut reset = false;
    if control.faults.front() == Some(&Fault::ConnectionReset) {
        control.faults.pop_front();
        reset = true;
    } else if let Some(fault) = control.faults.pop_front() {
        let (status, code, message) = match fault {
            Fault::ConnectionReset => unreachable!("handled above"),
            Fault::ServiceUnavailable => (503, "SERVER_UNAVAILABLE", "Service Unavailable"),
            Fault::RequestLimitExceeded => (
                403,
                "REQUEST_LIMIT_EXCEEDED",
                "ConcurrentPerOrgLongTxn Limit exceeded.",
            ),
            Fault::UnableToLockRow => (
                400,
                "UNABLE_TO_LOCK_ROW",
                "unable to obtain exclusive access to this record or 1 records",
            ),
            Fault::InternalError => (500, "UNKNOWN_EXCEPTION", "An unexpected error occurred."),
            Fault::ExpiredSession => {
                return Gate::Reject(401, invalid_session(), info(&control));
            }
        };
        return Gate::Reject(
            status,
            SfError::new(status, code, message, &[]).body,
            info(&control),
        );
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("OAuth "))
        });
    let Some(user_id) = bearer.and_then(|t| control.tokens.get(t)).cloned() else {
        return Gate::Reject(401, invalid_session(), info(&control));
    };
    if control.usage >= control.daily_limit {
        return Gate::Reject(
            403,
            SfError::new(
                403,
                "REQUEST_LIMIT_EXCEEDED",
                "TotalRequests Limit exceeded.",
                &[],
            )
            .body,
            info(&control),
        );
    }
    control.usage += 1;
    Gate::Proceed(Proceed {
        limit_info: info(&control),
        reset,
        user_id,
    })
}
