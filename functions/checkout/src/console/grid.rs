//! The console's grid: orders, customers or abandoned carts in one sync state, a row each, with the
//! "Salesforce Sync" mark (a green tick, a red cross whose hover text is the last error, or a
//! neutral dot while pending) and each Salesforce record's id, linked to it when the org's
//! address is known.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use storesync_core::admin::SalesforceInstance;
use storesync_core::sync::status::{
    CartSync, CrmObject, CustomerSync, ObjectSync, OrderSync, SyncState,
};

use super::html::{Html, escape, markup};

/// What the grid lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Orders,
    Customers,
    Carts,
}

impl Kind {
    pub fn parse(raw: Option<&str>) -> Option<Kind> {
        match raw {
            None | Some("orders") => Some(Kind::Orders),
            Some("customers") => Some(Kind::Customers),
            Some("carts") => Some(Kind::Carts),
            Some(_) => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Orders => "orders",
            Kind::Customers => "customers",
            Kind::Carts => "carts",
        }
    }

    /// What the grid's caption and empty line call the items.
    fn noun(self) -> &'static str {
        match self {
            Kind::Carts => "abandoned carts",
            other => other.as_str(),
        }
    }
}

pub fn state_name(state: SyncState) -> &'static str {
    match state {
        SyncState::Pending => "pending",
        SyncState::Synced => "synced",
        SyncState::Failed => "failed",
    }
}

/// One page of the grid, ready to render.
pub struct GridPage<'a> {
    pub kind: Kind,
    pub state: SyncState,
    /// The cursor this page was read after (none: the first page).
    pub after: Option<&'a str>,
    pub rows: Vec<Html>,
    pub next: Option<&'a str>,
}

/// The grid: its table, or a line saying there is nothing in this state, and its pager.
pub fn grid(page: &GridPage<'_>) -> Html {
    let (kind, noun, state) = (page.kind.as_str(), page.kind.noun(), state_name(page.state));
    let mut out = Html::default();
    markup!(
        out,
        r#"<div id="grid" data-kind="{kind}" data-state="{state}" data-after="{}">"#,
        escape(page.after.unwrap_or(""))
    );
    if page.rows.is_empty() {
        markup!(
            out,
            r#"<p class="empty">No {noun} in sync state {state}.</p>"#
        );
    } else {
        markup!(
            out,
            r#"<table class="grid"><caption>{noun} in sync state {state}: {} on this page</caption><thead><tr><th class="pick"><input type="checkbox" data-action="select-all" aria-label="Select every row"></th>{}<th>Salesforce Sync</th><th>Salesforce records</th><th>Last change</th><th><span class="visually-hidden">Actions</span></th></tr></thead><tbody>"#,
            page.rows.len(),
            match page.kind {
                Kind::Orders => "<th>Order</th><th>Customer</th><th>Status</th><th>Total</th>",
                Kind::Customers => "<th>Customer</th><th>In Salesforce as</th>",
                Kind::Carts => "<th>Cart</th><th>Customer</th><th>Value</th>",
            }
        );
        for row in &page.rows {
            out.append(row);
        }
        markup!(out, "</tbody></table>");
    }
    markup!(out, r#"<nav class="pager" aria-label="Pages">"#);
    if page.after.is_some() {
        markup!(
            out,
            r#"<button type="button" data-action="page" data-after="">First page</button>"#
        );
    }
    if let Some(next) = page.next {
        markup!(
            out,
            r#"<button type="button" data-action="page" data-after="{}">Next page</button>"#,
            escape(next)
        );
    }
    markup!(out, "</nav></div>");
    out
}

/// Rows of items that changed, for the console to put in place of the rows it shows.
pub fn changes(rows: &[Html]) -> Html {
    let mut out = Html::default();
    markup!(out, r#"<table id="changes"><tbody>"#);
    for row in rows {
        out.append(row);
    }
    markup!(out, "</tbody></table>");
    out
}

pub fn order_row(o: &OrderSync, salesforce: Option<&SalesforceInstance>) -> Html {
    let (id, number) = (escape(o.order_id.as_str()), escape(&o.number));
    let state = o.state();
    let mut out = Html::default();
    markup!(
        out,
        r#"<tr data-id="{id}" data-state="{}"><td class="pick"><input type="checkbox" name="select" value="{id}" aria-label="Select order {number}"></td><td>{number}<br><small class="id">{id}</small></td><td>{}</td><td>{}</td><td class="num">{}</td><td class="sync">{}</td><td>{}</td><td>{}</td><td><button type="button" data-action="sync-one" data-id="{id}">Sync now</button></td></tr>"#,
        state_name(state),
        escape(o.customer_key.as_str()),
        escape(o.status.as_str()),
        escape(&o.total.to_string()),
        mark(state, &o.objects).as_str(),
        records(&o.objects, salesforce).as_str(),
        time(o.updated_at).as_str(),
    );
    out
}

pub fn customer_row(c: &CustomerSync, salesforce: Option<&SalesforceInstance>) -> Html {
    let key = escape(c.customer_key.as_str());
    let state = c.state();
    let mut out = Html::default();
    markup!(
        out,
        r#"<tr data-id="{key}" data-state="{}"><td class="pick"><input type="checkbox" name="select" value="{key}" aria-label="Select customer {key}"></td><td>{key}</td><td>{}</td><td class="sync">{}</td><td>{}</td><td>{}</td><td><button type="button" data-action="sync-one" data-id="{key}">Sync now</button></td></tr>"#,
        state_name(state),
        if c.has_orders {
            "Account and Contact"
        } else {
            "Lead"
        },
        mark(state, &c.objects).as_str(),
        records(&c.objects, salesforce).as_str(),
        time(c.updated_at).as_str(),
    );
    out
}

/// An abandoned cart: its Opportunity (a customer's) or Lead (a guest's), by the cart's id.
pub fn cart_row(c: &CartSync, salesforce: Option<&SalesforceInstance>) -> Html {
    let id = escape(c.cart_id.as_str());
    let state = c.state();
    let mut out = Html::default();
    markup!(
        out,
        r#"<tr data-id="{id}" data-state="{}"><td class="pick"><input type="checkbox" name="select" value="{id}" aria-label="Select cart {id}"></td><td><small class="id">{id}</small></td><td>{}</td><td class="num">{}</td><td class="sync">{}</td><td>{}</td><td>{}</td><td><button type="button" data-action="sync-one" data-id="{id}">Sync now</button></td></tr>"#,
        state_name(state),
        escape(c.customer_key.as_str()),
        escape(&c.total.to_string()),
        mark(state, &c.objects).as_str(),
        records(&c.objects, salesforce).as_str(),
        time(c.updated_at).as_str(),
    );
    out
}

/// The "Salesforce Sync" mark of a row; its hover text says why it is not synced.
fn mark(state: SyncState, objects: &BTreeMap<CrmObject, ObjectSync>) -> Html {
    let errors = |wanted: SyncState| -> Vec<String> {
        objects
            .iter()
            .filter(|(_, record)| record.state == wanted)
            .filter_map(|(object, record)| {
                let error = record.last_error.as_deref()?;
                Some(format!("{}: {error}", object.as_str()))
            })
            .collect()
    };
    let (symbol, label, title) = match state {
        SyncState::Synced => {
            let at = objects.values().filter_map(|r| r.last_synced_at).max();
            let title = match at {
                Some(at) => format!("Synced {}", at.format("%Y-%m-%d %H:%M:%S UTC")),
                None => "Synced".to_owned(),
            };
            ("&#x2713;", "Synced", title)
        }
        SyncState::Failed => {
            let errors = errors(SyncState::Failed);
            let title = if errors.is_empty() {
                "Failed".to_owned()
            } else {
                errors.join("\n")
            };
            ("&#x2717;", "Failed", title)
        }
        SyncState::Pending => {
            let mut title = "Waiting to sync".to_owned();
            for error in errors(SyncState::Pending) {
                title.push_str(&format!("\nlast try: {error}"));
            }
            ("&#x2022;", "Pending", title)
        }
    };
    let mut out = Html::default();
    markup!(
        out,
        r#"<span class="mark mark-{}" role="img" aria-label="{label}" title="{}">{symbol}</span>"#,
        state_name(state),
        escape(&title)
    );
    out
}

/// Each Salesforce record of a row: its object and id, the id a link when one can be made.
fn records(
    objects: &BTreeMap<CrmObject, ObjectSync>,
    salesforce: Option<&SalesforceInstance>,
) -> Html {
    let mut out = Html::default();
    if objects.is_empty() {
        markup!(out, r#"<span class="none">none yet</span>"#);
        return out;
    }
    markup!(out, r#"<ul class="records">"#);
    for (object, record) in objects {
        markup!(out, "<li>{} ", escape(object.as_str()));
        match (&record.id, salesforce) {
            (Some(id), Some(instance)) => markup!(
                out,
                r#"<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>"#,
                escape(&instance.record_link(*object, id)),
                escape(id.as_str())
            ),
            (Some(id), None) => markup!(out, "<code>{}</code>", escape(id.as_str())),
            (None, _) => markup!(out, r#"<span class="none">no id yet</span>"#),
        }
        markup!(out, "</li>");
    }
    markup!(out, "</ul>");
    out
}

fn time(at: DateTime<Utc>) -> Html {
    let mut out = Html::default();
    markup!(
        out,
        r#"<time datetime="{}">{}</time>"#,
        at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        at.format("%Y-%m-%d %H:%M UTC")
    );
    out
}

#[cfg(test)]
mod tests {
    use storesync_core::ids::{CartId, CrmId, CustomerKey, OrderId};
    use storesync_core::money::{Currency, Money};
    use storesync_core::order::OrderStatus;

    use super::*;

    fn record(state: SyncState, id: Option<&str>, error: Option<&str>) -> ObjectSync {
        ObjectSync {
            id: id.map(|id| CrmId::parse(id).unwrap()),
            state,
            attempts: u32::from(error.is_some()),
            last_error: error.map(str::to_owned),
            last_synced_at: None,
        }
    }

    fn order(objects: BTreeMap<CrmObject, ObjectSync>) -> OrderSync {
        OrderSync {
            order_id: OrderId::parse("ord_9f1c2b7a4e6d4c0b8a3e5f1d2c7b9a01").unwrap(),
            customer_key: CustomerKey::parse("c-1").unwrap(),
            number: "SO-1001".into(),
            status: OrderStatus::Paid,
            total: Money::new(1200, Currency::USD),
            order_version: 1,
            order_activated: false,
            objects,
            products: Default::default(),
            order_summary_id: None,
            follow_up_sent: false,
            updated_at: Utc::now(),
            version: 1,
        }
    }

    fn instance() -> SalesforceInstance {
        SalesforceInstance::parse("https://acme.my.salesforce.com").unwrap()
    }

    #[test]
    fn a_failed_order_shows_a_red_mark_whose_hover_text_is_its_error_escaped() {
        let row = order_row(
            &order(BTreeMap::from([
                (
                    CrmObject::Opportunity,
                    record(
                        SyncState::Failed,
                        None,
                        Some(
                            r#"FIELD_CUSTOM_VALIDATION_EXCEPTION: <img src=x onerror="alert(1)">"#,
                        ),
                    ),
                ),
                (
                    CrmObject::Order,
                    record(SyncState::Synced, Some("801000000000001AAA"), None),
                ),
            ])),
            Some(&instance()),
        );
        let row = row.as_str();
        assert!(row.contains(r#"data-state="failed""#), "{row}");
        assert!(
            row.contains(r#"class="mark mark-failed" role="img" aria-label="Failed" title="Opportunity: FIELD_CUSTOM_VALIDATION_EXCEPTION: &lt;img src=x onerror=&quot;alert(1)&quot;&gt;""#),
            "{row}"
        );
        assert!(!row.contains("<img"), "{row}");
        assert!(row.contains(
            r#"<a href="https://acme.my.salesforce.com/lightning/r/Order/801000000000001AAA/view" target="_blank" rel="noopener noreferrer">801000000000001AAA</a>"#
        ));
        assert!(row.contains("Opportunity <span class=\"none\">no id yet</span>"));
        assert!(row.contains("12.00 USD"), "{row}");
    }

    #[test]
    fn a_synced_order_has_a_green_tick_and_without_the_orgs_address_no_links() {
        let row = order_row(
            &order(BTreeMap::from([(
                CrmObject::Opportunity,
                record(SyncState::Synced, Some("006000000000001AAA"), None),
            )])),
            None,
        );
        assert!(row.as_str().contains(r#"class="mark mark-synced""#));
        assert!(row.as_str().contains("&#x2713;"));
        assert!(!row.as_str().contains("<a "));
        assert!(row.as_str().contains("<code>006000000000001AAA</code>"));
    }

    #[test]
    fn a_pending_customer_has_a_neutral_mark_that_tells_the_last_try() {
        let mut customer = CustomerSync::new(CustomerKey::parse("guest|em_1").unwrap(), Utc::now());
        customer.objects.insert(
            CrmObject::Lead,
            record(SyncState::Pending, None, Some("UNABLE_TO_LOCK_ROW")),
        );
        let row = customer_row(&customer, Some(&instance()));
        assert!(row.as_str().contains(
            r#"class="mark mark-pending" role="img" aria-label="Pending" title="Waiting to sync
last try: Lead: UNABLE_TO_LOCK_ROW""#
        ));
        assert!(row.as_str().contains(r#"data-id="guest|em_1""#));
    }

    #[test]
    fn the_pager_offers_the_next_page_and_the_first_once_past_it() {
        let first = grid(&GridPage {
            kind: Kind::Orders,
            state: SyncState::Failed,
            after: None,
            rows: vec![],
            next: Some("2026-12-01T10:00:00.000000000Z~ord_1"),
        });
        assert!(first.as_str().contains("No orders in sync state failed."));
        assert!(first.as_str().contains(
            r#"data-action="page" data-after="2026-12-01T10:00:00.000000000Z~ord_1">Next page"#
        ));
        assert!(!first.as_str().contains("First page"));
        let last = grid(&GridPage {
            kind: Kind::Customers,
            state: SyncState::Synced,
            after: Some("x"),
            rows: vec![Html::text("row")],
            next: None,
        });
        assert!(last.as_str().contains("First page"));
        assert!(!last.as_str().contains("Next page"));
        assert!(last.as_str().contains("<th>In Salesforce as</th>"));
    }

    #[test]
    fn an_abandoned_cart_whose_lead_failed_shows_its_error_and_a_synced_one_links_its_opportunity()
    {
        let cart_id = CartId::parse("cart_1f2e3d4c5b6a79880716253443526170").unwrap();
        let mut cart = CartSync::new(
            cart_id.clone(),
            CustomerKey::parse("guest|em_1").unwrap(),
            Money::new(2400, Currency::USD),
            Utc::now(),
        );
        cart.objects.insert(
            CrmObject::Lead,
            record(
                SyncState::Failed,
                None,
                Some("INVALID_EMAIL_ADDRESS: <b>bad</b>"),
            ),
        );
        let row = cart_row(&cart, Some(&instance()));
        let row = row.as_str();
        assert!(
            row.contains(&format!(r#"<tr data-id="{cart_id}" data-state="failed">"#)),
            "{row}"
        );
        assert!(row.contains(&format!(r#"name="select" value="{cart_id}""#)));
        assert!(
            row.contains(r#"title="Lead: INVALID_EMAIL_ADDRESS: &lt;b&gt;bad&lt;/b&gt;""#),
            "{row}"
        );
        assert!(row.contains("<td>guest|em_1</td>"), "{row}");
        assert!(row.contains("24.00 USD"), "{row}");

        cart.objects.clear();
        cart.objects.insert(
            CrmObject::Opportunity,
            record(SyncState::Synced, Some("006000000000001AAA"), None),
        );
        let row = cart_row(&cart, Some(&instance()));
        assert!(row.as_str().contains(r#"class="mark mark-synced""#));
        assert!(row.as_str().contains(
            r#"href="https://acme.my.salesforce.com/lightning/r/Opportunity/006000000000001AAA/view""#
        ));
    }

    #[test]
    fn the_carts_grid_is_captioned_as_abandoned_carts() {
        let page = grid(&GridPage {
            kind: Kind::Carts,
            state: SyncState::Failed,
            after: None,
            rows: vec![],
            next: None,
        });
        assert!(page.as_str().contains(r#"data-kind="carts""#));
        assert!(
            page.as_str()
                .contains("No abandoned carts in sync state failed.")
        );
        assert_eq!(Kind::parse(Some("carts")), Some(Kind::Carts));
        assert_eq!(Kind::parse(Some("cart")), None);
    }
}
