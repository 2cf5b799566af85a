//! Field values as Salesforce treats them: names compared case-insensitively, blank meaning
//! missing; the defaults a create fills in, and the required-field check.

use serde_json::{Value, json};

use super::rules::Write;
use super::{Org, Record};
use crate::error::SfError;
use crate::schema::{CURRENCY_ISO_CODE, CurrencyField, FieldDefault, ObjectDef};

/// The value of `name` in `record`, field names compared case-insensitively.
pub(super) fn field<'a>(record: &'a Record, name: &str) -> Option<&'a Value> {
    record.get(name).or_else(|| {
        record
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// Sets `name`, keeping the spelling of the key the record already has.
pub(super) fn set_field(record: &mut Record, name: &str, value: Value) {
    let existing = record
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned();
    record.insert(existing.unwrap_or_else(|| name.to_string()), value);
}

/// Missing, null or only white space: what Salesforce counts as no value.
pub(super) fn is_blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        _ => false,
    }
}

/// A value as text (numbers and booleans in their JSON form); `None` for missing or null.
pub(super) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

impl Org {
    /// Fills in what a create left out: checkbox and picklist defaults, the owner and the
    /// currency. Values the object's rules derive (`FieldDefault::Org` otherwise) are left
    /// to them.
    pub(super) fn apply_defaults(&self, def: &ObjectDef, record: &mut Record) {
        for f in self.field_defs(def) {
            if !is_blank(field(record, f.name)) {
                continue;
            }
            let value = match f.default {
                FieldDefault::None => continue,
                FieldDefault::Bool(b) => json!(b),
                FieldDefault::Text(t) => json!(t),
                FieldDefault::Org if f.name == "OwnerId" => json!(self.integration_user_id),
                FieldDefault::Org
                    if f.name == CURRENCY_ISO_CODE && def.currency != CurrencyField::FromParent =>
                {
                    json!(self.currencies.corporate)
                }
                FieldDefault::Org => continue,
            };
            set_field(record, f.name, value);
        }
    }
}

/// `REQUIRED_FIELD_MISSING` naming every blank required field of `def`: on a create the
/// ones without a default, on an update every writable field that may not be blank.
pub(super) fn check_required(
    def: &ObjectDef,
    record: &Record,
    write: Write,
) -> Result<(), SfError> {
    let missing: Vec<&str> = def
        .fields
        .iter()
        .filter(|f| match write {
            Write::Create => f.is_required(),
            Write::Update => !f.nillable && f.createable(),
        })
        .map(|f| f.name)
        .filter(|f| is_blank(field(record, f)))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(SfError::new(
        400,
        "REQUIRED_FIELD_MISSING",
        format!("Required fields are missing: [{}]", missing.join(", ")),
        &missing,
    ))
}
