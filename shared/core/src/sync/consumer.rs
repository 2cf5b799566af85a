//! The sync use case: one outbox event in, Salesforce and the sync status brought up to date.
//! Safe to run twice on the same event and on events out of order: an applied event id or an
//! older version changes nothing, and every Salesforce write is an upsert by the store's key.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::customer::Customer;
use crate::events::{EventType, OutboxEvent, Subject};
use crate::ids::{CrmId, CustomerKey, EventId};
use crate::order::Order;
use crate::payments::record::Payment;
use crate::ports::{Clock, CustomerStore, StoreError};
use crate::ports::{SyncChange, SyncLedger, SyncRecordError};
use crate::sync::crm::{Crm, CrmError, CrmPlan, PersonQuery, Record};
use crate::sync::plan::{Person, PlanInput, needs_lookup, plan};
use crate::sync::settings::SyncSettings;
use crate::sync::status::{CrmObject, CustomerSync, OrderSync, Outcome};

/// How an event was handled; each leaves the message to be deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    Synced,
    /// Applied before (a re-delivery), or about an older version than the one synced.
    AlreadyApplied,
    Stale,
    /// Automatic sync is off for this kind of record; an operator syncs it by hand.
    AutoSyncOff,
    /// Salesforce refused it for good; the record shows `failed` with this error, and the
    /// customer's later events go on.
    Refused(String),
}

/// The event could not be handled now: leave the message for another try.
#[derive(Debug, Error)]
pub enum SyncError {
    #[error(transparent)]
    Crm(CrmError),
    #[error("the store failed")]
    Store(#[from] StoreError),
    #[error("the sync status changed concurrently")]
    Conflict,
    #[error("customer {0} is not in the store")]
    UnknownCustomer(String),
}

/// Applies outbox events to Salesforce.
pub struct CrmSync {
    ledger: Arc<dyn SyncLedger>,
    customers: Arc<dyn CustomerStore>,
    crm: Arc<dyn Crm>,
    clock: Arc<dyn Clock>,
    /// The settings until an operator saves their own.
    defaults: SyncSettings,
}

/// What an event is about, read for planning.
struct Subjects<'a> {
    key: &'a CustomerKey,
    person: Person,
    customer: Option<&'a Customer>,
    order: Option<&'a Order>,
    paid_at: Option<DateTime<Utc>>,
}

impl CrmSync {
    pub fn new(
        ledger: Arc<dyn SyncLedger>,
        customers: Arc<dyn CustomerStore>,
        crm: Arc<dyn Crm>,
        clock: Arc<dyn Clock>,
        defaults: SyncSettings,
    ) -> Self {
        CrmSync {
            ledger,
            customers,
            crm,
            clock,
            defaults,
        }
    }

    /// The settings in force: the operator's, else the defaults.
    pub async fn settings(&self) -> Result<SyncSettings, StoreError> {
        Ok(self
            .ledger
            .sync_settings()
            .await?
            .unwrap_or_else(|| self.defaults.clone()))
    }

    /// Applies one event. `last_try` says the queue will not deliver it again: a retryable
    /// failure is then recorded as `failed` (and the message moves to the dead-letter queue).
    pub async fn handle(&self, event: &OutboxEvent, last_try: bool) -> Result<Handled, SyncError> {
        if self.ledger.event_applied(&event.event_id).await? {
            return Ok(Handled::AlreadyApplied);
        }
        let mut settings = self.settings().await?;
        let auto = match &event.subject {
            Subject::Order { .. } => settings.auto_sync_orders,
            Subject::Customer { .. } => settings.auto_sync_customers,
        };
        if !auto {
            return Ok(Handled::AutoSyncOff);
        }
        let subjects = self.subjects(event).await?;
        let now = self.clock.now();
        let mut customer_sync = self
            .ledger
            .customer_sync(subjects.key)
            .await?
            .unwrap_or_else(|| CustomerSync::new(subjects.key.clone(), now));
        let mut order_sync = match subjects.order {
            Some(order) => self.ledger.order_sync(&order.id).await?,
            None => None,
        };
        let stale = match (subjects.order, &order_sync, subjects.customer) {
            (Some(order), Some(known), _) => order.version <= known.order_version,
            (None, _, Some(customer)) => customer.version <= customer_sync.customer_version,
            _ => false,
        };
        if stale {
            self.mark_applied(&event.event_id, now).await?;
            return Ok(Handled::Stale);
        }

        let has_orders = customer_sync.has_orders || subjects.order.is_some();
        let found = if needs_lookup(&customer_sync, has_orders) {
            let query = PersonQuery {
                email: subjects.person.email.clone(),
                key: subjects.person.key(),
                company: subjects.person.company.clone(),
                standard_pricebook: settings.standard_pricebook_id.is_none(),
            };
            match self.crm.find_person(&query).await {
                Ok(found) => Some(found),
                Err(e) => {
                    // The records a plan without the lookup's answer would write.
                    let touched = plan(PlanInput {
                        person: &subjects.person,
                        order: subjects.order,
                        paid_at: subjects.paid_at,
                        customer_sync: &customer_sync,
                        order_sync: order_sync.as_ref(),
                        found: None,
                        prices: &BTreeMap::new(),
                        settings: &settings,
                    })
                    .touched();
                    return self
                        .failed(e, last_try, event, &touched, customer_sync, order_sync, now)
                        .await;
                }
            }
        } else {
            None
        };
        if let Some(id) = found.as_ref().and_then(|f| f.standard_pricebook_id.clone()) {
            self.learn_pricebook(&mut settings, id).await?;
        }
        let make_plan = |settings: &SyncSettings, prices: &BTreeMap<String, CrmId>| {
            plan(PlanInput {
                person: &subjects.person,
                order: subjects.order,
                paid_at: subjects.paid_at,
                customer_sync: &customer_sync,
                order_sync: order_sync.as_ref(),
                found: found.as_ref(),
                prices,
                settings,
            })
        };
        let mut prices = BTreeMap::new();
        let mut crm_plan = make_plan(&settings, &prices);
        if needs_pricebook(&crm_plan) {
            match self.crm.standard_pricebook().await {
                Ok(id) => {
                    self.learn_pricebook(&mut settings, id).await?;
                    crm_plan = make_plan(&settings, &prices);
                }
                Err(e) => {
                    let touched = crm_plan.touched();
                    return self
                        .failed(e, last_try, event, &touched, customer_sync, order_sync, now)
                        .await;
                }
            }
        }
        let price_keys = new_price_keys(&crm_plan);
        if !price_keys.is_empty() {
            prices = self
                .ledger
                .price_entries(&price_keys)
                .await?
                .into_iter()
                .map(|p| (p.key, p.price_entry_id))
                .collect();
            crm_plan = make_plan(&settings, &prices);
        }
        let touched = crm_plan.touched();
        let applied = match self.crm.apply(&crm_plan).await {
            Ok(applied) => applied,
            Err(CrmError::LeadConverted(message)) => {
                // The Lead became a customer elsewhere (a guest order with the same e-mail
                // converted it): forget it, and the next delivery finds its Contact.
                customer_sync.objects.remove(&CrmObject::Lead);
                let retry = CrmError::Retryable(message);
                return self
                    .failed(retry, last_try, event, &[], customer_sync, order_sync, now)
                    .await;
            }
            Err(e) => {
                return self
                    .failed(e, last_try, event, &touched, customer_sync, order_sync, now)
                    .await;
            }
        };
        let outcome = Outcome::Synced(applied.ids);
        customer_sync.record(&touched, &outcome, now);
        customer_sync.has_orders = has_orders;
        if let Some(customer) = subjects.customer {
            customer_sync.customer_version = customer.version;
        }
        customer_sync.version += 1;
        if let Some(order) = subjects.order {
            let mut sync = order_sync
                .take()
                .unwrap_or_else(|| new_order_sync(order, now));
            sync.record(&touched, &outcome, now);
            sync.order_version = order.version;
            sync.status = order.status;
            sync.total = order.totals.total;
            sync.order_activated |= crm_plan
                .order
                .as_ref()
                .and_then(|o| o.salesforce_order.as_ref())
                .is_some_and(|o| o.activate);
            sync.version += 1;
            order_sync = Some(sync);
        }
        let change = SyncChange {
            event_id: Some(event.event_id.clone()),
            customer: Some(customer_sync),
            order: order_sync,
            prices: applied.prices,
            at: now,
        };
        match self.ledger.record_sync(&change).await {
            Ok(()) => {
                tracing::info!(event_id = %event.event_id, subject = event.subject_id(), "synced to Salesforce");
                Ok(Handled::Synced)
            }
            Err(SyncRecordError::AlreadyApplied) => Ok(Handled::AlreadyApplied),
            Err(SyncRecordError::Conflict) => Err(SyncError::Conflict),
            Err(SyncRecordError::Store(e)) => Err(e.into()),
        }
    }

    async fn subjects<'a>(&self, event: &'a OutboxEvent) -> Result<Subjects<'a>, SyncError> {
        let key = &event.customer_key;
        match &event.subject {
            Subject::Customer { customer } => Ok(Subjects {
                key,
                person: Person::customer(customer),
                customer: Some(customer),
                order: None,
                paid_at: None,
            }),
            Subject::Order { order, payment } => {
                let paid_at = payment
                    .as_ref()
                    .filter(|_| event.event_type == EventType::OrderPaid)
                    .map(captured_at)
                    .or(Some(event.occurred_at)
                        .filter(|_| event.event_type == EventType::OrderPaid));
                let person = match (&order.customer.customer_id, &order.customer.guest_email) {
                    (Some(id), _) => {
                        let customer = self
                            .customers
                            .customer(id)
                            .await?
                            .ok_or_else(|| SyncError::UnknownCustomer(id.to_string()))?;
                        Person::customer(&customer)
                    }
                    (None, Some(email)) => Person::guest(email, order),
                    (None, None) => {
                        return Err(SyncError::UnknownCustomer(key.to_string()));
                    }
                };
                Ok(Subjects {
                    key,
                    person,
                    customer: None,
                    order: Some(order),
                    paid_at,
                })
            }
        }
    }

    /// Keeps the standard price book's id in the settings, so it is looked up once.
    async fn learn_pricebook(
        &self,
        settings: &mut SyncSettings,
        id: String,
    ) -> Result<(), StoreError> {
        settings.standard_pricebook_id = Some(id);
        let mut saved = settings.clone();
        saved.version += 1;
        match self.ledger.save_sync_settings(&saved).await {
            Ok(()) => *settings = saved,
            // Someone saved the settings meanwhile: this sync goes on with the id anyway,
            // and a later one saves it.
            Err(StoreError::Conflict) => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }

    async fn mark_applied(&self, event_id: &EventId, now: DateTime<Utc>) -> Result<(), SyncError> {
        let change = SyncChange {
            event_id: Some(event_id.clone()),
            customer: None,
            order: None,
            prices: Vec::new(),
            at: now,
        };
        match self.ledger.record_sync(&change).await {
            Ok(()) | Err(SyncRecordError::AlreadyApplied) => Ok(()),
            Err(SyncRecordError::Conflict) => Err(SyncError::Conflict),
            Err(SyncRecordError::Store(e)) => Err(e.into()),
        }
    }

    /// Records a failure on the records the plan touched. A permanent one is final: the
    /// event counts as applied and the customer's later events go on. A retryable one leaves
    /// the event for another delivery; on the last delivery the records show `failed`, and
    /// the message goes on to the dead-letter queue, from where an operator can send it again.
    #[allow(clippy::too_many_arguments)]
    async fn failed(
        &self,
        error: CrmError,
        last_try: bool,
        event: &OutboxEvent,
        touched: &[CrmObject],
        mut customer_sync: CustomerSync,
        order_sync: Option<OrderSync>,
        now: DateTime<Utc>,
    ) -> Result<Handled, SyncError> {
        let (outcome, permanent) = match &error {
            CrmError::Permanent(message) => (Outcome::Failed(message.clone()), true),
            CrmError::Retryable(message) | CrmError::LeadConverted(message) if last_try => {
                (Outcome::Failed(message.clone()), false)
            }
            CrmError::Retryable(message) | CrmError::LeadConverted(message) => {
                (Outcome::Retrying(message.clone()), false)
            }
        };
        tracing::warn!(event_id = %event.event_id, subject = event.subject_id(), error = %error, permanent, last_try, "Salesforce sync failed");
        customer_sync.record(touched, &outcome, now);
        customer_sync.version += 1;
        let order_sync = event.order().map(|order| {
            let mut sync = order_sync.unwrap_or_else(|| new_order_sync(order, now));
            sync.record(touched, &outcome, now);
            sync.version += 1;
            sync
        });
        let change = SyncChange {
            event_id: permanent.then(|| event.event_id.clone()),
            customer: Some(customer_sync),
            order: order_sync,
            prices: Vec::new(),
            at: now,
        };
        match self.ledger.record_sync(&change).await {
            Ok(()) => {}
            Err(SyncRecordError::AlreadyApplied) => return Ok(Handled::AlreadyApplied),
            Err(SyncRecordError::Conflict) => return Err(SyncError::Conflict),
            Err(SyncRecordError::Store(e)) => return Err(e.into()),
        }
        match error {
            CrmError::Permanent(message) => Ok(Handled::Refused(message)),
            retryable => Err(SyncError::Crm(retryable)),
        }
    }
}

/// A new Salesforce Order needs the standard price book, and the settings do not know it.
fn needs_pricebook(plan: &CrmPlan) -> bool {
    plan.order
        .as_ref()
        .and_then(|o| o.salesforce_order.as_ref())
        .is_some_and(
            |o| matches!(&o.order, Record::New { fields, .. } if fields.pricebook_id.is_none()),
        )
}

/// The prices of a new Salesforce Order's lines, to look up among those already created.
fn new_price_keys(plan: &CrmPlan) -> Vec<String> {
    let mut keys: Vec<String> = plan
        .order
        .iter()
        .flat_map(|o| &o.salesforce_order)
        .flat_map(|o| &o.lines)
        .filter(|l| l.price_entry_id.is_none())
        .map(|l| l.price_key())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// When the gateway captured the payment: the invoice date of the sale.
fn captured_at(payment: &Payment) -> DateTime<Utc> {
    payment
        .history
        .iter()
        .filter(|h| h.kind == crate::payments::record::ReportKind::Captured)
        .map(|h| h.occurred_at)
        .min()
        .unwrap_or(payment.updated_at)
}

fn new_order_sync(order: &Order, now: DateTime<Utc>) -> OrderSync {
    OrderSync {
        order_id: order.id.clone(),
        customer_key: order.customer.customer_key.clone(),
        number: order.number.clone(),
        status: order.status,
        total: order.totals.total,
        order_version: 0,
        order_activated: false,
        objects: Default::default(),
        updated_at: now,
        version: 0,
    }
}
