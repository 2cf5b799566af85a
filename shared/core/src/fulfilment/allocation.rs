//! Which locations ship which units of a paid order: as few locations as can ship it, so the
//! customer gets as few parcels and the store pays for as few deliveries as possible.
//!
//! The rule, in full (it is what [`allocate`] does and what its tests hold it to):
//! 1. Lines of one sku are added together. If all locations together hold fewer units of a sku
//!    than ordered, the order cannot be allocated and the first such sku is named.
//! 2. Only locations holding some of the order take part. Among them, the smallest set that
//!    together holds every sku's units is found by an exact search: every set of one location,
//!    then of two, and so on, stopping at the first size where some set can ship the order.
//!    Among the sets of that size, the one chosen
//!    - splits the fewest lines across locations,
//!    - then includes the default location,
//!    - then holds the most units of the order's skus (it is left with the deepest shelves),
//!    - then has the lowest location ids.
//!
//!    For one location this reads: the default when it can ship everything, else the one with
//!    the most units of the order, then the lowest id.
//! 3. Within the chosen set, each sku ships whole from one location when one of them holds
//!    enough (the default if it does, else the one holding the most, then the lowest id). Only
//!    when none does is the line split: the default first, then the locations holding the most,
//!    each giving what it holds until the line is covered.
//! 4. When more than [`EXACT_SEARCH_MAX_LOCATIONS`] locations hold some of the order, the sets
//!    are too many to try, and the set is built greedily instead: the location covering the
//!    most still-uncovered units first (the default, then the lowest id, on a tie), until every
//!    unit is covered. That is not always the fewest, but it never takes more than is on hand.
//! 5. The locations are listed default first, then by units shipped (most first), then by id;
//!    the first one carries the order's delivery charge.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ids::{LocationId, Sku};

/// Units on hand, per location and sku (a location or sku absent holds none).
pub type StockByLocation = BTreeMap<LocationId, BTreeMap<Sku, i64>>;

/// Units of a sku at a location: what is taken off its shelf, or put back.
pub type LocationUnits = (LocationId, Sku, u32);

/// Up to this many locations holding some of the order, the search for the fewest is exact
/// (at most 2^12 sets of locations); beyond it, greedy. Stores have a handful of locations.
pub const EXACT_SEARCH_MAX_LOCATIONS: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AllocationError {
    /// All locations together hold too little: the order waits for stock or is cancelled,
    /// which is a person's decision (a process exception), not the allocation's.
    #[error("{available} of {sku} on hand across all locations, {wanted} ordered")]
    Insufficient {
        sku: Sku,
        wanted: u32,
        available: u64,
    },
    #[error("the lines of {sku} add up to more units than one order can hold")]
    QuantityTooLarge { sku: Sku },
}

/// The units one location ships.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationAllocation {
    pub location: LocationId,
    /// Units per sku, in the order of the order's lines; never zero.
    pub lines: Vec<(Sku, u32)>,
}

impl LocationAllocation {
    pub fn units(&self) -> u64 {
        self.lines.iter().map(|(_, q)| u64::from(*q)).sum()
    }
}

/// An order's units spread over the locations that ship them, the one that carries the
/// delivery charge first. Made by [`allocate`] or, for an order whose stock was taken at one
/// location at checkout, by [`Allocation::whole_order_at`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    locations: Vec<LocationAllocation>,
}

impl Allocation {
    /// The whole order at one location: what today's checkout reserved when it took every
    /// line's units at the order's location.
    pub fn whole_order_at(
        location: &LocationId,
        lines: &[(Sku, u32)],
    ) -> Result<Allocation, AllocationError> {
        let demand = demand(lines)?;
        let locations = if demand.is_empty() {
            Vec::new()
        } else {
            vec![LocationAllocation {
                location: location.clone(),
                lines: demand,
            }]
        };
        Ok(Allocation { locations })
    }

    /// The locations that ship, the one that carries the delivery charge first.
    pub fn locations(&self) -> &[LocationAllocation] {
        &self.locations
    }

    /// Units of `sku` shipped from all locations together.
    pub fn units_of(&self, sku: &Sku) -> u64 {
        self.locations
            .iter()
            .flat_map(|l| &l.lines)
            .filter(|(s, _)| s == sku)
            .map(|(_, q)| u64::from(*q))
            .sum()
    }

    /// Gives back `units` of `sku` (cancelled before they were handed to fulfilment): taken
    /// off the locations that ship the fewest first, so the rest ships from as few places as
    /// before. Answers the allocation left and the units to put back on each shelf; never
    /// more than the allocation holds.
    pub fn release(&self, sku: &Sku, units: u32) -> (Allocation, Vec<LocationUnits>) {
        let mut left = units;
        let mut next = self.clone();
        let mut back = Vec::new();
        let mut order: Vec<usize> = (0..next.locations.len()).collect();
        order.sort_by_key(|&i| {
            let l = &next.locations[i];
            let held: u32 = l
                .lines
                .iter()
                .filter(|(s, _)| s == sku)
                .map(|(_, q)| *q)
                .sum();
            (held, std::cmp::Reverse(i))
        });
        for i in order {
            if left == 0 {
                break;
            }
            let at = &mut next.locations[i];
            for (s, q) in at.lines.iter_mut().filter(|(s, _)| s == sku) {
                let taken = (*q).min(left);
                if taken > 0 {
                    *q -= taken;
                    left -= taken;
                    back.push((at.location.clone(), s.clone(), taken));
                }
            }
            at.lines.retain(|(_, q)| *q > 0);
        }
        next.locations.retain(|l| !l.lines.is_empty());
        (next, back)
    }

    /// The units to take off each location's shelf, all in one transaction (each with a
    /// "stock >= units" condition), so that two orders can never both take the last unit.
    pub fn stock_taken(&self) -> Vec<LocationUnits> {
        self.locations
            .iter()
            .flat_map(|l| {
                l.lines
                    .iter()
                    .map(|(sku, q)| (l.location.clone(), sku.clone(), *q))
            })
            .collect()
    }
}

/// Allocates the order's `lines` (sku, units) to the locations in `stock`; see the module
/// documentation for the rule. Never takes more units than a location holds, and allocates
/// exactly the units ordered. Lines of zero units are ignored; no lines give an empty
/// allocation.
pub fn allocate(
    lines: &[(Sku, u32)],
    stock: &StockByLocation,
    default: &LocationId,
) -> Result<Allocation, AllocationError> {
    let demand = demand(lines)?;
    for (sku, wanted) in &demand {
        let available = stock
            .values()
            .fold(0u64, |sum, at| sum.saturating_add(on_hand(at, sku)));
        if available < u64::from(*wanted) {
            return Err(AllocationError::Insufficient {
                sku: sku.clone(),
                wanted: *wanted,
                available,
            });
        }
    }
    let holders: Vec<Holder> = stock
        .iter()
        .map(|(location, at)| Holder {
            location,
            is_default: location == default,
            on_hand: demand.iter().map(|(sku, _)| on_hand(at, sku)).collect(),
        })
        .filter(|h| h.on_hand.iter().any(|units| *units > 0))
        .collect();
    let search = Search {
        wanted: demand.iter().map(|(_, w)| u64::from(*w)).collect(),
        holders,
    };
    let chosen = if search.holders.len() <= EXACT_SEARCH_MAX_LOCATIONS {
        search.fewest_locations()
    } else {
        search.greedy_locations()
    };
    Ok(search.assign(&demand, &chosen))
}

/// The order's units per sku, lines of one sku added together, in the order of first mention.
fn demand(lines: &[(Sku, u32)]) -> Result<Vec<(Sku, u32)>, AllocationError> {
    let mut demand: Vec<(Sku, u32)> = Vec::new();
    for (sku, units) in lines.iter().filter(|(_, units)| *units > 0) {
        match demand.iter_mut().find(|(s, _)| s == sku) {
            Some((_, total)) => {
                *total = total
                    .checked_add(*units)
                    .ok_or_else(|| AllocationError::QuantityTooLarge { sku: sku.clone() })?
            }
            None => demand.push((sku.clone(), *units)),
        }
    }
    Ok(demand)
}

/// A stock count below zero (a correction gone wrong) ships nothing.
fn on_hand(at: &BTreeMap<Sku, i64>, sku: &Sku) -> u64 {
    at.get(sku)
        .and_then(|units| u64::try_from(*units).ok())
        .unwrap_or(0)
}

/// A location holding some of the order, and how much of each of its skus.
struct Holder<'a> {
    location: &'a LocationId,
    is_default: bool,
    /// Units on hand, by the sku's place in the demand.
    on_hand: Vec<u64>,
}

struct Search<'a> {
    /// Units wanted, by the sku's place in the demand.
    wanted: Vec<u64>,
    holders: Vec<Holder<'a>>,
}

impl Search<'_> {
    fn members(&self, set: u32) -> impl Iterator<Item = &Holder<'_>> {
        self.holders
            .iter()
            .enumerate()
            .filter(move |(i, _)| set & (1 << i) != 0)
            .map(|(_, h)| h)
    }

    fn held_by(&self, set: u32, sku: usize) -> u64 {
        self.members(set)
            .fold(0u64, |sum, h| sum.saturating_add(h.on_hand[sku]))
    }

    fn can_ship(&self, set: u32) -> bool {
        (0..self.wanted.len()).all(|sku| self.held_by(set, sku) >= self.wanted[sku])
    }

    /// Lines no single member holds in full: those the set has to split.
    fn split_lines(&self, set: u32) -> usize {
        (0..self.wanted.len())
            .filter(|&sku| self.members(set).all(|h| h.on_hand[sku] < self.wanted[sku]))
            .count()
    }

    /// Step 2 of the rule: the smallest set that can ship, by exact search.
    fn fewest_locations(&self) -> Vec<usize> {
        let all_sets = 1u32 << self.holders.len();
        for size in 1..=self.holders.len() as u32 {
            let best = (1..all_sets)
                .filter(|set| set.count_ones() == size && self.can_ship(*set))
                .min_by_key(|&set| {
                    let units = (0..self.wanted.len())
                        .fold(0u64, |sum, sku| sum.saturating_add(self.held_by(set, sku)));
                    let ids: Vec<&LocationId> = self.members(set).map(|h| h.location).collect();
                    (
                        self.split_lines(set),
                        !self.members(set).any(|h| h.is_default),
                        Reverse(units),
                        ids,
                    )
                });
            if let Some(set) = best {
                return (0..self.holders.len())
                    .filter(|i| set & (1 << i) != 0)
                    .collect();
            }
        }
        // Not reached: every sku was found to be on hand in all the holders together.
        (0..self.holders.len()).collect()
    }

    /// Step 4 of the rule: the location covering the most still-uncovered units, until none is.
    fn greedy_locations(&self) -> Vec<usize> {
        let mut uncovered = self.wanted.clone();
        let mut chosen: Vec<usize> = Vec::new();
        while uncovered.iter().any(|units| *units > 0) {
            let covers = |h: &Holder| -> u64 {
                h.on_hand
                    .iter()
                    .zip(&uncovered)
                    .map(|(held, left)| (*held).min(*left))
                    .sum()
            };
            let Some(next) = (0..self.holders.len())
                .filter(|i| !chosen.contains(i))
                .max_by_key(|&i| {
                    let h = &self.holders[i];
                    (covers(h), h.is_default, Reverse(h.location))
                })
            else {
                break;
            };
            if covers(&self.holders[next]) == 0 {
                break;
            }
            for (left, held) in uncovered.iter_mut().zip(&self.holders[next].on_hand) {
                *left -= (*left).min(*held);
            }
            chosen.push(next);
        }
        chosen
    }

    /// Step 3 and 5 of the rule: who ships which units, within the chosen locations.
    fn assign(&self, demand: &[(Sku, u32)], chosen: &[usize]) -> Allocation {
        let mut shipped: BTreeMap<usize, Vec<(Sku, u32)>> = BTreeMap::new();
        for (sku, (name, wanted)) in demand.iter().enumerate() {
            let mut givers = chosen.to_vec();
            givers.sort_by_key(|&i| {
                let h = &self.holders[i];
                (!h.is_default, Reverse(h.on_hand[sku]), h.location)
            });
            let whole = givers
                .iter()
                .find(|&&i| self.holders[i].on_hand[sku] >= u64::from(*wanted));
            if let Some(&giver) = whole {
                shipped
                    .entry(giver)
                    .or_default()
                    .push((name.clone(), *wanted));
                continue;
            }
            let mut left = *wanted;
            for giver in givers {
                if left == 0 {
                    break;
                }
                let held = self.holders[giver].on_hand[sku];
                // Never more than `left`, which is a u32.
                let take = u32::try_from(held.min(u64::from(left))).unwrap_or(left);
                if take > 0 {
                    shipped.entry(giver).or_default().push((name.clone(), take));
                    left -= take;
                }
            }
        }
        let mut locations: Vec<(bool, LocationAllocation)> = shipped
            .into_iter()
            .map(|(i, lines)| {
                let h = &self.holders[i];
                let at = LocationAllocation {
                    location: h.location.clone(),
                    lines,
                };
                (h.is_default, at)
            })
            .collect();
        locations.sort_by(|(a_default, a), (b_default, b)| {
            (!a_default, Reverse(a.units()), &a.location).cmp(&(
                !b_default,
                Reverse(b.units()),
                &b.location,
            ))
        });
        Allocation {
            locations: locations.into_iter().map(|(_, at)| at).collect(),
        }
    }
}
