//! Whatever shoppers do, in whatever order: stock never goes negative at any location, every
//! unit is either on its location's shelf or in a live order taken there, and every cart's and
//! order's totals add up.

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use storesync_core::AppError;
use storesync_core::cart::Cart;
use storesync_core::customer::{Address, CountryCode};
use storesync_core::ids::{CartId, CustomerId, LocationId, OrderId, Quantity, Sku};
use storesync_core::money::Money;
use storesync_core::order::{Order, OrderStatus};
use storesync_core::ports::{CatalogStore, SystemClock};
use storesync_core::pricing::{PricingPolicy, Totals};
use storesync_core::storefront::{Caller, CheckoutInput, Storefront};
use storesync_embedded::EmbeddedStore;

const SKUS: [&str; 3] = ["TSHIRT-BLK-M", "MUG-WHT", "STICKER-PACK"];
const CODES: [&str; 4] = ["WELCOME10", "VIP25", "SAVE5", "NOPE"];
/// The store's location first: checkout takes what it can there, then allocates.
const LOCATIONS: [&str; 2] = ["main", "east"];

#[derive(Debug, Clone)]
enum Op {
    NewCart {
        customer: usize,
    },
    SetLine {
        cart: usize,
        sku: usize,
        quantity: i64,
    },
    RemoveLine {
        cart: usize,
        sku: usize,
    },
    Discount {
        cart: usize,
        code: usize,
    },
    Checkout {
        cart: usize,
        key: u8,
    },
    Cancel {
        order: usize,
    },
    Restock {
        sku: usize,
        location: usize,
        units: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize).prop_map(|customer| Op::NewCart { customer }),
        (0..6usize, 0..3usize, 1..=15i64).prop_map(|(cart, sku, quantity)| Op::SetLine {
            cart,
            sku,
            quantity
        }),
        (0..6usize, 0..3usize).prop_map(|(cart, sku)| Op::RemoveLine { cart, sku }),
        (0..6usize, 0..4usize).prop_map(|(cart, code)| Op::Discount { cart, code }),
        (0..6usize, 0..3u8).prop_map(|(cart, key)| Op::Checkout { cart, key }),
        (0..6usize).prop_map(|order| Op::Cancel { order }),
        (0..3usize, 0..2usize, 0..5i64).prop_map(|(sku, location, units)| Op::Restock {
            sku,
            location,
            units
        }),
    ]
}

fn address() -> Address {
    Address {
        line1: "1 Main St".into(),
        line2: None,
        city: "Berlin".into(),
        region: None,
        postal_code: "10115".into(),
        country: CountryCode::parse("DE").unwrap(),
    }
}

fn check_totals(t: &Totals, lines_total: Money) -> Result<(), TestCaseError> {
    prop_assert_eq!(t.subtotal, lines_total);
    prop_assert!(
        t.discount.minor_units() >= 0 && t.discount.minor_units() <= t.subtotal.minor_units()
    );
    let expected = t.subtotal.minor_units() - t.discount.minor_units()
        + t.shipping.minor_units()
        + t.tax.minor_units();
    prop_assert_eq!(t.total.minor_units(), expected);
    Ok(())
}

fn check_cart(cart: &Cart, policy: &PricingPolicy) -> Result<(), TestCaseError> {
    let lines = cart
        .lines
        .iter()
        .fold(Money::zero(cart.currency), |acc, l| {
            acc.checked_add(l.total().unwrap()).unwrap()
        });
    check_totals(&cart.totals(policy).unwrap(), lines)
}

fn check_order(order: &Order) -> Result<(), TestCaseError> {
    let mut lines = Money::zero(order.currency);
    for l in &order.lines {
        prop_assert_eq!(l.line_total, l.unit_price.times(l.quantity.get()).unwrap());
        lines = lines.checked_add(l.line_total).unwrap();
    }
    check_totals(&order.totals, lines)
}

/// A use case may refuse (out of stock, closed cart, invalid transition); the store must not fail.
fn refused_or_ok<T>(r: Result<T, AppError>) -> Result<Option<T>, TestCaseError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(AppError::Store(e)) => Err(TestCaseError::fail(format!("store failed: {e}"))),
        Err(_) => Ok(None),
    }
}

async fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let store = Arc::new(EmbeddedStore::new());
    storesync_devstack::seed_demo_catalog(store.as_ref())
        .await
        .unwrap();
    let skus: Vec<Sku> = SKUS.iter().map(|s| Sku::parse(s).unwrap()).collect();
    let locations: Vec<LocationId> = LOCATIONS
        .iter()
        .map(|l| LocationId::parse(l).unwrap())
        .collect();
    let main = locations[0].clone();
    // Little stock, so that checkouts run out at the store's location and then everywhere.
    let mut expected_units: BTreeMap<(LocationId, Sku), i64> = BTreeMap::new();
    for (location, units) in locations.iter().zip([8, 4]) {
        for sku in &skus {
            let on_hand = store
                .product(sku)
                .await
                .unwrap()
                .unwrap()
                .available(location);
            store
                .adjust_stock(sku, location, units - on_hand)
                .await
                .unwrap();
            expected_units.insert((location.clone(), sku.clone()), units);
        }
    }
    let policy = PricingPolicy::default();
    let front = Storefront::new(
        store.clone(),
        store.clone(),
        Arc::new(SystemClock),
        policy.clone(),
        main.clone(),
    );
    let mut carts: Vec<(Caller, CartId)> = Vec::new();
    let mut orders: Vec<(Caller, OrderId)> = Vec::new();

    for op in ops {
        match op {
            Op::NewCart { customer } => {
                let caller = Caller::Customer(CustomerId::parse(&format!("c{customer}")).unwrap());
                let Caller::Customer(id) = &caller else {
                    unreachable!()
                };
                let cart = front
                    .create_customer_cart(id.clone(), storesync_core::money::Currency::EUR)
                    .await
                    .unwrap();
                carts.push((caller, cart.id));
            }
            Op::SetLine {
                cart,
                sku,
                quantity,
            } => {
                if let Some((caller, id)) = carts.get(cart) {
                    let q = Quantity::parse(quantity).unwrap();
                    refused_or_ok(front.set_line(caller, id, &skus[sku], q).await)?;
                }
            }
            Op::RemoveLine { cart, sku } => {
                if let Some((caller, id)) = carts.get(cart) {
                    refused_or_ok(front.remove_line(caller, id, &skus[sku]).await)?;
                }
            }
            Op::Discount { cart, code } => {
                if let Some((caller, id)) = carts.get(cart) {
                    refused_or_ok(front.apply_discount(caller, id, CODES[code]).await)?;
                }
            }
            Op::Checkout { cart, key } => {
                if let Some((caller, id)) = carts.get(cart) {
                    let input = CheckoutInput {
                        shipping_address: address(),
                        guest_email: None,
                        payment_method: Default::default(),
                    };
                    let placed = refused_or_ok(
                        front
                            .checkout(caller, id, &format!("key-{key}"), input)
                            .await,
                    )?;
                    if let Some(outcome) = placed.filter(|o| !o.replayed) {
                        orders.push((caller.clone(), outcome.order.id));
                    }
                }
            }
            Op::Cancel { order } => {
                if let Some((caller, id)) = orders.get(order) {
                    refused_or_ok(front.cancel(caller, id, None).await)?;
                }
            }
            Op::Restock {
                sku,
                location,
                units,
            } => {
                let location = &locations[location];
                store
                    .adjust_stock(&skus[sku], location, units)
                    .await
                    .unwrap();
                *expected_units
                    .get_mut(&(location.clone(), skus[sku].clone()))
                    .unwrap() += units;
            }
        }

        // Invariants, after every step.
        let mut held: BTreeMap<(LocationId, Sku), i64> = BTreeMap::new();
        for (caller, id) in &orders {
            let order = front.order(caller, id).await.unwrap();
            check_order(&order)?;
            let allocation = order.allocation();
            for l in &order.lines {
                prop_assert_eq!(allocation.units_of(&l.sku), u64::from(l.quantity.get()));
            }
            if order.status != OrderStatus::Cancelled {
                for (location, sku, units) in allocation.stock_taken() {
                    *held.entry((location, sku)).or_default() += i64::from(units);
                }
            }
        }
        for ((location, sku), expected) in &expected_units {
            let on_shelf = store
                .product(sku)
                .await
                .unwrap()
                .unwrap()
                .available(location);
            prop_assert!(
                on_shelf >= 0,
                "{sku} went negative at {location}: {on_shelf}"
            );
            let key = (location.clone(), sku.clone());
            prop_assert_eq!(
                on_shelf + held.get(&key).copied().unwrap_or(0),
                *expected,
                "units of {} at {} lost or made up",
                sku,
                location
            );
        }
        for (caller, id) in &carts {
            check_cart(&front.cart(caller, id).await.unwrap(), &policy)?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn no_sequence_of_operations_loses_stock_or_breaks_totals(ops in prop::collection::vec(op(), 1..60)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(run(ops))?;
    }
}
