//! What goes over the wire, both ways: a fulfilment order the store sends, and a shipment
//! notice the provider answers with.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use storesync_core::customer::Address;
use storesync_core::fulfilment::{FulfilmentOrder, NoticeKind, ShipmentNotice};
use storesync_core::ids::{InvalidValue, Quantity, Sku};
use storesync_core::money::Money;
use storesync_core::order::Order;

/// A fulfilment order as the provider receives it: what to ship, from where, to where. No
/// e-mail or phone: the parcel needs the address only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FulfilmentRequest {
    pub fulfilment_order_id: String,
    pub order_number: String,
    pub location: String,
    pub ship_to: Address,
    pub lines: Vec<RequestLine>,
    pub delivery_charge: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestLine {
    pub sku: String,
    pub name: String,
    pub quantity: u32,
}

impl FulfilmentRequest {
    pub fn new(fulfilment: &FulfilmentOrder, order: &Order) -> Self {
        FulfilmentRequest {
            fulfilment_order_id: fulfilment.id.to_string(),
            order_number: order.number.clone(),
            location: fulfilment.location.to_string(),
            ship_to: order.shipping_address.clone(),
            lines: fulfilment
                .lines
                .iter()
                .map(|l| RequestLine {
                    sku: l.sku.to_string(),
                    name: l.name.clone(),
                    quantity: l.quantity.get(),
                })
                .collect(),
            delivery_charge: fulfilment.delivery_charge,
        }
    }
}

/// A shipment notice (ASN) as the provider sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeBody {
    pub notice_id: String,
    pub fulfilment_order_id: String,
    pub kind: NoticeKind,
    pub carrier: String,
    pub tracking_number: String,
    pub lines: Vec<NoticeLine>,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeLine {
    pub sku: String,
    pub quantity: i64,
}

/// The longest id, carrier or tracking number taken.
const TEXT_MAX: usize = 100;

fn text(field: &str, value: &str) -> Result<String, InvalidValue> {
    let value = value.trim();
    if value.is_empty() || value.len() > TEXT_MAX || value.chars().any(char::is_control) {
        return Err(InvalidValue::new(
            field,
            format!("must be 1 to {TEXT_MAX} characters without control characters"),
        ));
    }
    Ok(value.to_owned())
}

impl NoticeBody {
    /// The notice as the store takes it, or each field that is wrong.
    pub fn notice(&self) -> Result<ShipmentNotice, Vec<InvalidValue>> {
        let mut errors = Vec::new();
        let mut keep = |r: Result<String, InvalidValue>| match r {
            Ok(v) => v,
            Err(e) => {
                errors.push(e);
                String::new()
            }
        };
        let notice_id = keep(text("notice_id", &self.notice_id));
        let carrier = keep(text("carrier", &self.carrier));
        let tracking_number = keep(text("tracking_number", &self.tracking_number));
        if self.lines.is_empty() {
            errors.push(InvalidValue::new("lines", "must name at least one line"));
        }
        let mut lines = Vec::new();
        for (i, line) in self.lines.iter().enumerate() {
            let sku = Sku::parse(&line.sku)
                .map_err(|e| InvalidValue::new(format!("lines[{i}].sku"), e.message));
            let quantity = Quantity::parse(line.quantity)
                .map_err(|e| InvalidValue::new(format!("lines[{i}].quantity"), e.message));
            match (sku, quantity) {
                (Ok(sku), Ok(quantity)) => lines.push((sku, quantity)),
                (sku, quantity) => errors.extend(sku.err().into_iter().chain(quantity.err())),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ShipmentNotice {
            notice_id,
            kind: self.kind,
            carrier,
            tracking_number,
            lines,
            occurred_at: self.occurred_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_notice_reads_and_a_wrong_field_is_named() {
        let sample: NoticeBody = serde_json::from_str(include_str!(
            "../../../events/fulfilment-shipment-notice.json"
        ))
        .unwrap();
        let notice = sample.notice().unwrap();
        assert_eq!(notice.kind, NoticeKind::Shipped);
        assert_eq!(notice.lines[0].1.get(), 3);
        let mut wrong = sample.clone();
        wrong.carrier = " ".into();
        wrong.lines[0].sku = "no spaces allowed".into();
        let fields: Vec<String> = wrong
            .notice()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["carrier", "lines[0].sku"]);
        let extra = r#"{"notice_id":"a","fulfilment_order_id":"b","kind":"shipped","carrier":"c","tracking_number":"d","lines":[],"occurred_at":"2026-12-01T09:30:00Z","x":1}"#;
        assert!(
            serde_json::from_str::<NoticeBody>(extra).is_err(),
            "unknown fields are refused"
        );
    }
}
