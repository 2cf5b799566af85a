//! Abandoned carts: a cart that reached the payment step and then sat idle, with no order,
//! is a sale sales can still win. A customer's becomes an Opportunity at the abandoned-cart
//! stage; a guest's, a Lead. Each run sends only carts changed since they were last sent, so
//! running it again changes nothing, and an edited cart updates the same records. The order
//! that finally comes from the cart carries its Opportunity on.

use std::sync::Arc;

use chrono::Duration;
use serde::Serialize;

use crate::cart::{Cart, CartOwner, CartStatus};
use crate::ids::{CartId, CustomerKey};
use crate::ports::{CartStore, PageRequest, Period, SyncChange, SyncRecordError};
use crate::sync::consumer::{CrmSync, SyncError};
use crate::sync::crm::{CrmError, CrmPlan, PersonPlan, PersonQuery};
use crate::sync::plan::{CartPlanInput, Person, cart_plan, needs_lookup};
use crate::sync::settings::SyncSettings;
use crate::sync::status::{CartSync, CrmObject, CustomerSync, Outcome, SyncState};

/// Carts read per page.
const PAGE: usize = 100;
/// How far back past the idle time a run looks: a cart idle longer was seen by earlier runs
/// (an edit brings it back into view).
pub const LOOKBACK: Duration = Duration::days(7);

/// What a run did, for its one-line log and the operators' view of the last runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AbandonedSummary {
    pub carts_synced: usize,
    pub carts_failed: usize,
    /// Not changed since they were last sent.
    pub carts_unchanged: usize,
    /// Automatic sync of carts is off: listed as pending for an operator.
    pub carts_waiting: usize,
    pub stopped: Option<String>,
}

/// How one cart's sync ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CartHandled {
    Synced,
    Unchanged,
    /// Automatic sync is off: recorded as pending.
    Waiting,
    /// Salesforce refused it, or was unavailable: recorded on the cart with the error.
    Failed(String),
    /// Nothing to send: no lines, a guest without an e-mail, or the cart is no longer
    /// waiting at checkout.
    Skipped,
}

pub struct AbandonedCarts {
    sync: Arc<CrmSync>,
    carts: Arc<dyn CartStore>,
}

impl AbandonedCarts {
    pub fn new(sync: Arc<CrmSync>, carts: Arc<dyn CartStore>) -> Self {
        AbandonedCarts { sync, carts }
    }

    /// The scheduled run: every cart at checkout idle for `idle` (but not for longer than
    /// [`LOOKBACK`] more), while `time_left` says so.
    pub async fn run(
        &self,
        idle: Duration,
        time_left: &(dyn Fn() -> bool + Sync),
    ) -> Result<AbandonedSummary, SyncError> {
        let settings = self.sync.settings().await?;
        let now = self.sync.clock.now();
        let idle_since = Period {
            from: now - idle - LOOKBACK,
            until: now - idle,
        };
        let mut summary = AbandonedSummary::default();
        let mut page = PageRequest::first(PAGE);
        loop {
            let found = self
                .carts
                .carts_in_status(CartStatus::Checkout, &idle_since, &page)
                .await?;
            for cart in &found.items {
                if !time_left() {
                    summary.stopped = Some("the run's time ran out".into());
                    return Ok(summary);
                }
                let handled = self
                    .sync_cart(cart, &settings, !settings.auto_sync_carts, false)
                    .await?;
                match handled {
                    CartHandled::Synced => summary.carts_synced += 1,
                    CartHandled::Failed(_) => summary.carts_failed += 1,
                    CartHandled::Unchanged => summary.carts_unchanged += 1,
                    CartHandled::Waiting => summary.carts_waiting += 1,
                    CartHandled::Skipped => {}
                }
            }
            match found.next {
                Some(after) => page.after = Some(after),
                None => return Ok(summary),
            }
        }
    }

    /// An operator's "sync now" (or the nightly re-sync) on one cart, whatever the
    /// automatic-sync switch says.
    pub async fn sync_now(&self, id: &CartId) -> Result<CartHandled, SyncError> {
        let settings = self.sync.settings().await?;
        match self.carts.cart(id).await? {
            Some(cart) => self.sync_cart(&cart, &settings, false, true).await,
            None => Ok(CartHandled::Skipped),
        }
    }

    /// Sends one cart, or with `hold` only records that it waits. Without `force`, a cart
    /// sent at its current version is left alone.
    async fn sync_cart(
        &self,
        cart: &Cart,
        settings: &SyncSettings,
        hold: bool,
        force: bool,
    ) -> Result<CartHandled, SyncError> {
        if cart.status != CartStatus::Checkout || cart.lines.is_empty() {
            return Ok(CartHandled::Skipped);
        }
        let Some((key, person)) = self.person(cart).await? else {
            return Ok(CartHandled::Skipped);
        };
        let value = match cart.goods_value() {
            Ok(value) => value,
            Err(e) => return Ok(CartHandled::Failed(e.to_string())),
        };
        let now = self.sync.clock.now();
        let known = self.sync.ledger.cart_sync(&cart.id).await?;
        let in_step = known
            .as_ref()
            .is_some_and(|k| k.cart_version >= cart.version);
        if in_step
            && !force
            && (hold
                || known
                    .as_ref()
                    .is_some_and(|k| k.state() == SyncState::Synced))
        {
            return Ok(CartHandled::Unchanged);
        }
        let mut cart_sync = known
            .clone()
            .unwrap_or_else(|| CartSync::new(cart.id.clone(), key.clone(), value, now));
        if hold {
            cart_sync.mark_changed(now);
            cart_sync.cart_version = cart.version;
            cart_sync.total = value;
            cart_sync.version += 1;
            self.record(None, cart_sync).await?;
            return Ok(CartHandled::Waiting);
        }
        let mut customer_sync = self
            .sync
            .ledger
            .customer_sync(&key)
            .await?
            .unwrap_or_else(|| CustomerSync::new(key.clone(), now));
        let buyer = matches!(cart.owner, CartOwner::Customer { .. }) || customer_sync.has_orders;
        let found = if needs_lookup(&customer_sync, buyer) {
            let query = PersonQuery {
                email: person.email.clone(),
                key: person.key(),
                company: person.company.clone(),
                standard_pricebook: false,
            };
            match self.sync.crm.find_person(&query).await {
                Ok(found) => Some(found),
                Err(e) => {
                    let message = e.to_string();
                    let outcome = failure(&e);
                    let touched = [if buyer {
                        CrmObject::Opportunity
                    } else {
                        CrmObject::Lead
                    }];
                    cart_sync.record(&touched, &outcome, now);
                    cart_sync.version += 1;
                    self.record(None, cart_sync).await?;
                    return Ok(CartHandled::Failed(message));
                }
            }
        } else {
            None
        };
        let plan = cart_plan(CartPlanInput {
            person: &person,
            cart,
            value,
            customer_sync: &customer_sync,
            cart_sync: known.as_ref(),
            found: found.as_ref(),
            settings,
        });
        let touched = plan.touched();
        let cart_touched = cart_objects(&plan);
        let answer = self.sync.crm.apply(&plan).await;
        let (outcome, handled) = match answer {
            Ok(applied) => (Outcome::Synced(applied.ids), CartHandled::Synced),
            Err(e) => {
                if matches!(e, CrmError::LeadConverted(_)) {
                    // Converted meanwhile: the next try finds the Contact.
                    customer_sync.objects.remove(&CrmObject::Lead);
                }
                (failure(&e), CartHandled::Failed(e.to_string()))
            }
        };
        customer_sync.record(&touched, &outcome, now);
        if handled == CartHandled::Synced {
            customer_sync.has_orders |= matches!(plan.person, PersonPlan::Customer { .. });
            cart_sync.cart_version = cart.version;
            cart_sync.total = value;
        }
        customer_sync.version += 1;
        cart_sync.record(&cart_touched, &outcome, now);
        cart_sync.version += 1;
        self.record(Some(customer_sync), cart_sync).await?;
        tracing::info!(cart_id = %cart.id, result = ?handled, "abandoned cart sent to Salesforce");
        Ok(handled)
    }

    /// Who the cart is for: the registered customer as the store knows them, or the guest by
    /// the e-mail they gave at checkout.
    async fn person(&self, cart: &Cart) -> Result<Option<(CustomerKey, Person)>, SyncError> {
        match (&cart.owner, &cart.contact_email) {
            (CartOwner::Customer { customer_id }, _) => {
                let customer = self
                    .sync
                    .customers
                    .customer(customer_id)
                    .await?
                    .ok_or_else(|| SyncError::UnknownCustomer(customer_id.to_string()))?;
                Ok(Some((
                    CustomerKey::customer(customer_id),
                    Person::customer(&customer),
                )))
            }
            (CartOwner::Guest { .. }, Some(email)) => {
                Ok(Some((CustomerKey::guest(email), Person::cart_guest(email))))
            }
            (CartOwner::Guest { .. }, None) => Ok(None),
        }
    }

    async fn record(
        &self,
        customer: Option<CustomerSync>,
        cart: CartSync,
    ) -> Result<(), SyncError> {
        let change = SyncChange {
            event_id: None,
            at: cart.updated_at,
            customer,
            order: None,
            cart: Some(cart),
            prices: Vec::new(),
        };
        match self.sync.ledger.record_sync(&change).await {
            Ok(()) | Err(SyncRecordError::AlreadyApplied) => Ok(()),
            Err(SyncRecordError::Conflict) => Err(SyncError::Conflict),
            Err(SyncRecordError::Store(e)) => Err(e.into()),
        }
    }
}

/// A refusal is final until the cart or the data changes; anything else is tried again by
/// the next run (the cart stays pending with the error).
fn failure(error: &CrmError) -> Outcome {
    match error {
        CrmError::Permanent(message) => Outcome::Failed(message.clone()),
        other => Outcome::Retrying(other.to_string()),
    }
}

/// The records that stand for the cart: its Opportunity and the Contact's role on it, or
/// the guest's Lead.
fn cart_objects(plan: &CrmPlan) -> Vec<CrmObject> {
    match &plan.person {
        PersonPlan::Lead(_) => vec![CrmObject::Lead],
        PersonPlan::Customer { .. } => plan
            .touched()
            .into_iter()
            .filter(|o| {
                matches!(
                    o,
                    CrmObject::Opportunity | CrmObject::OpportunityContactRole
                )
            })
            .collect(),
    }
}
