//! The fulfilment order life cycle as one table, like the order's: every status, every event,
//! and which event moves which status where. Anything not in the table is refused.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FulfilmentStatus {
    /// Units are set aside at the location; nothing has gone to the warehouse yet.
    Allocated,
    /// Handed to the location's fulfilment provider, which now picks and packs.
    Exported,
    /// The provider's advance shipping notice covered some of the lines, not all.
    PartiallyShipped,
    Shipped,
    Delivered,
    Cancelled,
}

impl FulfilmentStatus {
    pub const ALL: [FulfilmentStatus; 6] = [
        FulfilmentStatus::Allocated,
        FulfilmentStatus::Exported,
        FulfilmentStatus::PartiallyShipped,
        FulfilmentStatus::Shipped,
        FulfilmentStatus::Delivered,
        FulfilmentStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FulfilmentStatus::Allocated => "allocated",
            FulfilmentStatus::Exported => "exported",
            FulfilmentStatus::PartiallyShipped => "partially_shipped",
            FulfilmentStatus::Shipped => "shipped",
            FulfilmentStatus::Delivered => "delivered",
            FulfilmentStatus::Cancelled => "cancelled",
        }
    }
}

/// What can happen to a fulfilment order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FulfilmentEvent {
    /// Sent to the location's fulfilment provider.
    Export,
    /// An advance shipping notice for part of the lines.
    ShipPart,
    /// An advance shipping notice for the rest (or all) of the lines.
    Ship,
    Deliver,
    Cancel,
}

impl FulfilmentEvent {
    pub const ALL: [FulfilmentEvent; 5] = [
        FulfilmentEvent::Export,
        FulfilmentEvent::ShipPart,
        FulfilmentEvent::Ship,
        FulfilmentEvent::Deliver,
        FulfilmentEvent::Cancel,
    ];
}

/// The life cycle, as one table: (from, event) -> to. Anything not listed is refused.
pub const TRANSITIONS: &[(FulfilmentStatus, FulfilmentEvent, FulfilmentStatus)] = {
    use FulfilmentEvent as E;
    use FulfilmentStatus as S;
    &[
        (S::Allocated, E::Export, S::Exported),
        (S::Allocated, E::Cancel, S::Cancelled),
        // The provider may still refuse or lose the order before anything leaves the building.
        (S::Exported, E::Cancel, S::Cancelled),
        (S::Exported, E::ShipPart, S::PartiallyShipped),
        (S::Exported, E::Ship, S::Shipped),
        // One notice per parcel: several partial notices may come before the last one.
        (S::PartiallyShipped, E::ShipPart, S::PartiallyShipped),
        (S::PartiallyShipped, E::Ship, S::Shipped),
        (S::Shipped, E::Deliver, S::Delivered),
    ]
};

/// The next status for an event, or `None` when the table does not allow it.
pub fn next_status(from: FulfilmentStatus, event: FulfilmentEvent) -> Option<FulfilmentStatus> {
    TRANSITIONS
        .iter()
        .find(|(f, e, _)| *f == from && *e == event)
        .map(|(_, _, to)| *to)
}
