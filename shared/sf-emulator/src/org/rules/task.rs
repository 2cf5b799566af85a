//! A new task's status and priority defaults.

use serde_json::json;

use super::Write;
use crate::error::SfError;
use crate::org::fields::{field, is_blank, set_field};
use crate::org::{Org, Record};

/// On create, a blank `Status` is "Not Started" and a blank `Priority` "Normal".
pub(super) fn task(_: &Org, record: &mut Record, write: Write) -> Result<(), SfError> {
    if write == Write::Create {
        if is_blank(field(record, "Status")) {
            set_field(record, "Status", json!("Not Started"));
        }
        if is_blank(field(record, "Priority")) {
            set_field(record, "Priority", json!("Normal"));
        }
    }
    Ok(())
}
