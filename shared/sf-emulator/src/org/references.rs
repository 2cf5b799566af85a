//! Lookup fields: a written id must be well formed, of an object the field points at, and
//! name a stored record; a body may name the parent by one of its external ids instead
//! (`"Account": {"Storesync_Customer_Id__c": "cus_7"}`); a query follows a relationship
//! (`Account.Name`) through its lookup.

use serde_json::Value;

use super::body::no_such_column;
use super::fields::{field, text};
use super::{Org, Record};
use crate::error::SfError;
use crate::ids;
use crate::schema::{self, FieldDef, ObjectDef};

impl Org {
    /// The 18-character form of the id written to lookup `field`, which points at one of
    /// `targets`.
    pub(super) fn check_reference(
        &self,
        field: &str,
        raw: &str,
        targets: &[&str],
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
        if !targets.contains(&def.name) {
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

    /// A body key that is a relationship (`Account`) with the parent named by one external
    /// id: the lookup field it sets and the parent's id. Any other unknown key is
    /// `INVALID_FIELD`.
    pub(super) fn relationship_by_external_id(
        &self,
        def: &ObjectDef,
        name: &str,
        value: &Value,
    ) -> Result<(&'static FieldDef, Value), SfError> {
        let lookup = def
            .relationship(name)
            .ok_or_else(|| no_such_column(def, name))?;
        let Some(reference) = value.as_object() else {
            return Err(no_such_column(def, name));
        };
        let named_type = reference
            .get("attributes")
            .and_then(|a| a.get("type"))
            .and_then(Value::as_str);
        let target = match (lookup.reference_to(), named_type) {
            ([only], None) => *only,
            (targets, Some(t)) => targets
                .iter()
                .copied()
                .find(|x| x.eq_ignore_ascii_case(t))
                .ok_or_else(|| no_such_column(def, name))?,
            _ => return Err(no_such_column(def, name)),
        };
        let parent = schema::object(target).ok_or_else(|| no_such_column(def, name))?;
        let keys: Vec<(&String, &Value)> = reference
            .iter()
            .filter(|(k, _)| k.as_str() != "attributes")
            .collect();
        let [(key, key_value)] = keys.as_slice() else {
            return Err(no_such_column(def, name));
        };
        let ext = parent
            .external_ids()
            .find(|f| f.name.eq_ignore_ascii_case(key))
            .ok_or_else(|| {
                SfError::new(
                    400,
                    "INVALID_FIELD",
                    format!(
                        "Field name provided, {key} is not an External ID or indexed field for {}",
                        parent.name
                    ),
                    &[],
                )
            })?;
        let wanted = text(Some(key_value)).unwrap_or_default();
        let id = self
            .ids_with_external_id(parent, ext, &wanted)
            .next()
            .cloned()
            .ok_or_else(|| {
                SfError::new(
                    400,
                    "INVALID_FIELD",
                    format!(
                        "Foreign key external ID: {wanted} not found for field {} in entity {}",
                        ext.name, parent.name
                    ),
                    &[],
                )
            })?;
        Ok((lookup, Value::String(id)))
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
