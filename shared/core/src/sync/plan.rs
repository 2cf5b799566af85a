//! The sync's decisions, as pure functions: from a customer or order, the settings, and
//! what is already known in Salesforce, which records must exist with which fields and
//! stage. Customer matching follows the connector spec, in order: an existing Contact, an
//! Account that matches, a new Account and Contact for a customer with orders (converting
//! their Lead), else a Lead.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::cart::{Cart, CartOwner};
use crate::customer::{Address, Customer, Origin};
use crate::ids::{CrmId, Email, PersonKey, Sku};
use crate::money::Money;
use crate::order::changes::current_totals;
use crate::order::lifecycle::{OrderStatus, PaymentStatus};
use crate::order::{Order, OrderType};
use crate::sync::crm::{
    AccountFields, ContactFields, ContactRoleFields, CrmPlan, FollowUpPlan, FoundOrderItem,
    LeadFields, LineFields, OpportunityFields, OrderPlan, OriginalItem, PersonMatch, PersonPlan,
    Record, ReductionLine, ReductionPlan, SalesforceOrderFields, SalesforceOrderPlan, price_key,
};
use crate::sync::settings::{OpportunityPolicy, SalesforceOrderPolicy, SyncSettings};
use crate::sync::status::{
    CartReason, CartSync, CrmObject, CustomerSync, OrderItemSync, OrderSync,
};

/// A person as the store knows them: a registered customer, or a guest by their order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub email: Email,
    pub first_name: Option<String>,
    pub last_name: String,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub address: Option<Address>,
    pub origin: Origin,
}

impl Person {
    pub fn customer(c: &Customer) -> Person {
        Person {
            email: c.email.clone(),
            first_name: Some(c.first_name.clone()).filter(|n| !n.is_empty()),
            last_name: c.last_name.clone(),
            phone: c.phone.clone(),
            company: c.company.clone(),
            address: c.addresses.first().cloned(),
            origin: c.origin,
        }
    }

    /// A guest leaves only an e-mail and where to ship: the e-mail's local part stands in
    /// for the last name Salesforce requires.
    pub fn guest(email: &Email, order: &Order) -> Person {
        let local = email.as_str().split('@').next().unwrap_or_default();
        Person {
            email: email.clone(),
            first_name: None,
            last_name: local.to_owned(),
            phone: None,
            company: None,
            address: Some(order.shipping_address.clone()),
            origin: Origin::Web,
        }
    }

    /// A guest who left an abandoned cart: only the e-mail given at checkout.
    pub fn cart_guest(email: &Email) -> Person {
        let local = email.as_str().split('@').next().unwrap_or_default();
        Person {
            email: email.clone(),
            first_name: None,
            last_name: local.to_owned(),
            phone: None,
            company: None,
            address: None,
            origin: Origin::Web,
        }
    }

    pub fn key(&self) -> PersonKey {
        PersonKey::for_email(&self.email)
    }

    fn full_name(&self) -> String {
        match &self.first_name {
            Some(first) => format!("{first} {}", self.last_name),
            None => self.last_name.clone(),
        }
    }

    /// The Account of a business customer is the company; of anyone else, the person.
    fn account_name(&self) -> String {
        self.company.clone().unwrap_or_else(|| self.full_name())
    }
}

/// Whether Salesforce must be asked who the person is before a plan can be made: only when
/// the store has no ids for them yet, or a Lead must now become a customer.
pub fn needs_lookup(known: &CustomerSync, has_orders: bool) -> bool {
    let contact = known.id(CrmObject::Contact).is_some();
    let lead = known.id(CrmObject::Lead).is_some();
    !contact && (has_orders || !lead)
}

/// What an order or customer event makes Salesforce hold.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    pub person: &'a Person,
    pub order: Option<&'a Order>,
    /// When the order's payment was captured, if it was.
    pub paid_at: Option<DateTime<Utc>>,
    pub customer_sync: &'a CustomerSync,
    pub order_sync: Option<&'a OrderSync>,
    /// What a lookup found, when [`needs_lookup`] asked for one.
    pub found: Option<&'a PersonMatch>,
    /// Prices already in Salesforce, by [`crate::sync::crm::price_key`].
    pub prices: &'a BTreeMap<String, CrmId>,
    pub settings: &'a SyncSettings,
}

pub fn plan(input: PlanInput<'_>) -> CrmPlan {
    let has_orders = input.customer_sync.has_orders || input.order.is_some();
    let person = person_plan(&input, has_orders);
    let order = input.order.map(|order| order_plan(&input, order));
    CrmPlan {
        person,
        order,
        currency: input
            .settings
            .multi_currency
            .then(|| input.order.map(|o| o.currency))
            .flatten(),
    }
}

fn person_plan(input: &PlanInput<'_>, has_orders: bool) -> PersonPlan {
    let (p, known, settings) = (input.person, input.customer_sync, input.settings);
    let key = p.key().to_string();
    let lead_source = match p.origin {
        Origin::Web => settings.lead_source_web.clone(),
        Origin::Social => settings.lead_source_social.clone(),
    };
    let contact_fields = |new: bool, owner_id: Option<String>| ContactFields {
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        email: p.email.clone(),
        phone: p.phone.clone(),
        mailing: p.address.clone(),
        link_account: new,
        owner_id: if new { owner_id } else { None },
        lead_source: new.then(|| lead_source.clone()),
    };
    let existing_account = |id: CrmId| Record::Known {
        id,
        fields: AccountFields {
            name: settings.overwrite_account_name.then(|| p.account_name()),
            phone: None,
            billing: p.address.clone(),
            owner_id: None,
        },
    };
    let new_account = || Record::New {
        key: key.clone(),
        fields: AccountFields {
            name: Some(p.account_name()),
            phone: p.phone.clone(),
            billing: p.address.clone(),
            owner_id: settings.default_owner_id.clone(),
        },
    };

    // Known from an earlier sync: no lookup, no owner changes.
    if let (Some(contact), Some(account)) =
        (known.id(CrmObject::Contact), known.id(CrmObject::Account))
    {
        return PersonPlan::Customer {
            account: existing_account(account.clone()),
            contact: Record::Known {
                id: contact.clone(),
                fields: contact_fields(false, None),
            },
            convert_lead: None,
        };
    }
    let found = input.found.cloned().unwrap_or_default();
    let open_lead = found
        .lead
        .clone()
        .or_else(|| known.id(CrmObject::Lead).cloned());

    // 1. A Contact with the e-mail: it and its Account are the customer's.
    if let Some(contact) = &found.contact {
        let (account, link) = match &contact.account_id {
            Some(id) => (existing_account(id.clone()), false),
            None => (new_account(), true),
        };
        let mut fields = contact_fields(false, None);
        fields.link_account = link;
        return PersonPlan::Customer {
            account,
            contact: Record::Known {
                id: contact.id.clone(),
                fields,
            },
            convert_lead: open_lead,
        };
    }
    // 2. An Account that matches: a new Contact on it, owned as the Account is.
    if let Some(account) = &found.account {
        let owner = account
            .owner_id
            .clone()
            .or_else(|| settings.default_owner_id.clone());
        return PersonPlan::Customer {
            account: existing_account(account.id.clone()),
            contact: Record::New {
                key,
                fields: contact_fields(true, owner),
            },
            convert_lead: open_lead,
        };
    }
    // 3. A customer with orders: a new Account and Contact; their Lead is converted.
    if has_orders {
        return PersonPlan::Customer {
            account: new_account(),
            contact: Record::New {
                key: key.clone(),
                fields: contact_fields(true, settings.default_owner_id.clone()),
            },
            convert_lead: open_lead,
        };
    }
    // 4. No orders yet: a Lead, the one already there if there is one.
    let fields = |owner_id| LeadFields {
        first_name: p.first_name.clone().unwrap_or_default(),
        last_name: p.last_name.clone(),
        email: p.email.clone(),
        phone: p.phone.clone(),
        company: p.account_name(),
        address: p.address.clone(),
        lead_source: lead_source.clone(),
        owner_id,
        description: None,
        cart_value: None,
    };
    PersonPlan::Lead(match open_lead {
        Some(id) => Record::Known {
            id,
            fields: fields(None),
        },
        None => Record::New {
            key,
            fields: fields(settings.default_lead_owner_id.clone()),
        },
    })
}

/// Paid, and not refunded or cancelled since: the sale happened.
fn is_paid(order: &Order) -> bool {
    matches!(
        order.status,
        OrderStatus::Paid
            | OrderStatus::Fulfilling
            | OrderStatus::Shipped
            | OrderStatus::Delivered
            | OrderStatus::Closed
            | OrderStatus::ReturnRequested
            | OrderStatus::Returned
    ) || (order.status == OrderStatus::Refunded && order.payment_status != PaymentStatus::Refunded)
}

/// The Opportunity stage for the order as it is now.
pub fn stage(order: &Order, settings: &SyncSettings) -> String {
    if settings.convert_on_payment && is_paid(order) {
        return settings.converted_stage.clone();
    }
    settings
        .stage_mapping
        .get(&order.status)
        .cloned()
        .unwrap_or_else(|| settings.draft_stage.clone())
}

/// The Opportunity's close date: the end of the sales cycle, or, once won with the invoice
/// date setting on, the day the payment was captured.
pub fn close_date(
    order: &Order,
    paid_at: Option<DateTime<Utc>>,
    settings: &SyncSettings,
) -> NaiveDate {
    let cycle_end = order
        .created_at
        .date_naive()
        .checked_add_days(Days::new(settings.sales_cycle_days.into()))
        .unwrap_or(NaiveDate::MAX);
    match paid_at {
        Some(paid) if settings.invoice_date_as_close_date && settings.convert_on_payment => {
            paid.date_naive()
        }
        _ => cycle_end,
    }
}

fn order_plan(input: &PlanInput<'_>, order: &Order) -> OrderPlan {
    let settings = input.settings;
    let known = input.order_sync;
    let known_id = |object| known.and_then(|k| k.id(object)).cloned();
    let opportunity = (settings.opportunity == OpportunityPolicy::EveryOrder).then(|| {
        let fields = OpportunityFields {
            name: format!("{} {}", order.number, input.person.full_name()),
            stage: stage(order, settings),
            close_date: close_date(order, input.paid_at.filter(|_| is_paid(order)), settings),
            amount: current_total(order),
            record_type_id: settings.opportunity_record_type_id.clone(),
            owner_id: None,
            description: None,
        };
        match known_id(CrmObject::Opportunity) {
            Some(id) => Record::Known { id, fields },
            None => Record::New {
                key: order.id.to_string(),
                fields: OpportunityFields {
                    owner_id: settings.default_owner_id.clone(),
                    ..fields
                },
            },
        }
    });
    let contact_role = (opportunity.is_some()
        && settings.contact_roles
        && known_id(CrmObject::OpportunityContactRole).is_none())
    .then(|| ContactRoleFields {
        key: order.id.to_string(),
        role: settings.contact_role.clone(),
    });
    let wanted = match settings.salesforce_order {
        SalesforceOrderPolicy::Never => false,
        SalesforceOrderPolicy::EveryOrder => true,
        SalesforceOrderPolicy::PaidOrders => is_paid(order) || known_id(CrmObject::Order).is_some(),
    };
    let activated = known.is_some_and(|k| k.order_activated);
    let salesforce_order = wanted.then(|| {
        let fields = SalesforceOrderFields {
            effective_date: order.created_at.date_naive(),
            store_status: order.status.as_str().to_owned(),
            shipping: order.shipping_address.clone(),
            pricebook_id: None,
            order_type: order_type(order.order_type),
        };
        let (record, lines) = match known_id(CrmObject::Order) {
            Some(id) => (Record::Known { id, fields }, Vec::new()),
            None => (
                Record::New {
                    key: order.id.to_string(),
                    fields: SalesforceOrderFields {
                        pricebook_id: settings.standard_pricebook_id.clone(),
                        ..fields
                    },
                },
                order
                    .lines
                    .iter()
                    .map(|l| LineFields {
                        key: line_key(order, &l.sku),
                        sku: l.sku.clone(),
                        name: l.name.clone(),
                        quantity: l.quantity.get(),
                        unit_price: l.unit_price,
                        price_entry_id: input
                            .prices
                            .get(&price_key(&l.sku, l.unit_price.currency()))
                            .cloned(),
                    })
                    .collect(),
            ),
        };
        let activate = is_paid(order) && !activated;
        let reductions = if activated || activate {
            reductions(order, known, &record, &lines, settings)
        } else {
            Vec::new()
        };
        let summarize = settings.order_management
            && (activated || activate)
            && known.and_then(|k| k.order_summary_id.as_ref()).is_none();
        SalesforceOrderPlan {
            order: record,
            lines,
            activate,
            reductions,
            summarize,
        }
    });
    OrderPlan {
        opportunity,
        contact_role,
        salesforce_order,
        follow_up: follow_up(input, order),
    }
}

/// The Salesforce Order's `Type` for the store's order type.
fn order_type(kind: OrderType) -> &'static str {
    match kind {
        OrderType::Normal => "Normal",
        OrderType::Bulk => "Bulk",
        OrderType::Return => "Return",
    }
}

/// A paid order whose total reaches its currency's threshold, with no follow-up yet.
fn follow_up(input: &PlanInput<'_>, order: &Order) -> Option<FollowUpPlan> {
    let settings = input.settings;
    let total = current_total(order);
    let sent = input.order_sync.is_some_and(|k| k.follow_up_sent);
    if sent || !is_paid(order) || !settings.follow_up_for(total) {
        return None;
    }
    let paid = input.paid_at.unwrap_or(order.created_at).date_naive();
    Some(FollowUpPlan {
        key: order.id.to_string(),
        subject: format!(
            "Call {} about order {}",
            input.person.full_name(),
            order.number
        ),
        due: paid
            .checked_add_days(Days::new(settings.follow_up_days.into()))
            .unwrap_or(NaiveDate::MAX),
        order_id: order.id.to_string(),
        order_number: order.number.clone(),
        customer_key: order.customer.customer_key.to_string(),
        amount: total,
    })
}

/// What the customer pays now: the order's total less what its changes gave back.
pub fn current_total(order: &Order) -> Money {
    current_totals(order, &order.changes).map_or(order.totals.total, |t| t.total)
}

/// The store's key for a line of the order's Salesforce Order.
fn line_key(order: &Order, sku: &Sku) -> String {
    format!("{}:{sku}", order.id)
}

/// The order's changes that have no reduction order yet, each as one, its products
/// reducing the Order's products: created by this plan (a new Order) or by an earlier
/// sync. A change whose products Salesforce does not hold waits.
fn reductions(
    order: &Order,
    known: Option<&OrderSync>,
    record: &Record<SalesforceOrderFields>,
    new_lines: &[LineFields],
    settings: &SyncSettings,
) -> Vec<ReductionPlan> {
    let new_order = record.id().is_none();
    let original = |sku: &Sku| -> Option<OriginalItem> {
        if new_order {
            new_lines
                .iter()
                .position(|l| &l.sku == sku)
                .map(OriginalItem::NewLine)
        } else {
            known
                .and_then(|k| k.products.items.get(sku))
                .cloned()
                .map(OriginalItem::Known)
        }
    };
    unsent_changes(order, known)
        .filter_map(|change| {
            let lines = change
                .lines
                .iter()
                .map(|l| {
                    Some(ReductionLine {
                        key: format!("{}:{}:{}", order.id, change.id, l.sku),
                        original: original(&l.sku)?,
                        units: l.quantity.get(),
                        unit_price: order.lines.iter().find(|o| o.sku == l.sku)?.unit_price,
                    })
                })
                .collect::<Option<Vec<_>>>()?;
            Some(ReductionPlan {
                change_id: change.id.clone(),
                key: format!("{}:{}", order.id, change.id),
                effective_date: change.created_at.date_naive(),
                pricebook_id: settings.standard_pricebook_id.clone(),
                lines,
            })
        })
        .collect()
}

/// The order's changes Salesforce has no reduction order for yet.
fn unsent_changes<'a>(
    order: &'a Order,
    known: Option<&'a OrderSync>,
) -> impl Iterator<Item = &'a crate::order::changes::ChangeRecord> + 'a {
    order
        .changes
        .iter()
        .filter(move |c| !known.is_some_and(|k| k.products.reductions.contains_key(&c.id)))
}

/// Whether the order's activated Salesforce Order must be asked for its products first: a
/// change waits to be sent and the store does not know the products it reduces (an order
/// synced before the store kept them).
pub fn needs_order_items(order: &Order, known: &OrderSync) -> bool {
    known.order_activated
        && known.id(CrmObject::Order).is_some()
        && unsent_changes(order, Some(known))
            .flat_map(|c| &c.lines)
            .any(|l| !known.products.items.contains_key(&l.sku))
}

/// The order's products among the products a query found, by sku.
pub fn order_items_found(order: &Order, found: &[FoundOrderItem]) -> BTreeMap<Sku, OrderItemSync> {
    order
        .lines
        .iter()
        .filter_map(|l| {
            let key = line_key(order, &l.sku);
            found
                .iter()
                .find(|f| {
                    f.key
                        .as_deref()
                        .is_some_and(|k| k.eq_ignore_ascii_case(&key))
                })
                .map(|f| (l.sku.clone(), f.item.clone()))
        })
        .collect()
}

/// What a cart (abandoned, or big) makes Salesforce hold.
#[derive(Debug, Clone, Copy)]
pub struct CartPlanInput<'a> {
    pub person: &'a Person,
    pub cart: &'a Cart,
    /// How far the cart has come: its stage, and whether a registered customer's Lead is
    /// converted for it.
    pub reason: CartReason,
    /// The goods after the discount ([`Cart::goods_value`]).
    pub value: Money,
    pub customer_sync: &'a CustomerSync,
    pub cart_sync: Option<&'a CartSync>,
    pub found: Option<&'a PersonMatch>,
    pub settings: &'a SyncSettings,
}

/// Whether the person of a cart is (or becomes) a Contact with an Account, so the cart can
/// be an Opportunity. An abandoned cart's registered customer always is (their Lead is
/// converted, as Salesforce converts a Lead that turns into an Opportunity); a guest only
/// once known as a customer. A big cart converts no one: a customer who has not ordered
/// (and matches no Contact or Account) keeps their Lead, which shows the cart's value, and
/// the Opportunity comes with the Lead's conversion. Otherwise the cart is on the Lead.
pub fn cart_buyer(cart: &Cart, reason: CartReason, customer_sync: &CustomerSync) -> bool {
    let registered = matches!(cart.owner, CartOwner::Customer { .. });
    customer_sync.has_orders || (registered && reason == CartReason::Abandoned)
}

/// The lines of a cart as sales reads them, one per line, and what they come to.
pub fn cart_description(cart: &Cart, reason: CartReason, value: Money) -> String {
    let mut text = String::from(match reason {
        CartReason::Big => "Cart being filled:\n",
        CartReason::Abandoned => "Abandoned cart:\n",
    });
    for line in &cart.lines {
        text.push_str(&format!(
            "{} x {} ({}) at {}\n",
            line.quantity.get(),
            line.name,
            line.sku,
            line.unit_price
        ));
    }
    if let Some(discount) = &cart.discount {
        text.push_str(&format!("Discount code {}\n", discount.code));
    }
    text.push_str(&format!("Value: {value}"));
    text
}

/// A cart in Salesforce: an Opportunity at the stage of its reason for a buyer (with the
/// Contact's role on it), else the person's Lead, with the cart's lines and value on it.
/// Later syncs change the same records: they are known by id, or upserted by the cart's id.
pub fn cart_plan(input: CartPlanInput<'_>) -> CrmPlan {
    let (cart, settings) = (input.cart, input.settings);
    let base = PlanInput {
        person: input.person,
        order: None,
        paid_at: None,
        customer_sync: input.customer_sync,
        order_sync: None,
        found: input.found,
        prices: &BTreeMap::new(),
        settings,
    };
    let buyer = cart_buyer(cart, input.reason, input.customer_sync);
    let mut person = person_plan(&base, buyer);
    let description = cart_description(cart, input.reason, input.value);
    let known_id = |object| input.cart_sync.and_then(|k| k.id(object)).cloned();
    let order = match &mut person {
        PersonPlan::Lead(lead) => {
            let fields = lead.fields_mut();
            fields.description = Some(description);
            fields.cart_value = Some(input.value);
            None
        }
        PersonPlan::Customer { .. } => {
            let fields = OpportunityFields {
                name: format!("Cart {}", input.person.full_name()),
                stage: match input.reason {
                    CartReason::Big => settings.big_cart_stage.clone(),
                    CartReason::Abandoned => settings.abandoned_cart_stage.clone(),
                },
                close_date: cart
                    .updated_at
                    .date_naive()
                    .checked_add_days(Days::new(settings.sales_cycle_days.into()))
                    .unwrap_or(NaiveDate::MAX),
                amount: input.value,
                record_type_id: settings.opportunity_record_type_id.clone(),
                owner_id: None,
                description: Some(description),
            };
            let opportunity = match known_id(CrmObject::Opportunity) {
                Some(id) => Record::Known { id, fields },
                None => Record::New {
                    key: cart.id.to_string(),
                    fields: OpportunityFields {
                        owner_id: settings.default_owner_id.clone(),
                        ..fields
                    },
                },
            };
            let contact_role = (settings.contact_roles
                && known_id(CrmObject::OpportunityContactRole).is_none())
            .then(|| ContactRoleFields {
                key: cart.id.to_string(),
                role: settings.contact_role.clone(),
            });
            Some(OrderPlan {
                opportunity: Some(opportunity),
                contact_role,
                salesforce_order: None,
                follow_up: None,
            })
        }
    };
    CrmPlan {
        person,
        order,
        currency: settings.multi_currency.then_some(cart.currency),
    }
}
