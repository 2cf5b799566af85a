//! Reduction orders: what a customer gives back of an activated order. A reduction order
//! names the order it reduces (`OriginalOrderId`, which must be activated and not itself a
//! reduction); each of its products names the product it reduces (`OriginalOrderItemId`, on
//! that order), with a negative quantity no larger than what is left of the original. The
//! original product's read-only `AvailableQuantity` is its quantity plus the quantities of
//! its activated reductions; a reduction order's products always show 0. A product that
//! has been reduced keeps its quantity, and an order with reductions stays activated.

use serde_json::{Value, json};

use crate::error::SfError;
use crate::ids;
use crate::org::fields::{field, is_blank, set_field, text};
use crate::org::{Org, Record};
use crate::schema;

use super::order::integrity;

/// The order's `IsReductionOrder`.
pub(super) fn is_reduction(order: &Record) -> bool {
    field(order, "IsReductionOrder") == Some(&json!(true))
}

/// The order's status is Activated.
pub(super) fn is_activated(order: &Record) -> bool {
    text(field(order, "Status")).is_some_and(|s| s.eq_ignore_ascii_case("Activated"))
}

fn number(record: &Record, name: &str) -> f64 {
    field(record, name).and_then(Value::as_f64).unwrap_or(0.0)
}

fn id_of(record: &Record) -> String {
    text(field(record, "Id")).unwrap_or_default()
}

/// A new order: a reduction order reduces an activated order that is not itself one; any
/// other order names no original.
pub(super) fn new_order(org: &Org, record: &Record) -> Result<(), SfError> {
    let original_id = text(field(record, "OriginalOrderId"));
    if !is_reduction(record) {
        if original_id.is_some() {
            return Err(integrity(
                "OriginalOrderId: only a reduction order can have an original order",
                "OriginalOrderId",
            ));
        }
        return Ok(());
    }
    let Some(original_id) = original_id else {
        return Err(SfError::new(
            400,
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [OriginalOrderId]",
            &["OriginalOrderId"],
        ));
    };
    let original = org.record(&original_id).cloned().unwrap_or_default();
    if is_reduction(&original) || !is_activated(&original) {
        return Err(integrity(
            "OriginalOrderId: you can reduce only an activated order that isn't a reduction order",
            "OriginalOrderId",
        ));
    }
    Ok(())
}

/// An order that has reduction orders cannot go back to Draft.
pub(super) fn keeps_activation(org: &Org, record: &Record, before: &Record) -> Result<(), SfError> {
    if !is_activated(before) || is_activated(record) {
        return Ok(());
    }
    let id = id_of(record);
    let reduced = org
        .records("Order")
        .iter()
        .any(|o| text(field(o, "OriginalOrderId")).as_deref() == Some(id.as_str()));
    if reduced {
        return Err(integrity(
            "Status: you can't deactivate an order that has reduction orders",
            "Status",
        ));
    }
    Ok(())
}

/// A new product of `order`: on a reduction order it reduces a product of the original
/// order by a negative quantity no larger than what is left of it, at the original's price
/// entry, and shows no available quantity; on any other order it names no original and has
/// all of its quantity available.
pub(super) fn new_item(org: &Org, record: &mut Record, order: &Record) -> Result<(), SfError> {
    let original_item_id = text(field(record, "OriginalOrderItemId"));
    if !is_reduction(order) {
        if original_item_id.is_some() {
            return Err(integrity(
                "OriginalOrderItemId: only a product of a reduction order can reduce another",
                "OriginalOrderItemId",
            ));
        }
        let quantity = number(record, "Quantity");
        set_field(record, "AvailableQuantity", json!(quantity));
        return Ok(());
    }
    let Some(original_item_id) = original_item_id else {
        return Err(SfError::new(
            400,
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [OriginalOrderItemId]",
            &["OriginalOrderItemId"],
        ));
    };
    let original = org.record(&original_item_id).cloned().unwrap_or_default();
    let original_order = text(field(order, "OriginalOrderId"));
    if original_order.is_none() || text(field(&original, "OrderId")) != original_order {
        return Err(integrity(
            "OriginalOrderItemId: the original order product must be on the order this order reduces",
            "OriginalOrderItemId",
        ));
    }
    if text(field(record, "PricebookEntryId")) != text(field(&original, "PricebookEntryId")) {
        return Err(integrity(
            "PricebookEntryId: a reduction order product must use its original order product's price book entry",
            "PricebookEntryId",
        ));
    }
    let quantity = number(record, "Quantity");
    if quantity >= 0.0 {
        return Err(integrity(
            "Quantity: a reduction order product's quantity must be negative",
            "Quantity",
        ));
    }
    let left = reducible(org, &original);
    if -quantity > left {
        return Err(integrity(
            &format!(
                "Quantity: you can't reduce an order product by more than its available quantity ({left})"
            ),
            "Quantity",
        ));
    }
    set_field(record, "AvailableQuantity", json!(0.0));
    Ok(())
}

/// A change to a product: one that has been reduced keeps its quantity; otherwise its
/// available quantity follows its quantity.
pub(super) fn changed_item(org: &Org, record: &mut Record, before: &Record) -> Result<(), SfError> {
    let id = id_of(record);
    let reductions = reductions_of(org, &id);
    if !reductions.is_empty() && number(record, "Quantity") != number(before, "Quantity") {
        return Err(integrity(
            "You can't update Quantity because the order product has been reduced.",
            "Quantity",
        ));
    }
    if is_blank(field(record, "OriginalOrderItemId")) {
        set_field(record, "AvailableQuantity", json!(available(org, record)));
    }
    Ok(())
}

/// The reduction products of an original product.
fn reductions_of(org: &Org, original_id: &str) -> Vec<Record> {
    org.records("OrderItem")
        .into_iter()
        .filter(|i| text(field(i, "OriginalOrderItemId")).as_deref() == Some(original_id))
        .collect()
}

/// What the original product shows: its quantity less what activated reductions took.
fn available(org: &Org, original: &Record) -> f64 {
    let reduced: f64 = reductions_of(org, &id_of(original))
        .iter()
        .filter(|i| {
            let order = text(field(i, "OrderId")).unwrap_or_default();
            org.record(&order).is_some_and(is_activated)
        })
        .map(|i| number(i, "Quantity"))
        .sum();
    (number(original, "Quantity") + reduced).max(0.0)
}

/// What a new reduction may still take: the quantity less every reduction made, activated
/// or not, so two draft reductions cannot give back the same unit twice.
fn reducible(org: &Org, original: &Record) -> f64 {
    let reduced: f64 = reductions_of(org, &id_of(original))
        .iter()
        .map(|i| number(i, "Quantity"))
        .sum();
    (number(original, "Quantity") + reduced).max(0.0)
}

/// After a reduction order is saved (activated, say), its original's products show what is
/// left of them.
pub(super) fn order_saved(org: &mut Org, order: &Record) {
    if !is_reduction(order) {
        return;
    }
    let Some(original) = text(field(order, "OriginalOrderId")) else {
        return;
    };
    let items: Vec<String> = org
        .records("OrderItem")
        .iter()
        .filter(|i| text(field(i, "OrderId")).as_deref() == Some(original.as_str()))
        .map(id_of)
        .collect();
    for id in items {
        refresh_available(org, &id);
    }
}

/// After a reduction product is saved or deleted, its original shows what is left of it.
pub(super) fn item_saved(org: &mut Org, item: &Record) {
    if let Some(original) = text(field(item, "OriginalOrderItemId")) {
        refresh_available(org, &original);
    }
}

fn refresh_available(org: &mut Org, item_id: &str) {
    let def = schema::object("OrderItem").expect("OrderItem is emulated");
    let Some(id) = ids::normalise(item_id) else {
        return;
    };
    let Some(mut item) = org.data.get(def, &id).cloned() else {
        return;
    };
    let left = available(org, &item);
    set_field(&mut item, "AvailableQuantity", json!(left));
    org.data.put(def, id, item);
}
