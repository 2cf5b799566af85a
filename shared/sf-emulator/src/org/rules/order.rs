//! Orders start as drafts; an order's products come from the order's price book.

use super::Write;
use crate::error::SfError;
use crate::org::fields::{field, set_field, text};
use crate::org::{Org, Record};

/// An order is created as Draft and activated later, as in a real org.
pub(super) fn order(_: &Org, record: &mut Record, write: Write) -> Result<(), SfError> {
    if write != Write::Create {
        return Ok(());
    }
    let status = text(field(record, "Status")).unwrap_or_default();
    if !status.eq_ignore_ascii_case("Draft") {
        return Err(SfError::new(
            400,
            "FIELD_INTEGRITY_EXCEPTION",
            "Status: You can't create an order with an activated status. Create the order as Draft, then activate it.",
            &["Status"],
        ));
    }
    Ok(())
}

/// A line's price book entry must be in the order's price book; the line takes the entry's
/// product.
pub(super) fn order_item(org: &Org, record: &mut Record, _: Write) -> Result<(), SfError> {
    let order_id = text(field(record, "OrderId")).unwrap_or_default();
    let entry_id = text(field(record, "PricebookEntryId")).unwrap_or_default();
    let order_book = org
        .record(&order_id)
        .and_then(|o| text(field(o, "Pricebook2Id")));
    let entry = org.record(&entry_id);
    let entry_book = entry.and_then(|e| text(field(e, "Pricebook2Id")));
    if order_book.is_none() || order_book != entry_book {
        return Err(SfError::new(
            400,
            "FIELD_INTEGRITY_EXCEPTION",
            "field integrity exception: PricebookEntryId (pricebook entry is in a different pricebook than the one assigned to the order, or Order has no pricebook assigned)",
            &["PricebookEntryId"],
        ));
    }
    if let Some(product) = entry.and_then(|e| field(e, "Product2Id")).cloned() {
        set_field(record, "Product2Id", product);
    }
    Ok(())
}
