use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use order_events::wiring;
use scheduled_sync::config::Config;
use scheduled_sync::{Scheduler, function_handler};
use storesync_core::after_sales::Refunds;
use storesync_core::fulfilment::process::Fulfilment;
use storesync_core::outbox::OutboxRelay;
use storesync_core::payments::capture::FundsCapture;
use storesync_core::payments::processor::PaymentProcessor;
use storesync_core::payments::reconcile::Reconciliation;
use storesync_core::ports::SystemClock;
use storesync_core::report::Reporting;
use storesync_dynamodb::DynamoStore;
use storesync_provider::HttpProvider;
use storesync_salesforce::{SalesforceClient, SalesforceCrm};
use storesync_ses::SesNotifications;
use storesync_sqs::SqsQueue;
use storesync_stripe::{StripeConfig, StripePayments};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    storesync_runtime::logging::init();
    let config = Config::from_env()?;
    let aws = storesync_runtime::aws::config().await;
    let store = Arc::new(DynamoStore::from_aws(&aws, config.table));
    let queue = Arc::new(SqsQueue::from_aws(&aws, config.queue_url));
    let reporting = Reporting::new(
        store.clone(),
        store.clone(),
        store.clone(),
        config.managers.clone(),
    );
    let mut scheduler = Scheduler::new(Arc::new(OutboxRelay::new(store.clone(), queue.clone())))
        .with_log(store.clone())
        .with_reporting(Arc::new(reporting));
    let mut approvals = wiring::approval_sync(
        store.clone(),
        Some(Arc::new(OutboxRelay::new(store.clone(), queue.clone()))),
        Arc::new(SystemClock),
        config.pricing.clone(),
    );
    if let Some(mail) = config.mail {
        let ses = Arc::new(SesNotifications::from_aws(&aws, mail));
        approvals = approvals.with_managers(ses.clone(), config.managers.clone());
        scheduler =
            scheduler.with_notifier(wiring::notifier(store.clone(), ses, Arc::new(SystemClock)));
    }
    if let Some(key) = config.stripe {
        let mut stripe = StripeConfig::new(key.load(&aws).await?);
        if let Some(base) = config.stripe_api_base {
            stripe.api_base = base;
        }
        let relay = Arc::new(OutboxRelay::new(store.clone(), queue.clone()));
        let payments = Arc::new(PaymentProcessor::new(
            store.clone(),
            Arc::new(SystemClock),
            Some(relay),
        ));
        let gateway = Arc::new(StripePayments::new(stripe)?);
        let reconciliation = Reconciliation::new(
            store.clone(),
            gateway.clone(),
            payments.clone(),
            Arc::new(SystemClock),
        );
        let refunds = Refunds::new(
            store.clone(),
            gateway.clone(),
            store.clone(),
            Arc::new(SystemClock),
        )
        .with_relay(Arc::new(OutboxRelay::new(store.clone(), queue.clone())));
        let capture = FundsCapture::new(
            store.clone(),
            store.clone(),
            gateway,
            payments,
            store.clone(),
            Arc::new(SystemClock),
        );
        scheduler = scheduler
            .with_reconciliation(Arc::new(reconciliation), config.reconcile_after)
            .with_capture(Arc::new(capture))
            .with_refunds(Arc::new(refunds));
    }
    if let Some(credentials) = config.credentials {
        let salesforce = SalesforceClient::new(credentials.load(&aws).await?)?;
        let crm = Arc::new(SalesforceCrm::new(salesforce.clone()));
        approvals = approvals.with_crm(crm.clone());
        let sync = wiring::crm_sync(
            store.clone(),
            crm,
            Arc::new(SystemClock),
            config.sync_defaults,
        );
        let (resync, carts) = wiring::resync(store.clone(), Arc::new(sync));
        scheduler = scheduler
            .with_resync(Arc::new(resync), Arc::new(move || salesforce.api_calls()))
            .with_abandoned_carts(carts, config.abandoned_after);
    }
    let mut fulfilment = Fulfilment::new(
        store.clone(),
        store.clone(),
        store.clone(),
        Arc::new(SystemClock),
    )
    .with_relay(Arc::new(OutboxRelay::new(store.clone(), queue.clone())));
    if let Some((url, secret)) = config.provider {
        let secret = secret.load(&aws).await?;
        fulfilment = fulfilment.with_provider(Arc::new(HttpProvider::new(url, secret)?));
    }
    scheduler = scheduler
        .with_fulfilment(Arc::new(fulfilment))
        .with_approvals(Arc::new(approvals));
    let scheduler = &scheduler;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            function_handler(scheduler, event).await
        },
    ))
    .await
}
