//! Field values as Salesforce treats them: names compared case-insensitively, blank meaning
//! missing, and the checks on the fields of a write body (read-only and unknown fields,
//! email format, required fields).

use serde_json::Value;

use super::{Org, Record};
use crate::error::SfError;
use crate::schema::{self, ObjectDef};

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

fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !s.contains(' ')
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

impl Org {
    /// Checks and canonicalises the fields of a create or update body.
    pub(super) fn clean_body(&self, def: &ObjectDef, body: Record) -> Result<Record, SfError> {
        let mut out = Record::new();
        for (name, value) in body {
            if name == "attributes" {
                continue;
            }
            if name.eq_ignore_ascii_case("Id") {
                return Err(not_writable("INVALID_FIELD", &name));
            }
            if schema::SYSTEM_FIELDS
                .iter()
                .any(|f| f.eq_ignore_ascii_case(&name))
            {
                return Err(not_writable("INVALID_FIELD_FOR_INSERT_UPDATE", &name));
            }
            let name = if name.ends_with("__c") {
                match def.custom_field(&name) {
                    Some(f) => f.name.to_string(),
                    None => {
                        return Err(SfError::new(
                            400,
                            "INVALID_FIELD",
                            format!("No such column '{name}' on sobject of type {}", def.name),
                            &[],
                        ));
                    }
                }
            } else {
                name
            };
            let value = match (schema::reference_target(&name), &value) {
                (Some(target), Value::String(raw)) if !raw.is_empty() => {
                    Value::String(self.check_reference(&name, raw, target)?)
                }
                _ => value,
            };
            if name.eq_ignore_ascii_case("Email")
                && let Value::String(email) = &value
                && !email.is_empty()
                && !looks_like_email(email)
            {
                return Err(SfError::new(
                    400,
                    "INVALID_EMAIL_ADDRESS",
                    format!("Email: invalid email address: {email}"),
                    &["Email"],
                ));
            }
            out.insert(name, value);
        }
        Ok(out)
    }
}

/// `REQUIRED_FIELD_MISSING` naming every blank required field of `def`.
pub(super) fn check_required(def: &ObjectDef, record: &Record) -> Result<(), SfError> {
    let missing: Vec<&str> = def
        .required
        .iter()
        .copied()
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
