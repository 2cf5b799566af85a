#![warn(missing_docs)]
//! A local Salesforce org for tests and the dev stack, in the spirit of stripe-mock.
//!
//! It speaks the REST wire format storesync uses (OAuth token endpoint, describe, sObject
//! CRUD and upsert by external id, a SOQL subset with counts, date literals and paging,
//! sObject Collections, Composite and Composite Graph, the invocable Apex actions deployed
//! from `salesforce/` such as lead conversion, `/limits`, `Sforce-Limit-Info`) over real
//! HTTP on loopback. Every object's fields are known ([`schema`]): it validates records as
//! Salesforce does (unknown, read-only and create-only fields, types and lengths, required
//! fields, currencies, duplicate rules, references), counts calls and injects faults. See
//! `docs/salesforce.md` for where it differs from a real org.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let emulator = storesync_sf_emulator::Emulator::start().await?;
//! println!("token endpoint: {}/services/oauth2/token", emulator.base_url());
//! # Ok(()) }
//! ```

pub mod actions;
pub mod approvals;
mod bus;
pub mod change_events;
mod config;
mod delivery;
mod error;
pub mod ids;
mod org;
mod outbound;
pub mod permissions;
mod relay;
pub mod schema;
mod server;
pub mod soql;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, EmulatorConfig, INTEGRATION_USERNAME, MANAGER_PASSWORD,
    MANAGER_USERNAME, PasswordLogin,
};
pub use delivery::DeliveryAttempt;
pub use error::SfError;
pub use org::{LeadConversion, LeadConverted, Record, WriteOptions};
pub use outbound::OutboundMessage;
pub use relay::EventRelay;
pub use server::Fault;

use server::Shared;

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    /// The background senders of relayed events and outbound messages.
    senders: Vec<JoinHandle<()>>,
}

impl Emulator {
    /// Starts an emulator with the demo credentials on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(EmulatorConfig::default()).await
    }

    /// Starts an emulator with the given settings.
    pub async fn start_with(config: EmulatorConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let shared = Shared::new(config, format!("http://{addr}")).map_err(|e| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, e.body.to_string())
        })?;
        let shared = Arc::new(shared);
        let senders = {
            let bus = shared.bus();
            vec![
                bus.relay_outbox.spawn_sender(),
                bus.outbound_outbox.spawn_sender(),
            ]
        };
        let app = server::router(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(error) = served {
                tracing::error!(%error, "salesforce emulator stopped");
            }
        });
        Ok(Self {
            shared,
            addr,
            shutdown: Some(tx),
            senders,
        })
    }

    /// Stops serving once in-flight requests finish (dropping the handle does the same).
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        for sender in self.senders.drain(..) {
            sender.abort();
        }
    }

    /// `http://127.0.0.1:PORT`: the login URL and the `instance_url` tokens name.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The loopback address the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The connected app's client id the emulator accepts.
    pub fn client_id(&self) -> &str {
        &self.shared.config.client_id
    }

    /// The connected app's client secret the emulator accepts.
    pub fn client_secret(&self) -> &str {
        &self.shared.config.client_secret
    }

    /// The org's id (`00D...`), as its Outbound Messages and change events name it.
    pub fn org_id(&self) -> String {
        self.shared.org().org_id.clone()
    }

    /// All stored records of a type, oldest first.
    pub fn records(&self, type_name: &str) -> Vec<Record> {
        self.shared.org().records(type_name)
    }

    /// One record by 15- or 18-character id.
    pub fn record(&self, id: &str) -> Option<Record> {
        self.shared.org().record(id).cloned()
    }

    /// Platform events published so far, oldest first.
    pub fn published_events(&self) -> Vec<Record> {
        self.shared.org().data.published_events.clone()
    }

    /// Creates a record directly (no API call counted), with the same validation as the API,
    /// as the integration user in a transaction of its own that no API made (its change
    /// event's `changeOrigin` is empty).
    pub fn insert(&self, type_name: &str, fields: serde_json::Value) -> Result<String, SfError> {
        let fields = fields.as_object().cloned().unwrap_or_default();
        let user = self.integration_user_id();
        self.shared.in_session(&user, "", |org| {
            org.create(type_name, fields, WriteOptions::default())
        })
    }

    /// Every Account and Contact change event so far, oldest first, each as the EventBridge
    /// event Event Relay puts on the bus (`detail.payload` is the change event).
    pub fn change_events(&self) -> Vec<serde_json::Value> {
        self.shared.bus().events()
    }

    /// Relays change events committed from now on to `relay` (replacing any earlier relay),
    /// as a started event relay does; `None` stops relaying.
    pub fn relay_to(&self, relay: Option<EventRelay>) {
        self.shared.bus().relay = relay;
    }

    /// Adds an outbound message action; an unknown object or field is refused.
    pub fn outbound_message(&self, message: OutboundMessage) -> Result<(), SfError> {
        self.shared.bus().add_outbound_message(&message)
    }

    /// Every outbound message the org produced (the SOAP envelope), oldest first, each once
    /// however often it was resent.
    pub fn outbound_messages(&self) -> Vec<String> {
        self.shared.bus().messages()
    }

    /// Every try at relaying a change event, oldest first.
    pub fn relay_attempts(&self) -> Vec<DeliveryAttempt> {
        self.shared.bus().relay_outbox.attempts()
    }

    /// Every try at sending an outbound message, oldest first.
    pub fn outbound_attempts(&self) -> Vec<DeliveryAttempt> {
        self.shared.bus().outbound_outbox.attempts()
    }

    /// Sends every relayed event and outbound message not yet delivered now, in order,
    /// without waiting for the retry back-off; returns how many are still undelivered.
    pub async fn flush_deliveries(&self) -> usize {
        let (relay, outbound) = {
            let bus = self.shared.bus();
            (bus.relay_outbox.clone(), bus.outbound_outbox.clone())
        };
        relay.send_pending().await + outbound.send_pending().await
    }

    /// The org cannot produce the next `count` change events: gap events
    /// (`GAP_CREATE`, `GAP_UPDATE`, ...) with the record ids and no fields come instead.
    pub fn fail_change_events(&self, count: usize) {
        self.shared.bus().switches.gaps += count;
    }

    /// Lowers Salesforce's overflow threshold (100,000 changes a transaction, an update
    /// counting once per changed field): the changes of a transaction beyond it come as one
    /// `GAP_OVERFLOW` event per object, with no record ids.
    pub fn set_change_event_overflow_threshold(&self, changes: usize) {
        self.shared.bus().switches.overflow_threshold = changes;
    }

    /// The integration user's id (default `OwnerId`).
    pub fn integration_user_id(&self) -> String {
        self.shared.org().integration_user_id.clone()
    }

    /// The id of the user with this username, if the org has one (e.g. [`MANAGER_USERNAME`]).
    pub fn user_id(&self, username: &str) -> Option<String> {
        self.shared.org().user_id(username)
    }

    /// The standard price book's id.
    pub fn standard_pricebook_id(&self) -> String {
        self.shared.org().standard_pricebook_id.clone()
    }

    /// HTTP requests received by the data API (`/services/data/...`), faulted ones included.
    pub fn api_calls(&self) -> u64 {
        self.shared.control().api_calls
    }

    /// Requests received by the token endpoint (Salesforce does not count these as API calls).
    pub fn token_requests(&self) -> u64 {
        self.shared.control().token_requests
    }

    /// Zeroes the call counters (not the daily usage).
    pub fn reset_calls(&self) {
        let mut control = self.shared.control();
        control.api_calls = 0;
        control.token_requests = 0;
    }

    /// Requests counted toward the daily limit: the `N` of `api-usage=N/M`.
    pub fn api_usage(&self) -> u64 {
        self.shared.control().usage
    }

    /// Sets the `N` of `api-usage=N/M`, e.g. to start a test near the limit.
    pub fn set_api_usage(&self, used: u64) {
        self.shared.control().usage = used;
    }

    /// Lowers (or raises) the daily API limit, the `M` of `api-usage=N/M`.
    pub fn set_daily_limit(&self, limit: u64) {
        self.shared.control().daily_limit = limit;
    }

    /// Delays every data API response by this much.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.control().latency = latency;
    }

    /// Records per query batch (default 2000), so tests can page small batches.
    pub fn set_query_batch_size(&self, size: usize) {
        self.shared.org().query_batch_size = size.max(1);
    }

    /// The next `times` data API calls answer with `fault`.
    pub fn inject(&self, fault: Fault, times: usize) {
        let mut control = self.shared.control();
        control.faults.extend(std::iter::repeat_n(fault, times));
    }

    /// Drops the faults not yet answered: the org is back.
    pub fn clear_faults(&self) {
        self.shared.control().faults.clear();
    }

    /// Expires every issued session: the next call with an old token answers 401
    /// `INVALID_SESSION_ID`, as after a session timeout or a revoked token.
    pub fn expire_sessions(&self) {
        self.shared.control().tokens.clear();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}
