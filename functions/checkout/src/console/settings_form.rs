//! The sync settings as a form. Each field is named after the settings' JSON field and says
//! how its value is sent (`data-type`), so the console's script sends the whole settings back
//! to `PUT /v1/admin/sync/settings` with the version they were read at.

use storesync_core::money::Currency;
use storesync_core::order::OrderStatus;
use storesync_core::sync::settings::{OpportunityPolicy, SalesforceOrderPolicy, SyncSettings};

use super::html::{Html, escape, markup};

fn order_policy(policy: SalesforceOrderPolicy) -> (&'static str, &'static str) {
    match policy {
        SalesforceOrderPolicy::PaidOrders => ("paid_orders", "for paid orders"),
        SalesforceOrderPolicy::EveryOrder => ("every_order", "for every order"),
        SalesforceOrderPolicy::Never => ("never", "never"),
    }
}

const ORDER_POLICIES: [SalesforceOrderPolicy; 3] = [
    SalesforceOrderPolicy::PaidOrders,
    SalesforceOrderPolicy::EveryOrder,
    SalesforceOrderPolicy::Never,
];

fn opportunity_policy(policy: OpportunityPolicy) -> (&'static str, &'static str) {
    match policy {
        OpportunityPolicy::EveryOrder => ("every_order", "for every order"),
        OpportunityPolicy::Never => ("never", "never"),
    }
}

const OPPORTUNITY_POLICIES: [OpportunityPolicy; 2] =
    [OpportunityPolicy::EveryOrder, OpportunityPolicy::Never];

/// A form under construction: one labelled field after another.
struct Form(Html);

impl Form {
    fn check(&mut self, name: &str, label: &str, on: bool) {
        markup!(
            self.0,
            r#"<label class="check"><input type="checkbox" name="{name}" data-type="bool"{}> {}</label>"#,
            if on { " checked" } else { "" },
            escape(label)
        );
    }

    fn text(&mut self, name: &str, label: &str, value: &str) {
        markup!(
            self.0,
            r#"<label>{} <input type="text" name="{name}" data-type="text" value="{}" maxlength="120" required></label>"#,
            escape(label),
            escape(value)
        );
    }

    /// A Salesforce id that may be left empty (sent as `null`).
    fn id(&mut self, name: &str, label: &str, value: Option<&str>) {
        markup!(
            self.0,
            r#"<label>{} <input type="text" name="{name}" data-type="id" value="{}" maxlength="18" placeholder="not set" spellcheck="false"></label>"#,
            escape(label),
            escape(value.unwrap_or(""))
        );
    }

    fn choice(&mut self, name: &str, label: &str, options: &[(&str, &str)], chosen: &str) {
        markup!(
            self.0,
            r#"<label>{} <select name="{name}" data-type="text">"#,
            escape(label)
        );
        for (value, text) in options {
            markup!(
                self.0,
                r#"<option value="{value}"{}>{}</option>"#,
                if *value == chosen { " selected" } else { "" },
                escape(text)
            );
        }
        markup!(self.0, "</select></label>");
    }

    fn heading(&mut self, text: &str) {
        markup!(
            self.0,
            "</fieldset><fieldset><legend>{}</legend>",
            escape(text)
        );
    }
}

/// The settings form, filled with `s` and carrying the version they were read at.
pub fn settings_form(s: &SyncSettings) -> Html {
    let mut f = Form(Html::default());
    markup!(
        f.0,
        r#"<form id="settings" data-version="{}" novalidate><fieldset><legend>Automatic sync</legend>"#,
        s.version
    );
    f.check(
        "auto_sync_customers",
        "Customers as they change",
        s.auto_sync_customers,
    );
    f.check(
        "auto_sync_orders",
        "Orders as they change",
        s.auto_sync_orders,
    );
    f.check(
        "auto_sync_carts",
        "Carts: abandoned ones on their schedule, big ones as they change",
        s.auto_sync_carts,
    );

    f.heading("Records");
    let options: Vec<_> = ORDER_POLICIES.into_iter().map(order_policy).collect();
    let chosen = order_policy(s.salesforce_order).0;
    f.choice("salesforce_order", "Salesforce Order", &options, chosen);
    let options: Vec<_> = OPPORTUNITY_POLICIES
        .into_iter()
        .map(opportunity_policy)
        .collect();
    let chosen = opportunity_policy(s.opportunity).0;
    f.choice("opportunity", "Opportunity", &options, chosen);
    f.id(
        "opportunity_record_type_id",
        "Opportunity record type (012…)",
        s.opportunity_record_type_id.as_deref(),
    );
    markup!(
        f.0,
        r#"<label>Sales cycle (days) <input type="number" name="sales_cycle_days" data-type="number" value="{}" min="0" max="3650" step="1" required></label>"#,
        s.sales_cycle_days
    );
    f.check(
        "contact_roles",
        "The Contact in a role on each Opportunity",
        s.contact_roles,
    );
    f.text("contact_role", "Contact role", &s.contact_role);
    f.check(
        "multi_currency",
        "The org has multi-currency",
        s.multi_currency,
    );
    f.check(
        "order_management",
        "The org has Order Management (an OrderSummary per activated Order)",
        s.order_management,
    );
    f.id(
        "standard_pricebook_id",
        "Standard price book (01s…)",
        s.standard_pricebook_id.as_deref(),
    );

    f.heading("High-value follow-up");
    for currency in Currency::ALL {
        let code = currency.code();
        markup!(
            f.0,
            r#"<label>Orders from (in {code} minor units; empty: none) <input type="number" name="follow_up_over.{code}" data-type="amounts" value="{}" min="1" step="1" placeholder="no follow-up"></label>"#,
            s.follow_up_over
                .get(&currency)
                .map(i64::to_string)
                .unwrap_or_default()
        );
    }
    markup!(
        f.0,
        r#"<label>Task due after (days) <input type="number" name="follow_up_days" data-type="number" value="{}" min="0" max="365" step="1" required></label>"#,
        s.follow_up_days
    );

    f.heading("Big carts");
    for currency in Currency::ALL {
        let code = currency.code();
        markup!(
            f.0,
            r#"<label>Carts from (in {code} minor units; empty: none) <input type="number" name="big_cart_over.{code}" data-type="amounts" value="{}" min="1" step="1" placeholder="no big carts"></label>"#,
            s.big_cart_over
                .get(&currency)
                .map(i64::to_string)
                .unwrap_or_default()
        );
    }
    f.text("big_cart_stage", "Big cart stage", &s.big_cart_stage);

    f.heading("Stages");
    f.text("draft_stage", "Draft stage", &s.draft_stage);
    f.check(
        "convert_on_payment",
        "A paid order wins its Opportunity",
        s.convert_on_payment,
    );
    f.text("converted_stage", "Won stage", &s.converted_stage);
    f.check(
        "invoice_date_as_close_date",
        "Close on the day of payment",
        s.invoice_date_as_close_date,
    );
    f.text(
        "abandoned_cart_stage",
        "Abandoned cart stage",
        &s.abandoned_cart_stage,
    );
    markup!(
        f.0,
        r#"<table class="mapping"><caption>Stage by order status (empty: the draft stage)</caption><tbody>"#
    );
    for status in OrderStatus::ALL {
        let name = status.as_str();
        markup!(
            f.0,
            r#"<tr><th scope="row"><label for="stage-{name}">{name}</label></th><td><input type="text" id="stage-{name}" name="stage_mapping.{name}" data-type="stage" value="{}" maxlength="120"></td></tr>"#,
            escape(s.stage_mapping.get(&status).map_or("", String::as_str))
        );
    }
    markup!(f.0, "</tbody></table>");

    f.heading("People");
    f.check(
        "overwrite_account_name",
        "A matched Account takes the store's name",
        s.overwrite_account_name,
    );
    f.id(
        "default_owner_id",
        "Owner of new Accounts and Contacts (005…)",
        s.default_owner_id.as_deref(),
    );
    f.id(
        "default_lead_owner_id",
        "Owner of new Leads (005… or 00G…)",
        s.default_lead_owner_id.as_deref(),
    );
    f.text(
        "lead_source_web",
        "Lead source, web shop",
        &s.lead_source_web,
    );
    f.text(
        "lead_source_social",
        "Lead source, social media",
        &s.lead_source_social,
    );

    markup!(
        f.0,
        r#"</fieldset><input type="hidden" name="version" data-type="number" value="{}"><div id="settings-problem" class="problem" role="alert" hidden></div><p class="actions"><button type="submit">Save settings</button> <span id="settings-status" role="status"></span> <span class="version">version {}</span></p></form>"#,
        s.version,
        s.version
    );
    f.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_has_a_field_named_after_it() {
        let form = settings_form(&SyncSettings::default());
        let json = serde_json::to_value(SyncSettings::default()).unwrap();
        for (field, value) in json.as_object().unwrap() {
            let name = if value.is_object() {
                format!(r#"name="{field}."#)
            } else {
                format!(r#"name="{field}""#)
            };
            assert!(form.as_str().contains(&name), "{field} is missing");
        }
        for status in OrderStatus::ALL {
            assert!(
                form.as_str()
                    .contains(&format!(r#"name="stage_mapping.{}""#, status.as_str()))
            );
        }
    }

    #[test]
    fn the_form_shows_the_values_read_escaped_and_their_version() {
        let settings = SyncSettings {
            contact_role: r#"Buyer "<main>""#.into(),
            salesforce_order: SalesforceOrderPolicy::Never,
            auto_sync_orders: false,
            default_owner_id: Some("005000000000001AAA".into()),
            version: 7,
            ..SyncSettings::default()
        };
        let form = settings_form(&settings);
        let form = form.as_str();
        assert!(
            form.contains(r#"value="Buyer &quot;&lt;main&gt;&quot;""#),
            "{form}"
        );
        assert!(form.contains(r#"<option value="never" selected>"#));
        assert!(form.contains(r#"name="auto_sync_orders" data-type="bool">"#));
        assert!(form.contains(r#"name="auto_sync_customers" data-type="bool" checked>"#));
        assert!(
            form.contains(r#"name="default_owner_id" data-type="id" value="005000000000001AAA""#)
        );
        assert!(form.contains(r#"name="version" data-type="number" value="7""#));
        assert!(form.contains(r#"name="follow_up_over.USD" data-type="amounts" value="100000""#));
        assert!(form.contains(r#"name="follow_up_over.EUR" data-type="amounts" value="""#));
        assert!(form.contains(r#"name="big_cart_over.JPY" data-type="amounts" value="75000""#));
        assert!(form.contains(r#"name="big_cart_over.GBP" data-type="amounts" value="""#));
        assert!(form.contains(r#"name="big_cart_stage" data-type="text" value="Prospecting""#));
        assert!(form.contains(r#"name="stage_mapping.paid" data-type="stage" value="Closed Won""#));
        assert!(form.contains(r#"name="stage_mapping.returned" data-type="stage" value="""#));
    }
}
