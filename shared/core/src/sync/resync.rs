//! Syncing again what did not reach Salesforce: the nightly re-sync of every order and
//! customer whose sync is pending or failed, and an operator's "sync now" on chosen records.
//! Each record is planned from what the store holds now and the plans go to Salesforce in
//! bulk, many to a call; the org's API budget for live sync is never spent on it.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CartId, CustomerId, CustomerKey, OrderId};
use crate::payments::record::ReportKind;
use crate::ports::{OrderStore, PageRequest, PaymentStore};
use crate::sync::abandoned::{AbandonedCarts, CartHandled};
use crate::sync::consumer::captured_at;
use crate::sync::consumer::{Attempt, CrmSync, Handled, Prepared, Step, Subjects, SyncError};
use crate::sync::crm::CrmError;
use crate::sync::plan::Person;
use crate::sync::settings::SyncSettings;
use crate::sync::status::SyncState;

/// Records read from the ledger per page, and planned together.
const PAGE: usize = 200;

/// What a run did, for its one-line log and the operators' view of the last runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResyncSummary {
    pub orders_synced: usize,
    pub orders_failed: usize,
    pub customers_synced: usize,
    pub customers_failed: usize,
    pub carts_synced: usize,
    pub carts_failed: usize,
    /// Why the run stopped with records left for the next one (the time ran out, the API
    /// budget, Salesforce unavailable).
    pub stopped: Option<String>,
}

/// A record to sync again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Order(OrderId),
    Customer(CustomerKey),
    Cart(CartId),
}

/// An operator's "sync now" on a selection, carried by the order-events queue to the function
/// that holds the Salesforce credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncRequest {
    /// Tells it from the order events on the same queue.
    #[serde(rename = "type")]
    pub kind: SyncRequested,
    pub request_id: String,
    #[serde(default)]
    pub orders: Vec<OrderId>,
    #[serde(default)]
    pub customers: Vec<CustomerKey>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub carts: Vec<CartId>,
    pub requested_at: DateTime<Utc>,
}

/// The one `type` of a [`SyncRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncRequested {
    #[serde(rename = "sync.requested")]
    SyncRequested,
}

impl SyncRequest {
    pub fn new(
        request_id: String,
        orders: Vec<OrderId>,
        customers: Vec<CustomerKey>,
        carts: Vec<CartId>,
        requested_at: DateTime<Utc>,
    ) -> Self {
        SyncRequest {
            kind: SyncRequested::SyncRequested,
            request_id,
            orders,
            customers,
            carts,
            requested_at,
        }
    }

    /// The FIFO group of every request: they are few, and one at a time keeps two operators'
    /// requests from planning the same customer at once.
    pub const GROUP: &'static str = "sync-requests";

    pub fn targets(&self) -> Vec<Target> {
        self.orders
            .iter()
            .cloned()
            .map(Target::Order)
            .chain(self.customers.iter().cloned().map(Target::Customer))
            .chain(self.carts.iter().cloned().map(Target::Cart))
            .collect()
    }
}

/// Re-syncs over the live sync's own ledger, Salesforce and clock, reading orders and
/// payments from the store.
pub struct Resync {
    sync: Arc<CrmSync>,
    orders: Arc<dyn OrderStore>,
    payments: Arc<dyn PaymentStore>,
    carts: Option<Arc<AbandonedCarts>>,
}

/// How one record's sync ended.
enum Ended {
    Synced,
    Failed,
    /// Nothing to do (gone from the store, a guest's key, already in step).
    Skipped,
}

impl Resync {
    pub fn new(
        sync: Arc<CrmSync>,
        orders: Arc<dyn OrderStore>,
        payments: Arc<dyn PaymentStore>,
    ) -> Self {
        Resync {
            sync,
            orders,
            payments,
            carts: None,
        }
    }

    /// Abandoned carts are synced again too (one at a time: they are few).
    pub fn with_carts(mut self, carts: Arc<AbandonedCarts>) -> Self {
        self.carts = Some(carts);
        self
    }

    /// The nightly job: every order, then every customer, whose sync failed or waits, oldest
    /// first, while `time_left` says so. Records that change during the run (a failure
    /// recorded again) wait for the next one, so a run always ends.
    pub async fn run(
        &self,
        time_left: &(dyn Fn() -> bool + Sync),
    ) -> Result<ResyncSummary, SyncError> {
        let settings = self.sync.settings().await?;
        let started = self.sync.clock.now();
        let mut summary = ResyncSummary::default();
        let kinds = [
            (settings.auto_sync_orders, true),
            (settings.auto_sync_customers, false),
        ];
        for (auto, orders) in kinds {
            if !auto {
                continue;
            }
            for state in [SyncState::Failed, SyncState::Pending] {
                let mut page = PageRequest::first(PAGE);
                loop {
                    if !time_left() {
                        summary.stopped = Some("the run's time ran out".into());
                        return Ok(summary);
                    }
                    let (targets, next) = if orders {
                        let found = self.sync.ledger.orders_in_sync_state(state, &page).await?;
                        let targets = found
                            .items
                            .into_iter()
                            .filter(|o| o.updated_at < started)
                            .map(|o| Target::Order(o.order_id))
                            .collect::<Vec<_>>();
                        (targets, found.next)
                    } else {
                        let found = self
                            .sync
                            .ledger
                            .customers_in_sync_state(state, &page)
                            .await?;
                        let targets = found
                            .items
                            .into_iter()
                            .filter(|c| c.updated_at < started)
                            .map(|c| Target::Customer(c.customer_key))
                            .collect::<Vec<_>>();
                        (targets, found.next)
                    };
                    self.sync_now(&targets, &settings, &mut summary).await?;
                    if summary.stopped.is_some() {
                        return Ok(summary);
                    }
                    match next {
                        Some(after) => page.after = Some(after),
                        None => break,
                    }
                }
            }
        }
        if settings.auto_sync_carts {
            self.carts_again(started, time_left, &mut summary).await?;
        }
        Ok(summary)
    }

    /// The abandoned carts whose sync failed or waits, one at a time.
    async fn carts_again(
        &self,
        started: DateTime<Utc>,
        time_left: &(dyn Fn() -> bool + Sync),
        summary: &mut ResyncSummary,
    ) -> Result<(), SyncError> {
        if self.carts.is_none() {
            return Ok(());
        }
        for state in [SyncState::Failed, SyncState::Pending] {
            let mut page = PageRequest::first(PAGE);
            loop {
                let found = self.sync.ledger.carts_in_sync_state(state, &page).await?;
                let targets: Vec<Target> = found
                    .items
                    .into_iter()
                    .filter(|c| c.updated_at < started)
                    .map(|c| Target::Cart(c.cart_id))
                    .collect();
                for target in &targets {
                    if !time_left() {
                        summary.stopped = Some("the run's time ran out".into());
                        return Ok(());
                    }
                    self.sync_cart(target, summary).await?;
                }
                match found.next {
                    Some(after) => page.after = Some(after),
                    None => break,
                }
            }
        }
        Ok(())
    }

    async fn sync_cart(
        &self,
        target: &Target,
        summary: &mut ResyncSummary,
    ) -> Result<(), SyncError> {
        let (Target::Cart(id), Some(carts)) = (target, &self.carts) else {
            return Ok(());
        };
        match carts.sync_now(id).await? {
            CartHandled::Synced => summary.carts_synced += 1,
            CartHandled::Failed(_) => summary.carts_failed += 1,
            _ => {}
        }
        Ok(())
    }

    /// An operator's "sync now" on these records, whatever the automatic-sync switches say.
    pub async fn sync_records(&self, targets: &[Target]) -> Result<ResyncSummary, SyncError> {
        let settings = self.sync.settings().await?;
        let mut summary = ResyncSummary::default();
        let (carts, records): (Vec<&Target>, Vec<&Target>) =
            targets.iter().partition(|t| matches!(t, Target::Cart(_)));
        for cart in carts {
            self.sync_cart(cart, &mut summary).await?;
        }
        let records: Vec<Target> = records.into_iter().cloned().collect();
        for chunk in records.chunks(PAGE) {
            self.sync_now(chunk, &settings, &mut summary).await?;
            if summary.stopped.is_some() {
                break;
            }
        }
        Ok(summary)
    }

    /// Plans the targets and sends the plans in bulk. One customer's records share their
    /// person's sync status, so each round takes one record per customer; the rest are
    /// planned again after it, from the status it left.
    async fn sync_now(
        &self,
        targets: &[Target],
        settings: &SyncSettings,
        summary: &mut ResyncSummary,
    ) -> Result<(), SyncError> {
        let mut waiting: Vec<&Target> = targets.iter().collect();
        while !waiting.is_empty() {
            let mut keys = BTreeSet::new();
            let mut ready: Vec<(bool, Prepared)> = Vec::new();
            let mut later = Vec::new();
            for target in waiting {
                let Some(subjects) = self.subjects(target).await? else {
                    continue;
                };
                if !keys.insert(subjects.key.clone()) {
                    later.push(target);
                    continue;
                }
                let is_order = matches!(target, Target::Order(_));
                let attempt = Attempt {
                    event_id: None,
                    last_try: true,
                    force: true,
                };
                match self.sync.prepare(subjects, settings.clone(), attempt).await {
                    Ok(Step::Ready(prepared)) => ready.push((is_order, *prepared)),
                    Ok(Step::Done(handled)) => count(summary, is_order, ended(Ok(handled))?),
                    Err(e) => count(summary, is_order, ended(Err(e))?),
                }
            }
            let plans: Vec<_> = ready.iter().map(|(_, p)| p.plan.clone()).collect();
            let answers = self.sync.crm.apply_batch(&plans).await;
            for ((is_order, prepared), answer) in ready.into_iter().zip(answers) {
                if let Err(CrmError::Deferred(why)) = &answer {
                    // Left as it was: the next run sends it.
                    summary.stopped = Some(why.clone());
                    continue;
                }
                let handled = self.sync.finish(prepared, answer).await;
                count(summary, is_order, ended(handled)?);
            }
            if summary.stopped.is_some() {
                return Ok(());
            }
            waiting = later;
        }
        Ok(())
    }

    /// What the store holds now for a target; `None` when there is nothing to sync.
    async fn subjects(&self, target: &Target) -> Result<Option<Subjects>, SyncError> {
        match target {
            Target::Order(id) => {
                let Some(order) = self.orders.order(id).await? else {
                    return Ok(None);
                };
                let paid_at = self
                    .payments
                    .payments_for_order(id)
                    .await?
                    .iter()
                    .filter(|p| p.history.iter().any(|h| h.kind == ReportKind::Captured))
                    .map(captured_at)
                    .min();
                let key = order.customer.customer_key.clone();
                self.sync
                    .order_subjects(key, order, paid_at)
                    .await
                    .map(Some)
            }
            Target::Cart(_) => Ok(None),
            Target::Customer(key) => {
                // A guest has no customer record: their orders carry them to Salesforce.
                let Ok(id) = CustomerId::parse(key.as_str()) else {
                    return Ok(None);
                };
                let Some(customer) = self.sync.customers.customer(&id).await? else {
                    return Ok(None);
                };
                Ok(Some(Subjects {
                    key: key.clone(),
                    person: Person::customer(&customer),
                    customer: Some(customer),
                    order: None,
                    paid_at: None,
                }))
            }
        }
    }
}

/// A record's end: a failure Salesforce gave is recorded on it; a store failure is not a
/// record's and stops the run.
fn ended(handled: Result<Handled, SyncError>) -> Result<Ended, SyncError> {
    match handled {
        Ok(Handled::Synced) => Ok(Ended::Synced),
        Ok(Handled::Refused(_)) | Err(SyncError::Crm(_)) => Ok(Ended::Failed),
        Ok(_) | Err(SyncError::UnknownCustomer(_)) => Ok(Ended::Skipped),
        Err(e) => Err(e),
    }
}

fn count(summary: &mut ResyncSummary, is_order: bool, ended: Ended) {
    let (synced, failed) = if is_order {
        (&mut summary.orders_synced, &mut summary.orders_failed)
    } else {
        (&mut summary.customers_synced, &mut summary.customers_failed)
    };
    match ended {
        Ended::Synced => *synced += 1,
        Ended::Failed => *failed += 1,
        Ended::Skipped => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sync_request_names_its_type_and_keeps_its_selection_in_order() {
        let request = SyncRequest::new(
            "r1".into(),
            vec![
                OrderId::for_checkout("c1", "a"),
                OrderId::for_checkout("c1", "b"),
            ],
            vec![CustomerKey::parse("c1").unwrap()],
            Vec::new(),
            Utc::now(),
        );
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(json["type"], "sync.requested");
        assert_eq!(
            serde_json::from_value::<SyncRequest>(json).unwrap(),
            request
        );
        assert_eq!(
            request.targets(),
            vec![
                Target::Order(OrderId::for_checkout("c1", "a")),
                Target::Order(OrderId::for_checkout("c1", "b")),
                Target::Customer(CustomerKey::parse("c1").unwrap()),
            ]
        );
        let event = serde_json::json!({"type": "order.paid", "request_id": "x", "requested_at": "2026-12-01T00:00:00Z"});
        assert!(
            serde_json::from_value::<SyncRequest>(event).is_err(),
            "an order event is not a request"
        );
    }
}
