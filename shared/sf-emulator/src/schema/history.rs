//! Field history: a row for each change of a tracked field of an account or contact (and
//! one `created` row for each new record), written by the org on commit, read-only to the
//! API, as `AccountHistory` and `ContactHistory` are.

use super::field::{any_type, lookup, picklist};
use super::{CurrencyField, ObjectDef};

/// The fields every history object has besides its parent's lookup.
macro_rules! history {
    ($name:literal, $label:literal, $parent:literal, $target:literal) => {
        ObjectDef::new(
            $name,
            $label,
            "017",
            &[
                lookup($parent, &[$target]).read_only().required(),
                picklist("Field").read_only().required(),
                picklist("DataType").read_only(),
                any_type("OldValue").read_only(),
                any_type("NewValue").read_only(),
            ],
        )
        .with_currency(CurrencyField::None)
        .read_only()
    };
}

/// Changes of the tracked fields of accounts.
pub(super) const ACCOUNT_HISTORY: ObjectDef =
    history!("AccountHistory", "Account History", "AccountId", "Account");

/// Changes of the tracked fields of contacts.
pub(super) const CONTACT_HISTORY: ObjectDef =
    history!("ContactHistory", "Contact History", "ContactId", "Contact");
