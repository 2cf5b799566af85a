//! The invocable actions the org has: Apex classes deployed from `salesforce/` with an
//! `@InvocableMethod`, called at `POST /services/data/vXX.X/actions/custom/apex/{name}`.
//! `tests/apex_actions.rs` checks each against its `.cls` file.

/// One `@InvocableVariable` of an action's request or result class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    /// The variable name: the key of `inputs[]` or `outputValues`.
    pub name: &'static str,
    /// The Apex type (`Id`, `String`, `Boolean`).
    pub apex_type: &'static str,
    /// `required=true`: an input without it fails.
    pub required: bool,
}

/// An invocable Apex action.
#[derive(Debug, Clone, Copy)]
pub struct ApexAction {
    /// The class name, the last segment of the action's URL.
    pub name: &'static str,
    /// The `@InvocableMethod` label.
    pub label: &'static str,
    /// The request class's variables.
    pub inputs: &'static [Variable],
    /// The result class's variables.
    pub outputs: &'static [Variable],
}

const fn var(name: &'static str, apex_type: &'static str, required: bool) -> Variable {
    Variable {
        name,
        apex_type,
        required,
    }
}

/// `Storesync_LeadConvert`: converts leads with `Database.convertLead`, into new records
/// or merged into a given account and contact, without an opportunity by default.
pub const LEAD_CONVERT: ApexAction = ApexAction {
    name: "Storesync_LeadConvert",
    label: "Convert Lead",
    inputs: &[
        var("leadId", "Id", true),
        var("accountId", "Id", false),
        var("contactId", "Id", false),
        var("convertedStatus", "String", false),
        var("doNotCreateOpportunity", "Boolean", false),
    ],
    outputs: &[
        var("accountId", "Id", false),
        var("contactId", "Id", false),
        var("leadId", "Id", false),
    ],
};

/// Every Apex action of the org.
pub static APEX_ACTIONS: &[ApexAction] = &[LEAD_CONVERT];

/// An Apex action by class name (case-insensitive, as Apex names are).
pub fn apex_action(name: &str) -> Option<&'static ApexAction> {
    APEX_ACTIONS
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
}
