//! An opportunity's `IsWon` and `IsClosed` follow its stage.

use serde_json::json;

use super::Write;
use crate::error::SfError;
use crate::org::fields::{field, set_field, text};
use crate::org::{Org, Record};

/// Derives the read-only `IsWon` and `IsClosed` from `StageName`.
pub(super) fn opportunity(_: &Org, record: &mut Record, _: Write) -> Result<(), SfError> {
    let stage = text(field(record, "StageName")).unwrap_or_default();
    let won = stage.eq_ignore_ascii_case("Closed Won");
    let closed = won || stage.eq_ignore_ascii_case("Closed Lost");
    set_field(record, "IsWon", json!(won));
    set_field(record, "IsClosed", json!(closed));
    Ok(())
}
