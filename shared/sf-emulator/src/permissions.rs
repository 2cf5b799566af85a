//! The permissions the org's users hold, as far as the emulator enforces them: "Modify All"
//! on an object and "Modify All Data", which let a user edit a record locked by an approval
//! request (see `org::locks`). They come from the permission sets deployed from
//! `salesforce/` (`permissionsets/`) and assigned as `docs/salesforce.md` says;
//! `tests/record_locks.rs` checks each against its metadata file. No other object or field
//! permission is enforced.

use crate::config::{INTEGRATION_USERNAME, MANAGER_USERNAME};

/// A permission set, as far as the emulator reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PermissionSetDef {
    /// The API name (the metadata file's name).
    pub name: &'static str,
    /// The objects it grants "Modify All" on (`modifyAllRecords`; Salesforce requires Read,
    /// Edit, Delete and View All with it).
    pub modify_all: &'static [&'static str],
    /// It grants the user permission "Modify All Data" (`ModifyAllData`).
    pub modify_all_data: bool,
}

/// `Storesync_Integration`: the integration user's. Modify All on Opportunity and Order, so
/// the order sync may write a held order's records while an approval request locks them.
pub const INTEGRATION: PermissionSetDef = PermissionSetDef {
    name: "Storesync_Integration",
    modify_all: &["Opportunity", "Order"],
    modify_all_data: false,
};

/// `Storesync_Discount_Approval`: the approving managers' read access to Opportunity.
pub const DISCOUNT_APPROVAL: PermissionSetDef = PermissionSetDef {
    name: "Storesync_Discount_Approval",
    modify_all: &[],
    modify_all_data: false,
};

/// `Storesync_Refund_Access`: the approving managers' read access to Order.
pub const REFUND_ACCESS: PermissionSetDef = PermissionSetDef {
    name: "Storesync_Refund_Access",
    modify_all: &[],
    modify_all_data: false,
};

/// Every permission set deployed from `salesforce/`.
pub static PERMISSION_SETS: &[PermissionSetDef] = &[INTEGRATION, DISCOUNT_APPROVAL, REFUND_ACCESS];

/// Which user holds which permission set, by username. Users not listed (and the profiles
/// of all users) grant neither Modify All nor Modify All Data.
pub static ASSIGNMENTS: &[(&str, &PermissionSetDef)] = &[
    (INTEGRATION_USERNAME, &INTEGRATION),
    (MANAGER_USERNAME, &DISCOUNT_APPROVAL),
    (MANAGER_USERNAME, &REFUND_ACCESS),
];

/// The permission sets assigned to the user with this username (compared case-insensitively).
pub fn assigned(username: &str) -> impl Iterator<Item = &'static PermissionSetDef> + '_ {
    ASSIGNMENTS
        .iter()
        .filter(move |(user, _)| user.eq_ignore_ascii_case(username))
        .map(|(_, set)| *set)
}

/// The user may edit every record of `object`, locked ones included: "Modify All Data", or
/// "Modify All" on the object.
pub fn modifies_all(username: &str, object: &str) -> bool {
    assigned(username).any(|set| set.modify_all_data || set.modify_all.contains(&object))
}
