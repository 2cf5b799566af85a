//! The REST client. Every operation goes through one request core (`call`), which owns the
//! session, the retry rule and the accounting; `retry` is the one loop that resends, for data
//! calls and token requests alike. The API families are in their own files: `sobjects`,
//! `query`, `collections`, `composite`, `actions`, `order_management` and `approvals`.

mod actions;
mod approvals;
mod call;
mod collections;
mod composite;
mod order_management;
mod query;
mod retry;
mod session;
mod sobjects;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rsa::RsaPrivateKey;
use serde_json::Value;

use crate::auth::{self, Session};
use crate::budget::{ApiUsage, Priority};
use crate::config::{Auth, SalesforceConfig};
use crate::error::SalesforceError;
use call::Call;

pub use actions::ActionResult;
pub use approvals::ProcessResult;
pub use order_management::{OrderLifeCycle, OrderSummaryCreated};
pub use query::QueryPage;
pub use sobjects::UpsertResult;

/// A Salesforce REST client. Cheap to clone; clones share the session, counters and usage.
#[derive(Debug, Clone)]
pub struct SalesforceClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: SalesforceConfig,
    /// Parsed once: signing an assertion should not re-read the PEM.
    jwt_key: Option<RsaPrivateKey>,
    session: tokio::sync::Mutex<Option<Session>>,
    api_calls: AtomicU64,
    token_requests: AtomicU64,
    usage: Mutex<Option<ApiUsage>>,
}

// By hand: the private key's own `Debug` prints the key.
impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("config", &self.config)
            .field("jwt_key", &self.jwt_key.as_ref().map(|_| "<redacted>"))
            .field("api_calls", &self.api_calls)
            .field("token_requests", &self.token_requests)
            .finish_non_exhaustive()
    }
}

impl SalesforceClient {
    /// Builds a client; no request is sent until the first call.
    pub fn new(config: SalesforceConfig) -> Result<Self, SalesforceError> {
        let jwt_key = match &config.auth {
            Auth::JwtBearer {
                private_key_pem, ..
            } => Some(auth::parse_private_key(private_key_pem)?),
            Auth::ClientCredentials { .. } => None,
        };
        config.validate()?;
        // Salesforce's certificates chain to public roots: trusting the compiled-in Mozilla set
        // spares every cold start a read of the system's trust store.
        let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| reqwest::Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()
            .map_err(SalesforceError::Transport)?;
        let http = reqwest::Client::builder()
            .tls_certs_only(roots)
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(SalesforceError::Transport)?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                config,
                jwt_key,
                session: tokio::sync::Mutex::new(None),
                api_calls: AtomicU64::new(0),
                token_requests: AtomicU64::new(0),
                usage: Mutex::new(None),
            }),
        })
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &SalesforceConfig {
        &self.inner.config
    }

    /// REST API requests this client has sent (retries and refreshed calls included).
    pub fn api_calls(&self) -> u64 {
        self.inner.api_calls.load(Ordering::Relaxed)
    }

    /// Token endpoint requests this client has sent.
    pub fn token_requests(&self) -> u64 {
        self.inner.token_requests.load(Ordering::Relaxed)
    }

    /// The latest `Sforce-Limit-Info: api-usage=N/M` seen, if any.
    pub fn api_usage(&self) -> Option<ApiUsage> {
        *self.inner.usage.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether deferrable work should wait: usage has passed the configured share of the limit.
    pub fn should_defer(&self) -> bool {
        self.api_usage()
            .is_some_and(|u| u.share() >= self.inner.config.budget_share)
    }

    /// `Ok` when work of this priority may go ahead; deferrable work past the budget share
    /// gets [`SalesforceError::BudgetExceeded`].
    pub fn ensure_budget(&self, priority: Priority) -> Result<(), SalesforceError> {
        match (priority, self.api_usage()) {
            (Priority::Deferrable, Some(usage))
                if usage.share() >= self.inner.config.budget_share =>
            {
                Err(SalesforceError::BudgetExceeded {
                    usage,
                    completed: Vec::new(),
                })
            }
            _ => Ok(()),
        }
    }

    /// `GET limits`: the org's limits, e.g. `DailyApiRequests.{Max,Remaining}`.
    pub async fn limits(&self) -> Result<Value, SalesforceError> {
        self.call_json(Call::read("limits".into())).await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::SalesforceClient;

    fn assert_send<T: Send>(_: T) {}

    /// Compiles only while the client's futures are `Send`: callers run them on
    /// multi-threaded runtimes and spawn them as tasks.
    #[allow(dead_code)]
    fn client_futures_are_send(client: &SalesforceClient, fields: &Value) {
        assert_send(client.limits());
        assert_send(client.create("Account", fields));
        assert_send(client.query::<Value>("SELECT Id FROM Account"));
        assert_send(client.upsert_collection("Contact", "Ext__c", &[], Default::default()));
        assert_send(client.composite(&Default::default()));
    }
}
