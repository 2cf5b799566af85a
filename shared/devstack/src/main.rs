//! `make run`: the whole stack on loopback.

use std::sync::Arc;
use std::time::Duration;

use checkout::config::AdminSettings;
use scheduled_sync::{Job, Scheduler};
use storesync_core::admin::SalesforceInstance;
use storesync_core::after_sales::Refunds;
use storesync_core::from_crm::{CrmRecords, FieldOwnership};
use storesync_core::fulfilment::process::Fulfilment;
use storesync_core::ids::Email;
use storesync_core::payments::capture::FundsCapture;
use storesync_core::payments::processor::PaymentProcessor;
use storesync_core::payments::reconcile::Reconciliation;
use storesync_core::ports::{Clock, Store};
use storesync_core::report::Reporting;
use storesync_core::sync::settings::SyncSettings;
use storesync_devstack::{
    DEV_CHANGE_EVENTS_PATH, DEV_NOTICE_SECRET, DEV_PROVIDER_SECRET, LocalInbound, LocalStack,
    SalesforceLogin,
};
use storesync_dynamodb::DynamoStore;
use storesync_embedded::{EmbeddedStore, LocalQueue, MailboxNotifications};
use storesync_provider::{HttpProvider, LocalProvider, NoticeTarget};
use storesync_salesforce::{Auth, SalesforceClient, SalesforceConfig, SalesforceCrm};
use storesync_sf_emulator::{Emulator, EmulatorConfig, EventRelay};
use storesync_stripe::{LocalStripe, StripeConfig, StripePayments};

/// How often the local scheduler runs the outbox sweep and the fulfilment job.
const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// How often the local scheduler runs the nightly re-sync, the payment reconciliation and
/// the abandoned carts.
const RESYNC_EVERY: Duration = Duration::from_secs(60);
/// How long the local fulfilment provider takes to ship an order, and then to deliver it.
const SHIPPING_TAKES: Duration = Duration::from_secs(5);
/// Locally a cart left at checkout for two minutes is abandoned.
const ABANDONED_AFTER: chrono::Duration = chrono::Duration::minutes(2);
/// How often the local scheduler makes the daily report (of the day before).
const REPORT_EVERY: Duration = Duration::from_secs(300);
/// How long the local consumer waits when the queue is empty.
const CONSUMER_IDLE: Duration = Duration::from_millis(200);
/// Deliveries of an event before it is parked in the dead-letter list, as the SAM template's
/// default `OrderEventsMaxReceiveCount`.
const MAX_RECEIVES: u32 = 5;
/// Where the dev stack mails managers (approval requests), shown in the mailbox.
const DEV_MANAGER: &str = "manager@storesync.local";

fn env_port(name: &str, default: u16) -> Result<u16, String> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map_err(|_| format!("{name}={v:?} is not a port number")),
        Err(_) => Ok(default),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    storesync_runtime::logging::init();
    let port = env_port("PORT", 3000)?;
    let store: Arc<dyn Store> = match std::env::var("STORE").as_deref() {
        Ok("dynamodb") => {
            let endpoint = std::env::var("DYNAMODB_ENDPOINT")
                .or_else(|_| std::env::var("STORESYNC_MOTO_URL"))
                .unwrap_or_else(|_| "http://127.0.0.1:8000".into());
            let table = std::env::var("STORESYNC_TABLE").unwrap_or_else(|_| "storesync-dev".into());
            let aws = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .endpoint_url(&endpoint)
                .region(aws_config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                    "test", "test", None, None, "dev",
                ))
                .load()
                .await;
            let client = storesync_dynamodb::client(&aws, None);
            storesync_dynamodb::create_table(&client, &table).await?;
            tracing::info!(%endpoint, %table, "store: DynamoDB");
            Arc::new(DynamoStore::new(client, table))
        }
        _ => {
            tracing::info!("store: embedded (in memory; STORE=dynamodb for a DynamoDB endpoint)");
            Arc::new(EmbeddedStore::new())
        }
    };
    storesync_devstack::seed_demo_catalog(store.as_ref()).await?;

    let salesforce = Emulator::start_with(EmulatorConfig {
        bind: ([127, 0, 0, 1], env_port("SF_EMULATOR_PORT", 4000)?).into(),
        ..EmulatorConfig::default()
    })
    .await?;

    let queue = Arc::new(LocalQueue::new(Duration::from_secs(30), MAX_RECEIVES));
    let mut stack = LocalStack::new(store, queue.clone());
    // Operators' "run now" requests, taken by the local scheduler below.
    let job_requests = Arc::new(LocalQueue::new(
        storesync_devstack::jobs::JOB_TIME,
        MAX_RECEIVES,
    ));
    stack.job_requests = Some(job_requests.clone());
    let client = SalesforceClient::new(SalesforceConfig::new(
        salesforce.base_url(),
        Auth::ClientCredentials {
            client_id: salesforce.client_id().to_owned(),
            client_secret: salesforce.client_secret().to_owned(),
        },
    ))?;
    // The same defaults as the Lambda's: `STORESYNC_SYNC_*` from the environment.
    let defaults = SyncSettings::from_lookup(|name| std::env::var(name).ok())?;
    // The admin API shows the same defaults, and links records to the emulator.
    // The storefront finds big carts by the same thresholds.
    stack.storefront.sync_defaults = defaults.clone();
    stack.admin = AdminSettings {
        sync_defaults: defaults.clone(),
        salesforce_instance: Some(SalesforceInstance::parse(&salesforce.base_url())?),
        ..AdminSettings::default()
    };
    let crm = Arc::new(SalesforceCrm::new(client.clone()));
    // Customers' mails land in the store's mailbox, shown at GET /dev/mailbox.
    let notifier = order_events::wiring::notifier(
        stack.store.clone(),
        Arc::new(MailboxNotifications::new(
            stack.store.clone(),
            stack.clock.clone(),
        )),
        stack.clock.clone(),
    );
    let consumer = order_events::wiring::consumer(
        stack.store.clone(),
        crm.clone(),
        stack.clock.clone(),
        defaults.clone(),
        MAX_RECEIVES,
    )
    .with_notifier(notifier.clone());
    // Managers hear of approval requests in the same mailbox.
    let approvals = order_events::wiring::approval_sync(
        stack.store.clone(),
        Some(stack.relay()),
        stack.clock.clone(),
        stack.storefront.policy.clone(),
    )
    .with_crm(crm.clone())
    .with_managers(
        Arc::new(MailboxNotifications::new(
            stack.store.clone(),
            stack.clock.clone(),
        )),
        vec![Email::parse(DEV_MANAGER)?],
    );
    // Changes sales makes in the emulator come back: its Event Relay posts them to the stack
    // (set up once the stack's address is known, below), and its Outbound Messages would too.
    let inbound = |store: Arc<dyn Store>, clock: Arc<dyn Clock>| {
        let records: Arc<dyn CrmRecords> = crm.clone();
        crm_inbound::wiring::inbound(
            store.clone(),
            clock.clone(),
            salesforce.integration_user_id(),
            Some(records),
            Some(Arc::new(MailboxNotifications::new(store, clock))),
            FieldOwnership::default(),
        )
    };
    stack.inbound = Some(LocalInbound {
        change_events: Arc::new(inbound(stack.store.clone(), stack.clock.clone())),
        outbound_messages: inbound(stack.store.clone(), stack.clock.clone()),
        org_id: salesforce.org_id(),
    });
    let sync =
        order_events::wiring::crm_sync(stack.store.clone(), crm, stack.clock.clone(), defaults);
    let (resync, carts) = order_events::wiring::resync(stack.store.clone(), Arc::new(sync));
    tokio::spawn(async move {
        loop {
            match order_events::wiring::poll(queue.as_ref(), &consumer).await {
                Ok(0) => tokio::time::sleep(CONSUMER_IDLE).await,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "order events queue");
                    tokio::time::sleep(CONSUMER_IDLE).await;
                }
            }
        }
    });
    // A local Stripe for the payment reconciliation, which checks orders left awaiting payment
    // for two minutes, and for the fulfilment job's captures of authorised payments.
    let stripe = LocalStripe::start().await?;
    let mut stripe_config = StripeConfig::new(stripe.secret_key());
    stripe_config.api_base = stripe.base_url();
    let payments = Arc::new(PaymentProcessor::new(
        stack.store.clone(),
        stack.clock.clone(),
        Some(stack.relay()),
    ));
    let gateway = Arc::new(StripePayments::new(stripe_config)?);
    let reconciliation = Reconciliation::new(
        stack.store.clone(),
        gateway.clone(),
        payments.clone(),
        stack.clock.clone(),
    );
    let refunds = Refunds::new(
        stack.store.clone(),
        gateway.clone(),
        stack.store.clone(),
        stack.clock.clone(),
    )
    .with_relay(stack.relay());
    let capture = FundsCapture::new(
        stack.store.clone(),
        stack.store.clone(),
        gateway,
        payments,
        stack.store.clone(),
        stack.clock.clone(),
    );
    // The stack's own address first: the local fulfilment provider sends its notices there.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let provider = LocalProvider::start(
        DEV_PROVIDER_SECRET,
        NoticeTarget {
            url: format!("{base}/v1/fulfilment/asn"),
            secret: DEV_NOTICE_SECRET.to_owned(),
            delay: Some(SHIPPING_TAKES),
        },
    )
    .await?;
    let fulfilment = Fulfilment::new(
        stack.store.clone(),
        stack.store.clone(),
        stack.store.clone(),
        stack.clock.clone(),
    )
    .with_relay(stack.relay())
    .with_provider(Arc::new(HttpProvider::new(
        provider.url(),
        DEV_PROVIDER_SECRET,
    )?));
    let scheduler = Arc::new(
        Scheduler::new(stack.relay())
            .with_fulfilment(Arc::new(fulfilment))
            .with_notifier(notifier)
            .with_log(stack.store.clone())
            .with_reconciliation(Arc::new(reconciliation), chrono::Duration::minutes(2))
            .with_capture(Arc::new(capture))
            .with_refunds(Arc::new(refunds))
            .with_approvals(Arc::new(approvals))
            .with_resync(Arc::new(resync), Arc::new(move || client.api_calls()))
            .with_abandoned_carts(carts, ABANDONED_AFTER)
            .with_reporting(Arc::new(Reporting::new(
                stack.store.clone(),
                stack.store.clone(),
                stack.store.clone(),
                Vec::new(),
            ))),
    );
    storesync_devstack::jobs::spawn(
        scheduler,
        &[
            (Job::OutboxSweep, SWEEP_EVERY),
            (Job::NightlyResync, RESYNC_EVERY),
            (Job::DailyReport, REPORT_EVERY),
            (Job::PaymentReconciliation, RESYNC_EVERY),
            (Job::AbandonedCarts, RESYNC_EVERY),
            (Job::Fulfilment, SWEEP_EVERY),
        ],
        job_requests,
    );

    let login = SalesforceLogin {
        url: salesforce.base_url(),
        client_id: salesforce.client_id().to_owned(),
        client_secret: salesforce.client_secret().to_owned(),
    };
    println!(
        "Salesforce emulator: {} (client id {}, client secret {})",
        login.url, login.client_id, login.client_secret
    );
    println!("{}", storesync_devstack::walkthrough(&base, &login));
    salesforce.relay_to(Some(EventRelay::to(format!(
        "{base}{DEV_CHANGE_EVENTS_PATH}"
    ))));
    axum::serve(listener, stack.app())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
