//! What store owners decide about the sync to Salesforce: whether it runs by itself, which
//! records it creates, and the stages it uses. Read at run time from the store (an operator
//! changes them without a deploy); the defaults come from the environment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::InvalidValue;
use crate::money::{Currency, Money, reaches};
use crate::order::lifecycle::OrderStatus;

/// The most days a follow-up Task may be due after the payment.
pub const MAX_FOLLOW_UP_DAYS: u32 = 365;

/// When a paid (or every) store order becomes a Salesforce Order with its products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SalesforceOrderPolicy {
    #[default]
    PaidOrders,
    EveryOrder,
    Never,
}

/// Whether each store order becomes an Opportunity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpportunityPolicy {
    #[default]
    EveryOrder,
    Never,
}

/// The sync settings, one item per store (`CONFIG#sync`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SyncSettings {
    /// Customers (Leads, Contacts, Accounts) sync as they change; off, only manual syncs run.
    pub auto_sync_customers: bool,
    /// Orders (Opportunities, Salesforce Orders) sync as they change.
    pub auto_sync_orders: bool,
    /// Abandoned carts sync on their schedule.
    pub auto_sync_carts: bool,
    pub salesforce_order: SalesforceOrderPolicy,
    pub opportunity: OpportunityPolicy,
    /// The Opportunity record type's id; the org's default record type when unset.
    pub opportunity_record_type_id: Option<String>,
    /// Days from the order to the Opportunity's close date.
    pub sales_cycle_days: u32,
    /// The customer's Contact is linked to each order's Opportunity in this role.
    pub contact_roles: bool,
    pub contact_role: String,
    /// The stage of an Opportunity while its order is open and unmapped.
    pub draft_stage: String,
    /// The stage for each order status; a status not listed keeps the draft stage.
    pub stage_mapping: BTreeMap<OrderStatus, String>,
    /// A paid order wins its Opportunity: it moves to `converted_stage`.
    pub convert_on_payment: bool,
    pub converted_stage: String,
    /// A won Opportunity closes on the day the payment was captured, not at the end of the
    /// sales cycle.
    pub invoice_date_as_close_date: bool,
    /// The stage of an abandoned cart's Opportunity.
    pub abandoned_cart_stage: String,
    /// A registered customer's cart whose value (the goods after the discount) reaches its
    /// currency's threshold (in minor units) is a big cart: its changes go to Salesforce as
    /// they happen, an Opportunity at `big_cart_stage` for a customer, the cart's value on
    /// the Lead of someone who has not ordered. A currency not listed (or an empty map) has
    /// no big carts.
    pub big_cart_over: BTreeMap<Currency, i64>,
    /// The stage of a big cart's Opportunity while the cart is being filled.
    pub big_cart_stage: String,
    /// A matched Account takes the store's name for it; off, its name in Salesforce is kept.
    pub overwrite_account_name: bool,
    /// Owner of new Accounts and Contacts (a User id); the integration user when unset.
    pub default_owner_id: Option<String>,
    /// Owner of new Leads (a User id or a queue id); the integration user when unset.
    pub default_lead_owner_id: Option<String>,
    /// `LeadSource` of customers who came through the web shop and through social media.
    pub lead_source_web: String,
    pub lead_source_social: String,
    /// The org has multi-currency on: records carry `CurrencyIsoCode`.
    pub multi_currency: bool,
    /// The org has Salesforce Order Management: each activated Order gets its OrderSummary,
    /// created through the Connect API's order-summaries action.
    pub order_management: bool,
    /// The org's standard price book, once known (found by the first sync that needs it).
    pub standard_pricebook_id: Option<String>,
    /// A paid order whose total reaches its currency's threshold (in minor units) gets a
    /// follow-up Task for the Account's owner and a `Storesync_Order_Event__e`; a currency
    /// not listed (or an empty map) has no follow-ups.
    pub follow_up_over: BTreeMap<Currency, i64>,
    /// Days from the payment to the follow-up Task's due date.
    pub follow_up_days: u32,
    /// Optimistic concurrency of the settings item.
    pub version: u64,
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            auto_sync_customers: true,
            auto_sync_orders: true,
            auto_sync_carts: true,
            salesforce_order: SalesforceOrderPolicy::PaidOrders,
            opportunity: OpportunityPolicy::EveryOrder,
            opportunity_record_type_id: None,
            sales_cycle_days: 30,
            contact_roles: true,
            contact_role: "Decision Maker".into(),
            draft_stage: "Prospecting".into(),
            stage_mapping: default_stage_mapping(),
            convert_on_payment: true,
            converted_stage: "Closed Won".into(),
            invoice_date_as_close_date: false,
            // Past the big cart's stage: an abandoned cart reached the payment step.
            abandoned_cart_stage: "Qualification".into(),
            big_cart_over: BTreeMap::from([
                (Currency::USD, 50_000),
                (Currency::EUR, 46_000),
                (Currency::INR, 4_200_000),
                (Currency::JPY, 75_000),
            ]),
            big_cart_stage: "Prospecting".into(),
            overwrite_account_name: false,
            default_owner_id: None,
            default_lead_owner_id: None,
            lead_source_web: "Web".into(),
            lead_source_social: "Social Media".into(),
            multi_currency: true,
            order_management: false,
            standard_pricebook_id: None,
            follow_up_over: BTreeMap::from([(Currency::USD, 100_000)]),
            follow_up_days: 2,
            version: 0,
        }
    }
}

/// Orders that end without a sale lose their Opportunity; orders on their way to the
/// customer after payment have won it.
fn default_stage_mapping() -> BTreeMap<OrderStatus, String> {
    use OrderStatus as S;
    [
        (S::PendingPayment, "Proposal/Price Quote"),
        (S::Paid, "Closed Won"),
        (S::Fulfilling, "Closed Won"),
        (S::Shipped, "Closed Won"),
        (S::Delivered, "Closed Won"),
        (S::Closed, "Closed Won"),
        (S::Cancelled, "Closed Lost"),
        (S::Refunded, "Closed Lost"),
    ]
    .into_iter()
    .map(|(status, stage)| (status, stage.to_owned()))
    .collect()
}

/// `USD:100000,EUR:92000`: thresholds in minor units by currency.
fn parse_thresholds(raw: &str) -> Option<BTreeMap<Currency, i64>> {
    raw.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (currency, minor) = pair.split_once(':')?;
            let currency = currency.trim().parse().ok()?;
            let minor = minor.trim().parse().ok().filter(|m: &i64| *m > 0)?;
            Some((currency, minor))
        })
        .collect()
}

impl SyncSettings {
    /// The follow-up threshold an order of `total` reaches, if its currency has one.
    pub fn follow_up_for(&self, total: Money) -> bool {
        reaches(&self.follow_up_over, total)
    }

    /// A cart of `value` is big: it reaches its currency's threshold, if there is one.
    pub fn big_cart_for(&self, value: Money) -> bool {
        reaches(&self.big_cart_over, value)
    }

    /// The defaults, changed by the `STORESYNC_SYNC_*` variables `lookup` finds. A value
    /// that does not parse is named in the error.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, InvalidValue> {
        let mut s = SyncSettings::default();
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let flag = |name: &str, into: &mut bool| -> Result<(), InvalidValue> {
            if let Some(raw) = get(name) {
                *into = match raw.trim().to_ascii_lowercase().as_str() {
                    "true" | "on" | "yes" | "1" => true,
                    "false" | "off" | "no" | "0" => false,
                    _ => return Err(InvalidValue::new(name, "must be true or false")),
                };
            }
            Ok(())
        };
        flag("STORESYNC_SYNC_AUTO_CUSTOMERS", &mut s.auto_sync_customers)?;
        flag("STORESYNC_SYNC_AUTO_ORDERS", &mut s.auto_sync_orders)?;
        flag("STORESYNC_SYNC_AUTO_CARTS", &mut s.auto_sync_carts)?;
        flag("STORESYNC_SYNC_CONTACT_ROLES", &mut s.contact_roles)?;
        flag(
            "STORESYNC_SYNC_CONVERT_ON_PAYMENT",
            &mut s.convert_on_payment,
        )?;
        flag(
            "STORESYNC_SYNC_INVOICE_DATE_AS_CLOSE_DATE",
            &mut s.invoice_date_as_close_date,
        )?;
        flag(
            "STORESYNC_SYNC_OVERWRITE_ACCOUNT_NAME",
            &mut s.overwrite_account_name,
        )?;
        flag("STORESYNC_SYNC_MULTI_CURRENCY", &mut s.multi_currency)?;
        flag("STORESYNC_SYNC_ORDER_MANAGEMENT", &mut s.order_management)?;
        let text = |name: &str, into: &mut String| {
            if let Some(v) = get(name) {
                *into = v.trim().to_owned();
            }
        };
        text("STORESYNC_SYNC_CONTACT_ROLE", &mut s.contact_role);
        text("STORESYNC_SYNC_DRAFT_STAGE", &mut s.draft_stage);
        text("STORESYNC_SYNC_CONVERTED_STAGE", &mut s.converted_stage);
        text(
            "STORESYNC_SYNC_ABANDONED_CART_STAGE",
            &mut s.abandoned_cart_stage,
        );
        text("STORESYNC_SYNC_BIG_CART_STAGE", &mut s.big_cart_stage);
        text("STORESYNC_SYNC_LEAD_SOURCE_WEB", &mut s.lead_source_web);
        text(
            "STORESYNC_SYNC_LEAD_SOURCE_SOCIAL",
            &mut s.lead_source_social,
        );
        let id = |name: &str| get(name).map(|v| v.trim().to_owned());
        s.opportunity_record_type_id = id("STORESYNC_SYNC_OPPORTUNITY_RECORD_TYPE_ID");
        s.default_owner_id = id("STORESYNC_SYNC_DEFAULT_OWNER_ID");
        s.default_lead_owner_id = id("STORESYNC_SYNC_DEFAULT_LEAD_OWNER_ID");
        s.standard_pricebook_id = id("STORESYNC_SYNC_STANDARD_PRICEBOOK_ID");
        if let Some(raw) = get("STORESYNC_SYNC_SALES_CYCLE_DAYS") {
            s.sales_cycle_days =
                raw.trim()
                    .parse()
                    .ok()
                    .filter(|d| *d <= 3650)
                    .ok_or_else(|| {
                        InvalidValue::new(
                            "STORESYNC_SYNC_SALES_CYCLE_DAYS",
                            "must be a whole number of days from 0 to 3650",
                        )
                    })?;
        }
        let thresholds = |name: &'static str, into: &mut BTreeMap<Currency, i64>| {
            if let Some(raw) = lookup(name) {
                *into = parse_thresholds(&raw).ok_or_else(|| {
                    InvalidValue::new(
                        name,
                        "must be CURRENCY:minor units pairs, e.g. USD:100000,EUR:92000 (empty: none)",
                    )
                })?;
            }
            Ok::<_, InvalidValue>(())
        };
        thresholds("STORESYNC_SYNC_FOLLOW_UP_OVER", &mut s.follow_up_over)?;
        thresholds("STORESYNC_SYNC_BIG_CART_OVER", &mut s.big_cart_over)?;
        if let Some(raw) = get("STORESYNC_SYNC_FOLLOW_UP_DAYS") {
            s.follow_up_days = raw
                .trim()
                .parse()
                .ok()
                .filter(|d| *d <= MAX_FOLLOW_UP_DAYS)
                .ok_or_else(|| {
                    InvalidValue::new(
                        "STORESYNC_SYNC_FOLLOW_UP_DAYS",
                        "must be a whole number of days from 0 to 365",
                    )
                })?;
        }
        if let Some(raw) = get("STORESYNC_SYNC_SALESFORCE_ORDER") {
            s.salesforce_order = match raw.trim() {
                "paid_orders" => SalesforceOrderPolicy::PaidOrders,
                "every_order" => SalesforceOrderPolicy::EveryOrder,
                "never" => SalesforceOrderPolicy::Never,
                _ => {
                    return Err(InvalidValue::new(
                        "STORESYNC_SYNC_SALESFORCE_ORDER",
                        "must be paid_orders, every_order or never",
                    ));
                }
            };
        }
        if let Some(raw) = get("STORESYNC_SYNC_OPPORTUNITY") {
            s.opportunity = match raw.trim() {
                "every_order" => OpportunityPolicy::EveryOrder,
                "never" => OpportunityPolicy::Never,
                _ => {
                    return Err(InvalidValue::new(
                        "STORESYNC_SYNC_OPPORTUNITY",
                        "must be every_order or never",
                    ));
                }
            };
        }
        s.validate()?;
        Ok(s)
    }

    /// Stages and roles must name something; a blank one would be refused by Salesforce on
    /// every sync.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        let named = [
            ("contact_role", &self.contact_role),
            ("draft_stage", &self.draft_stage),
            ("converted_stage", &self.converted_stage),
            ("abandoned_cart_stage", &self.abandoned_cart_stage),
            ("big_cart_stage", &self.big_cart_stage),
            ("lead_source_web", &self.lead_source_web),
            ("lead_source_social", &self.lead_source_social),
        ];
        for (field, value) in named {
            if value.trim().is_empty() || value.chars().count() > 120 {
                return Err(InvalidValue::new(field, "must be 1 to 120 characters"));
            }
        }
        let thresholds = [
            ("follow_up_over", &self.follow_up_over),
            ("big_cart_over", &self.big_cart_over),
        ];
        for (field, over) in thresholds {
            if let Some((currency, _)) = over.iter().find(|(_, minor)| **minor <= 0) {
                return Err(InvalidValue::new(
                    format!("{field}.{currency}"),
                    "must be a positive amount in minor units",
                ));
            }
        }
        if self.follow_up_days > MAX_FOLLOW_UP_DAYS {
            return Err(InvalidValue::new(
                "follow_up_days",
                "must be a whole number of days from 0 to 365",
            ));
        }
        for (status, stage) in &self.stage_mapping {
            if stage.trim().is_empty() || stage.chars().count() > 120 {
                return Err(InvalidValue::new(
                    format!("stage_mapping.{}", status.as_str()),
                    "must be 1 to 120 characters",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_connector_guide() {
        let s = SyncSettings::default();
        assert_eq!(s.salesforce_order, SalesforceOrderPolicy::PaidOrders);
        assert_eq!(s.opportunity, OpportunityPolicy::EveryOrder);
        assert!(s.contact_roles && s.convert_on_payment && s.auto_sync_orders);
        assert_eq!(s.converted_stage, "Closed Won");
        assert!(!s.overwrite_account_name);
        assert!(!s.order_management, "most orgs have no Order Management");
        assert_eq!(
            s.stage_mapping
                .get(&OrderStatus::Cancelled)
                .map(String::as_str),
            Some("Closed Lost")
        );
    }

    #[test]
    fn the_environment_changes_the_defaults_and_a_bad_value_is_named() {
        let s = SyncSettings::from_lookup(|name| match name {
            "STORESYNC_SYNC_SALESFORCE_ORDER" => Some("every_order".into()),
            "STORESYNC_SYNC_SALES_CYCLE_DAYS" => Some("15".into()),
            "STORESYNC_SYNC_CONTACT_ROLES" => Some("off".into()),
            "STORESYNC_SYNC_ORDER_MANAGEMENT" => Some("on".into()),
            _ => None,
        })
        .unwrap();
        assert!(s.order_management);
        assert_eq!(s.salesforce_order, SalesforceOrderPolicy::EveryOrder);
        assert_eq!(s.sales_cycle_days, 15);
        assert!(!s.contact_roles);
        let err = SyncSettings::from_lookup(|name| {
            (name == "STORESYNC_SYNC_AUTO_ORDERS").then(|| "maybe".into())
        })
        .unwrap_err();
        assert_eq!(err.field, "STORESYNC_SYNC_AUTO_ORDERS");
    }

    #[test]
    fn follow_up_thresholds_come_per_currency_and_an_empty_value_turns_them_off() {
        let s = SyncSettings::from_lookup(|name| match name {
            "STORESYNC_SYNC_FOLLOW_UP_OVER" => Some("USD:100000, EUR:92000".into()),
            "STORESYNC_SYNC_FOLLOW_UP_DAYS" => Some("5".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.follow_up_over.get(&Currency::EUR), Some(&92_000));
        assert_eq!(s.follow_up_days, 5);
        assert!(s.follow_up_for(Money::new(100_000, Currency::USD)));
        assert!(!s.follow_up_for(Money::new(99_999, Currency::USD)));
        assert!(!s.follow_up_for(Money::new(10_000_000, Currency::JPY)));
        let off = SyncSettings::from_lookup(|name| {
            (name == "STORESYNC_SYNC_FOLLOW_UP_OVER").then(String::new)
        })
        .unwrap();
        assert!(off.follow_up_over.is_empty());
        let err = SyncSettings::from_lookup(|name| {
            (name == "STORESYNC_SYNC_FOLLOW_UP_OVER").then(|| "USD=100".into())
        })
        .unwrap_err();
        assert_eq!(err.field, "STORESYNC_SYNC_FOLLOW_UP_OVER");
    }

    #[test]
    fn a_cart_is_big_from_its_currencys_threshold_on() {
        let s = SyncSettings::default();
        assert!(s.big_cart_for(Money::new(50_000, Currency::USD)));
        assert!(!s.big_cart_for(Money::new(49_999, Currency::USD)));
        assert!(s.big_cart_for(Money::new(46_000, Currency::EUR)));
        assert!(!s.big_cart_for(Money::new(4_199_999, Currency::INR)));
        assert!(s.big_cart_for(Money::new(75_000, Currency::JPY)));
        assert!(
            !s.big_cart_for(Money::new(10_000_000, Currency::GBP)),
            "a currency without a threshold has no big carts"
        );
        assert_ne!(
            s.big_cart_stage, s.abandoned_cart_stage,
            "an abandoned big cart shows in its stage"
        );
    }

    #[test]
    fn big_cart_thresholds_come_from_the_environment_and_an_empty_value_turns_them_off() {
        let s = SyncSettings::from_lookup(|name| match name {
            "STORESYNC_SYNC_BIG_CART_OVER" => Some("USD:25000,JPY:30000".into()),
            "STORESYNC_SYNC_BIG_CART_STAGE" => Some("Needs Analysis".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            s.big_cart_over,
            BTreeMap::from([(Currency::USD, 25_000), (Currency::JPY, 30_000)])
        );
        assert_eq!(s.big_cart_stage, "Needs Analysis");
        assert!(!s.big_cart_for(Money::new(46_000, Currency::EUR)));
        let off = SyncSettings::from_lookup(|name| {
            (name == "STORESYNC_SYNC_BIG_CART_OVER").then(String::new)
        })
        .unwrap();
        assert!(off.big_cart_over.is_empty());
        assert!(!off.big_cart_for(Money::new(i64::MAX, Currency::USD)));
        let err = SyncSettings::from_lookup(|name| {
            (name == "STORESYNC_SYNC_BIG_CART_OVER").then(|| "USD:-5".into())
        })
        .unwrap_err();
        assert_eq!(err.field, "STORESYNC_SYNC_BIG_CART_OVER");
        let zero = SyncSettings {
            big_cart_over: BTreeMap::from([(Currency::EUR, 0)]),
            ..Default::default()
        };
        assert_eq!(zero.validate().unwrap_err().field, "big_cart_over.EUR");
    }

    #[test]
    fn a_blank_stage_is_refused() {
        let s = SyncSettings {
            converted_stage: " ".into(),
            ..Default::default()
        };
        assert_eq!(s.validate().unwrap_err().field, "converted_stage");
    }

    #[test]
    fn settings_stored_before_a_field_existed_read_with_its_default() {
        let s: SyncSettings = serde_json::from_str(r#"{"sales_cycle_days": 7}"#).unwrap();
        assert_eq!(s.sales_cycle_days, 7);
        assert_eq!(s.draft_stage, "Prospecting");
    }
}
