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
use crate::sync::crm::{Crm, CrmApplied, CrmError, CrmPlan, PersonMatch, PersonQuery, Record};
use crate::sync::plan::{
    Person, PlanInput, current_total, needs_lookup, needs_order_items, order_items_found, plan,
};
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
    pub(super) ledger: Arc<dyn SyncLedger>,
    pub(super) customers: Arc<dyn CustomerStore>,
    pub(super) crm: Arc<dyn Crm>,
    pub(super) clock: Arc<dyn Clock>,
    /// The settings until an operator saves their own.
    defaults: SyncSettings,
}

/// What a sync is about: from an event, or read again from the store for a re-sync.
pub(super) struct Subjects {
    pub key: CustomerKey,
    pub person: Person,
    pub customer: Option<Customer>,
    pub order: Option<Order>,
    pub paid_at: Option<DateTime<Utc>>,
}

/// Why a sync runs, which decides what a failure and an older version mean.
#[derive(Debug, Clone)]
pub(super) struct Attempt {
    /// The event applied (none for a re-sync): recorded so it is applied once.
    pub event_id: Option<EventId>,
    /// No further try will come: a retryable failure is recorded as `failed`.
    pub last_try: bool,
    /// Sync what the store holds now, even if the ledger says this version was applied.
    pub force: bool,
}

/// A sync read from the store and planned, waiting for Salesforce's answer.
pub(super) struct Prepared {
    attempt: Attempt,
    subjects: Subjects,
    customer_sync: CustomerSync,
    order_sync: Option<OrderSync>,
    pub plan: CrmPlan,
    touched: Vec<CrmObject>,
    has_orders: bool,
    now: DateTime<Utc>,
}

/// Where preparing a sync ended: done without Salesforce, or a plan to apply.
pub(super) enum Step {
    Done(Handled),
    Ready(Box<Prepared>),
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
        let settings = self.settings().await?;
        let (auto, subjects) = match &event.subject {
            Subject::Cart { cart } => {
                return self
                    .handle_cart(&event.event_id, cart, &settings, last_try)
                    .await;
            }
            Subject::Order { order, payment } => (
                settings.auto_sync_orders,
                self.order_event_subjects(event, order, payment.as_ref())
                    .await?,
            ),
            Subject::Customer { customer } => (
                settings.auto_sync_customers,
                Subjects {
                    key: event.customer_key.clone(),
                    person: Person::customer(customer),
                    customer: Some(customer.clone()),
                    order: None,
                    paid_at: None,
                },
            ),
        };
        if !auto {
            self.note_unsent(&subjects, &event.event_id).await?;
            return Ok(Handled::AutoSyncOff);
        }
        let attempt = Attempt {
            event_id: Some(event.event_id.clone()),
            last_try,
            force: false,
        };
        match self.prepare(subjects, settings, attempt).await? {
            Step::Done(handled) => Ok(handled),
            Step::Ready(prepared) => {
                let answer = self.crm.apply(&prepared.plan).await;
                self.finish(*prepared, answer).await
            }
        }
    }

    /// Automatic sync is off: the records wait, so the lists show them and an operator (or
    /// the nightly re-sync, once automatic sync is back on) sends them.
    async fn note_unsent(&self, subjects: &Subjects, event_id: &EventId) -> Result<(), SyncError> {
        let now = self.clock.now();
        let mut change = SyncChange {
            event_id: Some(event_id.clone()),
            customer: None,
            order: None,
            cart: None,
            prices: Vec::new(),
            at: now,
        };
        match &subjects.order {
            Some(order) => {
                let mut sync = self
                    .ledger
                    .order_sync(&order.id)
                    .await?
                    .unwrap_or_else(|| new_order_sync(order, now));
                sync.mark_changed(now);
                sync.version += 1;
                change.order = Some(sync);
            }
            None => {
                let mut sync = self
                    .ledger
                    .customer_sync(&subjects.key)
                    .await?
                    .unwrap_or_else(|| CustomerSync::new(subjects.key.clone(), now));
                sync.mark_changed(now);
                sync.version += 1;
                change.customer = Some(sync);
            }
        }
        match self.ledger.record_sync(&change).await {
            Ok(()) | Err(SyncRecordError::AlreadyApplied) => Ok(()),
            Err(SyncRecordError::Conflict) => Err(SyncError::Conflict),
            Err(SyncRecordError::Store(e)) => Err(e.into()),
        }
    }

    /// Reads what Salesforce must know of the subjects and plans it; the lookups a plan
    /// needs (a new person, the price book) happen here, one call each.
    pub(super) async fn prepare(
        &self,
        subjects: Subjects,
        mut settings: SyncSettings,
        attempt: Attempt,
    ) -> Result<Step, SyncError> {
        let now = self.clock.now();
        let customer_sync = self
            .ledger
            .customer_sync(&subjects.key)
            .await?
            .unwrap_or_else(|| CustomerSync::new(subjects.key.clone(), now));
        let order_sync = match &subjects.order {
            Some(order) => match self.ledger.order_sync(&order.id).await? {
                Some(known) => Some(known),
                None if order.cart_reached_checkout || order.from_big_cart => {
                    self.carried_from_cart(order, now).await?
                }
                None => None,
            },
            None => None,
        };
        let stale = match (&subjects.order, &order_sync, &subjects.customer) {
            (Some(order), Some(known), _) => order.version <= known.order_version,
            (None, _, Some(customer)) => customer.version <= customer_sync.customer_version,
            _ => false,
        };
        if stale && !attempt.force {
            if let Some(event_id) = &attempt.event_id {
                self.mark_applied(event_id, now).await?;
            }
            return Ok(Step::Done(Handled::Stale));
        }
        let has_orders = customer_sync.has_orders || subjects.order.is_some();
        let mut order_sync = order_sync;
        if let (Some(order), Some(known)) = (&subjects.order, order_sync.as_mut())
            && needs_order_items(order, known)
            && let Some(id) = known.id(CrmObject::Order).cloned()
        {
            match self.crm.order_items(&id).await {
                Ok(found) => known
                    .products
                    .items
                    .extend(order_items_found(order, &found)),
                Err(e) => {
                    let draft = Draft {
                        subjects: &subjects,
                        customer_sync: &customer_sync,
                        order_sync: order_sync.as_ref(),
                    };
                    let plan = draft.plan(None, &BTreeMap::new(), &settings);
                    let prepared = Prepared::new(
                        attempt,
                        subjects,
                        customer_sync,
                        order_sync,
                        plan,
                        has_orders,
                        now,
                    );
                    return self.failed(e, prepared).await.map(Step::Done);
                }
            }
        }
        let draft = Draft {
            subjects: &subjects,
            customer_sync: &customer_sync,
            order_sync: order_sync.as_ref(),
        };
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
                    let plan = draft.plan(None, &BTreeMap::new(), &settings);
                    let prepared = Prepared::new(
                        attempt,
                        subjects,
                        customer_sync,
                        order_sync,
                        plan,
                        has_orders,
                        now,
                    );
                    return self.failed(e, prepared).await.map(Step::Done);
                }
            }
        } else {
            None
        };
        if let Some(id) = found.as_ref().and_then(|f| f.standard_pricebook_id.clone()) {
            self.learn_pricebook(&mut settings, id).await?;
        }
        let mut prices = BTreeMap::new();
        let mut crm_plan = draft.plan(found.as_ref(), &prices, &settings);
        if needs_pricebook(&crm_plan) {
            match self.crm.standard_pricebook().await {
                Ok(id) => {
                    self.learn_pricebook(&mut settings, id).await?;
                    crm_plan = draft.plan(found.as_ref(), &prices, &settings);
                }
                Err(e) => {
                    let prepared = Prepared::new(
                        attempt,
                        subjects,
                        customer_sync,
                        order_sync,
                        crm_plan,
                        has_orders,
                        now,
                    );
                    return self.failed(e, prepared).await.map(Step::Done);
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
            crm_plan = draft.plan(found.as_ref(), &prices, &settings);
        }
        let prepared = Prepared::new(
            attempt,
            subjects,
            customer_sync,
            order_sync,
            crm_plan,
            has_orders,
            now,
        );
        Ok(Step::Ready(Box::new(prepared)))
    }

    /// Records Salesforce's answer to a prepared plan.
    pub(super) async fn finish(
        &self,
        prepared: Prepared,
        answer: Result<CrmApplied, CrmError>,
    ) -> Result<Handled, SyncError> {
        let applied = match answer {
            Ok(applied) => applied,
            Err(CrmError::LeadConverted(message)) => {
                // The Lead became a customer elsewhere (a guest order with the same e-mail
                // converted it): forget it, and the next try finds its Contact.
                let mut prepared = prepared;
                prepared.customer_sync.objects.remove(&CrmObject::Lead);
                prepared.touched.clear();
                return self.failed(CrmError::Retryable(message), prepared).await;
            }
            Err(e) => return self.failed(e, prepared).await,
        };
        let Prepared {
            attempt,
            subjects,
            mut customer_sync,
            mut order_sync,
            plan: crm_plan,
            touched,
            has_orders,
            now,
        } = prepared;
        let products = applied.products;
        let order_summary = applied.order_summary;
        let outcome = Outcome::Synced(applied.ids);
        customer_sync.record(&touched, &outcome, now);
        customer_sync.has_orders = has_orders;
        if let Some(customer) = &subjects.customer {
            customer_sync.customer_version = customer.version;
        }
        customer_sync.version += 1;
        if let Some(order) = &subjects.order {
            let mut sync = order_sync
                .take()
                .unwrap_or_else(|| new_order_sync(order, now));
            sync.record(&touched, &outcome, now);
            sync.order_version = order.version;
            sync.status = order.status;
            sync.total = current_total(order);
            sync.products.items.extend(products.items);
            sync.products.reductions.extend(products.reductions);
            if let Some(summary) = order_summary {
                sync.order_summary_id = Some(summary);
            }
            sync.follow_up_sent |= crm_plan
                .order
                .as_ref()
                .is_some_and(|o| o.follow_up.is_some());
            sync.order_activated |= crm_plan
                .order
                .as_ref()
                .and_then(|o| o.salesforce_order.as_ref())
                .is_some_and(|o| o.activate);
            sync.version += 1;
            order_sync = Some(sync);
        }
        let change = SyncChange {
            event_id: attempt.event_id.clone(),
            customer: Some(customer_sync),
            order: order_sync,
            cart: None,
            prices: applied.prices,
            at: now,
        };
        match self.ledger.record_sync(&change).await {
            Ok(()) => {
                tracing::info!(event_id = ?attempt.event_id, customer_key = %subjects.key, "synced to Salesforce");
                Ok(Handled::Synced)
            }
            Err(SyncRecordError::AlreadyApplied) => Ok(Handled::AlreadyApplied),
            Err(SyncRecordError::Conflict) => Err(SyncError::Conflict),
            Err(SyncRecordError::Store(e)) => Err(e.into()),
        }
    }

    /// An order event's order and person; a payment event says when the sale happened.
    async fn order_event_subjects(
        &self,
        event: &OutboxEvent,
        order: &Order,
        payment: Option<&Payment>,
    ) -> Result<Subjects, SyncError> {
        let paid = event.event_type == EventType::OrderPaid;
        let paid_at = payment
            .map(captured_at)
            .or(Some(event.occurred_at))
            .filter(|_| paid);
        self.order_subjects(event.customer_key.clone(), order.clone(), paid_at)
            .await
    }

    /// An order and the person it is for: the registered customer as the store knows them
    /// now, or the guest as the order names them.
    pub(super) async fn order_subjects(
        &self,
        key: CustomerKey,
        order: Order,
        paid_at: Option<DateTime<Utc>>,
    ) -> Result<Subjects, SyncError> {
        let person = match (&order.customer.customer_id, &order.customer.guest_email) {
            (Some(id), _) => {
                let customer = self
                    .customers
                    .customer(id)
                    .await?
                    .ok_or_else(|| SyncError::UnknownCustomer(id.to_string()))?;
                Person::customer(&customer)
            }
            (None, Some(email)) => Person::guest(email, &order),
            (None, None) => return Err(SyncError::UnknownCustomer(key.to_string())),
        };
        Ok(Subjects {
            key,
            person,
            customer: None,
            order: Some(order),
            paid_at,
        })
    }

    /// A new order whose cart was sent (abandoned, or big) takes over the cart's Opportunity
    /// (and the Contact's role on it): sales sees the same deal move on, not a second one.
    async fn carried_from_cart(
        &self,
        order: &Order,
        now: DateTime<Utc>,
    ) -> Result<Option<OrderSync>, StoreError> {
        let Some(cart) = self.ledger.cart_sync(&order.cart_id).await? else {
            return Ok(None);
        };
        if cart.id(CrmObject::Opportunity).is_none() {
            return Ok(None);
        }
        let mut sync = new_order_sync(order, now);
        for object in [CrmObject::Opportunity, CrmObject::OpportunityContactRole] {
            if let Some(record) = cart.objects.get(&object).filter(|r| r.id.is_some()) {
                sync.objects.insert(object, record.clone());
            }
        }
        Ok(Some(sync))
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

    pub(super) async fn mark_applied(
        &self,
        event_id: &EventId,
        now: DateTime<Utc>,
    ) -> Result<(), SyncError> {
        let change = SyncChange {
            event_id: Some(event_id.clone()),
            customer: None,
            order: None,
            cart: None,
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
    async fn failed(&self, error: CrmError, prepared: Prepared) -> Result<Handled, SyncError> {
        let Prepared {
            attempt,
            subjects,
            mut customer_sync,
            order_sync,
            touched,
            now,
            ..
        } = prepared;
        let (outcome, permanent) = match &error {
            CrmError::Permanent(message) => (Outcome::Failed(message.clone()), true),
            CrmError::Retryable(message)
            | CrmError::LeadConverted(message)
            | CrmError::Deferred(message)
                if attempt.last_try =>
            {
                (Outcome::Failed(message.clone()), false)
            }
            CrmError::Retryable(message)
            | CrmError::LeadConverted(message)
            | CrmError::Deferred(message) => (Outcome::Retrying(message.clone()), false),
        };
        tracing::warn!(event_id = ?attempt.event_id, customer_key = %subjects.key, error = %error, permanent, last_try = attempt.last_try, "Salesforce sync failed");
        customer_sync.record(&touched, &outcome, now);
        customer_sync.version += 1;
        let order_sync = subjects.order.as_ref().map(|order| {
            let mut sync = order_sync.unwrap_or_else(|| new_order_sync(order, now));
            sync.record(&touched, &outcome, now);
            sync.version += 1;
            sync
        });
        let change = SyncChange {
            event_id: attempt.event_id.clone().filter(|_| permanent),
            customer: Some(customer_sync),
            order: order_sync,
            cart: None,
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

/// What a plan is made from, before Salesforce is asked anything.
struct Draft<'a> {
    subjects: &'a Subjects,
    customer_sync: &'a CustomerSync,
    order_sync: Option<&'a OrderSync>,
}

impl Draft<'_> {
    fn plan(
        &self,
        found: Option<&PersonMatch>,
        prices: &BTreeMap<String, CrmId>,
        settings: &SyncSettings,
    ) -> CrmPlan {
        plan(PlanInput {
            person: &self.subjects.person,
            order: self.subjects.order.as_ref(),
            paid_at: self.subjects.paid_at,
            customer_sync: self.customer_sync,
            order_sync: self.order_sync,
            found,
            prices,
            settings,
        })
    }
}

impl Prepared {
    fn new(
        attempt: Attempt,
        subjects: Subjects,
        customer_sync: CustomerSync,
        order_sync: Option<OrderSync>,
        plan: CrmPlan,
        has_orders: bool,
        now: DateTime<Utc>,
    ) -> Self {
        let touched = plan.touched();
        Prepared {
            attempt,
            subjects,
            customer_sync,
            order_sync,
            plan,
            touched,
            has_orders,
            now,
        }
    }
}

/// A new Salesforce Order or a reduction order needs the standard price book, and the
/// settings do not know it.
fn needs_pricebook(plan: &CrmPlan) -> bool {
    plan.order
        .as_ref()
        .and_then(|o| o.salesforce_order.as_ref())
        .is_some_and(|o| {
            matches!(&o.order, Record::New { fields, .. } if fields.pricebook_id.is_none())
                || o.reductions.iter().any(|r| r.pricebook_id.is_none())
        })
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
pub(super) fn captured_at(payment: &Payment) -> DateTime<Utc> {
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
        order_summary_id: None,
        follow_up_sent: false,
        objects: Default::default(),
        products: Default::default(),
        updated_at: now,
        version: 0,
    }
}
