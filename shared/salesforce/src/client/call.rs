//! The request core: one REST call sent with the session, refreshed once when the session
//! has expired, and resent through `retry` only when resending is safe.

use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::SalesforceClient;
use super::retry::{Failure, with_retries};
use crate::auth::Session;
use crate::budget::ApiUsage;
use crate::error::SalesforceError;

/// One REST call.
pub(super) struct Call<'a> {
    pub method: Method,
    /// Relative to `/services/data/vXX.X/`, or absolute on the instance when it starts with `/`.
    pub path: String,
    pub body: Option<&'a Value>,
    /// Safe to resend after a timeout or a reset connection (the first try may have landed).
    pub idempotent: bool,
}

impl<'a> Call<'a> {
    /// A `GET`: no body, always safe to resend.
    pub fn read(path: String) -> Self {
        Self {
            method: Method::GET,
            path,
            body: None,
            idempotent: true,
        }
    }

    /// Whether this call may be sent again after `error`. A create is never resent when it
    /// may have landed: only an error that proves nothing was written lets it go again.
    fn may_resend(&self, error: &SalesforceError) -> bool {
        match error {
            // A refused connection never reached Salesforce.
            SalesforceError::Transport(e) => self.idempotent || e.is_connect(),
            SalesforceError::Timeout(_) => self.idempotent,
            // A create answered 500/502/504 may have landed: resending could duplicate it.
            other => other.is_retryable() && (self.idempotent || other.proves_nothing_written()),
        }
    }
}

/// A response: its status and body bytes, decoded once the caller knows the shape.
pub(super) struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as `T`; a body of another shape is a protocol error.
    fn json<T: DeserializeOwned>(&self) -> Result<T, SalesforceError> {
        serde_json::from_slice(&self.body).map_err(|e| SalesforceError::Protocol {
            status: self.status,
            detail: e.to_string(),
        })
    }
}

impl SalesforceClient {
    /// Sends `call` until it succeeds or fails for good; answers of 300 and more are errors.
    pub(super) async fn call(&self, call: Call<'_>) -> Result<Answer, SalesforceError> {
        let operation = operation(&call.path);
        // Shared by every try: a call refreshes its session once, not once per try.
        let refreshed = AtomicBool::new(false);
        let (call, refreshed) = (&call, &refreshed);
        with_retries(self.inner.config.retry, operation, || async move {
            loop {
                let session = self.session().await?;
                let error = match self.send_once(&session, call).await {
                    Ok(answer) if answer.status < 300 => return Ok(answer),
                    Ok(answer) => SalesforceError::from_response(answer.status, &answer.body),
                    Err(e) => e,
                };
                if error.is_invalid_session() && !refreshed.swap(true, Ordering::Relaxed) {
                    // The session expired: refresh once and resend; this is not a retry.
                    tracing::info!(operation, "salesforce session expired, refreshing");
                    self.forget_session(&session).await;
                    continue;
                }
                return Err(Failure {
                    may_resend: call.may_resend(&error),
                    error,
                });
            }
        })
        .await
    }

    /// [`Self::call`], the answer decoded as `T`.
    pub(super) async fn call_json<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
    ) -> Result<T, SalesforceError> {
        self.call(call).await?.json()
    }

    async fn send_once(
        &self,
        session: &Session,
        call: &Call<'_>,
    ) -> Result<Answer, SalesforceError> {
        let url = if call.path.starts_with('/') {
            format!("{}{}", session.instance_url, call.path)
        } else {
            format!(
                "{}/services/data/{}/{}",
                session.instance_url, self.inner.config.api_version, call.path
            )
        };
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), &url)
            .bearer_auth(&session.access_token)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = call.body {
            request = request.json(body);
        }
        self.inner.api_calls.fetch_add(1, Ordering::Relaxed);
        let response = request.send().await.map_err(SalesforceError::transport)?;
        let status = response.status().as_u16();
        if let Some(usage) = response
            .headers()
            .get("Sforce-Limit-Info")
            .and_then(|h| h.to_str().ok())
            .and_then(ApiUsage::parse)
        {
            *self.inner.usage.lock().unwrap_or_else(|p| p.into_inner()) = Some(usage);
        }
        let body = response.bytes().await.map_err(SalesforceError::transport)?;
        tracing::debug!(method = %call.method, operation = operation(&call.path), status, "salesforce call");
        Ok(Answer {
            status,
            body: body.to_vec(),
        })
    }
}

/// What a log line may say about a call: `sobjects/Contact` or `query`, never the query text
/// or an external id value (they can hold emails).
fn operation(path: &str) -> &str {
    let path = path.trim_start_matches('/');
    let path = match path.strip_prefix("services/data/") {
        Some(rest) => rest.split_once('/').map_or(rest, |(_, p)| p),
        None => path,
    };
    let path = path.split('?').next().unwrap_or(path);
    let end = path
        .match_indices('/')
        .nth(1)
        .map_or(path.len(), |(i, _)| i);
    &path[..end]
}

#[cfg(test)]
mod tests {
    use super::operation;

    #[test]
    fn log_lines_name_the_operation_but_never_values() {
        assert_eq!(
            operation("query?q=SELECT+Id+FROM+Contact+WHERE+Email+%3D+%27a%40b.c%27"),
            "query"
        );
        assert_eq!(
            operation("sobjects/Contact/Storesync_Customer_Id__c/ada%40example.com"),
            "sobjects/Contact"
        );
        assert_eq!(
            operation("/services/data/v62.0/query/01g5g000000001-2000"),
            "query/01g5g000000001-2000"
        );
        assert_eq!(operation("composite/graph"), "composite/graph");
    }
}
