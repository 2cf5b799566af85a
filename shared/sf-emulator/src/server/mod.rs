//! The HTTP face of the emulator: the OAuth token endpoint (`oauth`) and the REST data API
//! (`data`), which passes every call through `gate` (faults, session, daily limit) and then
//! routes it (`routes`) to the handlers of its API family: `describe`, `sobjects`,
//! `query`, `collections`, `composite` and `actions`; the Connect API's Order Management
//! resource is `order_management`, the Process Approvals resource `approvals`.

mod actions;
mod approvals;
mod collections;
mod composite;
mod data;
mod describe;
mod gate;
mod oauth;
mod order_management;
mod query;
mod record_page;
mod routes;
mod sobjects;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::bus::Bus;
use crate::config::EmulatorConfig;
use crate::error::SfError;
use crate::org::{Currencies, Org};

pub use gate::Fault;

/// What the test handle steers and reads: counters, the daily limit, latency, queued faults
/// and the issued access tokens with the user each is a session of.
#[derive(Debug)]
pub(crate) struct Control {
    pub api_calls: u64,
    pub token_requests: u64,
    pub usage: u64,
    pub daily_limit: u64,
    pub latency: Duration,
    pub faults: VecDeque<Fault>,
    pub tokens: HashMap<String, String>,
}

/// State shared by the server and the test handle.
#[derive(Debug)]
pub(crate) struct Shared {
    org: Mutex<Org>,
    control: Mutex<Control>,
    bus: Mutex<Bus>,
    pub(crate) config: EmulatorConfig,
    /// `http://127.0.0.1:PORT`, for the URLs outbound messages name.
    pub(crate) base_url: String,
}

impl Shared {
    pub(crate) fn new(config: EmulatorConfig, base_url: String) -> Result<Self, SfError> {
        let mut bus = Bus::new(config.event_relay.clone());
        for message in &config.outbound_messages {
            bus.add_outbound_message(message)?;
        }
        let mut org = Org::new(Currencies {
            enabled: config.multi_currency,
            corporate: config.corporate_currency.clone(),
            active: config.active_currencies.clone(),
        });
        org.query_batch_size = config.query_batch_size;
        Ok(Self {
            org: Mutex::new(org),
            bus: Mutex::new(bus),
            base_url,
            control: Mutex::new(Control {
                api_calls: 0,
                token_requests: 0,
                usage: 0,
                daily_limit: config.daily_api_limit,
                latency: Duration::ZERO,
                faults: VecDeque::new(),
                tokens: HashMap::new(),
            }),
            config,
        })
    }

    // A test that panicked while holding a lock must not take every later test down with it.
    pub(crate) fn org(&self) -> MutexGuard<'_, Org> {
        self.org.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn control(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn bus(&self) -> MutexGuard<'_, Bus> {
        self.bus.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `work` as one session of `user` through `origin`: what it commits is published
    /// (change events, outbound messages) before the org is unlocked, so events follow the
    /// order of commits.
    pub(crate) fn in_session<T>(
        &self,
        user: &str,
        origin: &str,
        work: impl FnOnce(&mut Org) -> T,
    ) -> T {
        let mut org = self.org();
        org.begin(user, origin);
        let out = work(&mut org);
        let transactions = org.end();
        if !transactions.is_empty() {
            self.bus()
                .publish(transactions, &org.org_id, &self.base_url);
        }
        out
    }
}

/// The emulator's router: every path goes through one dispatcher, as in a real org.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    if path == "/services/oauth2/token" {
        return oauth::token(&shared, &method, &headers, &body);
    }
    if let Some(rest) = path.strip_prefix("/services/data") {
        return data::data_api(&shared, &method, &uri, rest, &headers, &body).await;
    }
    if method == Method::GET
        && let Some(rest) = path.strip_prefix("/lightning/r/")
        && let Some(page) = record_page::page(&shared.org(), rest)
    {
        return page;
    }
    json_response(404, &SfError::not_found().body, None)
}

/// A JSON response, with `Sforce-Limit-Info` when the call counted toward the daily limit.
fn json_response(status: u16, body: &Value, limit_info: Option<&str>) -> Response {
    let response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        body.to_string(),
    )
        .into_response();
    match limit_info {
        Some(info) => with_limit_info(response, info),
        None => response,
    }
}

fn with_limit_info(mut response: Response, info: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(info) {
        response.headers_mut().insert("Sforce-Limit-Info", v);
    }
    response
}
