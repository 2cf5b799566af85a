//! A record as a query returns it: `attributes`, then the selected fields, a parent's
//! fields nested under the relationship name (null when the lookup is blank).

use serde_json::{Map, Value};

use super::fields::{field, text};
use super::{Org, Record, attributes};
use crate::schema::{self, ObjectDef};

impl Org {
    /// Projects `record` of `def` on field paths already spelt as the schema spells them.
    pub(super) fn project(
        &self,
        def: &ObjectDef,
        record: &Record,
        fields: &[String],
        version: &str,
    ) -> Value {
        let id = text(field(record, "Id")).unwrap_or_default();
        let mut out = Map::new();
        out.insert("attributes".into(), attributes(def, &id, version));
        for path in fields {
            match path.split_once('.') {
                None => {
                    out.insert(
                        path.clone(),
                        field(record, path).cloned().unwrap_or(Value::Null),
                    );
                }
                Some((relationship, rest)) => {
                    let entry = out.entry(relationship.to_string()).or_insert(Value::Null);
                    let Some(parent) = self.parent(record, relationship) else {
                        continue;
                    };
                    let parent_def = text(field(parent, "Id"))
                        .and_then(|pid| schema::object_for_id(&pid))
                        .unwrap_or(def);
                    let nested = self.project(parent_def, parent, &[rest.to_string()], version);
                    match (entry, nested) {
                        (Value::Object(existing), Value::Object(more)) => {
                            merge(existing, more);
                        }
                        (entry, nested) => *entry = nested,
                    }
                }
            }
        }
        Value::Object(out)
    }
}

/// Adds `more`'s fields to `into`, merging nested parents.
fn merge(into: &mut Map<String, Value>, more: Map<String, Value>) {
    for (key, value) in more {
        match (into.get_mut(&key), value) {
            (Some(Value::Object(a)), Value::Object(b)) => merge(a, b),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}
