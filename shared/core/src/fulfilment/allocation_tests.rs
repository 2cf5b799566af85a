//! The allocation rule: one location when one can ship everything, the default first; else the
//! fewest locations; never more than a shelf holds; exactly the units ordered.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::allocation::{
    Allocation, AllocationError, EXACT_SEARCH_MAX_LOCATIONS, StockByLocation, allocate,
};
use crate::ids::{LocationId, Sku};

fn sku(raw: &str) -> Sku {
    Sku::parse(raw).unwrap()
}

fn loc(raw: &str) -> LocationId {
    LocationId::parse(raw).unwrap()
}

fn main() -> LocationId {
    loc("main")
}

fn stock(entries: &[(&str, &[(&str, i64)])]) -> StockByLocation {
    entries
        .iter()
        .map(|(location, skus)| {
            let at = skus.iter().map(|(s, units)| (sku(s), *units)).collect();
            (loc(location), at)
        })
        .collect()
}

fn lines(entries: &[(&str, u32)]) -> Vec<(Sku, u32)> {
    entries.iter().map(|(s, q)| (sku(s), *q)).collect()
}

/// The allocation as plain strings, locations in their order, for readable assertions.
fn shipped(allocation: &Allocation) -> Vec<(String, Vec<(String, u32)>)> {
    allocation
        .locations()
        .iter()
        .map(|at| {
            let lines = at.lines.iter().map(|(s, q)| (s.to_string(), *q)).collect();
            (at.location.to_string(), lines)
        })
        .collect()
}

fn owned(expected: &[(&str, &[(&str, u32)])]) -> Vec<(String, Vec<(String, u32)>)> {
    expected
        .iter()
        .map(|(l, ls)| {
            let ls = ls.iter().map(|(s, q)| (s.to_string(), *q)).collect();
            (l.to_string(), ls)
        })
        .collect()
}

#[test]
fn one_location_that_holds_everything_ships_the_whole_order() {
    let stock = stock(&[
        ("main", &[("MUG", 10)]),
        ("north", &[("MUG", 2), ("TEE", 1)]),
        ("south", &[("TEE", 50)]),
    ]);

    let allocation = allocate(&lines(&[("MUG", 2), ("TEE", 1)]), &stock, &main()).unwrap();

    assert_eq!(
        shipped(&allocation),
        owned(&[("north", &[("MUG", 2), ("TEE", 1)])])
    );
}

#[test]
fn the_default_location_ships_when_it_can_ship_everything() {
    let stock = stock(&[
        ("east", &[("MUG", 90), ("TEE", 90)]),
        ("main", &[("MUG", 2), ("TEE", 1)]),
    ]);

    let allocation = allocate(&lines(&[("MUG", 2), ("TEE", 1)]), &stock, &main()).unwrap();

    assert_eq!(
        shipped(&allocation),
        owned(&[("main", &[("MUG", 2), ("TEE", 1)])])
    );
}

#[test]
fn without_the_default_the_location_with_most_units_ships_then_the_lowest_id() {
    let deeper = stock(&[
        ("east", &[("MUG", 3)]),
        ("main", &[("MUG", 1)]),
        ("west", &[("MUG", 8)]),
    ]);
    let level = stock(&[("west", &[("MUG", 3)]), ("east", &[("MUG", 3)])]);

    let from_deeper = allocate(&lines(&[("MUG", 2)]), &deeper, &main()).unwrap();
    let from_level = allocate(&lines(&[("MUG", 2)]), &level, &main()).unwrap();

    assert_eq!(shipped(&from_deeper), owned(&[("west", &[("MUG", 2)])]));
    assert_eq!(shipped(&from_level), owned(&[("east", &[("MUG", 2)])]));
}

#[test]
fn lines_that_sit_in_two_locations_go_to_exactly_those_two_the_default_first() {
    let stock = stock(&[
        ("a-store", &[("TEE", 4)]),
        ("main", &[("MUG", 5)]),
        ("z-store", &[("CAP", 9)]),
    ]);

    let allocation = allocate(&lines(&[("TEE", 3), ("MUG", 1)]), &stock, &main()).unwrap();

    assert_eq!(
        shipped(&allocation),
        owned(&[("main", &[("MUG", 1)]), ("a-store", &[("TEE", 3)])])
    );
}

#[test]
fn the_fewest_locations_win_over_shipping_from_the_default() {
    let stock = stock(&[
        ("main", &[("MUG", 5)]),
        ("north", &[("TEE", 5)]),
        ("south", &[("MUG", 5), ("CAP", 5)]),
    ]);

    let allocation = allocate(
        &lines(&[("MUG", 1), ("TEE", 1), ("CAP", 1)]),
        &stock,
        &main(),
    )
    .unwrap();

    let places: Vec<String> = shipped(&allocation).into_iter().map(|(l, _)| l).collect();
    assert_eq!(places, ["south", "north"]);
}

#[test]
fn a_line_is_split_only_when_no_chosen_location_holds_all_of_it() {
    let stock = stock(&[
        ("main", &[("MUG", 3), ("TEE", 1)]),
        ("north", &[("MUG", 4), ("TEE", 6)]),
    ]);

    let allocation = allocate(&lines(&[("MUG", 5), ("TEE", 2)]), &stock, &main()).unwrap();

    // MUG: neither holds 5, so the default gives its 3 and north the rest; TEE: north holds
    // both, so it ships whole from there. The default comes first, though it ships less.
    assert_eq!(
        shipped(&allocation),
        owned(&[
            ("main", &[("MUG", 3)]),
            ("north", &[("MUG", 2), ("TEE", 2)]),
        ])
    );
}

#[test]
fn insufficient_stock_names_the_sku_and_what_all_locations_hold() {
    let stock = stock(&[
        ("main", &[("MUG", 9), ("TEE", 2)]),
        ("north", &[("TEE", 1)]),
    ]);

    let err = allocate(&lines(&[("MUG", 1), ("TEE", 5)]), &stock, &main()).unwrap_err();

    assert_eq!(
        err,
        AllocationError::Insufficient {
            sku: sku("TEE"),
            wanted: 5,
            available: 3
        }
    );
    assert_eq!(
        err.to_string(),
        "3 of TEE on hand across all locations, 5 ordered"
    );
}

#[test]
fn a_count_below_zero_ships_nothing() {
    let stock = stock(&[("main", &[("MUG", -4)]), ("north", &[("MUG", 2)])]);

    let short = allocate(&lines(&[("MUG", 3)]), &stock, &main()).unwrap_err();
    let enough = allocate(&lines(&[("MUG", 2)]), &stock, &main()).unwrap();

    assert!(matches!(
        short,
        AllocationError::Insufficient { available: 2, .. }
    ));
    assert_eq!(shipped(&enough), owned(&[("north", &[("MUG", 2)])]));
}

#[test]
fn lines_of_one_sku_are_allocated_together() {
    let stock = stock(&[("main", &[("MUG", 4)]), ("north", &[("MUG", 5)])]);

    let allocation = allocate(&lines(&[("MUG", 2), ("MUG", 3)]), &stock, &main()).unwrap();

    assert_eq!(shipped(&allocation), owned(&[("north", &[("MUG", 5)])]));
}

#[test]
fn lines_adding_up_past_any_order_are_refused_by_name() {
    let stock = stock(&[("main", &[("MUG", i64::MAX)])]);

    let err = allocate(&lines(&[("MUG", u32::MAX), ("MUG", 1)]), &stock, &main()).unwrap_err();

    assert_eq!(err, AllocationError::QuantityTooLarge { sku: sku("MUG") });
}

#[test]
fn the_stock_taken_is_exactly_what_each_location_ships() {
    let stock = stock(&[
        ("main", &[("MUG", 3)]),
        ("north", &[("MUG", 4), ("TEE", 1)]),
    ]);
    let allocation = allocate(&lines(&[("MUG", 5), ("TEE", 1)]), &stock, &main()).unwrap();

    let taken = allocation.stock_taken();

    assert_eq!(
        taken,
        vec![
            (loc("main"), sku("MUG"), 3),
            (loc("north"), sku("MUG"), 2),
            (loc("north"), sku("TEE"), 1),
        ]
    );
}

#[test]
fn an_order_taken_at_one_location_at_checkout_is_allocated_whole_there() {
    let allocation =
        Allocation::whole_order_at(&main(), &lines(&[("MUG", 2), ("MUG", 1)])).unwrap();

    assert_eq!(shipped(&allocation), owned(&[("main", &[("MUG", 3)])]));
}

#[test]
fn with_many_locations_the_allocation_is_greedy_and_still_never_over_a_shelf() {
    let names: Vec<String> = (0..EXACT_SEARCH_MAX_LOCATIONS + 3)
        .map(|i| format!("store-{i:02}"))
        .collect();
    let mut stock = StockByLocation::new();
    for (i, name) in names.iter().enumerate() {
        stock.insert(
            loc(name),
            BTreeMap::from([(sku("MUG"), 1 + (i % 2) as i64)]),
        );
    }

    let allocation = allocate(&lines(&[("MUG", 5)]), &stock, &main()).unwrap();

    // The deepest shelves (2 units, odd numbers) first, lowest id first; for the last unit
    // every shelf covers as much, and the lowest id wins.
    assert_eq!(
        shipped(&allocation),
        owned(&[
            ("store-01", &[("MUG", 2)]),
            ("store-03", &[("MUG", 2)]),
            ("store-00", &[("MUG", 1)]),
        ])
    );
}

/// What a location holds of a sku, as the allocation counts it.
fn held(stock: &StockByLocation, location: &LocationId, sku: &Sku) -> u64 {
    stock
        .get(location)
        .and_then(|at| at.get(sku))
        .map_or(0, |units| (*units).max(0) as u64)
}

fn ordered(lines: &[(Sku, u32)]) -> BTreeMap<Sku, u64> {
    let mut ordered = BTreeMap::new();
    for (s, q) in lines {
        *ordered.entry(s.clone()).or_insert(0) += u64::from(*q);
    }
    ordered
}

/// The fewest locations that hold the order between them, by trying every set of locations.
fn fewest_by_brute_force(lines: &[(Sku, u32)], stock: &StockByLocation) -> Option<u32> {
    let locations: Vec<&LocationId> = stock.keys().collect();
    let wanted = ordered(lines);
    (0u32..1 << locations.len())
        .filter(|set| {
            wanted.iter().all(|(s, units)| {
                let together: u64 = (0..locations.len())
                    .filter(|i| set & (1 << i) != 0)
                    .map(|i| held(stock, locations[i], s))
                    .sum();
                together >= *units
            })
        })
        .map(u32::count_ones)
        .min()
}

/// What every allocation must keep: no shelf over-drawn, the units ordered exactly, no
/// location listed that ships nothing.
fn assert_keeps_the_stock_rules(
    lines: &[(Sku, u32)],
    stock: &StockByLocation,
    allocation: &Allocation,
) -> Result<(), TestCaseError> {
    let mut taken: BTreeMap<(LocationId, Sku), u64> = BTreeMap::new();
    for (location, s, units) in allocation.stock_taken() {
        prop_assert!(units > 0, "nothing of {} taken at {}", s, location);
        *taken.entry((location, s)).or_insert(0) += u64::from(units);
    }
    for ((location, s), units) in &taken {
        prop_assert!(
            *units <= held(stock, location, s),
            "{} of {} taken at {}, which holds {}",
            units,
            s,
            location,
            held(stock, location, s)
        );
    }
    for (s, units) in ordered(lines) {
        prop_assert_eq!(allocation.units_of(&s), units, "units of {}", s);
    }
    let skus_shipped: u64 = taken.values().sum();
    prop_assert_eq!(skus_shipped, ordered(lines).values().sum::<u64>());
    let places: Vec<&LocationId> = allocation.locations().iter().map(|l| &l.location).collect();
    let mut distinct = places.clone();
    distinct.dedup();
    prop_assert_eq!(places.len(), distinct.len(), "a location listed twice");
    Ok(())
}

prop_compose! {
    fn a_store(locations: std::ops::RangeInclusive<usize>)
        (locations in locations, skus in 1usize..=4)
        (
            shelves in prop::collection::vec(prop::collection::vec(-1i64..=6, skus), locations),
            lines in prop::collection::vec((0..skus, 1u32..=8), 1..=5),
            default in 0..=locations,
        )
        -> (StockByLocation, Vec<(Sku, u32)>, LocationId)
    {
        let sku_of = |i: usize| sku(&format!("SKU-{i}"));
        let stock = shelves
            .iter()
            .enumerate()
            .map(|(l, units)| {
                let at = units.iter().enumerate().map(|(s, u)| (sku_of(s), *u)).collect();
                (loc(&format!("loc-{l:02}")), at)
            })
            .collect();
        // `default == locations` names a location that holds nothing.
        let default = loc(&format!("loc-{default:02}"));
        let lines = lines.into_iter().map(|(s, q)| (sku_of(s), q)).collect();
        (stock, lines, default)
    }
}

proptest! {
    #[test]
    fn allocation_never_overdraws_a_shelf_ships_what_was_ordered_from_the_fewest_locations(
        (stock, lines, default) in a_store(1..=5),
    ) {
        let result = allocate(&lines, &stock, &default);
        let fewest = fewest_by_brute_force(&lines, &stock);
        match (&result, fewest) {
            (Ok(allocation), Some(fewest)) => {
                assert_keeps_the_stock_rules(&lines, &stock, allocation)?;
                prop_assert_eq!(allocation.locations().len() as u32, fewest);
                // A line is split only when no chosen location holds all of it.
                for (s, units) in ordered(&lines) {
                    let givers = allocation
                        .locations()
                        .iter()
                        .filter(|l| l.lines.iter().any(|(x, _)| *x == s))
                        .count();
                    let one_could = allocation
                        .locations()
                        .iter()
                        .any(|l| held(&stock, &l.location, &s) >= units);
                    prop_assert!(givers == 1 || !one_could, "{} split needlessly", s);
                }
                // The default ships the whole order whenever it can.
                let default_can = ordered(&lines)
                    .iter()
                    .all(|(s, units)| held(&stock, &default, s) >= *units);
                if default_can {
                    prop_assert_eq!(&allocation.locations()[0].location, &default);
                    prop_assert_eq!(allocation.locations().len(), 1);
                }
                // The same order and stock always allocate the same way.
                prop_assert_eq!(&allocate(&lines, &stock, &default), &result);
            }
            (Err(AllocationError::Insufficient { sku, wanted, available }), None) => {
                let together: u64 = stock.keys().map(|l| held(&stock, l, sku)).sum();
                prop_assert_eq!(*available, together);
                prop_assert_eq!(u64::from(*wanted), ordered(&lines)[sku]);
                prop_assert!(together < u64::from(*wanted));
            }
            other => prop_assert!(false, "allocation and brute force disagree: {:?}", other),
        }
    }

    #[test]
    fn with_more_locations_than_the_exact_search_takes_the_stock_rules_still_hold(
        (stock, lines, default) in a_store(EXACT_SEARCH_MAX_LOCATIONS + 1..=EXACT_SEARCH_MAX_LOCATIONS + 6),
    ) {
        if let Ok(allocation) = allocate(&lines, &stock, &default) {
            assert_keeps_the_stock_rules(&lines, &stock, &allocation)?;
        } else {
            prop_assert!(fewest_by_brute_force(&lines, &stock).is_none());
        }
    }
}
