//! Fulfilment: a paid order's units allocated to the locations that ship them, and one
//! fulfilment order per location, as in Salesforce Order Management's multi-location flow.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

pub mod allocation;
pub mod lifecycle;
pub mod process;
pub mod shipments;

pub use allocation::{
    Allocation, AllocationError, EXACT_SEARCH_MAX_LOCATIONS, LocationAllocation, LocationUnits,
    StockByLocation, allocate,
};
pub use lifecycle::{FulfilmentEvent, FulfilmentStatus, TRANSITIONS};
pub use shipments::{NoticeError, NoticeKind, Shipment, ShipmentNotice};

use crate::ids::{InvalidValue, LocationId, OrderId, Quantity, Sku};
use crate::money::Money;
use crate::order::Order;

/// A fulfilment order's id: the order's id and the location's, hashed, so that allocating an
/// order again (a retried message) names the same fulfilment orders and overwrites nothing new.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct FulfilmentOrderId(String);

impl FulfilmentOrderId {
    pub fn for_location(order: &OrderId, location: &LocationId) -> Self {
        let digest = Sha256::digest(format!("fulfilment\u{0}{order}\u{0}{location}"));
        FulfilmentOrderId(format!("fo_{}", hex::encode(&digest[..16])))
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let ok = raw.strip_prefix("fo_").is_some_and(|rest| {
            rest.len() == 32
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        if ok {
            Ok(FulfilmentOrderId(raw.to_owned()))
        } else {
            Err(InvalidValue::new(
                "fulfilment_order_id",
                "not a valid fulfilment order id",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FulfilmentOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for FulfilmentOrderId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        FulfilmentOrderId::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// The invoice of a shipped fulfilment order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub id: String,
    pub amount: Money,
    pub issued_at: DateTime<Utc>,
}

/// Units of one order line that one location ships.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FulfilmentLine {
    pub sku: Sku,
    pub name: String,
    pub quantity: Quantity,
    pub unit_price: Money,
}

/// What one location ships of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FulfilmentOrder {
    pub id: FulfilmentOrderId,
    pub order_id: OrderId,
    pub location: LocationId,
    pub lines: Vec<FulfilmentLine>,
    /// The order's shipping, on its first fulfilment order; zero on the others, so that the
    /// fulfilment orders' charges add up to what the customer paid.
    pub delivery_charge: Money,
    pub status: FulfilmentStatus,
    /// Its parcels, as the provider's notices told them.
    #[serde(default)]
    pub shipments: Vec<Shipment>,
    /// The notices applied, by the provider's id: a notice sent again changes nothing.
    #[serde(default)]
    pub notices: Vec<String>,
    /// Issued when everything it carries has shipped.
    #[serde(default)]
    pub invoice: Option<Invoice>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FulfilmentError {
    #[error("a fulfilment order that is {} cannot {event:?}", current.as_str())]
    InvalidTransition {
        current: FulfilmentStatus,
        event: FulfilmentEvent,
    },
    /// The allocation was made for other lines than the order's (another order, or lines
    /// since changed): shipping it would send the customer the wrong goods.
    #[error("the allocation ships {allocated} of {sku}, the order has {ordered}")]
    AllocationMismatch {
        sku: Sku,
        ordered: u64,
        allocated: u64,
    },
}

impl FulfilmentOrder {
    /// Its place in the lists by status: by its last change.
    pub fn position(&self) -> String {
        crate::listing::position(self.updated_at, self.id.as_str())
    }

    /// Applies an event: the fulfilment order one version on, or why it may not happen now.
    pub fn apply(
        &self,
        event: FulfilmentEvent,
        now: DateTime<Utc>,
    ) -> Result<FulfilmentOrder, FulfilmentError> {
        let to = lifecycle::next_status(self.status, event).ok_or(
            FulfilmentError::InvalidTransition {
                current: self.status,
                event,
            },
        )?;
        let mut next = self.clone();
        next.status = to;
        next.updated_at = now;
        next.version += 1;
        Ok(next)
    }

    /// Cancels before anything has shipped; returns the fulfilment order and the units to put
    /// back on its location's shelf.
    pub fn cancel(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(FulfilmentOrder, Vec<LocationUnits>), FulfilmentError> {
        let next = self.apply(FulfilmentEvent::Cancel, now)?;
        let restock = self
            .lines
            .iter()
            .map(|l| (self.location.clone(), l.sku.clone(), l.quantity.get()))
            .collect();
        Ok((next, restock))
    }
}

/// The order's units per sku, for [`allocate`]: lines of one sku stay separate here and are
/// added together by the allocation.
pub fn order_units(order: &Order) -> Vec<(Sku, u32)> {
    order
        .lines
        .iter()
        .map(|l| (l.sku.clone(), l.quantity.get()))
        .collect()
}

/// The units of each line still to ship: ordered, less those cancelled before fulfilment.
fn units_to_ship(order: &Order) -> Vec<u32> {
    order
        .lines
        .iter()
        .map(|l| {
            let cancelled: u32 = order
                .changes
                .iter()
                .filter(|c| c.kind == crate::order::changes::ChangeKind::Cancel)
                .flat_map(|c| &c.lines)
                .filter(|c| c.sku == l.sku)
                .map(|c| c.quantity.get())
                .sum();
            l.quantity.get().saturating_sub(cancelled)
        })
        .collect()
}

/// One fulfilment order per allocated location, in the allocation's order: the first carries
/// the delivery charge. Each fulfilment line is a part of one order line, at its unit price;
/// units cancelled before fulfilment are not shipped.
pub fn fulfilment_orders(
    order: &Order,
    allocation: &Allocation,
    now: DateTime<Utc>,
) -> Result<Vec<FulfilmentOrder>, FulfilmentError> {
    let skus = order.lines.iter().map(|l| &l.sku).chain(
        allocation
            .locations()
            .iter()
            .flat_map(|l| &l.lines)
            .map(|(sku, _)| sku),
    );
    let to_ship = units_to_ship(order);
    for sku in skus {
        let ordered: u64 = order
            .lines
            .iter()
            .zip(&to_ship)
            .filter(|(l, _)| &l.sku == sku)
            .map(|(_, units)| u64::from(*units))
            .sum();
        let allocated = allocation.units_of(sku);
        if ordered != allocated {
            return Err(FulfilmentError::AllocationMismatch {
                sku: sku.clone(),
                ordered,
                allocated,
            });
        }
    }
    // Units of each order line not yet given to a location.
    let mut unshipped = to_ship;
    let zero = Money::zero(order.currency);
    let orders = allocation
        .locations()
        .iter()
        .enumerate()
        .map(|(place, at)| {
            let mut lines = Vec::new();
            for (sku, units) in &at.lines {
                let mut left = *units;
                for (line, free) in order.lines.iter().zip(unshipped.iter_mut()) {
                    if left == 0 {
                        break;
                    }
                    if &line.sku != sku || *free == 0 {
                        continue;
                    }
                    let take = left.min(*free);
                    *free -= take;
                    left -= take;
                    lines.push(FulfilmentLine {
                        sku: line.sku.clone(),
                        name: line.name.clone(),
                        quantity: Quantity::parse(i64::from(take))
                            .expect("a part of an order line is a valid quantity"),
                        unit_price: line.unit_price,
                    });
                }
            }
            FulfilmentOrder {
                id: FulfilmentOrderId::for_location(&order.id, &at.location),
                order_id: order.id.clone(),
                location: at.location.clone(),
                lines,
                delivery_charge: if place == 0 {
                    order.totals.shipping
                } else {
                    zero
                },
                status: FulfilmentStatus::Allocated,
                shipments: Vec::new(),
                notices: Vec::new(),
                invoice: None,
                created_at: now,
                updated_at: now,
                version: 1,
            }
        })
        .collect();
    Ok(orders)
}

#[cfg(test)]
mod allocation_tests;
#[cfg(test)]
mod tests;
