//! An opportunity's `IsWon` and `IsClosed` follow its stage; its record type must be an
//! active one of opportunities.

use serde_json::json;

use crate::error::SfError;
use crate::org::fields::{field, set_field, text};
use crate::org::{Org, Record};

/// Derives the read-only `IsWon` and `IsClosed` from `StageName`; checks `RecordTypeId`.
pub(super) fn opportunity(
    org: &mut Org,
    record: &mut Record,
    _: Option<&Record>,
) -> Result<(), SfError> {
    if let Some(record_type) = text(field(record, "RecordTypeId")) {
        let usable = org.record(&record_type).is_some_and(|rt| {
            text(field(rt, "SobjectType")).as_deref() == Some("Opportunity")
                && field(rt, "IsActive") == Some(&json!(true))
        });
        if !usable {
            return Err(SfError::new(
                400,
                "INVALID_CROSS_REFERENCE_KEY",
                format!("Record Type ID: this ID value isn't valid for the user: {record_type}"),
                &["RecordTypeId"],
            ));
        }
    }
    let stage = text(field(record, "StageName")).unwrap_or_default();
    let won = stage.eq_ignore_ascii_case("Closed Won");
    let closed = won || stage.eq_ignore_ascii_case("Closed Lost");
    set_field(record, "IsWon", json!(won));
    set_field(record, "IsClosed", json!(closed));
    Ok(())
}
