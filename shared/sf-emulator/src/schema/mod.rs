//! The emulated org's schema: the objects storesync uses with their fields (standard
//! fields, system fields and the custom fields deployed from `salesforce/`, kept in step by
//! `tests/sfdx_schema.rs`), key prefixes and duplicate rules.
//!
//! Objects are grouped by area: `sales` (accounts, people, opportunities, tasks),
//! `commerce` (orders, order summaries, products, price books), `platform` (users, record
//! types, the platform event) and `approvals` (approval processes and their requests).
//! `field` describes one field.

mod approvals;
mod commerce;
pub mod field;
mod history;
mod platform;
mod sales;

pub use field::{Access, FieldDef, FieldDefault, FieldType};

use field::{boolean, date_time, id, lookup, picklist};

/// A standard duplicate rule: another record is a duplicate when every field of `all_of`
/// and, if any are listed, at least one field of `any_of` hold the same non-blank value
/// (trimmed, compared case-insensitively).
#[derive(Debug, Clone, Copy)]
pub struct DuplicateRule {
    /// The duplicate rule's API name, as `duplicateResult.duplicateRule` reports it.
    pub rule: &'static str,
    /// The matching rule's API name, as `matchResults[].rule` reports it.
    pub match_rule: &'static str,
    /// Fields that must all match.
    pub all_of: &'static [&'static str],
    /// Fields of which one must match as well (none listed: no further condition).
    pub any_of: &'static [&'static str],
}

impl DuplicateRule {
    /// Every field the rule reads: an update that changes none of them is not checked.
    pub fn fields(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.all_of.iter().chain(self.any_of).copied()
    }
}

/// How an object carries `CurrencyIsoCode` when the org has multiple currencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurrencyField {
    /// No currency field.
    None,
    /// Set on create (default: the corporate currency) and on update.
    ReadWrite,
    /// Set on create only (a PricebookEntry's currency is fixed).
    CreateOnly,
    /// Taken from the parent record (an OrderItem has its Order's currency).
    FromParent,
}

/// One sObject type the emulator knows.
#[derive(Debug, Clone, Copy)]
pub struct ObjectDef {
    /// The API name.
    pub name: &'static str,
    /// The label `describe` reports.
    pub label: &'static str,
    /// The first three characters of its record ids.
    pub key_prefix: &'static str,
    /// Its own fields, standard and custom; the system fields every record has (and
    /// `OwnerId`, `CurrencyIsoCode`) are added by [`ObjectDef::fields`].
    pub fields: &'static [FieldDef],
    /// The active duplicate rule, if any.
    pub duplicate_rule: Option<DuplicateRule>,
    /// Has an `OwnerId` (defaulted to the running user).
    pub owned: bool,
    /// Its `CurrencyIsoCode` in a multi-currency org.
    pub currency: CurrencyField,
    /// Records may be created through the API.
    pub createable: bool,
    /// Records may be updated through the API.
    pub updateable: bool,
    /// A platform event: publish-only (create), never stored for query.
    pub platform_event: bool,
}

impl ObjectDef {
    /// A standard object: created and updated through the API, no owner, no duplicate
    /// rule, an editable `CurrencyIsoCode` in a multi-currency org.
    pub const fn new(
        name: &'static str,
        label: &'static str,
        key_prefix: &'static str,
        fields: &'static [FieldDef],
    ) -> Self {
        Self {
            name,
            label,
            key_prefix,
            fields,
            duplicate_rule: None,
            owned: false,
            currency: CurrencyField::ReadWrite,
            createable: true,
            updateable: true,
            platform_event: false,
        }
    }

    /// Records have an owner.
    pub const fn owned(mut self) -> Self {
        self.owned = true;
        self
    }

    /// Writes run this duplicate rule.
    pub const fn matched_by(mut self, rule: DuplicateRule) -> Self {
        self.duplicate_rule = Some(rule);
        self
    }

    /// Carries `CurrencyIsoCode` this way.
    pub const fn with_currency(mut self, currency: CurrencyField) -> Self {
        self.currency = currency;
        self
    }

    /// Read-only to the sObject API: records are made and changed by the org itself (an
    /// OrderSummary comes from the Connect API's order-summaries action).
    pub const fn read_only(mut self) -> Self {
        self.createable = false;
        self.updateable = false;
        self
    }

    /// A platform event: published by a create, never updated, queried or given a currency.
    pub const fn platform_event(mut self) -> Self {
        self.platform_event = true;
        self.updateable = false;
        self.currency = CurrencyField::None;
        self
    }
}

/// The fields every stored record has.
static SYSTEM_FIELDS: [FieldDef; 7] = [
    id(),
    boolean("IsDeleted").read_only(),
    date_time("CreatedDate").read_only().required(),
    lookup("CreatedById", &["User"]).read_only().required(),
    date_time("LastModifiedDate").read_only().required(),
    lookup("LastModifiedById", &["User"]).read_only().required(),
    date_time("SystemModstamp").read_only().required(),
];

/// The fields of a published platform event.
static EVENT_SYSTEM_FIELDS: [FieldDef; 3] = [
    id(),
    date_time("CreatedDate").read_only().required(),
    lookup("CreatedById", &["User"]).read_only().required(),
];

static OWNER: FieldDef = lookup("OwnerId", &["User"])
    .required()
    .defaulted(FieldDefault::Org);

static CURRENCY_READ_WRITE: FieldDef = currency_iso_code();
static CURRENCY_CREATE_ONLY: FieldDef = currency_iso_code().create_only();
static CURRENCY_FROM_PARENT: FieldDef = currency_iso_code().read_only();

const fn currency_iso_code() -> FieldDef {
    let mut f = picklist("CurrencyIsoCode").defaulted(FieldDefault::Org);
    f.length = 3;
    f
}

/// The name of the currency field of a multi-currency org.
pub const CURRENCY_ISO_CODE: &str = "CurrencyIsoCode";

impl ObjectDef {
    /// Every field of the object, system fields first; `CurrencyIsoCode` only when the org
    /// has multiple currencies.
    pub fn fields(&self, multi_currency: bool) -> impl Iterator<Item = &'static FieldDef> + '_ {
        let system: &'static [FieldDef] = if self.platform_event {
            &EVENT_SYSTEM_FIELDS
        } else {
            &SYSTEM_FIELDS
        };
        let owner = self.owned.then_some(&OWNER);
        let currency = match self.currency {
            _ if !multi_currency => None,
            CurrencyField::None => None,
            CurrencyField::ReadWrite => Some(&CURRENCY_READ_WRITE),
            CurrencyField::CreateOnly => Some(&CURRENCY_CREATE_ONLY),
            CurrencyField::FromParent => Some(&CURRENCY_FROM_PARENT),
        };
        system
            .iter()
            .chain(owner)
            .chain(currency)
            .chain(self.fields.iter())
    }

    /// The field with this name, compared case-insensitively as Salesforce does.
    pub fn field(&self, name: &str, multi_currency: bool) -> Option<&'static FieldDef> {
        self.fields(multi_currency)
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// The custom fields deployed on it.
    pub fn custom_fields(&self) -> impl Iterator<Item = &'static FieldDef> + '_ {
        self.fields.iter().filter(|f| f.is_custom())
    }

    /// The custom field with this name, compared case-insensitively.
    pub fn custom_field(&self, name: &str) -> Option<&'static FieldDef> {
        self.custom_fields()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// External id fields usable in upsert URLs.
    pub fn external_ids(&self) -> impl Iterator<Item = &'static FieldDef> + '_ {
        self.fields.iter().filter(|f| f.external_id)
    }

    /// Fields a create must give a value, in the order `REQUIRED_FIELD_MISSING` lists them.
    pub fn required(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fields
            .iter()
            .filter(|f| f.is_required())
            .map(|f| f.name)
    }

    /// The lookup behind a relationship name (`Account` -> `AccountId`), any case.
    pub fn relationship(&self, name: &str) -> Option<&'static FieldDef> {
        self.fields(false).find(|f| {
            f.relationship_name()
                .is_some_and(|r| r.eq_ignore_ascii_case(name))
        })
    }
}

/// The external id on Account, Contact and Lead: the store's customer id.
pub const CUSTOMER_ID: &str = "Storesync_Customer_Id__c";
/// The external id on Account, Contact and Lead: a hash of the lowercased e-mail, so a
/// guest and a registered customer with one e-mail upsert the same records.
pub const EMAIL_KEY: &str = "Storesync_Email_Key__c";
/// On Account: the discount the account gets, in percent (0 to 100).
pub const DISCOUNT_PERCENT: &str = "Storesync_Discount_Percent__c";
/// On Account: how the account pays, one of [`PAYMENT_TERMS_VALUES`].
pub const PAYMENT_TERMS: &str = "Storesync_Payment_Terms__c";
/// The values of [`PAYMENT_TERMS`].
pub const PAYMENT_TERMS_VALUES: &[&str] = &["Card", "Purchase Order"];
/// On Account: orders ship on the account's own carrier account.
pub const SHIP_ON_ACCOUNT: &str = "Storesync_Ship_On_Account__c";
/// On Account: the carrier account number orders ship on.
pub const SHIPPING_ACCOUNT: &str = "Storesync_Shipping_Account__c";
/// On Account: the account pays no sales tax.
pub const TAX_EXEMPT: &str = "Storesync_Tax_Exempt__c";
/// The external id on Opportunity and Order: the store's order id.
pub const ORDER_ID: &str = "Storesync_Order_Id__c";
/// On Order: the order's status in the store.
pub const STORE_STATUS: &str = "Storesync_Status__c";
/// The external id on OrderItem: the store's order line id.
pub const LINE_ID: &str = "Storesync_Line_Id__c";
/// The external id on Product2: the store's SKU.
pub const SKU: &str = "Storesync_Sku__c";
/// The external id on PricebookEntry: SKU and currency.
pub const PRICE_KEY: &str = "Storesync_Price_Key__c";
/// The external id on OpportunityContactRole: one role per order.
pub const ROLE_KEY: &str = "Storesync_Role_Key__c";
/// The external id on Task: the store's key for a follow-up.
pub const TASK_KEY: &str = "Storesync_Key__c";
/// On Lead: what the person's cart is worth.
pub const CART_VALUE: &str = "Storesync_Cart_Value__c";
/// The platform event the sales team subscribes to.
pub const ORDER_EVENT: &str = "Storesync_Order_Event__e";

/// Every object of the emulated org.
pub static OBJECTS: &[ObjectDef] = &[
    sales::ACCOUNT,
    sales::CONTACT,
    sales::LEAD,
    sales::OPPORTUNITY,
    sales::OPPORTUNITY_CONTACT_ROLE,
    sales::TASK,
    commerce::ORDER,
    commerce::ORDER_ITEM,
    commerce::PRODUCT,
    commerce::PRICEBOOK,
    commerce::PRICEBOOK_ENTRY,
    commerce::ORDER_SUMMARY,
    platform::USER,
    platform::RECORD_TYPE,
    platform::ORDER_EVENT,
    approvals::PROCESS_DEFINITION,
    approvals::PROCESS_INSTANCE,
    approvals::PROCESS_INSTANCE_STEP,
    approvals::PROCESS_INSTANCE_WORKITEM,
    history::ACCOUNT_HISTORY,
    history::CONTACT_HISTORY,
];

/// Looks an object up by API name, case-insensitively.
pub fn object(name: &str) -> Option<&'static ObjectDef> {
    OBJECTS.iter().find(|o| o.name.eq_ignore_ascii_case(name))
}

/// Looks an object up by the key prefix of one of its ids.
pub fn object_for_id(id: &str) -> Option<&'static ObjectDef> {
    let prefix = id.get(..3)?;
    OBJECTS.iter().find(|o| o.key_prefix == prefix)
}
