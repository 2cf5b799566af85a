//! The consumer put together, once, for the Lambda binary, the dev stack and the tests; and
//! the local event source that feeds it from an in-process queue as SQS feeds the Lambda.

use std::sync::Arc;

use storesync_core::after_sales::AfterSales;
use storesync_core::approvals::desk::ApprovalDesk;
use storesync_core::approvals::salesforce::ApprovalSync;
use storesync_core::notifications::Notifications;
use storesync_core::notifications::notifier::Notifier;
use storesync_core::outbox::OutboxRelay;
use storesync_core::ports::{Clock, CustomerStore, Store, SyncLedger};
use storesync_core::pricing::PricingPolicy;
use storesync_core::queue::{EventQueue, QueueError};
use storesync_core::sync::abandoned::AbandonedCarts;
use storesync_core::sync::consumer::CrmSync;
use storesync_core::sync::crm::Crm;
use storesync_core::sync::resync::Resync;
use storesync_core::sync::settings::SyncSettings;

use crate::{Consumer, Delivery};

/// The consumer over `store` and `crm`.
pub fn consumer(
    store: Arc<dyn Store>,
    crm: Arc<dyn Crm>,
    clock: Arc<dyn Clock>,
    defaults: SyncSettings,
    max_receives: u32,
) -> Consumer {
    let sync = Arc::new(crm_sync(store.clone(), crm, clock, defaults));
    let (resync, _) = resync(store, sync.clone());
    Consumer::new(sync, resync, max_receives)
}

/// The customers' mails over `store`, sent through `mail`.
pub fn notifier(
    store: Arc<dyn Store>,
    mail: Arc<dyn Notifications>,
    clock: Arc<dyn Clock>,
) -> Arc<Notifier> {
    Arc::new(Notifier::new(
        store.clone(),
        store.clone(),
        store,
        mail,
        clock,
    ))
}

/// The re-sync of what is pending or failed, abandoned carts included, and the
/// abandoned-carts job, both over `sync`.
pub fn resync(store: Arc<dyn Store>, sync: Arc<CrmSync>) -> (Resync, Arc<AbandonedCarts>) {
    let carts = Arc::new(AbandonedCarts::new(sync.clone(), store.clone()));
    let resync = Resync::new(sync, store.clone(), store).with_carts(carts.clone());
    (resync, carts)
}

/// The approval requests' upkeep (managers told; with [`ApprovalSync::with_crm`], Salesforce's
/// approval requests kept in step); a decision there is applied to the order as a manager's
/// in the store would be (`pricing` works out what a rejected discount gives back).
pub fn approval_sync(
    store: Arc<dyn Store>,
    relay: Option<Arc<OutboxRelay>>,
    clock: Arc<dyn Clock>,
    pricing: PricingPolicy,
) -> ApprovalSync {
    let mut after_sales = AfterSales::new(store.clone(), clock.clone(), pricing);
    if let Some(relay) = relay {
        after_sales = after_sales.with_relay(relay);
    }
    let desk = ApprovalDesk::new(after_sales, store.clone());
    ApprovalSync::new(store.clone(), store, desk, clock)
}

/// The sync over `store` and `crm`, for the consumer and the scheduled re-sync.
pub fn crm_sync(
    store: Arc<dyn Store>,
    crm: Arc<dyn Crm>,
    clock: Arc<dyn Clock>,
    defaults: SyncSettings,
) -> CrmSync {
    let ledger: Arc<dyn SyncLedger> = store.clone();
    let customers: Arc<dyn CustomerStore> = store;
    CrmSync::new(ledger, customers, crm, clock, defaults)
}

/// Takes up to 10 messages from `queue`, hands them to the consumer as one batch and deletes
/// the ones it is done with. The others come back after the visibility timeout, as SQS
/// redelivers what a Lambda reports in `batchItemFailures`. Returns how many were received.
pub async fn poll(queue: &dyn EventQueue, consumer: &Consumer) -> Result<usize, QueueError> {
    let received = queue.receive(10).await?;
    let batch: Vec<Delivery> = received
        .iter()
        .map(|r| Delivery {
            id: r.message.id.clone(),
            group: r.message.group.clone(),
            body: r.message.body.clone(),
            receive_count: r.receive_count,
        })
        .collect();
    let failed = consumer.consume(&batch).await;
    for r in received.iter().filter(|r| !failed.contains(&r.message.id)) {
        queue.delete(&r.receipt).await?;
    }
    Ok(received.len())
}
