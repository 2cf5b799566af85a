//! The local stack: the storesync functions on loopback, through the same routers the Lambda
//! binaries serve, over the embedded store or a DynamoDB-compatible endpoint.

pub mod jobs;
pub mod mailbox;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use checkout::config::{AdminSettings, StorefrontSettings};
use payment_webhook::salesforce::OutboundMessages;
use payment_webhook::stripe::DEFAULT_TOLERANCE_SECS;
use storesync_core::catalog::ProductDetails;
use storesync_core::from_crm::apply::CrmInbound;
use storesync_core::ids::{LocationId, Sku};
use storesync_core::money::Currency;
use storesync_core::outbox::OutboxRelay;
use storesync_core::ports::{Clock, Store, StoreError, SystemClock};
use storesync_core::queue::EventQueue;

/// The Stripe endpoint secret the local stack accepts (never use it anywhere else).
pub const DEV_STRIPE_SECRET: &str = "whsec_storesync_local_test_secret";
/// The secret the local fulfilment provider signs its shipment notices with.
pub const DEV_NOTICE_SECRET: &str = "asn_storesync_local_test_secret";
/// The secret the local stack signs the fulfilment orders it sends with.
pub const DEV_PROVIDER_SECRET: &str = "fo_storesync_local_test_secret";
/// The path secret of the local stack's Salesforce Outbound Message endpoint.
pub const DEV_OUTBOUND_SECRET: &str = "om_storesync_local_test_secret";
/// Where the local stack takes Salesforce's change events, as EventBridge would hand them to
/// the crm-inbound Lambda.
pub const DEV_CHANGE_EVENTS_PATH: &str = "/dev/salesforce/change-events";

/// How the local stack takes changes from Salesforce: the use case (one for each way in), and
/// the org its Outbound Messages may come from.
pub struct LocalInbound {
    pub change_events: Arc<CrmInbound>,
    pub outbound_messages: CrmInbound,
    pub org_id: String,
}

/// The functions wired as in AWS, over the given store and queue.
pub struct LocalStack {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn EventQueue>,
    pub clock: Arc<dyn Clock>,
    pub storefront: StorefrontSettings,
    /// The admin API's sync defaults and Salesforce address (none: records get no links).
    pub admin: AdminSettings,
    pub stripe_secrets: Vec<String>,
    pub webhook_tolerance_secs: i64,
    /// Where operators' "run now" requests go; without it the admin API answers 503.
    pub job_requests: Option<Arc<dyn EventQueue>>,
    /// Changes from Salesforce; without them the routes that take them are not served.
    pub inbound: Option<LocalInbound>,
}

impl LocalStack {
    pub fn new(store: Arc<dyn Store>, queue: Arc<dyn EventQueue>) -> Self {
        LocalStack {
            store,
            queue,
            clock: Arc::new(SystemClock),
            storefront: StorefrontSettings::default(),
            admin: AdminSettings::default(),
            stripe_secrets: vec![DEV_STRIPE_SECRET.to_owned()],
            webhook_tolerance_secs: DEFAULT_TOLERANCE_SECS,
            job_requests: None,
            inbound: None,
        }
    }

    /// The outbox relay every function sends its events through.
    pub fn relay(&self) -> Arc<OutboxRelay> {
        Arc::new(OutboxRelay::new(self.store.clone(), self.queue.clone()))
    }

    /// The HTTP functions (checkout and payment-webhook) on one router, with the dev-token
    /// identity layer in place of API Gateway's JWT authorizer.
    pub fn app(&mut self) -> Router {
        let storefront = checkout::wiring::storefront(
            self.store.clone(),
            Some(self.queue.clone()),
            self.clock.clone(),
            self.storefront.clone(),
        );
        let webhook = payment_webhook::wiring::webhook(
            self.store.clone(),
            Some(self.queue.clone()),
            self.clock.clone(),
            self.stripe_secrets.clone(),
            self.webhook_tolerance_secs,
        );
        let webhook = payment_webhook::wiring::with_notices(
            webhook,
            self.store.clone(),
            Some(self.queue.clone()),
            self.clock.clone(),
            vec![DEV_NOTICE_SECRET.to_owned()],
            self.webhook_tolerance_secs,
        );
        let mut change_events = Router::new();
        let webhook = match self.inbound.take() {
            Some(inbound) => {
                change_events = change_events_route(inbound.change_events);
                webhook.with_outbound_messages(OutboundMessages {
                    inbound: inbound.outbound_messages,
                    secrets: vec![DEV_OUTBOUND_SECRET.to_owned()],
                    org_ids: vec![inbound.org_id],
                })
            }
            None => webhook,
        };
        let admin = checkout::wiring::admin(
            self.store.clone(),
            Some(self.queue.clone()),
            self.job_requests.clone(),
            AdminSettings {
                pricing: self.storefront.policy.clone(),
                ..self.admin.clone()
            },
        );
        checkout::router(Arc::new(storefront), Arc::new(admin))
            .merge(payment_webhook::router(Arc::new(webhook)))
            .merge(mailbox::routes(self.store.clone()))
            .merge(change_events)
            .layer(axum::middleware::from_fn(
                storesync_web::identity::identity_from_dev_token,
            ))
    }
}

/// `POST /dev/salesforce/change-events`: the local stand-in for the EventBridge rule that
/// invokes the crm-inbound Lambda; a change not applied is a 500, which Event Relay (the
/// emulator's) sends again.
fn change_events_route(inbound: Arc<CrmInbound>) -> Router {
    Router::new().route(
        DEV_CHANGE_EVENTS_PATH,
        axum::routing::post(move |axum::Json(event): axum::Json<serde_json::Value>| {
            let inbound = inbound.clone();
            async move {
                match crm_inbound::take_event(&inbound, event).await {
                    Ok(applied) => (
                        axum::http::StatusCode::OK,
                        axum::Json(serde_json::json!({ "applied": format!("{applied:?}") })),
                    ),
                    Err(error) => (
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                        axum::Json(serde_json::json!({ "error": error.to_string() })),
                    ),
                }
            }
        }),
    )
}

/// A small catalog to try the store with: (sku, name, category, USD, EUR, INR, units at the
/// store's location, `main`).
const DEMO: &[(&str, &str, &str, i64, i64, i64, i64)] = &[
    (
        "TSHIRT-BLK-M",
        "T-shirt, black, M",
        "apparel",
        1999,
        1899,
        149900,
        100,
    ),
    (
        "HOODIE-GRY-L",
        "Hoodie, grey, L",
        "apparel",
        4999,
        4599,
        399900,
        40,
    ),
    ("MUG-WHT", "Mug, white", "home", 1200, 1100, 79900, 250),
    (
        "STICKER-PACK",
        "Sticker pack",
        "accessories",
        499,
        449,
        29900,
        1000,
    ),
    ("CAP-NVY", "Cap, navy", "apparel", 1500, 1400, 119900, 2),
];

/// The second location's stock: (sku, units at `east`). Most caps are there: an order of more
/// caps than the 2 at `main`, with something only `main` holds, is taken at both locations.
const EAST: &[(&str, i64)] = &[("CAP-NVY", 10), ("HOODIE-GRY-L", 15)];

/// Adds the demo catalog and its stock; running it again leaves one catalog, restocked.
pub async fn seed_demo_catalog(store: &dyn Store) -> Result<(), StoreError> {
    let main = LocationId::default();
    let east = LocationId::parse("east").expect("a valid location");
    for (sku, name, category, usd, eur, inr, units) in DEMO {
        let sku = Sku::parse(sku).expect("demo skus are valid");
        store
            .upsert_product(&ProductDetails {
                sku: sku.clone(),
                name: (*name).to_owned(),
                category: (*category).to_owned(),
                active: true,
                prices: BTreeMap::from([
                    (Currency::USD, *usd),
                    (Currency::EUR, *eur),
                    (Currency::INR, *inr),
                ]),
            })
            .await?;
        set_stock(store, &sku, &main, *units).await?;
    }
    for (sku, units) in EAST {
        let sku = Sku::parse(sku).expect("demo skus are valid");
        set_stock(store, &sku, &east, *units).await?;
    }
    Ok(())
}

/// Sets a product's stock at `location` to exactly `units`.
async fn set_stock(
    store: &dyn Store,
    sku: &Sku,
    location: &LocationId,
    units: i64,
) -> Result<(), StoreError> {
    let on_hand = store
        .product(sku)
        .await?
        .map(|p| p.available(location))
        .unwrap_or(0);
    store.adjust_stock(sku, location, units - on_hand).await
}

/// Copy-paste commands that walk through the store against a running stack. They can be run
/// again and from any directory: each run is a new customer with its own checkout key, and the
/// webhook sender is named by its absolute path.
/// How to sign in to the local Salesforce emulator (client credentials).
#[derive(Debug, Clone)]
pub struct SalesforceLogin {
    pub url: String,
    pub client_id: String,
    pub client_secret: String,
}

pub fn walkthrough(base: &str, salesforce: &SalesforceLogin) -> String {
    let sender = webhook_sender();
    let SalesforceLogin {
        url: sf,
        client_id,
        client_secret,
    } = salesforce;
    format!(
        r#"storesync is running at {base}

  # 1. the catalog
  curl -s {base}/v1/products
  # 2. register a new customer (local dev token: "Bearer dev:<customer-id>")
  RUN=$(date +%s)-$RANDOM; AUTH="Authorization: Bearer dev:demo-$RUN"
  curl -s -X POST {base}/v1/customers -H "$AUTH" \
       -H 'Content-Type: application/json' \
       -d '{{"email":"demo-'$RUN'@example.com","first_name":"Alice","last_name":"Ng"}}'
  # 3. a cart in USD; keep its id
  CART=$(curl -s -X POST {base}/v1/carts -H "$AUTH" \
       -H 'Content-Type: application/json' -d '{{"currency":"USD"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  # 4. two T-shirts, five caps (2 are at main, 10 at east: the order ships from both) and a discount code
  curl -s -X PUT {base}/v1/carts/$CART/lines/TSHIRT-BLK-M -H "$AUTH" \
       -H 'Content-Type: application/json' -d '{{"quantity":2}}'
  curl -s -X PUT {base}/v1/carts/$CART/lines/CAP-NVY -H "$AUTH" \
       -H 'Content-Type: application/json' -d '{{"quantity":5}}'
  curl -s -X PUT {base}/v1/carts/$CART/discount -H "$AUTH" \
       -H 'Content-Type: application/json' -d '{{"code":"WELCOME10"}}'
  # 5. check out (safe to repeat with the same Idempotency-Key); keep the order id and total
  ORDER=$(curl -s -X POST {base}/v1/carts/$CART/checkout -H "$AUTH" \
       -H "Idempotency-Key: checkout-$RUN" -H 'Content-Type: application/json' \
       -d '{{"shipping_address":{{"line1":"1 Main St","city":"Springfield","postal_code":"12345","country":"US"}}}}')
  echo "$ORDER"
  ORDER_ID=$(echo "$ORDER" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  TOTAL=$(echo "$ORDER" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["total"]["minor_units"])')
  # 6. the gateway reports the payment in a Stripe-signed webhook, and reports it again: "applied", then "replayed" (one change)
  EVENT_ID=evt_demo_$RUN '{sender}' $ORDER_ID $TOTAL usd payment_intent.succeeded {base}
  EVENT_ID=evt_demo_$RUN '{sender}' $ORDER_ID $TOTAL usd payment_intent.succeeded {base}
  # 7. the orders: paid
  curl -s {base}/v1/orders -H "$AUTH"; echo
  # 8. sales sees it in Salesforce (the local emulator; order-events syncs within a second or so):
  #    sign in as the integration, then SOQL for the Contact and the order's Opportunity and Order
  TOKEN=$(curl -s {sf}/services/oauth2/token -d grant_type=client_credentials \
       -d client_id={client_id} -d client_secret={client_secret} | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  SOQL() {{ curl -s -G {sf}/services/data/v62.0/query -H "Authorization: Bearer $TOKEN" --data-urlencode "q=$1"; echo; }}
  for _ in $(seq 50); do SOQL "SELECT COUNT() FROM Order WHERE Storesync_Order_Id__c = '$ORDER_ID' AND Status = 'Activated'" | grep -q '"totalSize":1' && break; sleep 0.2; done
  SOQL "SELECT Name, Email, AccountId FROM Contact WHERE Email = 'demo-$RUN@example.com'"
  SOQL "SELECT Name, StageName, Amount, CloseDate FROM Opportunity WHERE Storesync_Order_Id__c = '$ORDER_ID'"
  SOQL "SELECT OrderNumber, Status, TotalAmount FROM Order WHERE Storesync_Order_Id__c = '$ORDER_ID'"
  # 9. the fulfilment job (every 5 s) hands the order to the local fulfilment provider, one fulfilment
  #    order per location; it ships 5 s later and delivers 5 s after that: the parcels, then the order
  for _ in $(seq 60); do curl -s {base}/v1/orders/$ORDER_ID/tracking -H "$AUTH" | grep -q '"delivered_at":"' && break; sleep 0.5; done
  curl -s {base}/v1/orders/$ORDER_ID/tracking -H "$AUTH"; echo
  curl -s {base}/v1/orders/$ORDER_ID -H "$AUTH" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'
  # 10. operators: the jobs' last runs, and what needs a person (console: {base}/admin/sign-in)
  curl -s "{base}/v1/admin/jobs/runs?limit=5" -H "Authorization: Bearer dev:ops-1:admin"; echo
  curl -s "{base}/v1/admin/exceptions" -H "Authorization: Bearer dev:ops-1:admin"; echo
  # 11. the customer's mails (confirmation when paid, shipment): {base}/dev/mailbox in a browser, or
  curl -s {base}/dev/mailbox -H 'Accept: application/json' | python3 -c 'import json,sys; [print(m["subject"]) for m in json.load(sys.stdin)["mails"]]'
  # 12. sales adds a colleague of Alice to her Account in Salesforce, as the sales manager; the
  #     org's change event reaches the store, which invites her by mail; she claims the profile
  SALES=$(curl -s {sf}/services/oauth2/token -d grant_type=password -d client_id={client_id} \
       -d client_secret={client_secret} -d username={manager} -d password={password} \
       | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  ACCOUNT=$(SOQL "SELECT AccountId FROM Contact WHERE Email = 'demo-$RUN@example.com'" \
       | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"][0]["AccountId"])')
  curl -s -X POST {sf}/services/data/v62.0/sobjects/Contact/ -H "Authorization: Bearer $SALES" \
       -H 'Content-Type: application/json' \
       -d '{{"FirstName":"Nita","LastName":"Ng","Email":"nita-'$RUN'@example.com","AccountId":"'$ACCOUNT'"}}'; echo
  for _ in $(seq 20); do curl -s {base}/dev/mailbox -H 'Accept: application/json' | grep -q "nita-$RUN@" && break; sleep 0.2; done
  CLAIM=$(curl -s {base}/dev/mailbox -H 'Accept: application/json' | python3 -c 'import json,sys,re; print(next(re.search(r"\S+\.[0-9a-f]{{64}}", m["text"]).group(0) for m in json.load(sys.stdin)["mails"] if "nita-'$RUN'@example.com" in m["to"]))')
  curl -s -X POST {base}/v1/customers/claim -H "Authorization: Bearer dev:nita-$RUN" \
       -H 'Content-Type: application/json' -d '{{"token":"'$CLAIM'"}}'; echo
  curl -s {base}/v1/customers/me/history -H "Authorization: Bearer dev:nita-$RUN"; echo
"#,
        manager = storesync_sf_emulator::MANAGER_USERNAME,
        password = storesync_sf_emulator::MANAGER_PASSWORD,
    )
}

/// The absolute path of `tools/send-test-webhook.sh` in this checkout.
fn webhook_sender() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tools/send-test-webhook.sh"
    );
    std::fs::canonicalize(path)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.to_owned())
}
