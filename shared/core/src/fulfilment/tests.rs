//! Fulfilment orders from an allocation, and their life cycle over every status and event.

use std::collections::HashSet;

use chrono::{Duration, TimeZone, Utc};

use super::*;
use crate::ids::Quantity;
use crate::money::Currency;
use crate::order::tests::sample_order;
use crate::order::{Order, OrderLine};

fn sku(raw: &str) -> Sku {
    Sku::parse(raw).unwrap()
}

fn loc(raw: &str) -> LocationId {
    LocationId::parse(raw).unwrap()
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD)
}

fn at_noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 10, 1, 12, 0, 0).unwrap()
}

/// The sample order (which pays for shipping) with these lines: sku, name, units, unit price.
fn order_with(lines: &[(&str, &str, i64, i64)]) -> Order {
    let mut order = sample_order();
    order.lines = lines
        .iter()
        .map(|(s, name, units, price)| OrderLine {
            sku: sku(s),
            name: (*name).into(),
            quantity: Quantity::parse(*units).unwrap(),
            unit_price: usd(*price),
            line_total: usd(price * units),
        })
        .collect();
    order
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

fn allocated(order: &Order, stock: &StockByLocation) -> Allocation {
    allocate(&order_units(order), stock, &loc("main")).unwrap()
}

fn line_units(fo: &FulfilmentOrder) -> Vec<(&str, u32)> {
    fo.lines
        .iter()
        .map(|l| (l.sku.as_str(), l.quantity.get()))
        .collect()
}

#[test]
fn an_order_whose_lines_sit_in_two_locations_becomes_two_fulfilment_orders() {
    let order = order_with(&[("MUG", "Mug", 2, 1200), ("TEE", "T-shirt", 1, 2500)]);
    let stock = stock(&[("main", &[("MUG", 5)]), ("north", &[("TEE", 5)])]);
    assert!(!order.totals.shipping.is_zero(), "the sample pays shipping");

    let fos = fulfilment_orders(&order, &allocated(&order, &stock), at_noon()).unwrap();

    assert_eq!(fos.len(), 2);
    assert_eq!(fos[0].location, loc("main"));
    assert_eq!(line_units(&fos[0]), [("MUG", 2)]);
    assert_eq!(fos[0].delivery_charge, order.totals.shipping);
    assert_eq!(fos[1].location, loc("north"));
    assert_eq!(line_units(&fos[1]), [("TEE", 1)]);
    assert_eq!(fos[1].delivery_charge, Money::zero(Currency::USD));
    assert_eq!(fos[1].lines[0].name, "T-shirt");
    assert_eq!(fos[1].lines[0].unit_price, usd(2500));
    for fo in &fos {
        assert_eq!(fo.order_id, order.id);
        assert_eq!(fo.status, FulfilmentStatus::Allocated);
        assert_eq!(
            (fo.created_at, fo.updated_at, fo.version),
            (at_noon(), at_noon(), 1)
        );
    }
}

#[test]
fn a_split_line_ships_in_two_parts_at_its_unit_price() {
    let order = order_with(&[("MUG", "Mug", 5, 1200)]);
    let stock = stock(&[("main", &[("MUG", 3)]), ("north", &[("MUG", 4)])]);

    let fos = fulfilment_orders(&order, &allocated(&order, &stock), at_noon()).unwrap();

    let parts: Vec<_> = fos.iter().flat_map(line_units).collect();
    assert_eq!(parts, [("MUG", 3), ("MUG", 2)]);
    assert!(fos.iter().all(|fo| fo.lines[0].unit_price == usd(1200)));
}

#[test]
fn lines_of_one_sku_come_back_as_their_own_lines() {
    let order = order_with(&[("MUG", "Mug", 2, 1200), ("MUG", "Mug (gift)", 3, 1000)]);
    let stock = stock(&[("main", &[("MUG", 9)])]);

    let fos = fulfilment_orders(&order, &allocated(&order, &stock), at_noon()).unwrap();

    assert_eq!(fos.len(), 1);
    let lines: Vec<_> = fos[0]
        .lines
        .iter()
        .map(|l| (l.name.as_str(), l.quantity.get(), l.unit_price))
        .collect();
    assert_eq!(lines, [("Mug", 2, usd(1200)), ("Mug (gift)", 3, usd(1000))]);
}

#[test]
fn allocating_the_order_again_names_the_same_fulfilment_orders() {
    let order = order_with(&[("MUG", "Mug", 2, 1200), ("TEE", "T-shirt", 1, 2500)]);
    let stock = stock(&[("main", &[("MUG", 5)]), ("north", &[("TEE", 5)])]);

    let first = fulfilment_orders(&order, &allocated(&order, &stock), at_noon()).unwrap();
    let retried = fulfilment_orders(
        &order,
        &allocated(&order, &stock),
        at_noon() + Duration::minutes(5),
    )
    .unwrap();

    let ids = |fos: &[FulfilmentOrder]| fos.iter().map(|f| f.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&first), ids(&retried));
    assert_ne!(first[0].id, first[1].id);
    let mut other = order.clone();
    other.id = OrderId::for_checkout("cust-2", "k");
    assert_ne!(
        FulfilmentOrderId::for_location(&other.id, &loc("main")),
        first[0].id
    );
}

#[test]
fn an_order_taken_at_checkout_gets_one_fulfilment_order_at_its_location() {
    let order = order_with(&[("MUG", "Mug", 2, 1200)]);
    let allocation = Allocation::whole_order_at(&order.location, &order_units(&order)).unwrap();

    let fos = fulfilment_orders(&order, &allocation, at_noon()).unwrap();

    assert_eq!(fos.len(), 1);
    assert_eq!(fos[0].location, order.location);
    assert_eq!(fos[0].delivery_charge, order.totals.shipping);
}

#[test]
fn an_allocation_made_for_other_lines_is_refused() {
    let order = order_with(&[("MUG", "Mug", 2, 1200), ("TEE", "T-shirt", 1, 2500)]);
    let fewer = Allocation::whole_order_at(&loc("main"), &[(sku("MUG"), 2)]).unwrap();
    let other = Allocation::whole_order_at(
        &loc("main"),
        &[(sku("MUG"), 2), (sku("TEE"), 1), (sku("CAP"), 1)],
    )
    .unwrap();

    assert_eq!(
        fulfilment_orders(&order, &fewer, at_noon()).unwrap_err(),
        FulfilmentError::AllocationMismatch {
            sku: sku("TEE"),
            ordered: 1,
            allocated: 0
        }
    );
    assert!(matches!(
        fulfilment_orders(&order, &other, at_noon()),
        Err(FulfilmentError::AllocationMismatch { sku, .. }) if sku.as_str() == "CAP"
    ));
}

#[test]
fn fulfilment_order_ids_parse_only_their_own_shape() {
    let id = FulfilmentOrderId::for_location(&OrderId::for_checkout("c", "k"), &loc("main"));
    assert!(id.as_str().starts_with("fo_"));
    assert_eq!(FulfilmentOrderId::parse(id.as_str()).unwrap(), id);
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(
        serde_json::from_str::<FulfilmentOrderId>(&json).unwrap(),
        id
    );
    for bad in [
        "",
        "fo_",
        "fo_../../x",
        "ord_0123456789abcdef0123456789abcdef",
    ] {
        assert!(FulfilmentOrderId::parse(bad).is_err(), "{bad} accepted");
    }
    assert!(FulfilmentOrderId::parse(&id.as_str().to_uppercase()).is_err());
}

fn a_fulfilment_order() -> FulfilmentOrder {
    let order = order_with(&[("MUG", "Mug", 2, 1200)]);
    let allocation = Allocation::whole_order_at(&loc("north"), &order_units(&order)).unwrap();
    fulfilment_orders(&order, &allocation, at_noon())
        .unwrap()
        .remove(0)
}

#[test]
fn every_status_and_event_pair_is_either_in_the_table_or_refused_with_the_current_status() {
    let base = a_fulfilment_order();
    for from in FulfilmentStatus::ALL {
        for event in FulfilmentEvent::ALL {
            let listed = TRANSITIONS
                .iter()
                .find(|(f, e, _)| *f == from && *e == event);
            let at = FulfilmentOrder {
                status: from,
                ..base.clone()
            };
            match (listed, at.apply(event, at_noon())) {
                (Some((_, _, to)), Ok(next)) => {
                    assert_eq!(next.status, *to);
                    assert_eq!(next.version, at.version + 1);
                }
                (None, Err(FulfilmentError::InvalidTransition { current, .. })) => {
                    assert_eq!(current, from)
                }
                other => panic!("{from:?} + {event:?}: {other:?}"),
            }
        }
    }
}

#[test]
fn the_table_names_each_status_and_event_pair_once() {
    let pairs: HashSet<_> = TRANSITIONS.iter().map(|(f, e, _)| (*f, *e)).collect();
    assert_eq!(pairs.len(), TRANSITIONS.len());
}

#[test]
fn delivered_and_cancelled_are_final_and_every_other_status_is_reachable() {
    for last in [FulfilmentStatus::Delivered, FulfilmentStatus::Cancelled] {
        assert!(TRANSITIONS.iter().all(|(f, _, _)| *f != last));
    }
    let mut reached = HashSet::from([FulfilmentStatus::Allocated]);
    loop {
        let more: Vec<_> = TRANSITIONS
            .iter()
            .filter(|(f, _, to)| reached.contains(f) && !reached.contains(to))
            .map(|(_, _, to)| *to)
            .collect();
        if more.is_empty() {
            break;
        }
        reached.extend(more);
    }
    assert_eq!(reached.len(), FulfilmentStatus::ALL.len());
}

#[test]
fn a_fulfilment_order_cancelled_before_shipping_puts_its_units_back_at_its_location() {
    let fo = a_fulfilment_order();
    let exported = fo.apply(FulfilmentEvent::Export, at_noon()).unwrap();

    let (cancelled, restock) = exported.cancel(at_noon()).unwrap();

    assert_eq!(cancelled.status, FulfilmentStatus::Cancelled);
    assert_eq!(restock, [(loc("north"), sku("MUG"), 2)]);
    let shipped = exported.apply(FulfilmentEvent::Ship, at_noon()).unwrap();
    assert_eq!(
        shipped.cancel(at_noon()).unwrap_err(),
        FulfilmentError::InvalidTransition {
            current: FulfilmentStatus::Shipped,
            event: FulfilmentEvent::Cancel
        }
    );
}

#[test]
fn a_fulfilment_order_keeps_its_shape_through_storage() {
    let fo = a_fulfilment_order();
    let json = serde_json::to_value(&fo).unwrap();
    assert_eq!(json["status"], "allocated");
    assert_eq!(serde_json::from_value::<FulfilmentOrder>(json).unwrap(), fo);
}

mod notices {
    use super::*;
    use crate::fulfilment::{NoticeError, NoticeKind, ShipmentNotice};
    use crate::ids::{Quantity, Sku};

    fn notice(id: &str, kind: NoticeKind, parcel: &str, units: i64) -> ShipmentNotice {
        ShipmentNotice {
            notice_id: id.into(),
            kind,
            carrier: "UPS".into(),
            tracking_number: parcel.into(),
            lines: vec![(Sku::parse("MUG").unwrap(), Quantity::parse(units).unwrap())],
            occurred_at: at_noon(),
        }
    }

    #[test]
    fn parcels_move_the_fulfilment_order_whatever_order_the_notices_come_in() {
        let fo = a_fulfilment_order();
        let notices = [
            notice("n1", NoticeKind::Shipped, "1Z1", 1),
            notice("n2", NoticeKind::Shipped, "1Z2", 1),
            notice("n3", NoticeKind::Delivered, "1Z1", 1),
            notice("n4", NoticeKind::Delivered, "1Z2", 1),
        ];
        let orders = [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2]];
        for order in orders {
            let mut at = fo.clone();
            for i in order {
                at = at.receive(&notices[i], at_noon()).unwrap().unwrap();
                // Sent again: nothing changes.
                assert_eq!(at.receive(&notices[i], at_noon()).unwrap(), None);
            }
            assert_eq!(at.status, FulfilmentStatus::Delivered, "{order:?}");
            assert_eq!(at.shipments.len(), 2);
            assert_eq!(at.version, fo.version + 4);
        }
        let part = fo.receive(&notices[0], at_noon()).unwrap().unwrap();
        assert_eq!(part.status, FulfilmentStatus::PartiallyShipped);
        let both = part.receive(&notices[1], at_noon()).unwrap().unwrap();
        assert_eq!(both.status, FulfilmentStatus::Shipped);
    }

    #[test]
    fn a_notice_shipping_more_than_ordered_or_another_sku_is_refused() {
        let fo = a_fulfilment_order();
        assert!(matches!(
            fo.receive(&notice("n1", NoticeKind::Shipped, "1Z1", 3), at_noon()),
            Err(NoticeError::TooMany {
                shipped: 3,
                ordered: 2,
                ..
            })
        ));
        let mut other = notice("n2", NoticeKind::Shipped, "1Z1", 1);
        other.lines[0].0 = Sku::parse("HAT").unwrap();
        assert!(matches!(
            fo.receive(&other, at_noon()),
            Err(NoticeError::UnknownSku { .. })
        ));
        let (cancelled, _) = fo.cancel(at_noon()).unwrap();
        assert_eq!(
            cancelled.receive(&notice("n3", NoticeKind::Shipped, "1Z1", 1), at_noon()),
            Err(NoticeError::Cancelled)
        );
    }
}
