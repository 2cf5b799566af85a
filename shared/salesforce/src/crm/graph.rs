//! A [`CrmPlan`] as one Composite Graph: every record upserted by the store's key or changed
//! by id, linked by references, committed all together or not at all.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;
use storesync_core::ids::{CrmId, Sku};
use storesync_core::sync::crm::{
    CrmPlan, FollowUpPlan, OrderPlan, OriginalItem, PersonPlan, Record, ReductionPlan,
    SalesforceOrderPlan,
};
use storesync_core::sync::status::CrmObject;

use super::sobjects::{self as so, amount, currency, external_id};
use crate::composite::{Graph, Reference};

/// How a node's record is named in later nodes: its id, or a reference to the node.
#[derive(Debug, Clone)]
pub(super) enum Link {
    Id(CrmId),
    Node(Reference),
}

impl Link {
    fn value(&self) -> String {
        match self {
            Link::Id(id) => id.to_string(),
            Link::Node(r) => r.id(),
        }
    }
}

/// The graph and which node stands for which of the plan's records.
pub(super) struct PlanGraph<'a> {
    pub graph: Graph,
    pub links: Vec<(CrmObject, Link)>,
    /// The new prices' nodes: their key, product node and price node.
    pub prices: Vec<(String, Reference, Reference)>,
    /// The new Order's products: their sku, node and price entry.
    pub items: Vec<(Sku, Reference, Link)>,
    /// The reduction orders' nodes by change id.
    pub reductions: Vec<(String, Reference)>,
    /// Upsert nodes known to match an existing record: their create-only fields are left
    /// out.
    matched: &'a BTreeSet<String>,
}

fn body<T: Serialize>(record: &T) -> Value {
    serde_json::to_value(record).expect("sObjects serialise")
}

impl PlanGraph<'_> {
    /// An upsert by external id; a node known to match leaves out its create-only fields.
    fn upsert(
        &mut self,
        node: &str,
        object: &str,
        ext_field: &str,
        key: &str,
        fields: Value,
    ) -> Reference {
        let matched = self.matched.contains(node);
        self.upsert_known(node, object, ext_field, key, fields, matched)
    }

    /// An upsert by external id that leaves out the create-only fields when the record is
    /// known to exist.
    fn upsert_known(
        &mut self,
        node: &str,
        object: &str,
        ext_field: &str,
        key: &str,
        mut fields: Value,
        exists: bool,
    ) -> Reference {
        if exists && let Some(map) = fields.as_object_mut() {
            for field in so::create_only(object) {
                map.remove(*field);
            }
        }
        self.graph
            .nodes
            .upsert(node, object, ext_field, key, fields)
    }

    /// Writes a record: an upsert by `ext_field` when new, a change by id when known (left
    /// out when there is nothing to change, and then linked by its id).
    fn write<F>(
        &mut self,
        node: &str,
        object: CrmObject,
        ext_field: &str,
        record: &Record<F>,
        fields: Value,
    ) -> Link {
        let name = object.as_str();
        let link = match record {
            Record::New { key, .. } => Link::Node(self.upsert(node, name, ext_field, key, fields)),
            Record::Known { id, .. } => {
                if fields.as_object().is_some_and(|f| !f.is_empty()) {
                    self.graph.nodes.update(node, name, id.as_str(), fields);
                }
                Link::Id(id.clone())
            }
        };
        self.links.push((object, link.clone()));
        link
    }
}

pub(super) fn build<'a>(
    plan: &CrmPlan,
    graph_id: &str,
    matched: &'a BTreeSet<String>,
) -> PlanGraph<'a> {
    let mut g = PlanGraph {
        graph: Graph::new(graph_id),
        links: Vec::new(),
        prices: Vec::new(),
        items: Vec::new(),
        reductions: Vec::new(),
        matched,
    };
    let (account, contact) = match &plan.person {
        PersonPlan::Lead(lead) => {
            let f = lead.fields();
            let fields = so::Lead {
                first_name: Some(f.first_name.clone()).filter(|n| !n.is_empty()),
                last_name: f.last_name.clone(),
                email: f.email.normalized(),
                phone: f.phone.clone(),
                company: f.company.clone(),
                lead_source: f.lead_source.clone(),
                owner_id: f.owner_id.clone(),
                description: f.description.clone(),
                cart_value: f.cart_value.map(amount),
                // The value is in the cart's currency: the Lead's amounts are labelled so.
                currency_iso_code: f.cart_value.and(currency(plan.currency)),
                ..Default::default()
            }
            .at(f.address.as_ref());
            g.write(
                "lead",
                CrmObject::Lead,
                external_id::PERSON,
                lead,
                body(&fields),
            );
            (None, None)
        }
        PersonPlan::Customer {
            account, contact, ..
        } => {
            let a = account.fields();
            let fields = so::Account {
                name: a.name.clone(),
                phone: a.phone.clone(),
                owner_id: a.owner_id.clone(),
                ..Default::default()
            }
            .billed_at(a.billing.as_ref());
            let account_link = g.write(
                "account",
                CrmObject::Account,
                external_id::PERSON,
                account,
                body(&fields),
            );
            let c = contact.fields();
            let fields = so::Contact {
                first_name: c.first_name.clone(),
                last_name: c.last_name.clone(),
                email: c.email.normalized(),
                phone: c.phone.clone(),
                account_id: c.link_account.then(|| account_link.value()),
                lead_source: c.lead_source.clone(),
                owner_id: c.owner_id.clone(),
                ..Default::default()
            }
            .mailed_at(c.mailing.as_ref());
            let contact_link = g.write(
                "contact",
                CrmObject::Contact,
                external_id::PERSON,
                contact,
                body(&fields),
            );
            (Some(account_link), Some(contact_link))
        }
    };
    if let (Some(order), Some(account), Some(contact)) = (&plan.order, account, contact) {
        order_nodes(&mut g, plan, order, &account, &contact);
    }
    g
}

fn order_nodes(
    g: &mut PlanGraph,
    plan: &CrmPlan,
    order: &OrderPlan,
    account: &Link,
    contact: &Link,
) {
    let iso = currency(plan.currency);
    let opportunity = order.opportunity.as_ref().map(|opp| {
        let f = opp.fields();
        let new = opp.id().is_none();
        let fields = so::Opportunity {
            name: f.name.clone(),
            stage_name: f.stage.clone(),
            close_date: f.close_date.to_string(),
            amount: amount(f.amount),
            account_id: new.then(|| account.value()),
            record_type_id: f.record_type_id.clone(),
            owner_id: f.owner_id.clone(),
            currency_iso_code: if new { iso } else { None },
            description: f.description.clone(),
        };
        g.write(
            "opportunity",
            CrmObject::Opportunity,
            external_id::ORDER,
            opp,
            body(&fields),
        )
    });
    if let (Some(role), Some(opportunity)) = (&order.contact_role, &opportunity) {
        let fields = so::OpportunityContactRole {
            opportunity_id: opportunity.value(),
            contact_id: contact.value(),
            role: role.role.clone(),
            is_primary: true,
        };
        let reference = g.upsert(
            "role",
            CrmObject::OpportunityContactRole.as_str(),
            external_id::ROLE,
            &role.key,
            body(&fields),
        );
        g.links
            .push((CrmObject::OpportunityContactRole, Link::Node(reference)));
    }
    let what = opportunity.clone();
    let sf_order_link = order
        .salesforce_order
        .as_ref()
        .map(|sf_order| sales_order_nodes(g, plan, sf_order, account, contact, &opportunity));
    if let Some(follow_up) = &order.follow_up {
        let what = what.or(sf_order_link).unwrap_or_else(|| account.clone());
        follow_up_nodes(g, follow_up, account, contact, &what);
    }
}

/// A high-value order's follow-up, in the order's graph: the Account read for its owner
/// (whoever owns it now in Salesforce, not who the store last saw), the owner's Task
/// upserted by the order's key, and the order event published (a platform event is a
/// create of its `__e` object, which a graph node may be; published after the graph
/// commits, so a rolled-back graph publishes nothing).
fn follow_up_nodes(
    g: &mut PlanGraph,
    follow_up: &FollowUpPlan,
    account: &Link,
    contact: &Link,
    what: &Link,
) {
    let owner = g
        .graph
        .nodes
        .get("accountowner", "Account", &account.value());
    g.graph.nodes.upsert(
        "followup",
        "Task",
        external_id::TASK,
        &follow_up.key,
        body(&so::Task {
            subject: follow_up.subject.clone(),
            activity_date: follow_up.due.to_string(),
            what_id: what.value(),
            who_id: contact.value(),
            owner_id: owner.field("OwnerId"),
            priority: "High",
        }),
    );
    g.graph.nodes.create(
        "orderevent",
        so::ORDER_EVENT,
        body(&so::OrderEvent {
            order_id: follow_up.order_id.clone(),
            order_number: follow_up.order_number.clone(),
            event_type: so::HIGH_VALUE_ORDER,
            customer_id: follow_up.customer_key.clone(),
            account_id: account.value(),
            amount: amount(follow_up.amount),
            currency: follow_up.amount.currency().code(),
        }),
    );
}

/// The Salesforce Order, its products, its activation and its reduction orders.
fn sales_order_nodes(
    g: &mut PlanGraph,
    plan: &CrmPlan,
    sf_order: &SalesforceOrderPlan,
    account: &Link,
    contact: &Link,
    opportunity: &Option<Link>,
) -> Link {
    let iso = currency(plan.currency);
    let f = sf_order.order.fields();
    let new = sf_order.order.id().is_none();
    let fields = if new {
        so::Order {
            account_id: Some(account.value()),
            opportunity_id: opportunity.as_ref().map(Link::value),
            bill_to_contact_id: Some(contact.value()),
            effective_date: Some(f.effective_date.to_string()),
            status: Some(so::ORDER_DRAFT),
            pricebook2_id: f.pricebook_id.clone(),
            store_status: Some(f.store_status.clone()),
            order_type: Some(f.order_type),
            currency_iso_code: iso,
            ..Default::default()
        }
        .shipped_to(Some(&f.shipping))
    } else {
        so::Order {
            store_status: Some(f.store_status.clone()),
            order_type: Some(f.order_type),
            ..Default::default()
        }
    };
    let order_link = g.write(
        "order",
        CrmObject::Order,
        external_id::ORDER,
        &sf_order.order,
        body(&fields),
    );
    for (i, line) in sf_order.lines.iter().enumerate() {
        let price_entry = match &line.price_entry_id {
            Some(id) => Link::Id(id.clone()),
            None => {
                let product = g.upsert(
                    &format!("product{i}"),
                    "Product2",
                    external_id::PRODUCT,
                    line.sku.as_str(),
                    body(&so::Product2 {
                        name: line.name.clone(),
                        product_code: line.sku.to_string(),
                        is_active: true,
                    }),
                );
                let key = line.price_key();
                let price = g.upsert(
                    &format!("price{i}"),
                    "PricebookEntry",
                    external_id::PRICE,
                    &key,
                    body(&so::PricebookEntry {
                        pricebook2_id: f.pricebook_id.clone().unwrap_or_default(),
                        product2_id: product.id(),
                        unit_price: amount(line.unit_price),
                        is_active: true,
                        currency_iso_code: iso,
                    }),
                );
                g.prices.push((key, product, price.clone()));
                Link::Node(price)
            }
        };
        let item = g.upsert(
            &format!("line{i}"),
            "OrderItem",
            external_id::LINE,
            &line.key,
            body(&so::OrderItem {
                order_id: order_link.value(),
                pricebook_entry_id: price_entry.value(),
                quantity: i64::from(line.quantity),
                unit_price: amount(line.unit_price),
                original_order_item_id: None,
            }),
        );
        g.items.push((line.sku.clone(), item, price_entry));
    }
    if sf_order.activate {
        g.graph.nodes.update(
            "activate",
            "Order",
            &order_link.value(),
            body(&so::Order {
                status: Some(so::ORDER_ACTIVATED),
                ..Default::default()
            }),
        );
    }
    for (r, reduction) in sf_order.reductions.iter().enumerate() {
        reduction_nodes(g, r, reduction, account, &order_link, iso);
    }
    order_link
}

/// A change as a reduction order of the (activated) Order: the order, a product of negative
/// quantity per line naming the product it reduces, then its activation.
fn reduction_nodes(
    g: &mut PlanGraph,
    r: usize,
    reduction: &ReductionPlan,
    account: &Link,
    original: &Link,
    iso: Option<&'static str>,
) {
    let node = format!("reduction{r}");
    // One that exists (a replay after a lost answer) was made with its products and
    // activated, all in one graph: it is not made a draft again, and its products are
    // matched too.
    let exists = g.matched.contains(&node);
    let fields = so::Order {
        account_id: Some(account.value()),
        effective_date: Some(reduction.effective_date.to_string()),
        status: (!exists).then_some(so::ORDER_DRAFT),
        pricebook2_id: reduction.pricebook_id.clone(),
        currency_iso_code: iso,
        is_reduction_order: Some(true),
        original_order_id: Some(original.value()),
        ..Default::default()
    };
    let order = g.upsert(
        &node,
        "Order",
        external_id::ORDER,
        &reduction.key,
        body(&fields),
    );
    for (i, line) in reduction.lines.iter().enumerate() {
        let (item, price_entry) = match &line.original {
            OriginalItem::Known(item) => (
                item.order_item_id.to_string(),
                item.price_entry_id.to_string(),
            ),
            OriginalItem::NewLine(index) => match g.items.get(*index) {
                Some((_, item, price)) => (item.id(), price.value()),
                None => continue,
            },
        };
        g.upsert_known(
            &format!("{node}line{i}"),
            "OrderItem",
            external_id::LINE,
            &line.key,
            body(&so::OrderItem {
                order_id: order.id(),
                pricebook_entry_id: price_entry,
                quantity: -i64::from(line.units),
                unit_price: amount(line.unit_price),
                original_order_item_id: Some(item),
            }),
            exists,
        );
    }
    g.graph.nodes.update(
        &format!("{node}activate"),
        "Order",
        &order.id(),
        body(&so::Order {
            status: Some(so::ORDER_ACTIVATED),
            ..Default::default()
        }),
    );
    g.reductions.push((reduction.change_id.clone(), order));
}
