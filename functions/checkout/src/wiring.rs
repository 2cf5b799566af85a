//! The checkout function put together, once, for every host: the Lambda binary, the local
//! dev stack and the tests.

use std::sync::Arc;

use axum::Router;
use storesync_core::admin::SyncAdmin;
use storesync_core::after_sales::AfterSales;
use storesync_core::approvals::desk::ApprovalDesk;
use storesync_core::outbox::OutboxRelay;
use storesync_core::ports::{
    ApprovalLog, Clock, CrmInboundStore, ExceptionLog, FulfilmentStore, JobLog, NotificationLog,
    OrderStore, PaymentStore, Store, StorefrontStore, SyncLedger, SystemClock,
};
use storesync_core::queue::EventQueue;
use storesync_core::storefront::Storefront;
use storesync_core::sync::in_force::SettingsInForce;

use crate::admin::Admin;
use crate::config::{AdminSettings, StorefrontSettings};

/// The storefront over `store`; with a queue, each change's event is sent as soon as it is
/// committed (without one, the outbox sweep sends it).
pub fn storefront(
    store: Arc<dyn Store>,
    queue: Option<Arc<dyn EventQueue>>,
    clock: Arc<dyn Clock>,
    settings: StorefrontSettings,
) -> Storefront {
    let storefront_store: Arc<dyn StorefrontStore> = store.clone();
    let payments: Arc<dyn PaymentStore> = store.clone();
    let fulfilment: Arc<dyn FulfilmentStore> = store.clone();
    let ledger: Arc<dyn SyncLedger> = store.clone();
    let sync_settings = SettingsInForce::new(ledger, settings.sync_defaults, clock.clone());
    let storefront = Storefront::new(
        storefront_store,
        payments,
        clock,
        settings.policy,
        settings.location,
    )
    .with_fulfilment(fulfilment)
    .with_big_carts(Arc::new(sync_settings));
    match queue {
        Some(queue) => storefront.with_relay(Arc::new(OutboxRelay::new(store, queue))),
        None => storefront,
    }
}

/// The operators' admin API over `store`'s sync ledger and jobs' log; with a queue, "sync
/// now" requests go on it, and with the job-requests queue, "run now" requests.
pub fn admin(
    store: Arc<dyn Store>,
    queue: Option<Arc<dyn EventQueue>>,
    job_queue: Option<Arc<dyn EventQueue>>,
    settings: AdminSettings,
) -> Admin {
    let store_for_orders = store.clone();
    let store_for_orders_and_fulfilment = store.clone();
    let approval_log: Arc<dyn ApprovalLog> = store.clone();
    let customers: Arc<dyn CrmInboundStore> = store.clone();
    // Changes to orders go on the queue as soon as they are committed.
    let relay = queue
        .clone()
        .map(|queue| Arc::new(OutboxRelay::new(store.clone(), queue)));
    let ledger: Arc<dyn SyncLedger> = store.clone();
    let log: Arc<dyn JobLog> = store.clone();
    let exceptions: Arc<dyn ExceptionLog> = store.clone();
    let notifications: Arc<dyn NotificationLog> = store;
    let mut sync = SyncAdmin::new(ledger, settings.sync_defaults)
        .with_job_log(log)
        .with_exceptions(exceptions)
        .with_notifications(notifications);
    if let Some(queue) = queue {
        sync = sync.with_queue(queue);
    }
    if let Some(jobs) = job_queue {
        sync = sync.with_job_queue(jobs);
    }
    let orders: Arc<dyn OrderStore> = store_for_orders;
    let after_sales = || {
        let after_sales = AfterSales::new(
            orders.clone(),
            Arc::new(SystemClock),
            settings.pricing.clone(),
        );
        match &relay {
            Some(relay) => after_sales.with_relay(relay.clone()),
            None => after_sales,
        }
    };
    let approvals = ApprovalDesk::new(after_sales(), approval_log);
    let fulfilment: Arc<dyn FulfilmentStore> = store_for_orders_and_fulfilment;
    Admin::new(sync, settings.salesforce_instance)
        .with_after_sales(after_sales())
        .with_approvals(approvals)
        .with_customers(customers)
        .with_fulfilment(fulfilment)
}

/// The API as API Gateway serves it: callers identified by the JWT authorizer's claims.
pub fn lambda_app(storefront: Storefront, admin: Admin) -> Router {
    crate::router(Arc::new(storefront), Arc::new(admin)).layer(axum::middleware::from_fn(
        storesync_web::identity::identity_from_authorizer,
    ))
}
