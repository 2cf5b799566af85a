//! A product has one price per price book and currency, and a standard price in that
//! currency before any other; an entry shows its product's name and code, and one that
//! uses the standard price takes it.

use serde_json::{Value, json};

use crate::error::SfError;
use crate::org::fields::{field, set_field, text};
use crate::org::{Org, Record};
use crate::schema::CURRENCY_ISO_CODE;

/// On create: no second entry for the same product, book and currency, and a standard
/// price first. Always: the product's name and code, and the standard price when
/// `UseStandardPrice` is set.
pub(super) fn pricebook_entry(
    org: &mut Org,
    record: &mut Record,
    before: Option<&Record>,
) -> Result<(), SfError> {
    let book = text(field(record, "Pricebook2Id")).unwrap_or_default();
    let product = text(field(record, "Product2Id")).unwrap_or_default();
    let currency = text(field(record, CURRENCY_ISO_CODE));
    let entries = org.records("PricebookEntry");
    let standard = org.standard_pricebook_id.clone();
    let in_book = |e: &&Record, b: &str| {
        text(field(e, "Pricebook2Id")).as_deref() == Some(b)
            && text(field(e, "Product2Id")).as_deref() == Some(product.as_str())
            && text(field(e, CURRENCY_ISO_CODE)) == currency
    };
    let standard_entry = entries.iter().find(|e| in_book(e, &standard)).cloned();
    if before.is_none() {
        if entries.iter().any(|e| in_book(&e, &book)) {
            return Err(SfError::new(
                400,
                "DUPLICATE_VALUE",
                "This price definition already exists in this price book",
                &[],
            ));
        }
        if book != standard && standard_entry.is_none() {
            return Err(SfError::new(
                400,
                "STANDARD_PRICE_NOT_DEFINED",
                "No standard price defined for this product",
                &[],
            ));
        }
    }
    if book != standard
        && field(record, "UseStandardPrice") == Some(&json!(true))
        && let Some(price) = standard_entry.as_ref().and_then(|e| field(e, "UnitPrice"))
    {
        set_field(record, "UnitPrice", price.clone());
    }
    let product = org.record(&product).cloned().unwrap_or_default();
    for name in ["Name", "ProductCode"] {
        set_field(
            record,
            name,
            field(&product, name).cloned().unwrap_or(Value::Null),
        );
    }
    Ok(())
}
