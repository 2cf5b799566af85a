//! The sync harness: the stack over HTTP, its queue, the order-events consumer and a fresh
//! Salesforce emulator, so a test drives the store as a shopper and reads Salesforce as sales.

use std::sync::Arc;
use std::time::Duration;

use order_events::Consumer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use storesync_core::approvals::salesforce::ApprovalSync;
use storesync_core::from_crm::FieldOwnership;
use storesync_core::from_crm::apply::{Applied, CrmInbound};
use storesync_core::ids::{CustomerKey, LocationId, OrderId, Sku};
use storesync_core::order::Order;
use storesync_core::ports::{Store, SystemClock};
use storesync_core::pricing::PricingPolicy;
use storesync_core::queue::QueueMessage;
use storesync_core::sync::abandoned::AbandonedCarts;
use storesync_core::sync::resync::Resync;
use storesync_core::sync::settings::SyncSettings;
use storesync_core::sync::status::{CustomerSync, OrderSync};
use storesync_devstack::{DEV_STRIPE_SECRET, LocalStack};
use storesync_embedded::LocalQueue;
use storesync_salesforce::{Auth as SfAuth, SalesforceClient, SalesforceConfig, SalesforceCrm};
use storesync_sf_emulator::{Emulator, Record};

use crate::Backend;
use crate::app::{Auth, TestApp, shipping_body};
use crate::payments::{charge, payment_intent, stripe_event};

/// Deliveries before the dead-letter queue, as the template's default.
pub const MAX_RECEIVES: u32 = 5;

pub struct SyncHarness {
    pub app: TestApp,
    pub queue: Arc<LocalQueue>,
    /// Operators' "run now" requests, as the scheduled-jobs function would take them.
    pub job_requests: Arc<LocalQueue>,
    pub emulator: Emulator,
    pub store: Arc<dyn Store>,
    /// Change events handed to the store so far (see [`Self::relay_changes`]).
    relayed: std::sync::atomic::AtomicUsize,
}

impl SyncHarness {
    pub async fn start() -> SyncHarness {
        Self::start_on(Backend::embedded().await).await
    }

    pub async fn start_on(backend: Backend) -> SyncHarness {
        Self::start_with(backend, |_, _| {}).await
    }

    /// The harness over `backend`, its stack changed by `configure` before it serves.
    pub async fn start_with(
        backend: Backend,
        configure: impl FnOnce(&mut LocalStack, &Emulator),
    ) -> SyncHarness {
        let queue = Arc::new(LocalQueue::new(Duration::from_secs(30), MAX_RECEIVES));
        let job_requests = Arc::new(LocalQueue::new(Duration::from_secs(30), MAX_RECEIVES));
        let store = backend.store();
        let emulator = Emulator::start().await.expect("the emulator starts");
        let mut stack = LocalStack::new(store.clone(), queue.clone());
        stack.job_requests = Some(job_requests.clone());
        configure(&mut stack, &emulator);
        let app = TestApp::spawn_stack(backend, stack).await;
        SyncHarness {
            app,
            queue,
            job_requests,
            emulator,
            store,
            relayed: Default::default(),
        }
    }

    /// A consumer as the Lambda runs it, with its own Salesforce client.
    pub fn consumer(&self) -> Consumer {
        self.consumer_with(MAX_RECEIVES)
    }

    pub fn consumer_with(&self, max_receives: u32) -> Consumer {
        order_events::wiring::consumer(
            self.store.clone(),
            Arc::new(SalesforceCrm::new(self.salesforce())),
            Arc::new(SystemClock),
            SyncSettings::default(),
            max_receives,
        )
    }

    /// The scheduled re-sync as the Lambda runs it, and its Salesforce client.
    pub fn resync(&self) -> (Resync, SalesforceClient) {
        let (resync, _, client) = self.scheduled_jobs();
        (resync, client)
    }

    /// The abandoned-carts job as the Lambda runs it, and its Salesforce client.
    pub fn abandoned_carts(&self) -> (Arc<AbandonedCarts>, SalesforceClient) {
        let (_, carts, client) = self.scheduled_jobs();
        (carts, client)
    }

    fn scheduled_jobs(&self) -> (Resync, Arc<AbandonedCarts>, SalesforceClient) {
        let client = self.salesforce();
        let sync = order_events::wiring::crm_sync(
            self.store.clone(),
            Arc::new(SalesforceCrm::new(client.clone())),
            Arc::new(SystemClock),
            SyncSettings::default(),
        );
        let (resync, carts) = order_events::wiring::resync(self.store.clone(), Arc::new(sync));
        (resync, carts, client)
    }

    /// The fulfilment job's approvals step as the Lambda runs it, with Salesforce.
    pub fn approval_sync(&self) -> ApprovalSync {
        order_events::wiring::approval_sync(
            self.store.clone(),
            None,
            Arc::new(SystemClock),
            PricingPolicy::default(),
        )
        .with_crm(Arc::new(SalesforceCrm::new(self.salesforce())))
    }

    /// The org's sales manager acts on an approval work item as herself, in Salesforce.
    pub async fn manager_decides(&self, action: &str, workitem_id: &str, comment: &str) {
        let body = json!({ "requests": [{
            "actionType": action,
            "contextId": workitem_id,
            "comments": comment,
        }]});
        let (status, reply) = self
            .as_manager(Method::POST, "process/approvals/", Some(body))
            .await;
        assert_eq!(status, StatusCode::OK, "{reply:?}");
    }

    /// A REST call to Salesforce as the org's sales manager, as she works there: signed in
    /// with the username-password flow, then `/services/data/v62.0/<path>`.
    pub async fn as_manager(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let http = reqwest::Client::new();
        let token: Value = http
            .post(format!(
                "{}/services/oauth2/token",
                self.emulator.base_url()
            ))
            .form(&[
                ("grant_type", "password"),
                ("client_id", self.emulator.client_id()),
                ("client_secret", self.emulator.client_secret()),
                ("username", storesync_sf_emulator::MANAGER_USERNAME),
                ("password", storesync_sf_emulator::MANAGER_PASSWORD),
            ])
            .send()
            .await
            .expect("the emulator answers")
            .json()
            .await
            .expect("a token");
        let instance = token["instance_url"].as_str().expect("an instance url");
        let mut request = http
            .request(method, format!("{instance}/services/data/v62.0/{path}"))
            .bearer_auth(token["access_token"].as_str().expect("an access token"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply = request.send().await.expect("the emulator answers");
        let status = reply.status();
        let text = reply.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Changes from Salesforce as the crm-inbound Lambda applies them: the store's own by
    /// the integration user, records read again through the emulator, invitations mailed to
    /// the store's mailbox.
    pub fn inbound(&self) -> CrmInbound {
        crm_inbound::wiring::inbound(
            self.store.clone(),
            Arc::new(SystemClock),
            self.emulator.integration_user_id(),
            Some(Arc::new(SalesforceCrm::new(self.salesforce()))),
            Some(Arc::new(storesync_embedded::MailboxNotifications::new(
                self.store.clone(),
                Arc::new(SystemClock),
            ))),
            FieldOwnership::default(),
        )
    }

    /// Hands `inbound` every change event the org put on the bus since the last call, as
    /// EventBridge invokes the Lambda: one event at a time, in the bus's order.
    pub async fn relay_changes(&self, inbound: &CrmInbound) -> Vec<Applied> {
        let events = self.emulator.change_events();
        let from = self
            .relayed
            .swap(events.len(), std::sync::atomic::Ordering::SeqCst);
        let mut applied = Vec::new();
        for event in events.into_iter().skip(from) {
            applied.push(
                crm_inbound::take_event(inbound, event)
                    .await
                    .expect("the change is applied"),
            );
        }
        applied
    }

    /// A Salesforce client for the emulator that retries without waiting long.
    fn salesforce(&self) -> SalesforceClient {
        let mut config = SalesforceConfig::new(
            self.emulator.base_url(),
            SfAuth::ClientCredentials {
                client_id: self.emulator.client_id().to_owned(),
                client_secret: self.emulator.client_secret().to_owned(),
            },
        );
        config.retry.base_delay = Duration::from_millis(1);
        config.retry.max_delay = Duration::from_millis(5);
        SalesforceClient::new(config).expect("a client for the emulator")
    }

    /// Saves the sync settings an operator would.
    pub async fn settings(&self, change: impl FnOnce(&mut SyncSettings)) {
        let mut settings = self
            .store
            .sync_settings()
            .await
            .expect("settings read")
            .unwrap_or_default();
        change(&mut settings);
        settings.version += 1;
        self.store
            .save_sync_settings(&settings)
            .await
            .expect("settings saved");
    }

    /// Runs `consumer` over the queue until it is empty; returns the messages handled.
    pub async fn sync_with(&self, consumer: &Consumer) -> usize {
        let mut handled = 0;
        loop {
            let n = order_events::wiring::poll(self.queue.as_ref(), consumer)
                .await
                .expect("the queue answers");
            if n == 0 {
                return handled;
            }
            handled += n;
        }
    }

    pub async fn sync(&self) -> usize {
        self.sync_with(&self.consumer()).await
    }

    /// `n` customers, each with a first order synced, then a second order placed while
    /// Salesforce was down and its only delivery failed: the orders a nightly re-sync finds
    /// failed. Returns the second orders' ids.
    pub async fn failed_second_orders(&self, n: usize) -> Vec<String> {
        self.app.set_stock("MUG-WHT", 10 * n as i64).await;
        for i in 0..n {
            let customer = format!("c-{i}");
            self.register(&customer, &format!("{customer}@example.com"), None)
                .await;
            self.order(&customer, 1).await;
        }
        self.sync().await;
        let mut second = Vec::with_capacity(n);
        for i in 0..n {
            second.push(self.order(&format!("c-{i}"), 1).await.0);
        }
        // More 503s than the deliveries and their retries can use up.
        self.emulator
            .inject(storesync_sf_emulator::Fault::ServiceUnavailable, 10 * n);
        self.sync_with(&self.consumer_with(1)).await;
        self.emulator.clear_faults();
        second
    }

    /// Takes every waiting message off the queue, for a test to deliver by hand.
    pub async fn take_messages(&self) -> Vec<QueueMessage> {
        crate::payments::drain(self.queue.as_ref()).await
    }

    // --- the shopper ---

    pub async fn register(&self, id: &str, email: &str, company: Option<&str>) {
        let mut body =
            json!({ "email": email, "first_name": "Jane", "last_name": format!("Doe {id}") });
        if let Some(company) = company {
            body["company"] = json!(company);
        }
        let reply = self
            .app
            .call(
                Method::POST,
                "/v1/customers",
                &Auth::customer(id),
                Some(body),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    }

    /// A customer's order of `quantity` mugs; returns its id and total in minor units.
    pub async fn order(&self, customer: &str, quantity: i64) -> (String, i64) {
        self.order_with_code(customer, quantity, None).await
    }

    /// As [`Self::order`], with the discount `code` on the cart.
    pub async fn order_with_code(
        &self,
        customer: &str,
        quantity: i64,
        code: Option<&str>,
    ) -> (String, i64) {
        let auth = Auth::customer(customer);
        let cart = self.app.cart_with(&auth, "MUG-WHT", quantity).await;
        if let Some(code) = code {
            let applied = self
                .app
                .call(
                    Method::PUT,
                    &format!("/v1/carts/{cart}/discount"),
                    &auth,
                    Some(json!({ "code": code })),
                )
                .await;
            assert_eq!(applied.status, StatusCode::OK, "{:?}", applied.body);
        }
        let key = uuid::Uuid::new_v4().to_string();
        let placed = self
            .app
            .checkout(&auth, &format!("/v1/carts/{cart}"), &key, &shipping_body())
            .await;
        assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
        order_of(&placed.body)
    }

    /// A guest's cart with one mug; returns its id and the guest's token.
    pub async fn guest_cart(&self) -> (String, Auth) {
        let created = self
            .app
            .call(
                Method::POST,
                "/v1/guest-carts",
                &Auth::None,
                Some(json!({"currency": "USD"})),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        let cart = created.body["id"].as_str().expect("cart id").to_owned();
        let token = created.body["cart_token"]
            .as_str()
            .or_else(|| {
                created
                    .headers
                    .get("x-cart-token")
                    .and_then(|v| v.to_str().ok())
            })
            .expect("a cart token")
            .to_owned();
        let guest = Auth::Guest(token);
        let set = self
            .app
            .call(
                Method::PUT,
                &format!("/v1/guest-carts/{cart}/lines/MUG-WHT"),
                &guest,
                Some(json!({"quantity": 1})),
            )
            .await;
        assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
        (cart, guest)
    }

    /// A guest's order with `email`; returns its id and total.
    pub async fn guest_order(&self, email: &str) -> (String, i64) {
        let (cart, guest) = self.guest_cart().await;
        let mut body = shipping_body();
        body["email"] = json!(email);
        let placed = self
            .app
            .checkout(
                &guest,
                &format!("/v1/guest-carts/{cart}"),
                "guest-key",
                &body,
            )
            .await;
        assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
        order_of(&placed.body)
    }

    /// The gateway reports the order paid.
    pub async fn pay(&self, order_id: &str, total: i64) {
        let event = stripe_event(
            &format!("evt_{}", uuid::Uuid::new_v4().simple()),
            "payment_intent.succeeded",
            payment_intent(&format!("pi_{}", &order_id[4..16]), order_id, total, "usd"),
        );
        let reply = self
            .app
            .stripe_webhook(&event, DEV_STRIPE_SECRET, chrono::Utc::now().timestamp())
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    }

    /// The gateway reports the whole payment refunded.
    pub async fn refund(&self, order_id: &str, total: i64) {
        let event = stripe_event(
            &format!("evt_{}", uuid::Uuid::new_v4().simple()),
            "charge.refunded",
            charge(
                &format!("pi_{}", &order_id[4..16]),
                order_id,
                total,
                total,
                "usd",
            ),
        );
        let reply = self
            .app
            .stripe_webhook(&event, DEV_STRIPE_SECRET, chrono::Utc::now().timestamp())
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    }

    // --- sales, in Salesforce ---

    pub fn records(&self, object: &str) -> Vec<Record> {
        self.emulator.records(object)
    }

    /// Records of `object` whose `field` equals `value`, ignoring case as Salesforce does.
    pub fn records_where(&self, object: &str, field: &str, value: &str) -> Vec<Record> {
        self.records(object)
            .into_iter()
            .filter(|r| {
                r.get(field)
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.eq_ignore_ascii_case(value))
            })
            .collect()
    }

    pub fn one(&self, object: &str, field: &str, value: &str) -> Record {
        let found = self.records_where(object, field, value);
        assert_eq!(found.len(), 1, "{object} with {field} = {value}: {found:?}");
        found.into_iter().next().expect("one")
    }

    // --- the store's sync status ---

    pub async fn customer_sync(&self, key: &str) -> CustomerSync {
        self.store
            .customer_sync(&CustomerKey::parse(key).expect("a key"))
            .await
            .expect("read")
            .expect("a sync status")
    }

    /// The order as the store holds it.
    pub async fn stored_order(&self, order_id: &str) -> Order {
        self.store
            .order(&OrderId::parse(order_id).expect("an order id"))
            .await
            .expect("read")
            .expect("the order")
    }

    /// The units of `sku` on the shelf of the store's location.
    pub async fn on_shelf(&self, sku: &str) -> i64 {
        self.store
            .product(&Sku::parse(sku).expect("a sku"))
            .await
            .expect("read")
            .expect("the product")
            .available(&LocationId::default())
    }

    pub async fn order_sync(&self, order_id: &str) -> OrderSync {
        self.store
            .order_sync(&OrderId::parse(order_id).expect("an order id"))
            .await
            .expect("read")
            .expect("a sync status")
    }
}

fn order_of(body: &Value) -> (String, i64) {
    (
        body["id"].as_str().expect("order id").to_owned(),
        body["totals"]["total"]["minor_units"]
            .as_i64()
            .expect("order total"),
    )
}

/// A record's text field.
pub fn text<'a>(record: &'a Record, field: &str) -> &'a str {
    record.get(field).and_then(Value::as_str).unwrap_or("")
}
