//! The fields of a write body as Salesforce checks them: known fields only, writable by
//! this kind of write, and values of the field's type and length, lookups to existing
//! records, well-formed e-mails and active currencies.

use serde_json::{Number, Value};

use super::dates::{format_datetime, parse_date, parse_datetime};
use super::rules::Write;
use super::{Org, Record};
use crate::error::SfError;
use crate::schema::{CURRENCY_ISO_CODE, FieldDef, FieldType, ObjectDef};

impl Org {
    /// Checks the fields of a create or update body and spells them as the schema does.
    pub(super) fn clean_body(
        &self,
        def: &ObjectDef,
        body: Record,
        write: Write,
    ) -> Result<Record, SfError> {
        let mut out = Record::new();
        for (name, value) in body {
            if name == "attributes" {
                continue;
            }
            if name.eq_ignore_ascii_case("Id") {
                return Err(not_writable("INVALID_FIELD", &name));
            }
            let (f, value) = match self.field_def(def, &name) {
                Some(f) => (f, value),
                None => self.relationship_by_external_id(def, &name, &value)?,
            };
            let writable = match write {
                Write::Create => f.createable(),
                Write::Update => f.updateable(),
            };
            if !writable {
                return Err(not_writable("INVALID_FIELD_FOR_INSERT_UPDATE", f.name));
            }
            if out.contains_key(f.name) {
                return Err(SfError::new(
                    400,
                    "INVALID_FIELD",
                    format!(
                        "Cannot specify both an external ID reference {name} and a salesforce id, {}",
                        f.name
                    ),
                    &[f.name],
                ));
            }
            let value = self.check_value(f, value)?;
            out.insert(f.name.to_string(), value);
        }
        Ok(out)
    }

    /// A value of the field's type, within its length; lookups, e-mails and currencies
    /// checked.
    fn check_value(&self, f: &FieldDef, value: Value) -> Result<Value, SfError> {
        let value = match (f.kind, value) {
            (FieldType::Boolean, Value::Null) => Value::Bool(false),
            (_, Value::Null) if f.name == CURRENCY_ISO_CODE => return Err(self.bad_currency("")),
            (_, Value::Null) => Value::Null,
            (FieldType::Boolean, Value::Bool(b)) => Value::Bool(b),
            (FieldType::Reference(_), Value::String(raw)) if raw.is_empty() => Value::Null,
            (FieldType::Reference(targets), Value::String(raw)) => {
                Value::String(self.check_reference(f.name, &raw, targets)?)
            }
            (FieldType::Date, Value::String(s)) if parse_date(&s).is_some() => Value::String(s),
            (FieldType::DateTime, Value::String(s)) => match parse_datetime(&s) {
                Some(at) => Value::String(format_datetime(at)),
                None => return Err(cannot_deserialize(f, &Value::String(s))),
            },
            (kind, Value::Number(n)) if kind.is_number() => Value::Number(n),
            (kind, Value::String(s)) if kind.is_number() => {
                match s.trim().parse::<f64>().ok().and_then(Number::from_f64) {
                    Some(n) => Value::Number(n),
                    None => return Err(cannot_deserialize(f, &Value::String(s))),
                }
            }
            (kind, Value::String(s)) if kind.is_text() => Value::String(self.check_text(f, s)?),
            (kind, v @ (Value::Number(_) | Value::Bool(_))) if kind.is_text() => {
                Value::String(self.check_text(f, v.to_string())?)
            }
            (_, other) => return Err(cannot_deserialize(f, &other)),
        };
        Ok(value)
    }

    fn check_text(&self, f: &FieldDef, s: String) -> Result<String, SfError> {
        if f.length > 0 && s.chars().count() > f.length as usize {
            return Err(SfError::new(
                400,
                "STRING_TOO_LONG",
                format!(
                    "{}: data value too large: {s} (max length={})",
                    f.label(),
                    f.length
                ),
                &[f.name],
            ));
        }
        if f.kind == FieldType::Email && !s.is_empty() && !looks_like_email(&s) {
            return Err(SfError::new(
                400,
                "INVALID_EMAIL_ADDRESS",
                format!("{}: invalid email address: {s}", f.name),
                &[f.name],
            ));
        }
        if f.is_restricted_picklist() && !f.picklist_values.contains(&s.as_str()) {
            return Err(SfError::new(
                400,
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                format!(
                    "{}: bad value for restricted picklist field: {s}",
                    f.label()
                ),
                &[f.name],
            ));
        }
        if f.name == CURRENCY_ISO_CODE && !self.currencies.active.contains(&s) {
            return Err(self.bad_currency(&s));
        }
        Ok(s)
    }

    /// `CurrencyIsoCode` is a restricted picklist of the org's active currencies.
    pub(super) fn bad_currency(&self, code: &str) -> SfError {
        SfError::new(
            400,
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            format!("Currency ISO Code: invalid currency code: {code}"),
            &[CURRENCY_ISO_CODE],
        )
    }
}

/// `INVALID_FIELD` for a name the object does not have.
pub(super) fn no_such_column(def: &ObjectDef, name: &str) -> SfError {
    SfError::new(
        400,
        "INVALID_FIELD",
        format!("No such column '{name}' on sobject of type {}", def.name),
        &[name],
    )
}

fn not_writable(code: &str, name: &str) -> SfError {
    SfError::new(
        400,
        code,
        format!(
            "Unable to create/update fields: {name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set."
        ),
        &[name],
    )
}

/// A value the JSON parser cannot turn into the field's type.
fn cannot_deserialize(f: &FieldDef, value: &Value) -> SfError {
    let token = match value {
        Value::String(_) => "VALUE_STRING",
        Value::Number(_) => "VALUE_NUMBER",
        Value::Bool(true) => "VALUE_TRUE",
        Value::Bool(false) => "VALUE_FALSE",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
        Value::Null => "VALUE_NULL",
    };
    SfError::new(
        400,
        "JSON_PARSER_ERROR",
        format!(
            "Cannot deserialize instance of {} from {token} value {value} or request may be missing a required field",
            f.kind.wire_name()
        ),
        &[f.name],
    )
}

fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !s.contains(' ')
}
