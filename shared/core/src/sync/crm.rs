//! The CRM port: what the sync asks of Salesforce. The core says *what* must be there (a
//! [`CrmPlan`]); the adapter decides *how* (one Composite Graph of upserts, one call to
//! convert a Lead).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::NaiveDate;
use thiserror::Error;

use crate::customer::Address;
use crate::ids::{CrmId, Email, PersonKey, Sku};
use crate::money::{Currency, Money};
use crate::sync::status::{CrmObject, OrderItemSync, OrderProducts, PriceSync};

/// A record the plan writes: changed by id when the store knows it, else upserted by the
/// store's external key (created when missing, so a replay never makes a second one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record<F> {
    Known { id: CrmId, fields: F },
    New { key: String, fields: F },
}

impl<F> Record<F> {
    pub fn fields(&self) -> &F {
        match self {
            Record::Known { fields, .. } | Record::New { fields, .. } => fields,
        }
    }

    pub fn fields_mut(&mut self) -> &mut F {
        match self {
            Record::Known { fields, .. } | Record::New { fields, .. } => fields,
        }
    }

    pub fn id(&self) -> Option<&CrmId> {
        match self {
            Record::Known { id, .. } => Some(id),
            Record::New { .. } => None,
        }
    }
}

/// A Lead: a person who has not ordered yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadFields {
    pub first_name: String,
    pub last_name: String,
    pub email: Email,
    pub phone: Option<String>,
    pub company: String,
    pub address: Option<Address>,
    pub lead_source: String,
    /// Set on new Leads only: an existing Lead keeps its owner.
    pub owner_id: Option<String>,
    /// What the person left in an abandoned cart; `None` leaves the Lead's as it is.
    pub description: Option<String>,
    /// What their cart is worth (`Storesync_Cart_Value__c`, in the cart's currency);
    /// `None` leaves the Lead's as it is.
    pub cart_value: Option<Money>,
}

/// An Account; `None` fields are left as they are in Salesforce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFields {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub billing: Option<Address>,
    pub owner_id: Option<String>,
}

/// A Contact; `None` fields are left as they are in Salesforce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactFields {
    pub first_name: Option<String>,
    pub last_name: String,
    pub email: Email,
    pub phone: Option<String>,
    pub mailing: Option<Address>,
    /// Links the Contact to the plan's Account (new Contacts, or one without an Account).
    pub link_account: bool,
    pub owner_id: Option<String>,
    pub lead_source: Option<String>,
}

/// Who the person is in Salesforce after the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
// One per sync: the size difference between a Lead and a Customer costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum PersonPlan {
    Lead(Record<LeadFields>),
    Customer {
        account: Record<AccountFields>,
        contact: Record<ContactFields>,
        /// An open Lead with the person's e-mail, converted into this Contact and Account.
        convert_lead: Option<CrmId>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpportunityFields {
    pub name: String,
    pub stage: String,
    pub close_date: NaiveDate,
    pub amount: Money,
    pub record_type_id: Option<String>,
    pub owner_id: Option<String>,
    /// An abandoned cart's lines; `None` leaves the Opportunity's as it is.
    pub description: Option<String>,
}

/// The Contact's role on a new Opportunity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRoleFields {
    pub key: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesforceOrderFields {
    pub effective_date: NaiveDate,
    /// The store's order status, kept on the Order as it changes.
    pub store_status: String,
    pub shipping: Address,
    /// The price book of a new Order (the org's standard one).
    pub pricebook_id: Option<String>,
    /// The store's order type as the Order's `Type` picklist: `Normal`, `Bulk` or `Return`.
    pub order_type: &'static str,
}

/// The key of a product's price in one currency: `SKU:CURRENCY`.
pub fn price_key(sku: &Sku, currency: Currency) -> String {
    format!("{sku}:{currency}")
}

/// One product line of a new Salesforce Order. Its product and price entry are created by
/// sku and currency unless `price_entry_id` says they exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFields {
    pub key: String,
    pub sku: Sku,
    pub name: String,
    pub quantity: u32,
    pub unit_price: Money,
    pub price_entry_id: Option<CrmId>,
}

impl LineFields {
    pub fn price_key(&self) -> String {
        price_key(&self.sku, self.unit_price.currency())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesforceOrderPlan {
    pub order: Record<SalesforceOrderFields>,
    /// The lines of an Order created by this plan; an existing Order keeps its products.
    pub lines: Vec<LineFields>,
    /// Activated after its lines are in (a Salesforce Order is created as Draft).
    pub activate: bool,
    /// The order's changes Salesforce has not seen, each a reduction order of the
    /// (activated) Order.
    pub reductions: Vec<ReductionPlan>,
    /// Create the activated Order's OrderSummary once the Order is written (Order
    /// Management orgs): a Connect API action, never part of the Order's graph.
    pub summarize: bool,
}

/// A cancel or return as Salesforce records it on an activated Order: a reduction order
/// naming the Order, with a product of negative quantity for each line given back,
/// activated once its products are in. Upserted by `key`, so it is made once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReductionPlan {
    pub change_id: String,
    /// The order id and the change id.
    pub key: String,
    pub effective_date: NaiveDate,
    /// The original Order's price book (the org's standard one).
    pub pricebook_id: Option<String>,
    pub lines: Vec<ReductionLine>,
}

/// Units of one product given back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReductionLine {
    /// The order id, the change id and the sku.
    pub key: String,
    pub original: OriginalItem,
    /// The units given back: the reduction product's quantity is minus this.
    pub units: u32,
    /// The original product's unit price.
    pub unit_price: Money,
}

/// The product a reduction gives units back from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginalItem {
    /// An OrderItem created by an earlier sync.
    Known(OrderItemSync),
    /// The line of [`SalesforceOrderPlan::lines`] at this index, created by the same plan.
    NewLine(usize),
}

/// A Salesforce Order's product as a query finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundOrderItem {
    /// The store's key for the line (`order id:sku`), when the store created it.
    pub key: Option<String>,
    pub item: OrderItemSync,
}

/// A high-value order's follow-up: a Task for the Account's owner, upserted by `key` so a
/// replay never makes a second, and the `Storesync_Order_Event__e` platform event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpPlan {
    /// The store's key for the Task (the order id).
    pub key: String,
    /// `Call <name> about order <number>`.
    pub subject: String,
    /// The payment's day plus the follow-up days.
    pub due: NaiveDate,
    pub order_id: String,
    pub order_number: String,
    pub customer_key: String,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPlan {
    pub opportunity: Option<Record<OpportunityFields>>,
    pub contact_role: Option<ContactRoleFields>,
    pub salesforce_order: Option<SalesforceOrderPlan>,
    /// Written in the order's graph when the order reaches the follow-up threshold.
    pub follow_up: Option<FollowUpPlan>,
}

/// Everything one sync writes, in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmPlan {
    pub person: PersonPlan,
    pub order: Option<OrderPlan>,
    /// Records carry this currency (orgs with multi-currency on).
    pub currency: Option<Currency>,
}

impl CrmPlan {
    /// The objects this plan writes, for the sync status.
    pub fn touched(&self) -> Vec<CrmObject> {
        let mut objects = match &self.person {
            PersonPlan::Lead(_) => vec![CrmObject::Lead],
            PersonPlan::Customer { convert_lead, .. } => {
                let mut o = vec![CrmObject::Account, CrmObject::Contact];
                if convert_lead.is_some() {
                    o.push(CrmObject::Lead);
                }
                o
            }
        };
        if let Some(order) = &self.order {
            if order.opportunity.is_some() {
                objects.push(CrmObject::Opportunity);
            }
            if order.contact_role.is_some() {
                objects.push(CrmObject::OpportunityContactRole);
            }
            if order.salesforce_order.is_some() {
                objects.push(CrmObject::Order);
            }
        }
        objects
    }
}

/// What the sync asks Salesforce about a person it does not know yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonQuery {
    pub email: Email,
    pub key: PersonKey,
    /// An Account with this name matches (business customers).
    pub company: Option<String>,
    /// Also find the org's standard price book.
    pub standard_pricebook: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedContact {
    pub id: CrmId,
    pub account_id: Option<CrmId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedAccount {
    pub id: CrmId,
    pub owner_id: Option<String>,
}

/// What Salesforce already holds for a person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonMatch {
    /// A Contact with the e-mail (compared case-insensitively).
    pub contact: Option<MatchedContact>,
    /// An Account with the store's key for the person, else with the company's name.
    pub account: Option<MatchedAccount>,
    /// An open (not converted) Lead with the e-mail.
    pub lead: Option<CrmId>,
    pub standard_pricebook_id: Option<String>,
}

/// Why Salesforce did not take a plan.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CrmError {
    /// Worth another try later: unavailable, locked, timed out, or the API budget is spent.
    #[error("Salesforce is unavailable for now: {0}")]
    Retryable(String),
    /// Salesforce refused the data (a validation rule, a required field): trying again
    /// without a change would fail again.
    #[error("Salesforce refused the change: {0}")]
    Permanent(String),
    /// The Lead the plan changes was converted meanwhile (by another order of the person):
    /// the person is a Contact now, and a lookup finds it.
    #[error("the Lead was converted meanwhile: {0}")]
    LeadConverted(String),
    /// Bulk work waits: the org's API usage passed the share kept for live sync.
    #[error("deferred: {0}")]
    Deferred(String),
}

/// What Salesforce answered: the id of each record the plan wrote, and the prices it
/// created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrmApplied {
    pub ids: BTreeMap<CrmObject, CrmId>,
    pub prices: Vec<PriceSync>,
    /// The products of an Order the plan created, and the reduction orders it made.
    pub products: OrderProducts,
    /// The OrderSummary the plan created (or found made already).
    pub order_summary: Option<CrmId>,
}

#[async_trait]
pub trait Crm: Send + Sync {
    /// What Salesforce holds for a person the store has no ids for: one call.
    async fn find_person(&self, query: &PersonQuery) -> Result<PersonMatch, CrmError>;
    /// The org's standard price book, which every Salesforce Order's products come from.
    async fn standard_pricebook(&self) -> Result<String, CrmError>;
    /// The products of a Salesforce Order, for an order synced before the store kept them:
    /// one query.
    async fn order_items(&self, order: &CrmId) -> Result<Vec<FoundOrderItem>, CrmError>;
    /// Writes the plan: one call for all its records, one more if a Lead is converted, and
    /// one more if the Order's OrderSummary is created.
    async fn apply(&self, plan: &CrmPlan) -> Result<CrmApplied, CrmError>;
    /// Writes many plans in as few calls as the API allows; bulk work, so it gives way
    /// ([`CrmError::Deferred`]) once the org's API usage passes the budget share. One answer
    /// per plan, in order. By default one plan at a time.
    async fn apply_batch(&self, plans: &[CrmPlan]) -> Vec<Result<CrmApplied, CrmError>> {
        let mut answers = Vec::with_capacity(plans.len());
        for plan in plans {
            answers.push(self.apply(plan).await);
        }
        answers
    }
}
