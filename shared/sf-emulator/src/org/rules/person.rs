//! Contacts, leads and users: the compound `Name`; a converted lead is closed to edits.

use serde_json::json;

use crate::error::SfError;
use crate::org::fields::{field, set_field, text};
use crate::org::{Org, Record};

/// Derives `Name`.
pub(super) fn contact(_: &mut Org, record: &mut Record, _: Option<&Record>) -> Result<(), SfError> {
    set_compound_name(record);
    Ok(())
}

/// Derives `Name`.
pub(super) fn user(
    org: &mut Org,
    record: &mut Record,
    before: Option<&Record>,
) -> Result<(), SfError> {
    contact(org, record, before)
}

/// Derives `Name`; once converted, a lead cannot be changed.
pub(super) fn lead(
    _: &mut Org,
    record: &mut Record,
    before: Option<&Record>,
) -> Result<(), SfError> {
    if before.is_some_and(|b| field(b, "IsConverted") == Some(&json!(true))) {
        return Err(converted_lead());
    }
    set_compound_name(record);
    Ok(())
}

/// `CANNOT_UPDATE_CONVERTED_LEAD`: what a real org answers for any change to a converted
/// lead, and for converting it again.
pub(crate) fn converted_lead() -> SfError {
    SfError::new(
        400,
        "CANNOT_UPDATE_CONVERTED_LEAD",
        "cannot reference converted lead",
        &[],
    )
}

/// Name is the read-only compound of FirstName and LastName.
fn set_compound_name(record: &mut Record) {
    let first = text(field(record, "FirstName")).unwrap_or_default();
    let last = text(field(record, "LastName")).unwrap_or_default();
    let name = format!("{first} {last}").trim().to_string();
    set_field(record, "Name", json!(name));
}
