//! Shipment notices (ASN): what the fulfilment provider says it shipped or delivered, parcel by
//! parcel. Notices may come twice or out of order (a delivery before its shipment), so a
//! fulfilment order's status is worked out from the parcels it has, never from the order the
//! notices came in: a notice applied before changes nothing, and any order of arrival ends in
//! the same state.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{FulfilmentOrder, FulfilmentStatus};
use crate::ids::{InvalidValue, Quantity, Sku};

/// What a notice says happened to its parcel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Shipped,
    Delivered,
}

/// One advance shipping notice, as the provider sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentNotice {
    /// The provider's id of the notice: applied once.
    pub notice_id: String,
    pub kind: NoticeKind,
    pub carrier: String,
    /// The parcel: a later notice about the same tracking number is about the same parcel.
    pub tracking_number: String,
    pub lines: Vec<(Sku, Quantity)>,
    pub occurred_at: DateTime<Utc>,
}

/// A parcel of a fulfilment order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    pub carrier: String,
    pub tracking_number: String,
    pub lines: Vec<(Sku, Quantity)>,
    pub shipped_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Why a notice cannot apply to the fulfilment order it names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    #[error("the fulfilment order was cancelled")]
    Cancelled,
    #[error("{sku} is not on the fulfilment order")]
    UnknownSku { sku: Sku },
    #[error("{shipped} units of {sku} shipped, the fulfilment order has {ordered}")]
    TooMany {
        sku: Sku,
        shipped: u32,
        ordered: u32,
    },
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
}

impl FulfilmentOrder {
    fn units_of(&self, sku: &Sku) -> u32 {
        self.lines
            .iter()
            .filter(|l| &l.sku == sku)
            .map(|l| l.quantity.get())
            .sum()
    }

    /// Units of `sku` in its parcels.
    pub fn shipped_units(&self, sku: &Sku) -> u32 {
        self.shipments
            .iter()
            .flat_map(|s| &s.lines)
            .filter(|(s, _)| s == sku)
            .map(|(_, q)| q.get())
            .sum()
    }

    /// Applies a notice: the fulfilment order one version on, or `None` when the notice was
    /// applied before.
    pub fn receive(
        &self,
        notice: &ShipmentNotice,
        now: DateTime<Utc>,
    ) -> Result<Option<FulfilmentOrder>, NoticeError> {
        if self.notices.iter().any(|id| id == &notice.notice_id) {
            return Ok(None);
        }
        if self.status == FulfilmentStatus::Cancelled {
            return Err(NoticeError::Cancelled);
        }
        let mut next = self.clone();
        match next
            .shipments
            .iter_mut()
            .find(|s| s.tracking_number == notice.tracking_number)
        {
            Some(parcel) => {
                if notice.kind == NoticeKind::Delivered && parcel.delivered_at.is_none() {
                    parcel.delivered_at = Some(notice.occurred_at);
                }
            }
            None => next.shipments.push(Shipment {
                carrier: notice.carrier.clone(),
                tracking_number: notice.tracking_number.clone(),
                lines: notice.lines.clone(),
                shipped_at: notice.occurred_at,
                delivered_at: (notice.kind == NoticeKind::Delivered).then_some(notice.occurred_at),
            }),
        }
        for (sku, _) in &notice.lines {
            let ordered = self.units_of(sku);
            if ordered == 0 {
                return Err(NoticeError::UnknownSku { sku: sku.clone() });
            }
            let shipped = next.shipped_units(sku);
            if shipped > ordered {
                return Err(NoticeError::TooMany {
                    sku: sku.clone(),
                    shipped,
                    ordered,
                });
            }
        }
        next.notices.push(notice.notice_id.clone());
        next.status = next.shipping_status();
        next.updated_at = now;
        next.version += 1;
        Ok(Some(next))
    }

    /// Where the parcels say it stands: every unit delivered, every unit shipped, some.
    fn shipping_status(&self) -> FulfilmentStatus {
        let all_shipped = self
            .lines
            .iter()
            .all(|l| self.shipped_units(&l.sku) >= self.units_of(&l.sku));
        let all_delivered = all_shipped && self.shipments.iter().all(|s| s.delivered_at.is_some());
        match (all_delivered, all_shipped, self.shipments.is_empty()) {
            (true, _, _) => FulfilmentStatus::Delivered,
            (_, true, _) => FulfilmentStatus::Shipped,
            (_, _, false) => FulfilmentStatus::PartiallyShipped,
            _ => self.status,
        }
    }
}
