//! The sync's decisions: the customer matching cases in their order, and what each setting
//! changes in the plan.

use chrono::{Duration, TimeZone, Utc};

use super::crm::{AccountFields, MatchedAccount, MatchedContact, PersonMatch, PersonPlan, Record};
use super::plan::{CartPlanInput, Person, PlanInput, cart_plan, needs_lookup, plan};
use super::settings::{OpportunityPolicy, SalesforceOrderPolicy, SyncSettings};
use super::status::{CrmObject, CustomerSync, Outcome};
use crate::customer::Origin;
use crate::ids::{CrmId, CustomerKey, Email};
use crate::money::Currency;
use crate::order::Order;
use crate::order::lifecycle::{OrderEvent, OrderStatus};
use crate::order::tests::sample_order;

fn id(raw: &str) -> CrmId {
    CrmId::parse(raw).unwrap()
}

fn person() -> Person {
    Person {
        email: Email::parse("Jane.Doe@Example.COM").unwrap(),
        first_name: Some("Jane".into()),
        last_name: "Doe".into(),
        phone: None,
        company: None,
        address: None,
        origin: Origin::Web,
    }
}

fn fresh() -> CustomerSync {
    CustomerSync::new(CustomerKey::parse("cust-1").unwrap(), Utc::now())
}

fn known_customer() -> CustomerSync {
    let mut c = fresh();
    let ids = [
        (CrmObject::Account, id("001000000000001AAA")),
        (CrmObject::Contact, id("003000000000001AAA")),
    ]
    .into_iter()
    .collect();
    c.record(
        &[CrmObject::Account, CrmObject::Contact],
        &Outcome::Synced(ids),
        Utc::now(),
    );
    c.has_orders = true;
    c
}

fn paid(order: &Order) -> Order {
    order
        .apply(OrderEvent::PaymentCaptured, Utc::now())
        .unwrap()
}

struct Case {
    person: Person,
    order: Option<Order>,
    known: CustomerSync,
    found: Option<PersonMatch>,
    settings: SyncSettings,
    paid_at: Option<chrono::DateTime<Utc>>,
    prices: std::collections::BTreeMap<String, CrmId>,
}

impl Case {
    fn new() -> Self {
        Case {
            person: person(),
            order: Some(sample_order()),
            known: known_customer(),
            found: None,
            settings: SyncSettings::default(),
            paid_at: None,
            prices: Default::default(),
        }
    }

    fn plan(&self) -> super::crm::CrmPlan {
        plan(PlanInput {
            person: &self.person,
            order: self.order.as_ref(),
            paid_at: self.paid_at,
            customer_sync: &self.known,
            order_sync: None,
            found: self.found.as_ref(),
            prices: &self.prices,
            settings: &self.settings,
        })
    }
}

fn sf_order(plan: &super::crm::CrmPlan) -> &super::crm::SalesforceOrderPlan {
    let order = plan.order.as_ref().expect("an order plan");
    order.salesforce_order.as_ref().expect("a Salesforce Order")
}

fn opportunity(plan: &super::crm::CrmPlan) -> &super::crm::OpportunityFields {
    let order = plan.order.as_ref().expect("an order plan");
    order.opportunity.as_ref().expect("an Opportunity").fields()
}

fn customer_parts(
    plan: &super::crm::CrmPlan,
) -> (
    &Record<AccountFields>,
    &Record<super::crm::ContactFields>,
    Option<&CrmId>,
) {
    match &plan.person {
        PersonPlan::Customer {
            account,
            contact,
            convert_lead,
        } => (account, contact, convert_lead.as_ref()),
        other => panic!("expected a customer, planned {other:?}"),
    }
}

#[test]
fn a_known_customer_needs_no_lookup_and_keeps_owners_and_account_name() {
    let case = Case::new();
    assert!(!needs_lookup(&case.known, true));
    let plan = case.plan();
    let (account, contact, convert) = customer_parts(&plan);
    assert_eq!(account.id(), Some(&id("001000000000001AAA")));
    assert_eq!(account.fields().name, None, "the Account name is kept");
    assert_eq!(account.fields().owner_id, None);
    assert_eq!(contact.id(), Some(&id("003000000000001AAA")));
    assert_eq!(contact.fields().owner_id, None);
    assert!(convert.is_none());
}

#[test]
fn a_lookup_is_needed_for_a_new_person_and_for_a_lead_who_orders() {
    assert!(needs_lookup(&fresh(), false));
    assert!(needs_lookup(&fresh(), true));
    let mut lead = fresh();
    let ids = [(CrmObject::Lead, id("00Q000000000001AAA"))]
        .into_iter()
        .collect();
    lead.record(&[CrmObject::Lead], &Outcome::Synced(ids), Utc::now());
    assert!(!needs_lookup(&lead, false), "a known Lead is updated by id");
    assert!(
        needs_lookup(&lead, true),
        "a Lead who orders becomes a customer"
    );
}

#[test]
fn case_1_an_existing_contact_and_its_account_are_used_and_the_lead_converted() {
    let mut case = Case::new();
    case.known = fresh();
    case.found = Some(PersonMatch {
        contact: Some(MatchedContact {
            id: id("003000000000009AAA"),
            account_id: Some(id("001000000000009AAA")),
        }),
        lead: Some(id("00Q000000000009AAA")),
        ..Default::default()
    });
    let plan = case.plan();
    let (account, contact, convert) = customer_parts(&plan);
    assert_eq!(contact.id(), Some(&id("003000000000009AAA")));
    assert_eq!(account.id(), Some(&id("001000000000009AAA")));
    assert_eq!(account.fields().name, None);
    assert!(
        !contact.fields().link_account,
        "the Contact keeps its Account"
    );
    assert_eq!(contact.fields().owner_id, None, "owners never change");
    assert_eq!(convert, Some(&id("00Q000000000009AAA")));

    case.settings.overwrite_account_name = true;
    let plan = case.plan();
    let (account, _, _) = customer_parts(&plan);
    assert_eq!(account.fields().name.as_deref(), Some("Jane Doe"));
}

#[test]
fn case_2_a_matching_account_gets_a_new_contact_owned_as_the_account() {
    let mut case = Case::new();
    case.known = fresh();
    case.person.company = Some("Acme".into());
    case.found = Some(PersonMatch {
        account: Some(MatchedAccount {
            id: id("001000000000007AAA"),
            owner_id: Some("005000000000007AAA".into()),
        }),
        ..Default::default()
    });
    case.settings.default_owner_id = Some("005000000000001AAA".into());
    let plan = case.plan();
    let (account, contact, _) = customer_parts(&plan);
    assert_eq!(account.id(), Some(&id("001000000000007AAA")));
    assert!(matches!(contact, Record::New { key, .. } if key.starts_with("em_")));
    assert!(contact.fields().link_account);
    assert_eq!(
        contact.fields().owner_id.as_deref(),
        Some("005000000000007AAA")
    );

    // An Account without an owner id falls back to the configured default.
    case.found
        .as_mut()
        .unwrap()
        .account
        .as_mut()
        .unwrap()
        .owner_id = None;
    let plan = case.plan();
    let (_, contact, _) = customer_parts(&plan);
    assert_eq!(
        contact.fields().owner_id.as_deref(),
        Some("005000000000001AAA")
    );
}

#[test]
fn case_3_a_customer_with_orders_gets_account_and_contact_and_the_lead_is_converted() {
    let mut case = Case::new();
    case.known = fresh();
    case.found = Some(PersonMatch {
        lead: Some(id("00Q000000000003AAA")),
        ..Default::default()
    });
    case.settings.default_owner_id = Some("005000000000001AAA".into());
    let plan = case.plan();
    let (account, contact, convert) = customer_parts(&plan);
    let Record::New { key, fields } = account else {
        panic!("a new Account")
    };
    assert_eq!(key, &case.person.key().to_string());
    assert_eq!(fields.name.as_deref(), Some("Jane Doe"));
    assert_eq!(fields.owner_id.as_deref(), Some("005000000000001AAA"));
    assert!(matches!(contact, Record::New { .. }));
    assert_eq!(convert, Some(&id("00Q000000000003AAA")));
    assert!(plan.touched().contains(&CrmObject::Lead));
}

#[test]
fn case_4_a_person_without_orders_is_a_lead_with_source_and_owner() {
    let mut case = Case::new();
    case.known = fresh();
    case.order = None;
    case.found = Some(PersonMatch::default());
    case.person.origin = Origin::Social;
    case.settings.default_lead_owner_id = Some("00G000000000001AAA".into());
    let plan = case.plan();
    let PersonPlan::Lead(Record::New { key, fields }) = &plan.person else {
        panic!("a new Lead, planned {:?}", plan.person)
    };
    assert_eq!(key, &case.person.key().to_string());
    assert_eq!(fields.lead_source, "Social Media");
    assert_eq!(fields.owner_id.as_deref(), Some("00G000000000001AAA"));
    assert_eq!(fields.company, "Jane Doe");
    assert!(plan.order.is_none());

    // The Lead already there is updated, its owner kept.
    case.found = Some(PersonMatch {
        lead: Some(id("00Q000000000004AAA")),
        ..Default::default()
    });
    let plan = case.plan();
    let PersonPlan::Lead(Record::Known { id: lead, fields }) = &plan.person else {
        panic!("the known Lead")
    };
    assert_eq!(lead, &id("00Q000000000004AAA"));
    assert_eq!(fields.owner_id, None);
}

#[test]
fn a_guest_and_a_customer_with_one_email_are_one_person() {
    let guest = Person::guest(
        &Email::parse("JANE.doe@example.com").unwrap(),
        &sample_order(),
    );
    assert_eq!(guest.key(), person().key());
    assert_eq!(guest.last_name, "JANE.doe");
}

#[test]
fn salesforce_order_policy_paid_every_or_never() {
    let mut case = Case::new();
    case.settings.standard_pricebook_id = Some("01s000000000001AAA".into());
    let placed = case.plan();
    assert!(
        placed.order.as_ref().unwrap().salesforce_order.is_none(),
        "paid orders only"
    );
    case.order = Some(paid(&sample_order()));
    let paid_plan = case.plan();
    let sf = sf_order(&paid_plan);
    assert!(sf.activate, "a paid order's Salesforce Order is activated");
    assert_eq!(sf.lines.len(), 1);
    assert_eq!(sf.lines[0].quantity, 2);
    assert_eq!(
        sf.lines[0].price_entry_id, None,
        "a price not yet in Salesforce"
    );
    case.prices
        .insert(sf.lines[0].price_key(), id("01u000000000001AAA"));
    let known = case.plan();
    let line = &sf_order(&known).lines[0];
    assert_eq!(
        line.price_entry_id,
        Some(id("01u000000000001AAA")),
        "a known price by id"
    );

    case.order = Some(sample_order());
    case.settings.salesforce_order = SalesforceOrderPolicy::EveryOrder;
    let every = case.plan();
    let sf = sf_order(&every);
    assert!(!sf.activate, "an unpaid order stays Draft");

    case.order = Some(paid(&sample_order()));
    case.settings.salesforce_order = SalesforceOrderPolicy::Never;
    assert!(case.plan().order.unwrap().salesforce_order.is_none());
}

#[test]
fn opportunity_policy_never_leaves_out_the_opportunity_and_its_role() {
    let mut case = Case::new();
    case.settings.opportunity = OpportunityPolicy::Never;
    let plan = case.plan();
    let order = plan.order.as_ref().unwrap();
    assert!(order.opportunity.is_none() && order.contact_role.is_none());
    assert!(!plan.touched().contains(&CrmObject::Opportunity));
}

#[test]
fn record_type_sales_cycle_and_draft_stage_shape_a_new_opportunity() {
    let mut case = Case::new();
    case.settings.opportunity_record_type_id = Some("012000000000001AAA".into());
    case.settings.sales_cycle_days = 15;
    case.settings.stage_mapping.clear();
    case.settings.draft_stage = "Qualification".into();
    let order = case.order.clone().unwrap();
    let plan = case.plan();
    let opp = plan.order.unwrap().opportunity.unwrap();
    let f = opp.fields();
    assert_eq!(f.record_type_id.as_deref(), Some("012000000000001AAA"));
    assert_eq!(
        f.close_date,
        (order.created_at + Duration::days(15)).date_naive()
    );
    assert_eq!(f.stage, "Qualification");
    assert_eq!(f.amount, order.totals.total);
}

#[test]
fn contact_roles_can_be_off_and_the_role_is_configurable() {
    let mut case = Case::new();
    case.settings.contact_role = "Economic Buyer".into();
    let plan = case.plan();
    assert_eq!(
        plan.order
            .as_ref()
            .unwrap()
            .contact_role
            .as_ref()
            .unwrap()
            .role,
        "Economic Buyer"
    );
    case.settings.contact_roles = false;
    assert!(case.plan().order.unwrap().contact_role.is_none());
}

#[test]
fn the_stage_follows_the_mapping_and_payment_converts_to_the_configured_stage() {
    let mut case = Case::new();
    case.settings
        .stage_mapping
        .insert(OrderStatus::PendingPayment, "Needs Analysis".into());
    assert_eq!(opportunity(&case.plan()).stage, "Needs Analysis");

    case.order = Some(paid(&sample_order()));
    case.settings.converted_stage = "Won Online".into();
    assert_eq!(opportunity(&case.plan()).stage, "Won Online");

    case.settings.convert_on_payment = false;
    case.settings
        .stage_mapping
        .insert(OrderStatus::Paid, "Negotiation/Review".into());
    assert_eq!(opportunity(&case.plan()).stage, "Negotiation/Review");
}

#[test]
fn the_invoice_date_closes_a_won_opportunity_when_the_setting_is_on() {
    let mut case = Case::new();
    case.order = Some(paid(&sample_order()));
    let captured = Utc.with_ymd_and_hms(2026, 3, 4, 10, 0, 0).unwrap();
    case.paid_at = Some(captured);
    let cycle_end = case
        .plan()
        .order
        .unwrap()
        .opportunity
        .unwrap()
        .fields()
        .close_date;
    assert_ne!(cycle_end, captured.date_naive());
    case.settings.invoice_date_as_close_date = true;
    assert_eq!(opportunity(&case.plan()).close_date, captured.date_naive());
}

#[test]
fn multi_currency_orgs_get_the_order_currency() {
    let mut case = Case::new();
    assert_eq!(case.plan().currency, Some(Currency::USD));
    case.settings.multi_currency = false;
    assert_eq!(case.plan().currency, None);
}

#[test]
fn a_cancelled_order_loses_its_opportunity() {
    let mut case = Case::new();
    case.order = Some(sample_order().cancel(None, Utc::now()).unwrap().0);
    assert_eq!(opportunity(&case.plan()).stage, "Closed Lost");
}

mod abandoned_carts {
    use super::*;
    use crate::cart::{Cart, CartOwner};
    use crate::catalog::Product;
    use crate::ids::{CartId, CustomerId, LocationId, Quantity, Sku};
    use crate::money::Money;
    use crate::sync::status::{CartReason, CartSync};

    fn cart(owner: CartOwner) -> Cart {
        let mut cart = Cart::new(CartId::random(), owner, Currency::USD, Utc::now());
        let mug = Product {
            sku: Sku::parse("MUG").unwrap(),
            name: "Mug".into(),
            category: "kitchen".into(),
            active: true,
            prices: [(Currency::USD, 1250)].into_iter().collect(),
            stock: [(LocationId::default(), 5)].into_iter().collect(),
            version: 1,
        };
        cart.set_line(&mug, Quantity::parse(2).unwrap(), Utc::now())
            .unwrap();
        cart
    }

    fn input<'a>(
        person: &'a Person,
        cart: &'a Cart,
        known: &'a CustomerSync,
        cart_sync: Option<&'a CartSync>,
        settings: &'a SyncSettings,
    ) -> CartPlanInput<'a> {
        CartPlanInput {
            person,
            cart,
            reason: CartReason::Abandoned,
            value: cart.goods_value().unwrap(),
            customer_sync: known,
            cart_sync,
            found: None,
            settings,
        }
    }

    #[test]
    fn a_guest_cart_is_the_guests_lead_with_the_lines_on_it() {
        let guest = cart(CartOwner::Guest {
            token_hash: "h".into(),
        });
        let person = Person::cart_guest(&Email::parse("ada@example.com").unwrap());
        let settings = SyncSettings::default();
        let known = fresh();
        let plan = cart_plan(input(&person, &guest, &known, None, &settings));
        let PersonPlan::Lead(lead) = &plan.person else {
            panic!("a Lead: {plan:?}")
        };
        let description = lead.fields().description.as_deref().unwrap();
        assert!(
            description.contains("2 x Mug (MUG) at 12.50 USD"),
            "{description}"
        );
        assert!(description.ends_with("Value: 25.00 USD"), "{description}");
        assert!(plan.order.is_none(), "no Opportunity for a Lead");
    }

    #[test]
    fn a_customers_cart_is_an_opportunity_at_the_abandoned_stage_then_the_same_one() {
        let owned = cart(CartOwner::Customer {
            customer_id: CustomerId::parse("cust-1").unwrap(),
        });
        let settings = SyncSettings {
            abandoned_cart_stage: "Qualification".into(),
            ..SyncSettings::default()
        };
        let known = fresh();
        let p = person();
        let plan = cart_plan(input(&p, &owned, &known, None, &settings));
        assert!(
            matches!(plan.person, PersonPlan::Customer { .. }),
            "a registered customer becomes a Contact: {plan:?}"
        );
        let order = plan.order.as_ref().unwrap();
        let Some(Record::New { key, fields }) = &order.opportunity else {
            panic!("a new Opportunity: {order:?}")
        };
        assert_eq!(key, owned.id.as_str(), "upserted by the cart's id");
        assert_eq!(fields.stage, "Qualification");
        assert_eq!(fields.amount, Money::new(2500, Currency::USD));
        assert!(order.contact_role.is_some());
        assert!(order.salesforce_order.is_none());

        let mut sent = CartSync::new(
            owned.id.clone(),
            CustomerKey::parse("cust-1").unwrap(),
            Money::new(2500, Currency::USD),
            Utc::now(),
        );
        let ids = [
            (CrmObject::Opportunity, id("006000000000001AAA")),
            (CrmObject::OpportunityContactRole, id("00K000000000001AAA")),
        ]
        .into_iter()
        .collect();
        sent.record(
            &[CrmObject::Opportunity, CrmObject::OpportunityContactRole],
            &Outcome::Synced(ids),
            Utc::now(),
        );
        let known = known_customer();
        let again = cart_plan(input(&p, &owned, &known, Some(&sent), &settings));
        let order = again.order.unwrap();
        assert!(
            matches!(&order.opportunity, Some(Record::Known { id: known, .. }) if known.as_str() == "006000000000001AAA")
        );
        assert!(order.contact_role.is_none(), "the role is there already");
    }

    fn customers_cart() -> Cart {
        cart(CartOwner::Customer {
            customer_id: CustomerId::parse("cust-1").unwrap(),
        })
    }

    #[test]
    fn a_big_cart_of_a_customer_who_has_not_ordered_puts_its_value_on_their_lead() {
        let owned = customers_cart();
        let settings = SyncSettings::default();
        let mut known = fresh();
        known.record(
            &[CrmObject::Lead],
            &Outcome::Synced([(CrmObject::Lead, id("00Q000000000001AAA"))].into()),
            Utc::now(),
        );
        let p = person();
        let big = CartPlanInput {
            reason: CartReason::Big,
            ..input(&p, &owned, &known, None, &settings)
        };
        let plan = cart_plan(big);
        let PersonPlan::Lead(Record::Known { id: lead, fields }) = &plan.person else {
            panic!("the customer's Lead, not converted: {plan:?}")
        };
        assert_eq!(lead.as_str(), "00Q000000000001AAA");
        assert_eq!(fields.cart_value, Some(Money::new(2500, Currency::USD)));
        assert!(
            fields
                .description
                .as_deref()
                .is_some_and(|d| d.starts_with("Cart being filled:")),
            "{fields:?}"
        );
        assert!(plan.order.is_none(), "the Opportunity comes on conversion");
        let abandoned = cart_plan(input(&p, &owned, &known, None, &settings));
        assert!(
            matches!(
                abandoned.person,
                PersonPlan::Customer {
                    convert_lead: Some(_),
                    ..
                }
            ),
            "abandoned at checkout, the same cart converts the Lead: {abandoned:?}"
        );
    }

    #[test]
    fn a_big_cart_of_a_contact_is_an_opportunity_at_the_big_cart_stage() {
        let owned = customers_cart();
        let settings = SyncSettings {
            big_cart_stage: "Needs Analysis".into(),
            ..SyncSettings::default()
        };
        let known = known_customer();
        let p = person();
        let plan = cart_plan(CartPlanInput {
            reason: CartReason::Big,
            ..input(&p, &owned, &known, None, &settings)
        });
        assert!(matches!(
            plan.person,
            PersonPlan::Customer {
                convert_lead: None,
                ..
            }
        ));
        let order = plan.order.as_ref().unwrap();
        let Some(Record::New { key, fields }) = &order.opportunity else {
            panic!("a new Opportunity: {order:?}")
        };
        assert_eq!(key, owned.id.as_str(), "upserted by the cart's id");
        assert_eq!(fields.stage, "Needs Analysis");
        assert_eq!(fields.amount, Money::new(2500, Currency::USD));
    }
}

// --- changes (cancels, returns) as reduction orders ---

mod reductions {
    use std::collections::BTreeMap;

    use super::*;
    use crate::ids::{Quantity, Sku};
    use crate::order::changes::{ChangeKind, ChangeLine, ChangeRequest, plan_change};
    use crate::sync::crm::{OriginalItem, ReductionPlan};
    use crate::sync::plan::needs_order_items;
    use crate::sync::status::{OrderItemSync, OrderSync};

    fn item() -> OrderItemSync {
        OrderItemSync {
            order_item_id: id("802000000000001AAA"),
            price_entry_id: id("01u000000000001AAA"),
        }
    }

    /// A paid order of two mugs, with a cancel of one mug per entry of `cancels`.
    fn cancelled(cancels: usize) -> Order {
        let mut order = paid(&sample_order());
        for _ in 0..cancels {
            let request = ChangeRequest {
                kind: ChangeKind::Cancel,
                lines: vec![ChangeLine {
                    sku: Sku::parse("MUG").unwrap(),
                    quantity: Quantity::parse(1).unwrap(),
                    reason: "Changed mind".into(),
                }],
                tax_rate_bps: 0,
            };
            let change = plan_change(&order, &order.changes, request, Utc::now()).unwrap();
            order.changes.push(change);
        }
        order
    }

    /// The order's ledger: its Salesforce Order activated, with `items` known and
    /// `chg_1` already sent when `first_sent`.
    fn synced(order: &Order, items: bool, first_sent: bool) -> OrderSync {
        let mut sync = OrderSync {
            order_id: order.id.clone(),
            customer_key: order.customer.customer_key.clone(),
            number: order.number.clone(),
            status: order.status,
            total: order.totals.total,
            order_version: 1,
            order_activated: true,
            objects: Default::default(),
            products: Default::default(),
            order_summary_id: None,
            follow_up_sent: false,
            updated_at: Utc::now(),
            version: 1,
        };
        let ids = BTreeMap::from([(CrmObject::Order, id("801000000000001AAA"))]);
        sync.record(&[CrmObject::Order], &Outcome::Synced(ids), Utc::now());
        if items {
            sync.products
                .items
                .insert(Sku::parse("MUG").unwrap(), item());
        }
        if first_sent {
            sync.products
                .reductions
                .insert("chg_1".into(), id("801000000000002AAA"));
        }
        sync
    }

    fn reductions_planned(order: &Order, sync: Option<&OrderSync>) -> Vec<ReductionPlan> {
        let case = Case::new();
        let plan = plan(PlanInput {
            person: &case.person,
            order: Some(order),
            paid_at: None,
            customer_sync: &case.known,
            order_sync: sync,
            found: None,
            prices: &case.prices,
            settings: &case.settings,
        });
        sf_order(&plan).reductions.clone()
    }

    #[test]
    fn only_the_changes_not_sent_yet_become_reductions_of_the_known_product() {
        let order = cancelled(2);
        let sync = synced(&order, true, true);

        let planned = reductions_planned(&order, Some(&sync));

        assert_eq!(planned.len(), 1, "chg_1 was sent: {planned:?}");
        let reduction = &planned[0];
        assert_eq!(reduction.change_id, "chg_2");
        assert_eq!(reduction.key, format!("{}:chg_2", order.id));
        assert_eq!(reduction.lines.len(), 1);
        assert_eq!(reduction.lines[0].units, 1);
        assert_eq!(reduction.lines[0].unit_price, order.lines[0].unit_price);
        assert_eq!(reduction.lines[0].original, OriginalItem::Known(item()));
        assert!(!needs_order_items(&order, &sync));
    }

    #[test]
    fn a_new_order_is_reduced_from_the_lines_it_creates() {
        let order = cancelled(1);

        let planned = reductions_planned(&order, None);

        assert_eq!(planned.len(), 1);
        assert_eq!(planned[0].lines[0].original, OriginalItem::NewLine(0));
    }

    #[test]
    fn without_its_products_known_a_change_waits_for_them_to_be_asked_for() {
        let order = cancelled(1);
        let sync = synced(&order, false, false);

        assert!(reductions_planned(&order, Some(&sync)).is_empty());
        assert!(needs_order_items(&order, &sync));
        assert!(
            !needs_order_items(&order, &synced(&order, false, true)),
            "nothing left to send"
        );
    }

    #[test]
    fn the_opportunity_amount_is_what_the_customer_pays_after_the_changes() {
        let order = cancelled(1);
        let mut case = Case::new();
        case.order = Some(order.clone());

        let amount = opportunity(&case.plan()).amount;

        assert!(amount.minor_units() < order.totals.total.minor_units());
        assert_eq!(amount, crate::sync::plan::current_total(&order));
    }
}

mod order_summaries {
    use std::collections::BTreeMap;

    use super::*;
    use crate::sync::status::OrderSync;

    /// The plan for `order` with Order Management `on`, the ledger being `known`.
    fn summarizes(order: Order, on: bool, known: Option<&OrderSync>) -> bool {
        let mut case = Case::new();
        case.settings.order_management = on;
        case.order = None;
        let plan = plan(PlanInput {
            person: &case.person,
            order: Some(&order),
            paid_at: None,
            customer_sync: &case.known,
            order_sync: known,
            found: None,
            prices: &case.prices,
            settings: &case.settings,
        });
        sf_order(&plan).summarize
    }

    fn activated(order: &Order, summary: Option<&str>) -> OrderSync {
        let mut sync = OrderSync {
            order_id: order.id.clone(),
            customer_key: order.customer.customer_key.clone(),
            number: order.number.clone(),
            status: order.status,
            total: order.totals.total,
            order_version: 1,
            order_activated: true,
            objects: Default::default(),
            products: Default::default(),
            order_summary_id: summary.map(id),
            follow_up_sent: false,
            updated_at: Utc::now(),
            version: 1,
        };
        let ids = BTreeMap::from([(CrmObject::Order, id("801000000000001AAA"))]);
        sync.record(&[CrmObject::Order], &Outcome::Synced(ids), Utc::now());
        sync
    }

    #[test]
    fn an_order_management_org_summarizes_the_order_it_activates() {
        assert!(summarizes(paid(&sample_order()), true, None));
    }

    #[test]
    fn an_activated_order_without_a_known_summary_is_summarized_and_one_with_is_not() {
        let order = paid(&sample_order());
        assert!(summarizes(
            order.clone(),
            true,
            Some(&activated(&order, None))
        ));
        let known = activated(&order, Some("1Os000000000001AAA"));
        assert!(!summarizes(order, true, Some(&known)));
    }

    #[test]
    fn no_summary_without_order_management_or_before_activation() {
        assert!(!summarizes(paid(&sample_order()), false, None));
        let mut case = Case::new();
        case.settings.order_management = true;
        case.settings.salesforce_order = SalesforceOrderPolicy::EveryOrder;
        assert!(
            !sf_order(&case.plan()).summarize,
            "an unpaid order stays Draft"
        );
    }
}

mod follow_up {
    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;
    use crate::sync::crm::FollowUpPlan;
    use crate::sync::status::OrderSync;

    fn planned(case: &Case, known: Option<&OrderSync>) -> Option<FollowUpPlan> {
        plan(PlanInput {
            person: &case.person,
            order: case.order.as_ref(),
            paid_at: case.paid_at,
            customer_sync: &case.known,
            order_sync: known,
            found: None,
            prices: &case.prices,
            settings: &case.settings,
        })
        .order
        .and_then(|o| o.follow_up)
    }

    /// A paid sample order, its total exactly the threshold.
    fn at_threshold() -> Case {
        let mut case = Case::new();
        let order = paid(&sample_order());
        let total = super::super::plan::current_total(&order);
        case.settings.follow_up_over = [(total.currency(), total.minor_units())].into();
        case.settings.follow_up_days = 3;
        case.paid_at = Some(Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap());
        case.order = Some(order);
        case
    }

    #[test]
    fn a_paid_order_reaching_the_threshold_is_followed_up_by_the_payment_day_plus_the_days() {
        let case = at_threshold();
        let order = case.order.clone().unwrap();

        let follow_up = planned(&case, None).expect("a follow-up");

        assert_eq!(
            follow_up.subject,
            format!("Call Jane Doe about order {}", order.number)
        );
        assert_eq!(follow_up.due, NaiveDate::from_ymd_opt(2026, 12, 3).unwrap());
        assert_eq!(follow_up.key, order.id.to_string());
    }

    #[test]
    fn no_follow_up_below_the_threshold_unpaid_in_another_currency_or_once_sent() {
        let mut below = at_threshold();
        below
            .settings
            .follow_up_over
            .values_mut()
            .for_each(|m| *m += 1);
        assert_eq!(planned(&below, None), None, "below");

        let mut unpaid = at_threshold();
        unpaid.order = Some(sample_order());
        assert_eq!(planned(&unpaid, None), None, "unpaid");

        let mut other = at_threshold();
        other.settings.follow_up_over = [(Currency::JPY, 1)].into();
        assert_eq!(planned(&other, None), None, "no threshold for its currency");

        let sent = at_threshold();
        let order = sent.order.clone().unwrap();
        let ledger = OrderSync {
            order_id: order.id.clone(),
            customer_key: order.customer.customer_key.clone(),
            number: order.number.clone(),
            status: order.status,
            total: order.totals.total,
            order_version: 1,
            order_activated: true,
            objects: Default::default(),
            products: Default::default(),
            order_summary_id: None,
            follow_up_sent: true,
            updated_at: Utc::now(),
            version: 1,
        };
        assert_eq!(planned(&sent, Some(&ledger)), None, "sent already");
    }

    #[test]
    fn the_salesforce_order_carries_the_order_type() {
        let mut case = Case::new();
        let mut order = paid(&sample_order());
        order.order_type = crate::order::OrderType::Bulk;
        case.order = Some(order);
        assert_eq!(sf_order(&case.plan()).order.fields().order_type, "Bulk");
    }
}
