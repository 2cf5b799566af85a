//! A cart's records in Salesforce, whoever sends it: the abandoned-carts job, an operator's
//! "sync now", or the event of a big cart's change. A customer's cart is an Opportunity
//! upserted by the cart's id (at the stage of how far the cart has come), a Lead's cart is on
//! the Lead; the cart's ledger record says what was sent, so a cart is sent once per change.

use chrono::{DateTime, Utc};

use crate::cart::{Cart, CartOwner, CartStatus};
use crate::ids::{CustomerKey, EventId};
use crate::ports::{SyncChange, SyncRecordError};
use crate::sync::consumer::{CrmSync, Handled, SyncError};
use crate::sync::crm::{CrmError, CrmPlan, PersonPlan, PersonQuery};
use crate::sync::plan::{CartPlanInput, Person, cart_buyer, cart_plan, needs_lookup};
use crate::sync::settings::SyncSettings;
use crate::sync::status::{CartReason, CartSync, CrmObject, CustomerSync, Outcome, SyncState};

/// Why and how a cart is sent.
#[derive(Debug, Clone)]
pub(super) struct CartSend {
    pub reason: CartReason,
    /// Automatic sync is off: only record that the cart waits.
    pub hold: bool,
    /// Send even what the ledger says was sent at this version.
    pub force: bool,
    /// The event applied, recorded with the outcome so it is applied once.
    pub event_id: Option<EventId>,
    /// No further try will come: a retryable failure is recorded as failed.
    pub last_try: bool,
}

/// How one cart's sync ended.
#[derive(Debug)]
pub(super) enum CartSent {
    Synced,
    /// Sent before at this version, for this reason or a later one.
    Unchanged,
    /// Automatic sync is off: recorded as pending.
    Waiting,
    /// Nothing to send: no lines at checkout, a guest without an e-mail, a cart no longer
    /// waiting at checkout, or not big.
    Skipped,
    /// Recorded on the cart; a permanent refusal counts the event as applied.
    Failed(CrmError),
}

impl CrmSync {
    /// A big cart's change: its Opportunity (or its Lead's value) follows, unless the cart
    /// was sent at this version or later. Automatic sync of carts off, it waits for an
    /// operator.
    pub(super) async fn handle_cart(
        &self,
        event_id: &EventId,
        cart: &Cart,
        settings: &SyncSettings,
        last_try: bool,
    ) -> Result<Handled, SyncError> {
        let send = CartSend {
            reason: CartReason::Big,
            hold: !settings.auto_sync_carts,
            force: false,
            event_id: Some(event_id.clone()),
            last_try,
        };
        match self.send_cart(cart, settings, send).await? {
            CartSent::Synced => Ok(Handled::Synced),
            CartSent::Waiting => Ok(Handled::AutoSyncOff),
            CartSent::Unchanged | CartSent::Skipped => {
                self.mark_applied(event_id, self.clock.now()).await?;
                Ok(Handled::Stale)
            }
            CartSent::Failed(CrmError::Permanent(message)) => Ok(Handled::Refused(message)),
            CartSent::Failed(retryable) => Err(SyncError::Crm(retryable)),
        }
    }

    /// Sends one cart for `send.reason`, or with `hold` only records that it waits.
    pub(super) async fn send_cart(
        &self,
        cart: &Cart,
        settings: &SyncSettings,
        send: CartSend,
    ) -> Result<CartSent, SyncError> {
        let wanted = match send.reason {
            CartReason::Abandoned => cart.status == CartStatus::Checkout && !cart.lines.is_empty(),
            CartReason::Big => cart.big && cart.status.is_editable(),
        };
        if !wanted {
            return Ok(CartSent::Skipped);
        }
        let Some((key, person)) = self.cart_person(cart).await? else {
            return Ok(CartSent::Skipped);
        };
        let now = self.clock.now();
        let value = match cart.goods_value() {
            Ok(value) => value,
            Err(e) => return Ok(CartSent::Failed(CrmError::Permanent(e.to_string()))),
        };
        let known = self.ledger.cart_sync(&cart.id).await?;
        let in_step = known
            .as_ref()
            .is_some_and(|k| k.cart_version >= cart.version);
        let covered = known
            .as_ref()
            .is_some_and(|k| k.state() == SyncState::Synced && k.reason >= send.reason);
        if in_step && !send.force && (send.hold || covered) {
            return Ok(CartSent::Unchanged);
        }
        // A cart moves forward only: an abandoned cart edited again keeps its stage.
        let reason = known
            .as_ref()
            .filter(|k| !k.objects.is_empty())
            .map_or(send.reason, |k| k.reason.max(send.reason));
        let mut cart_sync = known
            .clone()
            .unwrap_or_else(|| CartSync::new(cart.id.clone(), key.clone(), value, now));
        if send.hold {
            cart_sync.mark_changed(now);
            cart_sync.cart_version = cart.version;
            cart_sync.total = value;
            cart_sync.version += 1;
            self.record_cart(send.event_id, None, cart_sync).await?;
            return Ok(CartSent::Waiting);
        }
        let mut customer_sync = self
            .ledger
            .customer_sync(&key)
            .await?
            .unwrap_or_else(|| CustomerSync::new(key.clone(), now));
        let buyer = cart_buyer(cart, reason, &customer_sync);
        let found = if needs_lookup(&customer_sync, buyer) {
            let query = PersonQuery {
                email: person.email.clone(),
                key: person.key(),
                company: person.company.clone(),
                standard_pricebook: false,
            };
            match self.crm.find_person(&query).await {
                Ok(found) => Some(found),
                Err(e) => {
                    let touched = [if buyer {
                        CrmObject::Opportunity
                    } else {
                        CrmObject::Lead
                    }];
                    cart_sync.record(&touched, &failure(&e, send.last_try), now);
                    cart_sync.version += 1;
                    let event_id = send.event_id.filter(|_| is_permanent(&e));
                    self.record_cart(event_id, None, cart_sync).await?;
                    return Ok(CartSent::Failed(e));
                }
            }
        } else {
            None
        };
        let plan = cart_plan(CartPlanInput {
            person: &person,
            cart,
            reason,
            value,
            customer_sync: &customer_sync,
            cart_sync: known.as_ref(),
            found: found.as_ref(),
            settings,
        });
        let touched = plan.touched();
        let cart_touched = cart_objects(&plan);
        let (outcome, error) = match self.crm.apply(&plan).await {
            Ok(applied) => (Outcome::Synced(applied.ids), None),
            Err(e) => {
                if matches!(e, CrmError::LeadConverted(_)) {
                    // Converted meanwhile: the next try finds the Contact.
                    customer_sync.objects.remove(&CrmObject::Lead);
                }
                (failure(&e, send.last_try), Some(e))
            }
        };
        customer_sync.record(&touched, &outcome, now);
        if error.is_none() {
            customer_sync.has_orders |= matches!(plan.person, PersonPlan::Customer { .. });
            cart_sync.cart_version = cart.version;
            cart_sync.total = value;
            cart_sync.reason = reason;
        }
        customer_sync.version += 1;
        cart_sync.record(&cart_touched, &outcome, now);
        cart_sync.version += 1;
        let event_id = send
            .event_id
            .filter(|_| error.as_ref().is_none_or(is_permanent));
        self.record_cart(event_id, Some(customer_sync), cart_sync)
            .await?;
        tracing::info!(cart_id = %cart.id, ?reason, failed = error.is_some(), "cart sent to Salesforce");
        Ok(match error {
            None => CartSent::Synced,
            Some(e) => CartSent::Failed(e),
        })
    }

    /// Who the cart is for: the registered customer as the store knows them, or the guest by
    /// the e-mail they gave at checkout.
    async fn cart_person(&self, cart: &Cart) -> Result<Option<(CustomerKey, Person)>, SyncError> {
        match (&cart.owner, &cart.contact_email) {
            (CartOwner::Customer { customer_id }, _) => {
                let customer = self
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

    async fn record_cart(
        &self,
        event_id: Option<EventId>,
        customer: Option<CustomerSync>,
        cart: CartSync,
    ) -> Result<(), SyncError> {
        let at: DateTime<Utc> = cart.updated_at;
        let change = SyncChange {
            event_id,
            at,
            customer,
            order: None,
            cart: Some(cart),
            prices: Vec::new(),
        };
        match self.ledger.record_sync(&change).await {
            Ok(()) | Err(SyncRecordError::AlreadyApplied) => Ok(()),
            Err(SyncRecordError::Conflict) => Err(SyncError::Conflict),
            Err(SyncRecordError::Store(e)) => Err(e.into()),
        }
    }
}

fn is_permanent(error: &CrmError) -> bool {
    matches!(error, CrmError::Permanent(_))
}

/// A refusal is final until the cart or the data changes; anything else is tried again (by
/// the job's next run, or the event's next delivery) unless no try is left.
fn failure(error: &CrmError, last_try: bool) -> Outcome {
    match error {
        CrmError::Permanent(message) => Outcome::Failed(message.clone()),
        other if last_try => Outcome::Failed(other.to_string()),
        other => Outcome::Retrying(other.to_string()),
    }
}

/// The records that stand for the cart: its Opportunity and the Contact's role on it, or
/// the person's Lead.
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
