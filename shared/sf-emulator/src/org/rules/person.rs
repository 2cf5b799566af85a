//! Contacts and leads: the compound `Name`, and a new lead's status.

use serde_json::json;

use super::Write;
use crate::error::SfError;
use crate::org::fields::{field, is_blank, set_field, text};
use crate::org::{Org, Record};

/// Derives `Name`.
pub(super) fn contact(_: &Org, record: &mut Record, _: Write) -> Result<(), SfError> {
    set_compound_name(record);
    Ok(())
}

/// Derives `Name`; a new lead is open and not converted unless the body says otherwise.
pub(super) fn lead(_: &Org, record: &mut Record, write: Write) -> Result<(), SfError> {
    set_compound_name(record);
    if write == Write::Create {
        if is_blank(field(record, "Status")) {
            set_field(record, "Status", json!("Open - Not Contacted"));
        }
        if field(record, "IsConverted").is_none() {
            record.insert("IsConverted".into(), json!(false));
        }
    }
    Ok(())
}

/// Name is the read-only compound of FirstName and LastName.
fn set_compound_name(record: &mut Record) {
    let first = text(field(record, "FirstName")).unwrap_or_default();
    let last = text(field(record, "LastName")).unwrap_or_default();
    let name = format!("{first} {last}").trim().to_string();
    set_field(record, "Name", json!(name));
}
