//! The in-memory org: stored records, the checks Salesforce makes on a write (fields,
//! references, required fields, per-object rules, unique external ids, duplicate rules),
//! the REST operations on records, and SOQL evaluation with query cursors. HTTP lives in
//! `server`; this module has no I/O.
//!
//! A write runs the checks in the order Salesforce reports them: the body's fields
//! (`fields`, `references`), required fields, the object's own rules (`rules`), then unique
//! external ids and duplicate rules (`duplicates`).

mod crud;
mod duplicates;
mod fields;
mod filter;
mod query;
mod references;
mod rules;
mod storage;

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::ids;
use crate::schema::{self, ObjectDef};

pub use storage::OrgData;

/// A record's fields by API name.
pub type Record = Map<String, Value>;

/// Options a write carries from its request headers.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// `Sforce-Duplicate-Rule-Header: allowSave=true`.
    pub allow_duplicate_save: bool,
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
    /// Query results not yet fetched, by query locator.
    cursors: HashMap<String, Vec<Value>>,
    cursor_sequence: u64,
}

impl Org {
    /// A fresh org with an integration user and the standard price book.
    pub fn new() -> Self {
        let mut org = Self {
            data: OrgData::default(),
            org_id: ids::make_id("00D", 1),
            integration_user_id: String::new(),
            standard_pricebook_id: String::new(),
            query_batch_size: 2000,
            cursors: HashMap::new(),
            cursor_sequence: 0,
        };
        let mut user = Record::new();
        user.insert("LastName".into(), json!("Integration"));
        user.insert("FirstName".into(), json!("Storesync"));
        user.insert(
            "Username".into(),
            json!("storesync.integration@example.com"),
        );
        user.insert("Email".into(), json!("storesync.integration@example.com"));
        user.insert("Alias".into(), json!("ssync"));
        user.insert("IsActive".into(), json!(true));
        org.integration_user_id = org.insert_unchecked("User", user);
        let mut pricebook = Record::new();
        pricebook.insert("Name".into(), json!("Standard Price Book"));
        pricebook.insert("IsStandard".into(), json!(true));
        pricebook.insert("IsActive".into(), json!(true));
        org.standard_pricebook_id = org.insert_unchecked("Pricebook2", pricebook);
        org
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
}

/// The `attributes` Salesforce puts first in every record it returns.
fn attributes(def: &ObjectDef, id: &str, version: &str) -> Value {
    json!({ "type": def.name, "url": record_url(def, id, version) })
}

/// `/services/data/{version}/sobjects/{Type}/{id}`.
fn record_url(def: &ObjectDef, id: &str, version: &str) -> String {
    format!("/services/data/{version}/sobjects/{}/{id}", def.name)
}
