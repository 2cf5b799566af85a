//! `GET /query`: checks a parsed query against the schema, selects, orders, pages and
//! projects records, and keeps the rest behind a query locator for `nextRecordsUrl`.

use serde_json::{Map, Value, json};

use super::fields::{field, text};
use super::filter::order_by;
use super::{Org, Record, attributes};
use crate::error::SfError;
use crate::ids;
use crate::schema::{self, ObjectDef};
use crate::soql::{self, Cond};

impl Org {
    /// `GET /query?q=`: the first batch, with `nextRecordsUrl` when more remain.
    pub fn query(
        &mut self,
        q: &str,
        version: &str,
        batch_size: Option<usize>,
    ) -> Result<Value, SfError> {
        let query =
            soql::parse(q).map_err(|e| SfError::new(400, "MALFORMED_QUERY", e.to_string(), &[]))?;
        let def = schema::object(&query.object)
            .filter(|d| !d.platform_event)
            .ok_or_else(|| {
                SfError::new(
                    400,
                    "INVALID_TYPE",
                    format!("sObject type '{}' is not supported.", query.object),
                    &[],
                )
            })?;
        for name in query
            .fields
            .iter()
            .chain(query.order_by.iter().map(|k| &k.field))
        {
            check_queryable_field(def, name)?;
        }
        if let Some(filter) = &query.filter {
            check_filter_fields(def, filter)?;
        }
        let mut rows: Vec<&Record> = self
            .data
            .of(def)
            .map(|(_, r)| r)
            .filter(|r| query.filter.as_ref().is_none_or(|c| self.eval(c, r)))
            .collect();
        if !query.order_by.is_empty() {
            rows.sort_by(|a, b| order_by(self, &query.order_by, a, b));
        }
        let offset = query.offset.unwrap_or(0);
        let limit = query.limit.unwrap_or(usize::MAX);
        let projected: Vec<Value> = rows
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|r| self.project(def, r, &query.fields, version))
            .collect();
        let batch = batch_size.unwrap_or(self.query_batch_size).max(1);
        self.cursor_sequence += 1;
        let locator = ids::make_id("01g", self.cursor_sequence);
        let total = projected.len();
        self.cursors.insert(locator.clone(), projected);
        self.batch(&locator, 0, batch, total, version)
    }

    /// `GET /query/{locator}-{offset}`: the next batch of an earlier query.
    pub fn query_more(&mut self, cursor: &str, version: &str) -> Result<Value, SfError> {
        let invalid = || SfError::new(400, "INVALID_QUERY_LOCATOR", "invalid query locator", &[]);
        let (locator, offset) = cursor.split_once('-').ok_or_else(invalid)?;
        let offset: usize = offset.parse().map_err(|_| invalid())?;
        let total = self.cursors.get(locator).ok_or_else(invalid)?.len();
        let batch = self.query_batch_size.max(1);
        self.batch(locator, offset, batch, total, version)
    }

    /// One batch of a cursor's rows; the cursor is dropped once its last row is sent.
    fn batch(
        &mut self,
        locator: &str,
        offset: usize,
        batch: usize,
        total: usize,
        version: &str,
    ) -> Result<Value, SfError> {
        let rows = self.cursors.get(locator).cloned().unwrap_or_default();
        let end = (offset + batch).min(total);
        let records: Vec<Value> = rows
            .get(offset..end)
            .map(<[Value]>::to_vec)
            .unwrap_or_default();
        let done = end >= total;
        let mut out = json!({ "totalSize": total, "done": done, "records": records });
        if done {
            self.cursors.remove(locator);
        } else {
            out["nextRecordsUrl"] =
                json!(format!("/services/data/{version}/query/{locator}-{end}"));
        }
        Ok(out)
    }

    /// A record as a query returns it: `attributes`, then the selected fields, a parent's
    /// fields nested under the relationship name.
    fn project(&self, def: &ObjectDef, record: &Record, fields: &[String], version: &str) -> Value {
        let id = text(field(record, "Id")).unwrap_or_default();
        let mut out = Map::new();
        out.insert("attributes".into(), attributes(def, &id, version));
        for name in fields {
            match name.split_once('.') {
                None => {
                    let key = def
                        .custom_field(name)
                        .map(|f| f.name.to_string())
                        .or_else(|| {
                            record
                                .keys()
                                .find(|k| k.eq_ignore_ascii_case(name))
                                .cloned()
                        })
                        .unwrap_or_else(|| name.clone());
                    out.insert(key, field(record, name).cloned().unwrap_or(Value::Null));
                }
                Some((relationship, rest)) => {
                    let parent = self.parent(record, relationship);
                    let entry = out.entry(relationship.to_string()).or_insert(Value::Null);
                    if let Some(parent) = parent {
                        let parent_def = text(field(parent, "Id"))
                            .and_then(|pid| schema::object_for_id(&pid))
                            .unwrap_or(def);
                        if entry.is_null() {
                            *entry = self.project(parent_def, parent, &[], version);
                        }
                        if let Value::Object(m) = entry {
                            m.insert(
                                rest.to_string(),
                                self.resolve(parent, rest).unwrap_or(Value::Null),
                            );
                        }
                    }
                }
            }
        }
        Value::Object(out)
    }
}

/// A custom field the query names must exist (a relationship path is taken on trust).
fn check_queryable_field(def: &ObjectDef, name: &str) -> Result<(), SfError> {
    let base = name.split('.').next().unwrap_or(name);
    if base.ends_with("__c") && !name.contains('.') && def.custom_field(base).is_none() {
        return Err(SfError::new(
            400,
            "INVALID_FIELD",
            format!(
                "No such column '{name}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.",
                def.name
            ),
            &[],
        ));
    }
    Ok(())
}

fn check_filter_fields(def: &ObjectDef, cond: &Cond) -> Result<(), SfError> {
    match cond {
        Cond::And(parts) | Cond::Or(parts) => {
            parts.iter().try_for_each(|c| check_filter_fields(def, c))
        }
        Cond::Not(inner) => check_filter_fields(def, inner),
        Cond::Cmp { field, .. } | Cond::In { field, .. } | Cond::Like { field, .. } => {
            check_queryable_field(def, field)
        }
    }
}
