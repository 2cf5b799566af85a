//! The in-memory org: stored records, the checks Salesforce makes on a write (fields,
//! references, required fields, per-object rules, unique external ids, duplicate rules),
//! the REST operations on records, lead conversion, order summaries, and SOQL evaluation with query
//! cursors. HTTP lives in `server`; this module has no I/O.
//!
//! A write runs the checks in the order Salesforce reports them: the body's fields
//! (`body`, `references`), defaults and required fields (`fields`), the object's own rules
//! (`rules`), then unique external ids and duplicate rules (`duplicates`).

mod approvals;
mod body;
mod changes;
mod convert;
mod crud;
mod dates;
mod duplicates;
mod fields;
mod filter;
mod locks;
mod order_summary;
mod project;
mod query;
mod query_check;
mod references;
mod rules;
mod storage;

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::ids;
use crate::schema::{self, FieldDef, ObjectDef};

pub use approvals::{ApprovalAction, ProcessRequest};
pub use changes::{Change, Transaction};
pub use convert::{LeadConversion, LeadConverted};
pub use order_summary::OrderSummaryInput;
pub use storage::OrgData;

/// A record's fields by API name.
pub type Record = Map<String, Value>;

/// Options a write carries from its request headers.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// `Sforce-Duplicate-Rule-Header: allowSave=true`.
    pub allow_duplicate_save: bool,
}

/// The org's currencies.
#[derive(Debug, Clone)]
pub struct Currencies {
    /// Multiple currencies are on: records carry `CurrencyIsoCode`.
    pub enabled: bool,
    /// The default `CurrencyIsoCode`.
    pub corporate: String,
    /// The codes a record may carry.
    pub active: Vec<String>,
}

/// The emulated org.
#[derive(Debug)]
pub struct Org {
    /// What an `allOrNone` request snapshots and restores.
    pub data: OrgData,
    pub org_id: String,
    /// The default `OwnerId`, `CreatedById` and `LastModifiedById`.
    pub integration_user_id: String,
    pub standard_pricebook_id: String,
    /// Records per query batch (Salesforce's default is 2000).
    pub query_batch_size: usize,
    pub currencies: Currencies,
    /// Query results not yet fetched, by query locator.
    cursors: HashMap<String, Vec<Value>>,
    cursor_sequence: u64,
    /// Who makes the current transaction's changes, and through which API.
    session: changes::Session,
    /// The last `commitNumber` handed out.
    commit_number: u64,
    /// Transactions committed and not yet taken by [`Org::end`].
    committed: Vec<Transaction>,
}

impl Org {
    /// A fresh org with an integration user, a sales manager who approves the storesync
    /// approval processes, and the standard price book.
    pub fn new(currencies: Currencies) -> Self {
        let mut org = Self {
            data: OrgData::default(),
            org_id: ids::make_id("00D", 1),
            integration_user_id: String::new(),
            standard_pricebook_id: String::new(),
            query_batch_size: 2000,
            currencies,
            cursors: HashMap::new(),
            cursor_sequence: 0,
            session: changes::Session::default(),
            commit_number: 1_100_670_838_000,
            committed: Vec::new(),
        };
        org.integration_user_id = org.seed(
            "User",
            json!({
                "FirstName": "Storesync",
                "LastName": "Integration",
                "Name": "Storesync Integration",
                "Username": crate::config::INTEGRATION_USERNAME,
                "Email": crate::config::INTEGRATION_USERNAME,
                "Alias": "ssync",
            }),
        );
        let manager_id = org.seed(
            "User",
            json!({
                "FirstName": "Dana",
                "LastName": "Whitfield",
                "Name": "Dana Whitfield",
                "Username": crate::config::MANAGER_USERNAME,
                "Email": crate::config::MANAGER_USERNAME,
                "Alias": "dwhit",
            }),
        );
        // The integration user submits approval requests: its manager approves them.
        org.set_manager(&org.integration_user_id.clone(), &manager_id);
        org.seed_approvals();
        org.standard_pricebook_id = org.seed(
            "Pricebook2",
            json!({ "Name": "Standard Price Book", "IsStandard": true, "IsActive": true }),
        );
        // The org as it comes is no transaction anyone hears of.
        org.data.changes.clear();
        org
    }

    /// Stores one of the org's own records, with defaults but without validation.
    fn seed(&mut self, type_name: &str, fields: Value) -> String {
        let def = schema::object(type_name).expect("known object");
        let mut record = fields.as_object().cloned().unwrap_or_default();
        self.apply_defaults(def, &mut record);
        self.insert_unchecked(def.name, record)
    }

    /// All records of a type, oldest first.
    pub fn records(&self, type_name: &str) -> Vec<Record> {
        schema::object(type_name)
            .map(|def| self.data.of(def).map(|(_, r)| r.clone()).collect())
            .unwrap_or_default()
    }

    /// One record by id (15 or 18 characters), whatever its type.
    pub fn record(&self, id: &str) -> Option<&Record> {
        let id = ids::normalise(id)?;
        let def = schema::object_for_id(&id)?;
        self.data.get(def, &id)
    }

    /// The field of `def` with this name, as this org has it (`CurrencyIsoCode` only with
    /// multiple currencies).
    pub fn field_def(&self, def: &ObjectDef, name: &str) -> Option<&'static FieldDef> {
        def.field(name, self.currencies.enabled)
    }

    /// Every field of `def` as this org has it.
    pub fn field_defs<'a>(
        &self,
        def: &'a ObjectDef,
    ) -> impl Iterator<Item = &'static FieldDef> + 'a {
        def.fields(self.currencies.enabled)
    }
}

/// The `attributes` Salesforce puts first in every record it returns.
fn attributes(def: &ObjectDef, id: &str, version: &str) -> Value {
    json!({ "type": def.name, "url": record_url(def, id, version) })
}

/// `/services/data/{version}/sobjects/{Type}/{id}`.
fn record_url(def: &ObjectDef, id: &str, version: &str) -> String {
    format!("/services/data/{version}/sobjects/{}/{id}", def.name)
}
