//! Where records live: by object and id, with deleted ids remembered, system fields
//! stamped on insert, and lookups by id and by external id.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::changes::Change;
use super::dates::now_datetime;
use super::fields::{field, text};
use super::{Org, Record};
use crate::error::SfError;
use crate::ids;
use crate::schema::{self, FieldDef, ObjectDef};

/// The part of the org that Composite and Collections roll back with `allOrNone`.
#[derive(Debug, Clone, Default)]
pub struct OrgData {
    records: BTreeMap<&'static str, BTreeMap<String, Record>>,
    /// Deleted ids answer `ENTITY_IS_DELETED`, not `NOT_FOUND`.
    deleted: BTreeSet<String>,
    sequence: u64,
    /// The last auto-number handed out (`Order.OrderNumber`).
    auto_number: u64,
    /// Platform events published, oldest first.
    pub published_events: Vec<Record>,
    /// The writes of the transaction not yet committed.
    pub(super) changes: Vec<Change>,
}

impl OrgData {
    /// A new 18-character id for a record of `def`.
    pub(super) fn next_id(&mut self, def: &ObjectDef) -> String {
        self.sequence += 1;
        ids::make_id(def.key_prefix, self.sequence)
    }

    /// The next auto-number, eight digits from 00000100 as a new org's orders start.
    pub(super) fn next_auto_number(&mut self) -> String {
        self.auto_number += 1;
        format!("{:08}", 99 + self.auto_number)
    }

    /// The records of one object with their ids, oldest first.
    pub(super) fn of<'a>(
        &'a self,
        def: &ObjectDef,
    ) -> impl Iterator<Item = (&'a String, &'a Record)> + use<'a> {
        self.records.get(def.name).into_iter().flatten()
    }

    /// A stored record of `def` by its 18-character id.
    pub(super) fn get(&self, def: &ObjectDef, id18: &str) -> Option<&Record> {
        self.records.get(def.name)?.get(id18)
    }

    /// Stores a record under its 18-character id, replacing any earlier version; the
    /// write is a change of the current transaction.
    pub(super) fn put(&mut self, def: &'static ObjectDef, id18: String, record: Record) {
        let before = self.put_untracked(def, id18.clone(), record.clone());
        self.changes.push(Change {
            object: def.name,
            id: id18,
            before,
            after: Some(record),
        });
    }

    /// Stores a record that no transaction reports (the org's own setup, history rows);
    /// returns the version it replaced.
    pub(super) fn put_untracked(
        &mut self,
        def: &'static ObjectDef,
        id18: String,
        record: Record,
    ) -> Option<Record> {
        self.records
            .entry(def.name)
            .or_default()
            .insert(id18, record)
    }

    /// Removes a record and remembers that it was deleted.
    pub(super) fn remove(&mut self, def: &'static ObjectDef, id18: String) {
        let before = self
            .records
            .get_mut(def.name)
            .and_then(|records| records.remove(&id18));
        self.deleted.insert(id18.clone());
        self.changes.push(Change {
            object: def.name,
            id: id18,
            before,
            after: None,
        });
    }
}

impl Org {
    /// Stores a record with its system fields, skipping validation (for the org's own setup
    /// and for checked creates).
    pub(super) fn insert_unchecked(&mut self, type_name: &str, mut record: Record) -> String {
        let def = schema::object(type_name).expect("known object");
        let id = self.data.next_id(def);
        let now = now_datetime();
        record.insert("Id".into(), json!(id));
        record.insert("CreatedDate".into(), json!(now));
        record.insert("LastModifiedDate".into(), json!(now));
        record.insert("SystemModstamp".into(), json!(now));
        record.insert("IsDeleted".into(), json!(false));
        // The org's own integration user is created before there is anyone to credit.
        if !self.integration_user_id.is_empty() {
            let user = self.acting_user().to_string();
            record.insert("CreatedById".into(), json!(user));
            record.insert("LastModifiedById".into(), json!(user));
        }
        self.data.put(def, id.clone(), record);
        id
    }

    /// A live record of `def` by 15- or 18-character id, with its 18-character id.
    pub(super) fn existing(&self, def: &ObjectDef, id: &str) -> Result<(String, Record), SfError> {
        let id18 = ids::normalise(id).ok_or_else(SfError::not_found)?;
        if self.data.deleted.contains(&id18) {
            return Err(SfError::new(
                404,
                "ENTITY_IS_DELETED",
                "entity is deleted",
                &[],
            ));
        }
        let record = self.data.get(def, &id18).ok_or_else(SfError::not_found)?;
        Ok((id18, record.clone()))
    }

    /// Ids of the records of `def` whose unique field `ext` holds `value`, compared with
    /// or without case as the field is defined.
    pub(super) fn ids_with_external_id<'a>(
        &'a self,
        def: &ObjectDef,
        ext: &'static FieldDef,
        value: &'a str,
    ) -> impl Iterator<Item = &'a String> + use<'a> {
        self.data
            .of(def)
            .filter(move |(_, r)| {
                text(field(r, ext.name)).is_some_and(|v| {
                    if ext.case_sensitive {
                        v == value
                    } else {
                        v.to_lowercase() == value.to_lowercase()
                    }
                })
            })
            .map(|(id, _)| id)
    }
}
