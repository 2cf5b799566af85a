//! What an object does on a write beyond the checks every object gets: read-only fields it
//! derives, integrity rules between records, and roll-ups to a parent after a save. Each
//! object's rule lives in its own file; [`RULES`] and [`AFTER_SAVE`] say which object runs
//! which.

mod account;
mod opportunity;
mod order;
mod person;
mod pricebook_entry;
mod reduction;

pub(super) use person::converted_lead;

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
/// (after the body is merged into the stored record, before it is saved). `before` is the
/// stored record on an update, `None` on a create.
type Rule = fn(&mut Org, &mut Record, before: Option<&Record>) -> Result<(), SfError>;

/// The rule each object's writes run; objects not listed have none.
const RULES: &[(&str, Rule)] = &[
    ("Account", account::account),
    ("Contact", person::contact),
    ("Lead", person::lead),
    ("User", person::user),
    ("Opportunity", opportunity::opportunity),
    ("Order", order::order),
    ("OrderItem", order::order_item),
    ("PricebookEntry", pricebook_entry::pricebook_entry),
];

/// What a saved or deleted record changes in other records.
type AfterSave = fn(&mut Org, &Record);

/// The roll-ups each object's saves and deletes run.
const AFTER_SAVE: &[(&str, AfterSave)] = &[
    ("Order", reduction::order_saved),
    ("OrderItem", order::order_item_saved),
];

impl Org {
    /// Runs the rule of `def`'s object, if it has one.
    pub(super) fn apply_rules(
        &mut self,
        def: &ObjectDef,
        record: &mut Record,
        before: Option<&Record>,
    ) -> Result<(), SfError> {
        match RULES.iter().find(|(object, _)| *object == def.name) {
            Some((_, rule)) => rule(self, record, before),
            None => Ok(()),
        }
    }

    /// Runs the roll-ups of `def`'s object after `record` was saved or deleted.
    pub(super) fn after_save(&mut self, def: &ObjectDef, record: &Record) {
        if let Some((_, roll_up)) = AFTER_SAVE.iter().find(|(object, _)| *object == def.name) {
            roll_up(self, record);
        }
    }
}
