//! Where each customer and order stands in Salesforce: per record its Salesforce id, whether
//! it is synced, and the last error. The same items are the sync's ledger: the last version
//! of an order or customer applied, so a stale or repeated event changes nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CartId, CrmId, CustomerKey, OrderId, Sku};
use crate::money::Money;
use crate::order::lifecycle::OrderStatus;

/// A Salesforce object the sync writes for a customer or an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CrmObject {
    Lead,
    Account,
    Contact,
    Opportunity,
    OpportunityContactRole,
    Order,
}

impl CrmObject {
    /// The person's records, kept on the customer's status; the others are the order's.
    pub fn is_person(self) -> bool {
        matches!(
            self,
            CrmObject::Lead | CrmObject::Account | CrmObject::Contact
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CrmObject::Lead => "Lead",
            CrmObject::Account => "Account",
            CrmObject::Contact => "Contact",
            CrmObject::Opportunity => "Opportunity",
            CrmObject::OpportunityContactRole => "OpportunityContactRole",
            CrmObject::Order => "Order",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// A change is waiting to reach Salesforce (or is being retried).
    Pending,
    Synced,
    /// Salesforce refused the change, or it kept failing: an operator looks at `last_error`.
    Failed,
}

/// One Salesforce record of a customer or order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectSync {
    pub id: Option<CrmId>,
    pub state: SyncState,
    /// Tries that failed since the last success.
    pub attempts: u32,
    pub last_error: Option<String>,
    pub last_synced_at: Option<DateTime<Utc>>,
}

impl ObjectSync {
    fn pending() -> Self {
        ObjectSync {
            id: None,
            state: SyncState::Pending,
            attempts: 0,
            last_error: None,
            last_synced_at: None,
        }
    }
}

/// How a try to reach Salesforce ended, for the records it touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Written; the ids Salesforce answered with.
    Synced(BTreeMap<CrmObject, CrmId>),
    /// Will be tried again (the message stays on the queue).
    Retrying(String),
    /// Refused, or out of tries: shown as failed until an operator syncs it again.
    Failed(String),
}

/// Records `outcome` on `objects` for the `touched` objects that are `mine`.
fn record(
    objects: &mut BTreeMap<CrmObject, ObjectSync>,
    touched: &[CrmObject],
    mine: fn(CrmObject) -> bool,
    outcome: &Outcome,
    now: DateTime<Utc>,
) {
    for object in touched.iter().filter(|o| mine(**o)) {
        let entry = objects.entry(*object).or_insert_with(ObjectSync::pending);
        match outcome {
            Outcome::Synced(ids) => {
                if let Some(id) = ids.get(object) {
                    entry.id = Some(id.clone());
                }
                entry.state = SyncState::Synced;
                entry.attempts = 0;
                entry.last_error = None;
                entry.last_synced_at = Some(now);
            }
            Outcome::Retrying(error) => {
                // A record that failed for good stays failed until a sync succeeds.
                if entry.state != SyncState::Failed {
                    entry.state = SyncState::Pending;
                }
                entry.attempts += 1;
                entry.last_error = Some(error.clone());
            }
            Outcome::Failed(error) => {
                entry.state = SyncState::Failed;
                entry.attempts += 1;
                entry.last_error = Some(error.clone());
            }
        }
    }
}

/// The state of a set of records as one: failed if any failed, pending if any waits.
fn overall(objects: &BTreeMap<CrmObject, ObjectSync>) -> SyncState {
    let states = objects.values().map(|o| o.state);
    if states.clone().any(|s| s == SyncState::Failed) {
        SyncState::Failed
    } else if states.clone().any(|s| s == SyncState::Pending) || objects.is_empty() {
        SyncState::Pending
    } else {
        SyncState::Synced
    }
}

/// A change the automatic sync did not send: every record that was synced waits again (a
/// failed one stays failed).
fn mark_changed(objects: &mut BTreeMap<CrmObject, ObjectSync>) {
    for object in objects.values_mut() {
        if object.state == SyncState::Synced {
            object.state = SyncState::Pending;
        }
    }
}

/// A customer (or a guest, by their key) in Salesforce: their Lead, or Account and Contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSync {
    pub customer_key: CustomerKey,
    /// Once an order was synced the person is a customer: Contact and Account, never a Lead.
    pub has_orders: bool,
    /// The customer record's version last applied (0 for guests).
    pub customer_version: u64,
    pub objects: BTreeMap<CrmObject, ObjectSync>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl CustomerSync {
    pub fn new(customer_key: CustomerKey, now: DateTime<Utc>) -> Self {
        CustomerSync {
            customer_key,
            has_orders: false,
            customer_version: 0,
            objects: BTreeMap::new(),
            updated_at: now,
            version: 0,
        }
    }

    /// The Salesforce id of `object`, once known.
    pub fn id(&self, object: CrmObject) -> Option<&CrmId> {
        self.objects.get(&object).and_then(|o| o.id.as_ref())
    }

    pub fn state(&self) -> SyncState {
        overall(&self.objects)
    }

    /// Its place in the lists by sync state.
    pub fn position(&self) -> String {
        crate::listing::position(self.updated_at, self.customer_key.as_str())
    }

    /// The customer changed and the change was not sent (automatic sync is off).
    pub fn mark_changed(&mut self, now: DateTime<Utc>) {
        mark_changed(&mut self.objects);
        self.updated_at = now;
    }

    /// Records how a try ended for the person's records among `touched`.
    pub fn record(&mut self, touched: &[CrmObject], outcome: &Outcome, now: DateTime<Utc>) {
        record(
            &mut self.objects,
            touched,
            CrmObject::is_person,
            outcome,
            now,
        );
        self.updated_at = now;
    }
}

/// A product's price in one currency, as created in Salesforce: its Product2 and its
/// standard PricebookEntry. Kept so later orders name the entry by id (its price book and
/// product cannot be written again once it exists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceSync {
    /// `SKU:CURRENCY`, as the entry's external id.
    pub key: String,
    pub product_id: CrmId,
    pub price_entry_id: CrmId,
}

/// An order in Salesforce: its Opportunity, the Contact's role on it, and its Order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSync {
    pub order_id: OrderId,
    pub customer_key: CustomerKey,
    /// The order's number, status and total as last synced, for the operators' lists.
    pub number: String,
    pub status: OrderStatus,
    pub total: Money,
    /// The order version last applied: an event about an older version is stale.
    pub order_version: u64,
    /// The Salesforce Order is activated (its products can no longer change).
    pub order_activated: bool,
    pub objects: BTreeMap<CrmObject, ObjectSync>,
    /// The Salesforce Order's products and the reduction orders made on it.
    #[serde(default)]
    pub products: OrderProducts,
    /// The activated Order's OrderSummary (orgs with Order Management): once known, never
    /// asked for again.
    #[serde(default)]
    pub order_summary_id: Option<CrmId>,
    /// The high-value follow-up (the Account owner's Task and the order event) was
    /// written: a replay or a later sync never makes it again.
    #[serde(default)]
    pub follow_up_sent: bool,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

/// One product of a Salesforce Order: what a reduction order names to give units back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItemSync {
    pub order_item_id: CrmId,
    pub price_entry_id: CrmId,
}

/// What Salesforce holds of an order's products: each line's OrderItem (recorded from the
/// answer that created them), and the reduction order of each change (cancel or return)
/// already sent, so a change is sent once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderProducts {
    #[serde(default)]
    pub items: BTreeMap<Sku, OrderItemSync>,
    /// Reduction Order ids by change id.
    #[serde(default)]
    pub reductions: BTreeMap<String, CrmId>,
}

impl OrderSync {
    pub fn id(&self, object: CrmObject) -> Option<&CrmId> {
        self.objects.get(&object).and_then(|o| o.id.as_ref())
    }

    pub fn state(&self) -> SyncState {
        overall(&self.objects)
    }

    /// Its place in the lists by sync state.
    pub fn position(&self) -> String {
        crate::listing::position(self.updated_at, self.order_id.as_str())
    }

    /// The order changed and the change was not sent (automatic sync is off).
    pub fn mark_changed(&mut self, now: DateTime<Utc>) {
        mark_changed(&mut self.objects);
        self.updated_at = now;
    }

    /// Records how a try ended for the order's records among `touched`.
    pub fn record(&mut self, touched: &[CrmObject], outcome: &Outcome, now: DateTime<Utc>) {
        record(&mut self.objects, touched, |o| !o.is_person(), outcome, now);
        self.updated_at = now;
    }
}

/// Why a cart is in Salesforce, which sets its Opportunity's stage. A cart moves forward
/// only: once sent as abandoned, later changes keep the abandoned stage until its order
/// takes the Opportunity over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CartReason {
    /// It reached the big-cart threshold while being filled.
    Big,
    /// It sat at the payment step with no order.
    #[default]
    Abandoned,
}

/// A cart in Salesforce (abandoned, or big): a customer's Opportunity (and the Contact's
/// role on it), or the Lead (a guest's, or a customer's who has not ordered) kept on the
/// person's [`CustomerSync`] and named here too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartSync {
    pub cart_id: CartId,
    pub customer_key: CustomerKey,
    /// The cart's total and version as last synced: a cart not changed since is not sent again.
    pub total: Money,
    pub cart_version: u64,
    /// How far the cart has come as last synced (carts recorded before big carts were all
    /// abandoned ones).
    #[serde(default)]
    pub reason: CartReason,
    pub objects: BTreeMap<CrmObject, ObjectSync>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl CartSync {
    pub fn new(
        cart_id: CartId,
        customer_key: CustomerKey,
        total: Money,
        now: DateTime<Utc>,
    ) -> Self {
        CartSync {
            cart_id,
            customer_key,
            total,
            cart_version: 0,
            reason: CartReason::Big,
            objects: BTreeMap::new(),
            updated_at: now,
            version: 0,
        }
    }

    pub fn id(&self, object: CrmObject) -> Option<&CrmId> {
        self.objects.get(&object).and_then(|o| o.id.as_ref())
    }

    pub fn state(&self) -> SyncState {
        overall(&self.objects)
    }

    /// Its place in the lists by sync state.
    pub fn position(&self) -> String {
        crate::listing::position(self.updated_at, self.cart_id.as_str())
    }

    /// The cart changed and the change was not sent (automatic sync is off).
    pub fn mark_changed(&mut self, now: DateTime<Utc>) {
        mark_changed(&mut self.objects);
        self.updated_at = now;
    }

    /// Records how a try ended for every record among `touched`: a guest's Lead is the
    /// cart's record as much as the person's.
    pub fn record(&mut self, touched: &[CrmObject], outcome: &Outcome, now: DateTime<Utc>) {
        record(
            &mut self.objects,
            touched,
            |o| {
                matches!(
                    o,
                    CrmObject::Lead | CrmObject::Opportunity | CrmObject::OpportunityContactRole
                )
            },
            outcome,
            now,
        );
        self.updated_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(raw: &str) -> CrmId {
        CrmId::parse(raw).unwrap()
    }

    #[test]
    fn a_retry_keeps_the_record_pending_and_counts_and_success_clears_the_error() {
        let now = Utc::now();
        let mut c = CustomerSync::new(CustomerKey::parse("c1").unwrap(), now);
        let touched = [CrmObject::Account, CrmObject::Contact];
        c.record(&touched, &Outcome::Retrying("503".into()), now);
        c.record(&touched, &Outcome::Retrying("503".into()), now);
        assert_eq!(c.state(), SyncState::Pending);
        assert_eq!(c.objects[&CrmObject::Contact].attempts, 2);
        let ids = BTreeMap::from([
            (CrmObject::Account, id("001000000000001AAA")),
            (CrmObject::Contact, id("003000000000001AAA")),
        ]);
        c.record(&touched, &Outcome::Synced(ids), now);
        assert_eq!(c.state(), SyncState::Synced);
        assert_eq!(c.id(CrmObject::Contact), Some(&id("003000000000001AAA")));
        assert_eq!(c.objects[&CrmObject::Contact].attempts, 0);
        assert_eq!(c.objects[&CrmObject::Contact].last_error, None);
    }

    #[test]
    fn a_change_not_sent_makes_synced_records_wait_and_leaves_failed_ones_failed() {
        let now = Utc::now();
        let mut c = CustomerSync::new(CustomerKey::parse("c1").unwrap(), now);
        assert_eq!(c.state(), SyncState::Pending, "nothing synced yet");
        let ids = BTreeMap::from([(CrmObject::Contact, id("003000000000001AAA"))]);
        c.record(&[CrmObject::Contact], &Outcome::Synced(ids), now);
        c.record(&[CrmObject::Account], &Outcome::Failed("x".into()), now);
        c.mark_changed(now);
        assert_eq!(c.objects[&CrmObject::Contact].state, SyncState::Pending);
        assert_eq!(c.objects[&CrmObject::Account].state, SyncState::Failed);
        assert_eq!(c.id(CrmObject::Contact), Some(&id("003000000000001AAA")));
    }

    #[test]
    fn a_failure_stays_failed_through_retries_and_keeps_the_id() {
        let now = Utc::now();
        let mut c = CustomerSync::new(CustomerKey::parse("c1").unwrap(), now);
        let ids = BTreeMap::from([(CrmObject::Lead, id("00Q000000000001AAA"))]);
        c.record(&[CrmObject::Lead], &Outcome::Synced(ids), now);
        c.record(
            &[CrmObject::Lead],
            &Outcome::Failed("REQUIRED_FIELD_MISSING".into()),
            now,
        );
        c.record(
            &[CrmObject::Lead],
            &Outcome::Retrying("timeout".into()),
            now,
        );
        assert_eq!(c.state(), SyncState::Failed);
        assert_eq!(
            c.objects[&CrmObject::Lead].last_error.as_deref(),
            Some("timeout")
        );
        assert_eq!(c.id(CrmObject::Lead), Some(&id("00Q000000000001AAA")));
    }
}
