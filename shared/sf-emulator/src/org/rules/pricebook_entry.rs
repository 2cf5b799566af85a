//! A product has one price per price book, and a standard price before any other.

use serde_json::json;

use super::Write;
use crate::error::SfError;
use crate::org::fields::{field, text};
use crate::org::{Org, Record};

/// On create: no second entry for the same product and book, a standard price first, and
/// active unless the body says otherwise.
pub(super) fn pricebook_entry(org: &Org, record: &mut Record, write: Write) -> Result<(), SfError> {
    if write != Write::Create {
        return Ok(());
    }
    let book = text(field(record, "Pricebook2Id")).unwrap_or_default();
    let product = text(field(record, "Product2Id")).unwrap_or_default();
    let entries = org.records("PricebookEntry");
    let same = |e: &Record, b: &str| {
        text(field(e, "Pricebook2Id")).as_deref() == Some(b)
            && text(field(e, "Product2Id")).as_deref() == Some(product.as_str())
    };
    if entries.iter().any(|e| same(e, &book)) {
        return Err(SfError::new(
            400,
            "DUPLICATE_VALUE",
            "This price definition already exists in this price book",
            &[],
        ));
    }
    if book != org.standard_pricebook_id
        && !entries.iter().any(|e| same(e, &org.standard_pricebook_id))
    {
        return Err(SfError::new(
            400,
            "STANDARD_PRICE_NOT_DEFINED",
            "No standard price defined for this product",
            &[],
        ));
    }
    if field(record, "IsActive").is_none() {
        record.insert("IsActive".into(), json!(true));
    }
    Ok(())
}
