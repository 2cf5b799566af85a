//! Lookup fields: a written id must be well formed, of the object the field points at, and
//! name a stored record; a query follows a relationship (`Account.Name`) through its lookup.

use serde_json::Value;

use super::fields::{field, text};
use super::{Org, Record};
use crate::error::SfError;
use crate::ids;
use crate::schema;

impl Org {
    /// The 18-character form of the id written to lookup `field`; `target` is the object it
    /// must point at, `None` for a polymorphic lookup.
    pub(super) fn check_reference(
        &self,
        field: &str,
        raw: &str,
        target: Option<&str>,
    ) -> Result<String, SfError> {
        let malformed = || {
            SfError::new(
                400,
                "MALFORMED_ID",
                format!("{field}: id value of incorrect type: {raw}"),
                &[field],
            )
        };
        let id = ids::normalise(raw).ok_or_else(malformed)?;
        let def = schema::object_for_id(&id).ok_or_else(malformed)?;
        if let Some(target) = target
            && def.name != target
        {
            return Err(malformed());
        }
        if self.record(&id).is_none() {
            return Err(SfError::new(
                400,
                "INVALID_CROSS_REFERENCE_KEY",
                "invalid cross reference id",
                &[field],
            ));
        }
        Ok(id)
    }

    /// A field's value for a record, following parent relationships (`Account.Name`).
    pub(super) fn resolve(&self, record: &Record, path: &str) -> Option<Value> {
        match path.split_once('.') {
            None => field(record, path).cloned(),
            Some((relationship, rest)) => {
                let parent = self.parent(record, relationship)?;
                self.resolve(parent, rest)
            }
        }
    }

    /// The record a relationship of `record` points at, if any.
    pub(super) fn parent(&self, record: &Record, relationship: &str) -> Option<&Record> {
        let parent_id = text(field(record, &relationship_field(relationship)))?;
        self.record(&parent_id)
    }
}

/// The lookup field behind a relationship name: `Account` -> `AccountId`, `Foo__r` -> `Foo__c`.
fn relationship_field(relationship: &str) -> String {
    match relationship.strip_suffix("__r") {
        Some(base) => format!("{base}__c"),
        None => format!("{relationship}Id"),
    }
}
