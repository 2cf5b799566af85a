//! The sObjects the sync writes, typed: every Salesforce field name storesync uses is here
//! and nowhere else. `None` fields are left out of the body (left as they are).

use serde::Serialize;
use storesync_core::customer::Address;
use storesync_core::money::{Currency, Money};

/// The external id fields (deployed from `salesforce/`), by object.
pub mod external_id {
    /// Account, Contact and Lead: the store's key for a person (a hash of the e-mail).
    pub const PERSON: &str = "Storesync_Email_Key__c";
    /// Opportunity and Order: the store's order id.
    pub const ORDER: &str = "Storesync_Order_Id__c";
    /// OpportunityContactRole: one role per order.
    pub const ROLE: &str = "Storesync_Role_Key__c";
    /// OrderItem: order id and sku.
    pub const LINE: &str = "Storesync_Line_Id__c";
    /// Product2: the sku.
    pub const PRODUCT: &str = "Storesync_Sku__c";
    /// PricebookEntry: sku and currency.
    pub const PRICE: &str = "Storesync_Price_Key__c";
    /// Task: the store's key for a follow-up (the order id).
    pub const TASK: &str = "Storesync_Key__c";
}

/// The platform event storesync publishes (deployed from `salesforce/`).
pub const ORDER_EVENT: &str = "Storesync_Order_Event__e";
/// `Event_Type__c` of a high-value order's event.
pub const HIGH_VALUE_ORDER: &str = "high_value_order";

/// The queries that find a person the store does not know yet, and the standard price book;
/// every value in them is escaped.
pub mod lookup {
    use storesync_core::ids::{Email, PersonKey};

    use super::external_id;
    use crate::soql::quote;

    /// The oldest Contact with the e-mail (compared case-insensitively, as Salesforce does).
    pub fn contact_by_email(email: &Email) -> String {
        format!(
            "SELECT Id, AccountId FROM Contact WHERE Email = {} ORDER BY CreatedDate LIMIT 1",
            quote(&email.normalized())
        )
    }

    /// The oldest Lead with the e-mail that is not converted yet.
    pub fn open_lead_by_email(email: &Email) -> String {
        format!(
            "SELECT Id FROM Lead WHERE Email = {} AND IsConverted = false ORDER BY CreatedDate LIMIT 1",
            quote(&email.normalized())
        )
    }

    /// The Account the store made for the person.
    pub fn account_by_key(key: &PersonKey) -> String {
        format!(
            "SELECT Id, OwnerId FROM Account WHERE {} = {} LIMIT 1",
            external_id::PERSON,
            quote(key.as_str())
        )
    }

    /// The oldest Account named as a business customer's company.
    pub fn account_by_name(company: &str) -> String {
        format!(
            "SELECT Id, OwnerId FROM Account WHERE Name = {} ORDER BY CreatedDate LIMIT 1",
            quote(company)
        )
    }

    pub const STANDARD_PRICEBOOK: &str =
        "SELECT Id FROM Pricebook2 WHERE IsStandard = true LIMIT 1";

    /// The OrderSummary made from an Order (Order Management orgs keep one per Order).
    pub fn order_summary(order_id: &str) -> String {
        format!(
            "SELECT Id FROM OrderSummary WHERE OriginalOrderId = {} LIMIT 1",
            quote(order_id)
        )
    }

    /// The products of a Salesforce Order, with the store's key for each.
    pub fn order_items(order_id: &str) -> String {
        format!(
            "SELECT Id, PricebookEntryId, {} FROM OrderItem WHERE OrderId = {}",
            external_id::LINE,
            quote(order_id)
        )
    }
}

/// The Lead status a conversion ends in (the org's converted status).
pub const CONVERTED_LEAD_STATUS: &str = "Closed - Converted";
/// The invocable Apex action in `salesforce/` that converts a Lead.
pub const LEAD_CONVERT_ACTION: &str = "Storesync_LeadConvert";
/// A Salesforce Order is created in this status and activated afterwards.
pub const ORDER_DRAFT: &str = "Draft";
pub const ORDER_ACTIVATED: &str = "Activated";

/// Fields an object takes only when a record is created: an upsert that matches an
/// existing record must leave them out (`INVALID_FIELD_FOR_INSERT_UPDATE`).
pub fn create_only(object: &str) -> &'static [&'static str] {
    match object {
        "PricebookEntry" => &["Pricebook2Id", "Product2Id", "CurrencyIsoCode"],
        "OrderItem" => &[
            "OrderId",
            "PricebookEntryId",
            "Product2Id",
            "OriginalOrderItemId",
        ],
        "Order" => &["IsReductionOrder", "OriginalOrderId"],
        "OpportunityContactRole" => &["OpportunityId"],
        _ => &[],
    }
}

/// A money amount as Salesforce's currency fields take it: a decimal number.
pub fn amount(money: Money) -> f64 {
    money.minor_units() as f64 / 10f64.powi(money.currency().exponent() as i32)
}

/// Fills an object's five address fields from an address, when there is one.
macro_rules! addressed {
    ($object:ident, $method:ident, $street:ident, $city:ident, $state:ident, $postal:ident, $country:ident) => {
        impl $object {
            pub fn $method(mut self, address: Option<&Address>) -> Self {
                if let Some(a) = address {
                    self.$street = Some(street(a));
                    self.$city = Some(a.city.clone());
                    self.$state = a.region.clone();
                    self.$postal = Some(a.postal_code.clone());
                    self.$country = Some(a.country.as_str().to_owned());
                }
                self
            }
        }
    };
}

addressed!(Lead, at, street, city, state, postal_code, country);
addressed!(
    Account,
    billed_at,
    billing_street,
    billing_city,
    billing_state,
    billing_postal_code,
    billing_country
);
addressed!(
    Contact,
    mailed_at,
    mailing_street,
    mailing_city,
    mailing_state,
    mailing_postal_code,
    mailing_country
);
addressed!(
    Order,
    shipped_to,
    shipping_street,
    shipping_city,
    shipping_state,
    shipping_postal_code,
    shipping_country
);

/// The street lines of an address, as one field.
fn street(a: &Address) -> String {
    match &a.line2 {
        Some(line2) => format!("{}\n{line2}", a.line1),
        None => a.line1.clone(),
    }
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Lead {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    pub last_name: String,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub company: String,
    pub lead_source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What the person's cart is worth, in `CurrencyIsoCode`.
    #[serde(
        rename = "Storesync_Cart_Value__c",
        skip_serializing_if = "Option::is_none"
    )]
    pub cart_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_iso_code: Option<&'static str>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Account {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_street: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Contact {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    pub last_name: String,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailing_street: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailing_city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailing_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailing_postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailing_country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Opportunity {
    pub name: String,
    pub stage_name: String,
    /// `YYYY-MM-DD`.
    pub close_date: String,
    pub amount: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_type_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_iso_code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OpportunityContactRole {
    pub opportunity_id: String,
    pub contact_id: String,
    pub role: String,
    pub is_primary: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Order {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opportunity_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_to_contact_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    #[serde(rename = "Pricebook2Id", skip_serializing_if = "Option::is_none")]
    pub pricebook2_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_street: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_country: Option<String>,
    /// The store's order type (`Normal`, `Bulk`, `Return`).
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub order_type: Option<&'static str>,
    /// The store's order status.
    #[serde(
        rename = "Storesync_Status__c",
        skip_serializing_if = "Option::is_none"
    )]
    pub store_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_iso_code: Option<&'static str>,
    /// A reduction order: a cancel or return of the Order `original_order_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_reduction_order: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_order_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrderItem {
    pub order_id: String,
    pub pricebook_entry_id: String,
    /// Negative on a reduction order.
    pub quantity: i64,
    pub unit_price: f64,
    /// On a reduction order: the product it gives units back from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_order_item_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Product2 {
    pub name: String,
    pub product_code: String,
    pub is_active: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PricebookEntry {
    #[serde(rename = "Pricebook2Id")]
    pub pricebook2_id: String,
    #[serde(rename = "Product2Id")]
    pub product2_id: String,
    pub unit_price: f64,
    pub is_active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_iso_code: Option<&'static str>,
}

/// A follow-up Task, upserted by [`external_id::TASK`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Task {
    pub subject: String,
    pub activity_date: String,
    pub what_id: String,
    pub who_id: String,
    pub owner_id: String,
    pub priority: &'static str,
}

/// A `Storesync_Order_Event__e` message.
#[derive(Debug, Clone, Serialize)]
pub struct OrderEvent {
    #[serde(rename = "Order_Id__c")]
    pub order_id: String,
    #[serde(rename = "Order_Number__c")]
    pub order_number: String,
    #[serde(rename = "Event_Type__c")]
    pub event_type: &'static str,
    #[serde(rename = "Customer_Id__c")]
    pub customer_id: String,
    #[serde(rename = "Account_Id__c")]
    pub account_id: String,
    #[serde(rename = "Amount__c")]
    pub amount: f64,
    #[serde(rename = "Currency__c")]
    pub currency: &'static str,
}

/// `CurrencyIsoCode`, for orgs with multi-currency on.
pub fn currency(c: Option<Currency>) -> Option<&'static str> {
    c.map(Currency::code)
}
