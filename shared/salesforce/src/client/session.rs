//! The access token: fetched on first use, shared by concurrent callers, forgotten when the
//! org calls it invalid.

use std::sync::atomic::Ordering;

use super::SalesforceClient;
use super::retry::{Failure, with_retries};
use crate::auth::{self, OAuthError, Session, TokenResponse};
use crate::config::{Auth, require_https_unless_loopback};
use crate::error::SalesforceError;

impl SalesforceClient {
    /// The current session, fetching a token when there is none.
    pub(super) async fn session(&self) -> Result<Session, SalesforceError> {
        let mut guard = self.inner.session.lock().await;
        if let Some(session) = guard.as_ref() {
            return Ok(session.clone());
        }
        // Holding the lock while fetching makes concurrent callers share one refresh.
        let session = self.fetch_token().await?;
        *guard = Some(session.clone());
        Ok(session)
    }

    /// Drops `stale` unless another caller has already replaced it.
    pub(super) async fn forget_session(&self, stale: &Session) {
        let mut guard = self.inner.session.lock().await;
        if guard.as_ref() == Some(stale) {
            *guard = None;
        }
    }

    async fn fetch_token(&self) -> Result<Session, SalesforceError> {
        let config = &self.inner.config;
        let url = format!("{}/services/oauth2/token", config.login_url);
        let form: Vec<(&str, String)> = match &config.auth {
            Auth::ClientCredentials {
                client_id,
                client_secret,
            } => vec![
                ("grant_type", "client_credentials".into()),
                ("client_id", client_id.clone()),
                ("client_secret", client_secret.clone()),
            ],
            Auth::JwtBearer {
                client_id,
                username,
                audience,
                ..
            } => {
                let key = self
                    .inner
                    .jwt_key
                    .as_ref()
                    .ok_or_else(|| SalesforceError::Config("missing JWT key".into()))?;
                vec![
                    (
                        "grant_type",
                        "urn:ietf:params:oauth:grant-type:jwt-bearer".into(),
                    ),
                    (
                        "assertion",
                        auth::jwt_assertion(key, client_id, username, audience)?,
                    ),
                ]
            }
        };
        let (url, form) = (&url, &form);
        with_retries(config.retry, "oauth2/token", || async move {
            self.inner.token_requests.fetch_add(1, Ordering::Relaxed);
            let response = match self.inner.http.post(url).form(form).send().await {
                Ok(response) => response,
                Err(e) => return Err(Failure::retryable(SalesforceError::transport(e))),
            };
            let status = response.status().as_u16();
            let body = response.bytes().await.map_err(SalesforceError::transport)?;
            if status == 200 {
                let token: TokenResponse =
                    serde_json::from_slice(&body).map_err(|e| SalesforceError::Protocol {
                        status,
                        detail: format!("token response: {e}"),
                    })?;
                require_https_unless_loopback(&token.instance_url)?;
                return Ok(Session {
                    access_token: token.access_token,
                    instance_url: token.instance_url.trim_end_matches('/').to_string(),
                });
            }
            match serde_json::from_slice::<OAuthError>(&body) {
                // A refused credential does not heal on a second try.
                Ok(e) if status < 500 => Err(SalesforceError::Auth {
                    status,
                    error: e.error,
                    description: e.error_description,
                }
                .into()),
                _ => Err(Failure::retryable(SalesforceError::Api {
                    status,
                    errors: Vec::new(),
                })),
            }
        })
        .await
    }
}
