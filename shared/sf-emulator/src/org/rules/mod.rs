//! What an object does on a write beyond the checks every object gets: defaults Salesforce
//! fills in, read-only fields it derives, and integrity rules between records. Each object's
//! rule lives in its own file; [`RULES`] says which object runs which.

mod opportunity;
mod order;
mod person;
mod pricebook_entry;
mod task;

use super::{Org, Record};
use crate::error::SfError;
use crate::schema::ObjectDef;

/// Whether a write creates the record or changes a stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Write {
    Create,
    Update,
}

/// An object's rule: it may refuse the write, or fill in fields of the record as written
/// (after the body is merged into the stored record, before it is saved).
type Rule = fn(&Org, &mut Record, Write) -> Result<(), SfError>;

/// The rule each object's writes run; objects not listed have none.
const RULES: &[(&str, Rule)] = &[
    ("Contact", person::contact),
    ("Lead", person::lead),
    ("Opportunity", opportunity::opportunity),
    ("Order", order::order),
    ("OrderItem", order::order_item),
    ("PricebookEntry", pricebook_entry::pricebook_entry),
    ("Task", task::task),
];

impl Org {
    /// Runs the rule of `def`'s object, if it has one.
    pub(super) fn apply_rules(
        &self,
        def: &ObjectDef,
        record: &mut Record,
        write: Write,
    ) -> Result<(), SfError> {
        match RULES.iter().find(|(object, _)| *object == def.name) {
            Some((_, rule)) => rule(self, record, write),
            None => Ok(()),
        }
    }
}
