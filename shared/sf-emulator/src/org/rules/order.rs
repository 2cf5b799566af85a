//! Orders start as drafts and number themselves; an order's products come from active
//! entries of the order's price book in the order's currency, and the order totals them.
//! Once activated, an order takes no new products and its products keep their quantity and
//! price: what comes back is a reduction order (`reduction`).

use serde_json::{Value, json};

use crate::error::SfError;
use crate::org::dates::now_datetime;
use crate::org::fields::{field, is_blank, set_field, text};
use crate::org::{Org, Record};
use crate::schema::{self, CURRENCY_ISO_CODE};

use super::reduction::{self, is_activated};

/// An order is created as Draft (and numbered), activated later; once it has products its
/// price book and currency stay.
pub(super) fn order(
    org: &mut Org,
    record: &mut Record,
    before: Option<&Record>,
) -> Result<(), SfError> {
    let status = text(field(record, "Status")).unwrap_or_default();
    let Some(before) = before else {
        if !status.eq_ignore_ascii_case("Draft") {
            return Err(integrity(
                "Status: You can't create an order with an activated status. Create the order as Draft, then activate it.",
                "Status",
            ));
        }
        reduction::new_order(org, record)?;
        let number = org.data.next_auto_number();
        set_field(record, "OrderNumber", json!(number));
        set_field(record, "TotalAmount", json!(0.0));
        return Ok(());
    };
    if status.eq_ignore_ascii_case("Activated") && is_blank(field(record, "ActivatedDate")) {
        set_field(record, "ActivatedDate", json!(now_datetime()));
    }
    reduction::keeps_activation(org, record, before)?;
    let id = text(field(record, "Id")).unwrap_or_default();
    let has_items = org
        .records("OrderItem")
        .iter()
        .any(|i| text(field(i, "OrderId")).as_deref() == Some(id.as_str()));
    for (name, what) in [
        ("Pricebook2Id", "price book"),
        (CURRENCY_ISO_CODE, "currency"),
    ] {
        if has_items && field(record, name) != field(before, name) {
            return Err(integrity(
                &format!(
                    "field integrity exception: {name} (can't change the {what} of an order that has products)"
                ),
                name,
            ));
        }
    }
    Ok(())
}

/// A line's entry must be active, in the order's price book and currency; the line takes
/// the entry's product, list price and currency, and totals itself.
pub(super) fn order_item(
    org: &mut Org,
    record: &mut Record,
    before: Option<&Record>,
) -> Result<(), SfError> {
    let order_id = text(field(record, "OrderId")).unwrap_or_default();
    let order = org.record(&order_id).cloned().unwrap_or_default();
    if let Some(before) = before {
        let repriced = ["Quantity", "UnitPrice"]
            .iter()
            .any(|name| field(record, name) != field(before, name));
        if is_activated(&order) && repriced {
            return Err(integrity(
                "You can't change the quantity or price of a product on an activated order.",
                "Quantity",
            ));
        }
        reduction::changed_item(org, record, before)?;
    } else {
        if is_activated(&order) {
            return Err(integrity(
                "OrderId: You can't add products to an activated order.",
                "OrderId",
            ));
        }
        let entry_id = text(field(record, "PricebookEntryId")).unwrap_or_default();
        let entry = org.record(&entry_id).cloned().unwrap_or_default();
        let order_book = text(field(&order, "Pricebook2Id"));
        if order_book.is_none() || order_book != text(field(&entry, "Pricebook2Id")) {
            return Err(integrity(
                "field integrity exception: PricebookEntryId (pricebook entry is in a different pricebook than the one assigned to the order, or Order has no pricebook assigned)",
                "PricebookEntryId",
            ));
        }
        if field(&entry, "IsActive") != Some(&json!(true)) {
            return Err(integrity(
                "field integrity exception: PricebookEntryId (pricebook entry is inactive)",
                "PricebookEntryId",
            ));
        }
        if org.currencies.enabled {
            let currency = field(&order, CURRENCY_ISO_CODE).cloned();
            if field(&entry, CURRENCY_ISO_CODE) != currency.as_ref() {
                return Err(integrity(
                    "field integrity exception: PricebookEntryId (pricebook entry currency code does not match order currency code)",
                    "PricebookEntryId",
                ));
            }
            set_field(record, CURRENCY_ISO_CODE, currency.unwrap_or(Value::Null));
        }
        for (from, to) in [("Product2Id", "Product2Id"), ("UnitPrice", "ListPrice")] {
            set_field(
                record,
                to,
                field(&entry, from).cloned().unwrap_or(Value::Null),
            );
        }
        reduction::new_item(org, record, &order)?;
    }
    let amount = |name| field(record, name).and_then(Value::as_f64).unwrap_or(0.0);
    let total = amount("Quantity") * amount("UnitPrice");
    set_field(record, "TotalPrice", json!(total));
    Ok(())
}

/// After a line is saved or deleted, its order's `TotalAmount` is the sum of its lines, and
/// the product it reduces (if any) shows what is left of it.
pub(super) fn order_item_saved(org: &mut Org, line: &Record) {
    roll_up_total(org, line);
    reduction::item_saved(org, line);
}

fn roll_up_total(org: &mut Org, line: &Record) {
    let Some(order_id) = text(field(line, "OrderId")) else {
        return;
    };
    let total: f64 = org
        .records("OrderItem")
        .iter()
        .filter(|i| text(field(i, "OrderId")).as_deref() == Some(order_id.as_str()))
        .filter_map(|i| field(i, "TotalPrice").and_then(Value::as_f64))
        .sum();
    let def = schema::object("Order").expect("Order is emulated");
    if let Some(mut order) = org.data.get(def, &order_id).cloned() {
        set_field(&mut order, "TotalAmount", json!(total));
        org.data.put(def, order_id, order);
    }
}

pub(super) fn integrity(message: &str, field: &str) -> SfError {
    SfError::new(400, "FIELD_INTEGRITY_EXCEPTION", message, &[field])
}
