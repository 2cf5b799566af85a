//! The REST client: one `call` loop owns the session, retries, timeouts and accounting;
//! every operation goes through it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use reqwest::Method;
use rsa::RsaPrivateKey;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::auth::{self, OAuthError, Session, TokenResponse};
use crate::budget::{ApiUsage, Priority};
use crate::collections::{COLLECTION_CHUNK, CollectionOptions, RecordResult, sobject};
use crate::composite::{
    COMPOSITE_LIMIT, CompositeRequest, CompositeResponse, GRAPH_NODE_LIMIT, Graph, GraphResponse,
    RawGraph, encode_segment,
};
use crate::config::{Auth, SalesforceConfig};
use crate::error::{ApiError, SalesforceError};

/// A page of SOQL results.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryPage<T> {
    pub total_size: u64,
    pub done: bool,
    #[serde(default)]
    pub next_records_url: Option<String>,
    pub records: Vec<T>,
}

/// The outcome of an upsert by external id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UpsertResult {
    pub id: String,
    /// `true` for 201 Created, `false` for 200 updated.
    pub created: bool,
}

#[derive(Deserialize)]
struct CreateResult {
    id: String,
}

/// A Salesforce REST client. Cheap to clone; clones share the session, counters and usage.
#[derive(Debug, Clone)]
pub struct SalesforceClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: SalesforceConfig,
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

struct Call<'a> {
    method: Method,
    /// Relative to `/services/data/vXX.X/`, or absolute on the instance when it starts with `/`.
    path: String,
    body: Option<&'a Value>,
    /// Safe to resend after a timeout or a reset connection (the first try may have landed).
    idempotent: bool,
}

/// A response: its status and body bytes, decoded once the caller knows the shape.
struct Answer {
    status: u16,
    body: Vec<u8>,
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
        if !(0.0..=1.0).contains(&config.budget_share) {
            return Err(SalesforceError::Config(format!(
                "budget_share must be between 0 and 1, got {}",
                config.budget_share
            )));
        }
        require_https_unless_loopback(&config.login_url)?;
        check_api_version(&config.api_version)?;
        if config.retry.max_attempts == 0 {
            return Err(SalesforceError::Config(
                "retry.max_attempts must be at least 1".into(),
            ));
        }
        let http = reqwest::Client::builder()
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

    // ----- session -----

    async fn session(&self) -> Result<Session, SalesforceError> {
        let mut guard = self.inner.session.lock().await;
        if let Some(session) = guard.as_ref() {
            return Ok(session.clone());
        }
        // Holding the lock while fetching makes concurrent callers share one refresh.
        let session = self.fetch_token().await?;
        *guard = Some(session.clone());
        Ok(session)
    }

    async fn forget_session(&self, stale: &Session) {
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
        let policy = config.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.inner.token_requests.fetch_add(1, Ordering::Relaxed);
            let outcome = self.inner.http.post(&url).form(&form).send().await;
            let error = match outcome {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body = response.bytes().await.map_err(transport)?;
                    if status == 200 {
                        let token: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
                            SalesforceError::Protocol {
                                status,
                                detail: format!("token response: {e}"),
                            }
                        })?;
                        require_https_unless_loopback(&token.instance_url)?;
                        return Ok(Session {
                            access_token: token.access_token,
                            instance_url: token.instance_url.trim_end_matches('/').to_string(),
                        });
                    }
                    match serde_json::from_slice::<OAuthError>(&body) {
                        Ok(e) if status < 500 => {
                            return Err(SalesforceError::Auth {
                                status,
                                error: e.error,
                                description: e.error_description,
                            });
                        }
                        _ => SalesforceError::Api {
                            status,
                            errors: Vec::new(),
                        },
                    }
                }
                Err(e) => transport(e),
            };
            if error.is_retryable() && attempt < policy.max_attempts {
                tokio::time::sleep(self.backoff(attempt)).await;
                continue;
            }
            return Err(error);
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.inner.config.retry.ceiling(attempt);
        let micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
        Duration::from_micros(rand::rng().random_range(0..=micros))
    }

    // ----- the call loop -----

    async fn call(&self, call: Call<'_>) -> Result<Answer, SalesforceError> {
        let policy = self.inner.config.retry;
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            let session = self.session().await?;
            attempt += 1;
            let error = match self.send_once(&session, &call).await {
                Ok(answer) if answer.status < 300 => return Ok(answer),
                Ok(answer) => error_from(answer),
                Err(e) => e,
            };
            if error.is_invalid_session() && !refreshed {
                // The session expired: refresh once and resend; this is not a retry.
                refreshed = true;
                attempt -= 1;
                tracing::info!(
                    operation = operation(&call.path),
                    "salesforce session expired, refreshing"
                );
                self.forget_session(&session).await;
                continue;
            }
            let may_resend = match &error {
                SalesforceError::Transport(e) => call.idempotent || e.is_connect(),
                SalesforceError::Timeout(_) => call.idempotent,
                // A create answered 500/502/504 may have landed: resending could duplicate it.
                other => {
                    other.is_retryable() && (call.idempotent || other.proves_nothing_written())
                }
            };
            if may_resend && attempt < policy.max_attempts {
                let delay = self.backoff(attempt);
                tracing::warn!(operation = operation(&call.path), attempt, delay_ms = delay.as_millis() as u64, error = %error, "retrying salesforce call");
                tokio::time::sleep(delay).await;
                continue;
            }
            return Err(error);
        }
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
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        if let Some(usage) = response
            .headers()
            .get("Sforce-Limit-Info")
            .and_then(|h| h.to_str().ok())
            .and_then(ApiUsage::parse)
        {
            *self.inner.usage.lock().unwrap_or_else(|p| p.into_inner()) = Some(usage);
        }
        let body = response.bytes().await.map_err(transport)?;
        tracing::debug!(method = %call.method, operation = operation(&call.path), status, "salesforce call");
        Ok(Answer {
            status,
            body: body.to_vec(),
        })
    }

    async fn call_json<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, SalesforceError> {
        let answer = self.call(call).await?;
        decode(&answer)
    }

    // ----- sObjects -----

    /// `GET sobjects/{object}/{id}`, all fields or the listed ones.
    pub async fn get(
        &self,
        object: &str,
        id: &str,
        fields: Option<&[&str]>,
    ) -> Result<Value, SalesforceError> {
        let mut path = format!("sobjects/{object}/{}", encode_segment(id));
        if let Some(fields) = fields {
            path.push_str("?fields=");
            path.push_str(&fields.join(","));
        }
        self.call_json(Call {
            method: Method::GET,
            path,
            body: None,
            idempotent: true,
        })
        .await
    }

    /// `GET sobjects/{object}/{external_field}/{value}`: the record with that external id.
    pub async fn get_by_external_id(
        &self,
        object: &str,
        external_field: &str,
        value: &str,
    ) -> Result<Value, SalesforceError> {
        self.call_json(Call {
            method: Method::GET,
            path: format!(
                "sobjects/{object}/{external_field}/{}",
                encode_segment(value)
            ),
            body: None,
            idempotent: true,
        })
        .await
    }

    /// `POST sobjects/{object}`: the new record's id. Not resent after a timeout, since the
    /// first try may have created the record (prefer [`Self::upsert`] for store data).
    pub async fn create(&self, object: &str, fields: &Value) -> Result<String, SalesforceError> {
        let created: CreateResult = self
            .call_json(Call {
                method: Method::POST,
                path: format!("sobjects/{object}"),
                body: Some(fields),
                idempotent: false,
            })
            .await?;
        Ok(created.id)
    }

    /// `PATCH sobjects/{object}/{id}`.
    pub async fn update(
        &self,
        object: &str,
        id: &str,
        fields: &Value,
    ) -> Result<(), SalesforceError> {
        self.call(Call {
            method: Method::PATCH,
            path: format!("sobjects/{object}/{}", encode_segment(id)),
            body: Some(fields),
            idempotent: true,
        })
        .await
        .map(|_| ())
    }

    /// `PATCH sobjects/{object}/{external_field}/{value}`: insert or update by external id.
    pub async fn upsert(
        &self,
        object: &str,
        external_field: &str,
        value: &str,
        fields: &Value,
    ) -> Result<UpsertResult, SalesforceError> {
        let body = crate::collections::without_field(fields.clone(), external_field);
        self.call_json(Call {
            method: Method::PATCH,
            path: format!(
                "sobjects/{object}/{external_field}/{}",
                encode_segment(value)
            ),
            body: Some(&body),
            idempotent: true,
        })
        .await
    }

    /// `DELETE sobjects/{object}/{id}`.
    pub async fn delete(&self, object: &str, id: &str) -> Result<(), SalesforceError> {
        self.call(Call {
            method: Method::DELETE,
            path: format!("sobjects/{object}/{}", encode_segment(id)),
            body: None,
            idempotent: true,
        })
        .await
        .map(|_| ())
    }

    // ----- SOQL -----

    /// The first page of a query (build the text with [`crate::soql::Soql`]).
    pub async fn query<T: DeserializeOwned>(
        &self,
        soql: &str,
    ) -> Result<QueryPage<T>, SalesforceError> {
        let q: String = url::form_urlencoded::byte_serialize(soql.as_bytes()).collect();
        self.call_json(Call {
            method: Method::GET,
            path: format!("query?q={q}"),
            body: None,
            idempotent: true,
        })
        .await
    }

    /// The page behind a `nextRecordsUrl`.
    pub async fn query_more<T: DeserializeOwned>(
        &self,
        next_records_url: &str,
    ) -> Result<QueryPage<T>, SalesforceError> {
        if !next_records_url.starts_with("/services/data/") {
            return Err(SalesforceError::InvalidRequest(format!(
                "not a nextRecordsUrl: {next_records_url}"
            )));
        }
        self.call_json(Call {
            method: Method::GET,
            path: next_records_url.to_string(),
            body: None,
            idempotent: true,
        })
        .await
    }

    /// Every record of a query, following `nextRecordsUrl` to the end.
    pub async fn query_all<T: DeserializeOwned>(
        &self,
        soql: &str,
    ) -> Result<Vec<T>, SalesforceError> {
        let mut page = self.query::<T>(soql).await?;
        let mut records = std::mem::take(&mut page.records);
        while let (false, Some(next)) = (page.done, page.next_records_url.clone()) {
            page = self.query_more(&next).await?;
            records.append(&mut page.records);
        }
        Ok(records)
    }

    // ----- sObject Collections -----

    async fn collection(
        &self,
        method: Method,
        path: String,
        records: &[Value],
        options: CollectionOptions,
        idempotent: bool,
    ) -> Result<Vec<RecordResult>, SalesforceError> {
        let mut results = Vec::with_capacity(records.len());
        for chunk in records.chunks(COLLECTION_CHUNK) {
            if let Err(SalesforceError::BudgetExceeded { usage, .. }) =
                self.ensure_budget(options.priority)
            {
                return Err(SalesforceError::BudgetExceeded {
                    usage,
                    completed: results,
                });
            }
            let body = json!({ "allOrNone": options.all_or_none, "records": chunk });
            let answer = self
                .call_json(Call {
                    method: method.clone(),
                    path: path.clone(),
                    body: Some(&body),
                    idempotent,
                })
                .await;
            let mut chunk_results: Vec<RecordResult> = match answer {
                Ok(r) => r,
                Err(e) if results.is_empty() => return Err(e),
                Err(e) => {
                    return Err(SalesforceError::Partial {
                        completed: results,
                        source: Box::new(e),
                    });
                }
            };
            if chunk_results.len() != chunk.len() {
                return Err(SalesforceError::Protocol {
                    status: 200,
                    detail: format!(
                        "{} results for {} records",
                        chunk_results.len(),
                        chunk.len()
                    ),
                });
            }
            results.append(&mut chunk_results);
        }
        Ok(results)
    }

    /// `POST composite/sobjects` in chunks of 200; each record needs `attributes.type`
    /// (see [`crate::sobject`]). Results are per record, in order.
    pub async fn create_collection(
        &self,
        records: &[Value],
        options: CollectionOptions,
    ) -> Result<Vec<RecordResult>, SalesforceError> {
        self.collection(
            Method::POST,
            "composite/sobjects".into(),
            records,
            options,
            false,
        )
        .await
    }

    /// `PATCH composite/sobjects` in chunks of 200; each record needs `attributes.type` and `Id`.
    pub async fn update_collection(
        &self,
        records: &[Value],
        options: CollectionOptions,
    ) -> Result<Vec<RecordResult>, SalesforceError> {
        self.collection(
            Method::PATCH,
            "composite/sobjects".into(),
            records,
            options,
            true,
        )
        .await
    }

    /// `PATCH composite/sobjects/{object}/{external_field}` in chunks of 200; each record
    /// carries its external id value. Results say per record whether it was created.
    pub async fn upsert_collection(
        &self,
        object: &str,
        external_field: &str,
        records: &[Value],
        options: CollectionOptions,
    ) -> Result<Vec<RecordResult>, SalesforceError> {
        let typed: Vec<Value> = records
            .iter()
            .map(|r| {
                if r.get("attributes").is_some() {
                    r.clone()
                } else {
                    sobject(object, r.clone())
                }
            })
            .collect();
        self.collection(
            Method::PATCH,
            format!("composite/sobjects/{object}/{external_field}"),
            &typed,
            options,
            true,
        )
        .await
    }

    // ----- Composite -----

    /// `POST composite`: up to 25 subrequests in one API call.
    pub async fn composite(
        &self,
        request: &CompositeRequest,
    ) -> Result<CompositeResponse, SalesforceError> {
        if request.requests.is_empty() || request.requests.len() > COMPOSITE_LIMIT {
            return Err(SalesforceError::InvalidRequest(format!(
                "a composite request holds 1 to {COMPOSITE_LIMIT} subrequests, not {}",
                request.requests.len()
            )));
        }
        let version = &self.inner.config.api_version;
        let body = json!({
            "allOrNone": request.all_or_none,
            "compositeRequest": request.requests.to_json(version),
        });
        let idempotent = request.requests.items.iter().all(|s| s.method != "POST");
        self.call_json(Call {
            method: Method::POST,
            path: "composite".into(),
            body: Some(&body),
            idempotent,
        })
        .await
    }

    /// `POST composite/graph`: each graph commits all its nodes or none, in one API call.
    pub async fn composite_graph(
        &self,
        graphs: &[Graph],
    ) -> Result<Vec<GraphResponse>, SalesforceError> {
        if let Some(g) = graphs
            .iter()
            .find(|g| g.nodes.is_empty() || g.nodes.len() > GRAPH_NODE_LIMIT)
        {
            return Err(SalesforceError::InvalidRequest(format!(
                "graph {} holds {} nodes (1 to {GRAPH_NODE_LIMIT} allowed)",
                g.graph_id,
                g.nodes.len()
            )));
        }
        let version = &self.inner.config.api_version;
        let body = json!({
            "graphs": graphs
                .iter()
                .map(|g| json!({ "graphId": g.graph_id, "compositeRequest": g.nodes.to_json(version) }))
                .collect::<Vec<_>>(),
        });
        let idempotent = graphs
            .iter()
            .all(|g| g.nodes.items.iter().all(|s| s.method != "POST"));
        #[derive(Deserialize)]
        struct Raw {
            graphs: Vec<RawGraph>,
        }
        let raw: Raw = self
            .call_json(Call {
                method: Method::POST,
                path: "composite/graph".into(),
                body: Some(&body),
                idempotent,
            })
            .await?;
        Ok(raw
            .graphs
            .into_iter()
            .map(|g| GraphResponse {
                graph_id: g.graph_id,
                is_successful: g.is_successful,
                responses: g.graph_response,
            })
            .collect())
    }

    /// `GET limits`: the org's limits, e.g. `DailyApiRequests.{Max,Remaining}`.
    pub async fn limits(&self) -> Result<Value, SalesforceError> {
        self.call_json(Call {
            method: Method::GET,
            path: "limits".into(),
            body: None,
            idempotent: true,
        })
        .await
    }
}

/// Tokens travel only over TLS, except to a local emulator on loopback.
fn require_https_unless_loopback(raw: &str) -> Result<(), SalesforceError> {
    let url = url::Url::parse(raw)
        .map_err(|e| SalesforceError::Config(format!("not a URL: {raw}: {e}")))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() == "https" || (url.scheme() == "http" && loopback) {
        Ok(())
    } else {
        Err(SalesforceError::Config(format!(
            "{raw} must use https (plain http is allowed on loopback only)"
        )))
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

fn transport(e: reqwest::Error) -> SalesforceError {
    if e.is_timeout() {
        SalesforceError::Timeout(e)
    } else {
        SalesforceError::Transport(e)
    }
}

fn decode<T: DeserializeOwned>(answer: &Answer) -> Result<T, SalesforceError> {
    serde_json::from_slice(&answer.body).map_err(|e| SalesforceError::Protocol {
        status: answer.status,
        detail: e.to_string(),
    })
}

/// Turns an error answer into a typed error.
fn error_from(answer: Answer) -> SalesforceError {
    let status = answer.status;
    let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    if status == 300 {
        let urls = body
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|u| u.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        return SalesforceError::MultipleMatches { urls };
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
        return SalesforceError::Duplicate {
            rule: result["duplicateRule"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            message: first["message"].as_str().unwrap_or_default().to_string(),
            matches,
        };
    }
    match serde_json::from_value::<Vec<ApiError>>(body) {
        Ok(errors) => SalesforceError::Api { status, errors },
        Err(_) if status >= 500 || status == 401 => SalesforceError::Api {
            status,
            errors: Vec::new(),
        },
        Err(e) => SalesforceError::Protocol {
            status,
            detail: format!("unreadable error body: {e}"),
        },
    }
}

/// `vNN.N`, and at least v46.0: from there an upsert that updates answers 200 with the id
/// (before, 204 and no body, which this client does not read).
fn check_api_version(version: &str) -> Result<(), SalesforceError> {
    let major = version
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .filter(|(_, minor)| minor.chars().all(|c| c.is_ascii_digit()) && !minor.is_empty())
        .and_then(|(major, _)| major.parse::<u32>().ok());
    match major {
        Some(m) if m >= 46 => Ok(()),
        _ => Err(SalesforceError::Config(format!(
            "api_version must look like v62.0 and be v46.0 or later, got {version:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::operation;

    #[test]
    fn tokens_go_over_https_or_to_loopback_only() {
        use super::require_https_unless_loopback as check;
        assert!(check("https://acme.my.salesforce.com").is_ok());
        assert!(check("http://127.0.0.1:4000").is_ok());
        assert!(check("http://localhost:4000").is_ok());
        assert!(check("http://[::1]:4000").is_ok());
        assert!(check("http://acme.my.salesforce.com").is_err());
        assert!(check("http://10.0.0.5:4000").is_err());
        assert!(check("not a url").is_err());
    }

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
