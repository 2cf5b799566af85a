//! Change orders: the buckets, the refusals and the money, to the minor unit.

use chrono::Utc;
use proptest::prelude::*;

use super::*;
use crate::cart::{Cart, CartLine, CartOwner};
use crate::customer::{Address, CountryCode};
use crate::ids::{CartId, CustomerId, LocationId, OrderId};
use crate::order::{CheckoutDetails, CheckoutRequestRecord, PaymentStatus};
use crate::pricing::{Discount, DiscountKind};

/// A store that taxes Germany at 19% and Japan at 10%, ships for a flat fee below a threshold
/// and offers 10% off.
fn policy() -> PricingPolicy {
    PricingPolicy::parse(
        "DE:1900,JP:1000,FR:2000,US:825",
        "USD:500:5000,EUR:500:5000,JPY:800:8000",
        "WELCOME10:percent:10",
        50,
    )
    .unwrap()
}

fn sku(raw: &str) -> Sku {
    Sku::parse(raw).unwrap()
}

fn cart(currency: Currency, lines: &[(&str, i64, i64)], discount: Option<Discount>) -> Cart {
    let mut cart = Cart::new(
        CartId::random(),
        CartOwner::Customer {
            customer_id: CustomerId::parse("cust-1").unwrap(),
        },
        currency,
        Utc::now(),
    );
    for (code, unit_minor, quantity) in lines {
        cart.lines.push(CartLine {
            sku: sku(code),
            name: code.to_string(),
            quantity: Quantity::parse(*quantity).unwrap(),
            unit_price: Money::new(*unit_minor, currency),
        });
    }
    cart.discount = discount;
    cart
}

fn checkout(cart: &Cart, country: &str) -> Order {
    let details = CheckoutDetails {
        order_id: OrderId::for_checkout("cust-1", "k"),
        shipping_address: Address {
            line1: "1 Hauptstrasse".into(),
            line2: None,
            city: "Berlin".into(),
            region: None,
            postal_code: "10115".into(),
            country: CountryCode::parse(country).unwrap(),
        },
        guest_email: None,
        location: LocationId::default(),
        request: CheckoutRequestRecord {
            idempotency_key: "k".into(),
            fingerprint: "f".into(),
        },
    };
    Order::from_cart(cart, details, &policy(), Utc::now()).unwrap()
}

/// Three units of one line, 10% off, shipped to `country`, paid.
fn paid_order_of_three(currency: Currency, unit_minor: i64, country: &str) -> Order {
    let welcome = policy().discount("WELCOME10", currency).unwrap();
    let order = checkout(
        &cart(currency, &[("LAMP", unit_minor, 3)], Some(welcome)),
        country,
    );
    walk(&order, &[OrderEvent::PaymentCaptured])
}

fn walk(order: &Order, events: &[OrderEvent]) -> Order {
    events.iter().fold(order.clone(), |o, e| {
        let mut o = o;
        if *e == OrderEvent::StartFulfilment {
            o.approvals.discount = Some(crate::order::tests::approved_by_manager());
        }
        o.apply(*e, Utc::now()).unwrap()
    })
}

const TO_DELIVERY: [OrderEvent; 3] = [
    OrderEvent::StartFulfilment,
    OrderEvent::Ship,
    OrderEvent::Deliver,
];

fn request(kind: ChangeKind, order: &Order, lines: &[(&str, i64)]) -> ChangeRequest {
    ChangeRequest {
        kind,
        lines: lines
            .iter()
            .map(|(code, quantity)| ChangeLine {
                sku: sku(code),
                quantity: Quantity::parse(*quantity).unwrap(),
                reason: "customer changed their mind".into(),
            })
            .collect(),
        tax_rate_bps: checkout_tax_rate(&policy(), order),
    }
}

fn cancel(order: &Order, existing: &[ChangeRecord], lines: &[(&str, i64)]) -> ChangeRecord {
    plan_change(
        order,
        existing,
        request(ChangeKind::Cancel, order, lines),
        Utc::now(),
    )
    .unwrap()
}

/// `[goods, discount, shipping, tax, total]` in minor units.
fn figures(t: &ChangeTotals) -> [i64; 5] {
    [t.goods, t.discount, t.shipping, t.tax, t.total].map(Money::minor_units)
}

/// `[subtotal, discount, shipping, tax, total]` in minor units.
fn order_figures(t: &Totals) -> [i64; 5] {
    [t.subtotal, t.discount, t.shipping, t.tax, t.total].map(Money::minor_units)
}

#[test]
fn cancelling_one_of_three_usd_units_gives_back_its_price_less_its_discount_share_plus_tax() {
    // 3 x USD 33.33 = 99.99; 10% off = 9.999 -> 10.00; goods 89.99 >= 50.00 ships free;
    // 19% of 89.99 = 17.0981 -> 17.10; total 89.99 + 17.10 = 107.09.
    let order = paid_order_of_three(Currency::USD, 3333, "DE");
    assert_eq!(order_figures(&order.totals), [9999, 1000, 0, 1710, 10709]);

    let change = cancel(&order, &[], &[("LAMP", 1)]);

    // Goods 33.33; discount 10.00 x 33.33 / 99.99 = 3.333 -> 3.33; shipping stays;
    // 19% of (33.33 - 3.33) = 19% of 30.00 = 5.70; total 30.00 + 5.70 = 35.70.
    assert_eq!(figures(&change.totals), [3333, 333, 0, 570, 3570]);
    assert_eq!(change.totals.total.currency(), Currency::USD);
    // 107.09 - 35.70 = 71.39, of which tax 17.10 - 5.70 = 11.40.
    assert_eq!(
        order_figures(&current_totals(&order, &[change]).unwrap()),
        [6666, 667, 0, 1140, 7139]
    );
}

#[test]
fn cancelling_one_of_three_eur_units_keeps_the_free_shipping_the_order_earned() {
    // 3 x EUR 19.99 = 59.97; 10% off = 5.997 -> 6.00; goods 53.97 >= 50.00 ships free;
    // 19% of 53.97 = 10.2543 -> 10.25; total 53.97 + 10.25 = 64.22.
    let order = paid_order_of_three(Currency::EUR, 1999, "DE");
    assert_eq!(order_figures(&order.totals), [5997, 600, 0, 1025, 6422]);

    let change = cancel(&order, &[], &[("LAMP", 1)]);

    // Goods 19.99; discount 6.00 x 19.99 / 59.97 = 2.00 exactly; 19% of 17.99 = 3.4181 -> 3.42;
    // total 17.99 + 3.42 = 21.41. What is left (35.98 after discount) is under the free
    // shipping threshold, and the customer is not charged shipping for it.
    assert_eq!(figures(&change.totals), [1999, 200, 0, 342, 2141]);
    assert_eq!(
        order_figures(&current_totals(&order, &[change]).unwrap()),
        [3998, 400, 0, 683, 4281]
    );
}

#[test]
fn cancelling_one_of_three_jpy_units_is_exact_to_the_yen() {
    // 3 x JPY 3333 = 9999; 10% off = 999.9 -> 1000; goods 8999 >= 8000 ships free;
    // 10% of 8999 = 899.9 -> 900; total 8999 + 900 = 9899.
    let order = paid_order_of_three(Currency::JPY, 3333, "JP");
    assert_eq!(order_figures(&order.totals), [9999, 1000, 0, 900, 9899]);

    let change = cancel(&order, &[], &[("LAMP", 1)]);

    // Goods 3333; discount 1000 x 3333 / 9999 = 333.3 -> 333; 10% of 3000 = 300;
    // total 3000 + 300 = 3300.
    assert_eq!(figures(&change.totals), [3333, 333, 0, 300, 3300]);
    assert_eq!(
        order_figures(&current_totals(&order, &[change]).unwrap()),
        [6666, 667, 0, 600, 6599]
    );
}

#[test]
fn three_single_cancels_give_back_the_order_total_with_the_odd_cent_on_the_second() {
    let order = paid_order_of_three(Currency::USD, 3333, "DE");
    let first = cancel(&order, &[], &[("LAMP", 1)]);
    let second = cancel(&order, std::slice::from_ref(&first), &[("LAMP", 1)]);
    let third = cancel(&order, &[first.clone(), second.clone()], &[("LAMP", 1)]);

    // Two units back: discount 10.00 x 66.66 / 99.99 = 6.667 -> 6.67, so the second unit
    // carries 3.34 of it; tax 19% of 59.99 = 11.3981 -> 11.40, 5.70 more.
    assert_eq!(figures(&first.totals), [3333, 333, 0, 570, 3570]);
    assert_eq!(figures(&second.totals), [3333, 334, 0, 570, 3569]);
    assert_eq!(figures(&third.totals), [3333, 333, 0, 570, 3570]);
    let all = [first, second, third];
    assert_eq!(
        figures(&given_back(&order, &all).unwrap()),
        order_figures(&order.totals)
    );
    assert!(current_totals(&order, &all).unwrap().total.is_zero());
}

#[test]
fn shipping_and_the_tax_on_it_come_back_only_with_the_last_unit() {
    // 2 x USD 12.00 = 24.00, under the threshold: shipping 5.00; 19% of 29.00 = 5.51;
    // total 34.51.
    let order = walk(
        &checkout(&cart(Currency::USD, &[("MUG", 1200, 2)], None), "DE"),
        &[OrderEvent::PaymentCaptured],
    );
    assert_eq!(order_figures(&order.totals), [2400, 0, 500, 551, 3451]);

    // One mug: 12.00 + 19% of 12.00 (2.28) = 14.28, shipping kept.
    let first = cancel(&order, &[], &[("MUG", 1)]);
    assert_eq!(figures(&first.totals), [1200, 0, 0, 228, 1428]);
    // The last mug brings back the shipping and the rest of the tax: 5.51 - 2.28 = 3.23.
    let last = cancel(&order, std::slice::from_ref(&first), &[("MUG", 1)]);
    assert_eq!(figures(&last.totals), [1200, 0, 500, 323, 2023]);
    assert_eq!(
        first.totals.total.minor_units() + last.totals.total.minor_units(),
        3451
    );
}

#[test]
fn the_buckets_follow_cancels_returns_and_the_order_status() {
    let paid = checkout(
        &cart(Currency::EUR, &[("LAMP", 1999, 3), ("MUG", 1200, 1)], None),
        "DE",
    );
    let paid = walk(&paid, &[OrderEvent::PaymentCaptured]);
    let cancelled = cancel(&paid, &[], &[("LAMP", 1)]);
    let changes = vec![cancelled];

    let lamp = &line_quantities(&paid, &changes)[0];
    assert_eq!(
        (
            lamp.ordered,
            lamp.cancelled,
            lamp.allocated,
            lamp.fulfilled,
            lamp.returned
        ),
        (3, 1, 0, 0, 0)
    );
    assert_eq!((lamp.cancellable(), lamp.returnable()), (2, 0));

    let fulfilling = walk(&paid, &[OrderEvent::StartFulfilment]);
    let lamp = &line_quantities(&fulfilling, &changes)[0];
    assert_eq!(
        (lamp.allocated, lamp.fulfilled, lamp.cancellable()),
        (2, 0, 2)
    );

    let delivered = walk(&paid, &TO_DELIVERY);
    let returned = plan_change(
        &delivered,
        &changes,
        request(ChangeKind::Return, &delivered, &[("LAMP", 1)]),
        Utc::now(),
    )
    .unwrap();
    let changes = [changes, vec![returned]].concat();
    let buckets = line_quantities(&delivered, &changes);
    let lamp = &buckets[0];
    assert_eq!(
        (
            lamp.ordered,
            lamp.cancelled,
            lamp.allocated,
            lamp.fulfilled,
            lamp.returned
        ),
        (3, 1, 2, 2, 1)
    );
    assert_eq!((lamp.cancellable(), lamp.returnable()), (0, 1));
    let mug = &buckets[1];
    assert_eq!((mug.fulfilled, mug.returned, mug.returnable()), (1, 0, 1));
}

#[test]
fn a_cancel_over_what_is_left_to_cancel_is_refused_with_what_is_left() {
    let order = paid_order_of_three(Currency::USD, 3333, "DE");
    let first = cancel(&order, &[], &[("LAMP", 1)]);
    assert_eq!(
        plan_change(
            &order,
            &[first],
            request(ChangeKind::Cancel, &order, &[("LAMP", 3)]),
            Utc::now()
        )
        .unwrap_err(),
        DomainError::CancelExceedsOrder {
            sku: sku("LAMP"),
            cancellable: 2
        }
    );
}

#[test]
fn shipped_units_cannot_be_cancelled_only_returned() {
    let shipped = walk(
        &paid_order_of_three(Currency::USD, 3333, "DE"),
        &[OrderEvent::StartFulfilment, OrderEvent::Ship],
    );
    assert_eq!(
        plan_change(
            &shipped,
            &[],
            request(ChangeKind::Cancel, &shipped, &[("LAMP", 1)]),
            Utc::now()
        )
        .unwrap_err(),
        DomainError::CancelExceedsOrder {
            sku: sku("LAMP"),
            cancellable: 0
        }
    );
    let returned = plan_change(
        &shipped,
        &[],
        request(ChangeKind::Return, &shipped, &[("LAMP", 1)]),
        Utc::now(),
    )
    .unwrap();
    assert_eq!(returned.kind, ChangeKind::Return);
    assert_eq!(figures(&returned.totals), [3333, 333, 0, 570, 3570]);
}

#[test]
fn units_that_have_not_shipped_cannot_be_returned() {
    let order = paid_order_of_three(Currency::USD, 3333, "DE");
    assert_eq!(
        plan_change(
            &order,
            &[],
            request(ChangeKind::Return, &order, &[("LAMP", 1)]),
            Utc::now()
        )
        .unwrap_err(),
        DomainError::ReturnExceedsOrder {
            sku: sku("LAMP"),
            returnable: 0
        }
    );
}

#[test]
fn a_return_over_what_was_shipped_and_not_yet_returned_is_refused() {
    let order = paid_order_of_three(Currency::USD, 3333, "DE");
    let cancelled = cancel(&order, &[], &[("LAMP", 1)]);
    let delivered = walk(&order, &TO_DELIVERY);
    assert_eq!(
        plan_change(
            &delivered,
            &[cancelled],
            request(ChangeKind::Return, &delivered, &[("LAMP", 3)]),
            Utc::now()
        )
        .unwrap_err(),
        DomainError::ReturnExceedsOrder {
            sku: sku("LAMP"),
            returnable: 2
        }
    );
}

#[test]
fn a_cancelled_order_takes_no_more_cancels() {
    let (cancelled, _) = paid_order_of_three(Currency::USD, 3333, "DE")
        .cancel(None, Utc::now())
        .unwrap();
    assert_eq!(
        plan_change(
            &cancelled,
            &[],
            request(ChangeKind::Cancel, &cancelled, &[("LAMP", 1)]),
            Utc::now()
        )
        .unwrap_err(),
        DomainError::InvalidTransition {
            current: OrderStatus::Cancelled,
            event: OrderEvent::Cancel
        }
    );
}

#[test]
fn lines_must_be_on_the_order_named_once_with_a_reason() {
    let order = paid_order_of_three(Currency::USD, 3333, "DE");
    let refused = |lines: Vec<ChangeLine>| {
        let req = ChangeRequest {
            kind: ChangeKind::Cancel,
            lines,
            tax_rate_bps: 1900,
        };
        match plan_change(&order, &[], req, Utc::now()) {
            Err(DomainError::Invalid(values)) => values[0].message.clone(),
            other => panic!("expected invalid lines, got {other:?}"),
        }
    };
    let line = |code: &str, reason: &str| ChangeLine {
        sku: sku(code),
        quantity: Quantity::parse(1).unwrap(),
        reason: reason.into(),
    };
    assert_eq!(refused(vec![]), "name at least one line");
    assert_eq!(refused(vec![line("SOFA", "x")]), "SOFA is not on the order");
    assert_eq!(
        refused(vec![line("LAMP", "x"), line("LAMP", "y")]),
        "LAMP is named twice"
    );
    assert_eq!(refused(vec![line("LAMP", "  ")]), "LAMP needs a reason");
}

#[test]
fn a_rate_changed_since_checkout_gives_way_to_the_rate_the_order_was_taxed_at() {
    let order = paid_order_of_three(Currency::USD, 3333, "DE");
    // The operator has since moved Germany to 20%; the order's 17.10 on 89.99 is 19%.
    let mut asked = request(ChangeKind::Cancel, &order, &[("LAMP", 1)]);
    asked.tax_rate_bps = 2000;
    let first = plan_change(&order, &[], asked, Utc::now()).unwrap();
    assert_eq!(first.tax_rate_bps, 1900);
    assert_eq!(figures(&first.totals), [3333, 333, 0, 570, 3570]);
}

#[test]
fn the_first_change_fixes_the_rate_for_the_later_ones() {
    // A USD 0.34 sticker and a USD 0.01 pin to Germany: 0.35 + 5.00 shipping = 5.35, taxed
    // 19% = 1.0165 -> 1.02. Every rate from 18.98% to 19.15% gives that 1.02.
    let order = walk(
        &checkout(
            &cart(Currency::USD, &[("STICKER", 34, 1), ("PIN", 1, 1)], None),
            "DE",
        ),
        &[OrderEvent::PaymentCaptured],
    );
    assert_eq!(order_figures(&order.totals), [35, 0, 500, 102, 637]);
    let mut at_1915 = request(ChangeKind::Cancel, &order, &[("STICKER", 1)]);
    at_1915.tax_rate_bps = 1915;
    let first = plan_change(&order, &[], at_1915, Utc::now()).unwrap();
    // 19.15% of 0.34 = 0.0651 -> 0.07 (at 19% it would have been 0.06).
    assert_eq!(
        (first.tax_rate_bps, first.totals.tax.minor_units()),
        (1915, 7)
    );

    let second = cancel(&order, std::slice::from_ref(&first), &[("PIN", 1)]);

    // Asked at 19%, worked out at 19.15%: the tax left is 1.02 - 0.07 = 0.95, not 1.02 - 0.06.
    assert_eq!(second.tax_rate_bps, 1915);
    assert_eq!(figures(&second.totals), [1, 0, 500, 95, 596]);
    assert_eq!(
        figures(&given_back(&order, &[first, second]).unwrap()),
        order_figures(&order.totals)
    );
}

#[test]
fn an_order_whose_tax_no_rate_gives_is_refused() {
    let mut order = paid_order_of_three(Currency::USD, 3333, "DE");
    // More tax than goods: no rate up to 100% gives it.
    order.totals.tax = Money::new(9500, Currency::USD);
    assert_eq!(
        plan_change(
            &order,
            &[],
            request(ChangeKind::Cancel, &order, &[("LAMP", 1)]),
            Utc::now()
        )
        .unwrap_err(),
        DomainError::TaxRateUnknown {
            tax: Money::new(9500, Currency::USD)
        }
    );
}

#[test]
fn without_changes_the_order_keeps_its_totals() {
    let order = paid_order_of_three(Currency::EUR, 1999, "DE");
    assert_eq!(current_totals(&order, &[]).unwrap(), order.totals);
    assert_eq!(
        given_back(&order, &[]).unwrap(),
        ChangeTotals::zero(Currency::EUR)
    );
}

#[test]
fn change_records_are_numbered_and_keep_their_lines_and_time() {
    let order = paid_order_of_three(Currency::USD, 3333, "DE");
    let now = Utc::now();
    let first = cancel(&order, &[], &[("LAMP", 1)]);
    let second = plan_change(
        &order,
        std::slice::from_ref(&first),
        request(ChangeKind::Cancel, &order, &[("LAMP", 2)]),
        now,
    )
    .unwrap();
    assert_eq!((first.id.as_str(), second.id.as_str()), ("chg_1", "chg_2"));
    assert_eq!(second.created_at, now);
    assert_eq!(second.lines[0].quantity.get(), 2);
    let json = serde_json::to_value(&second).unwrap();
    assert_eq!(json["kind"], "cancel");
    assert_eq!(
        serde_json::from_value::<ChangeRecord>(json).unwrap(),
        second
    );
}

/// Draws numbers from a fixed list, so proptest can shrink the choices it made.
struct Choices<'a>(std::slice::Iter<'a, u32>);

impl Choices<'_> {
    /// A number in `1..=max`.
    fn up_to(&mut self, max: u32) -> u32 {
        1 + self.0.next().copied().unwrap_or(0) % max
    }
}

proptest! {
    #[test]
    fn giving_back_every_unit_in_any_order_and_splits_gives_back_exactly_the_order_total(
        lines in prop::collection::vec((1i64..50_000, 1i64..=5), 1..=4),
        currency in prop::sample::select(Currency::ALL.to_vec()),
        country in prop::sample::select(vec!["DE", "JP", "FR", "US", "BR"]),
        discount_kind in 0u8..3,
        percent in 1u32..=100,
        amount in 0i64..100_000,
        cancels_before_shipping in 0usize..6,
        own_rate in any::<bool>(),
        choices in prop::collection::vec(any::<u32>(), 200),
    ) {
        let codes: Vec<String> = (0..lines.len()).map(|i| format!("SKU-{i}")).collect();
        let spec: Vec<(&str, i64, i64)> = lines
            .iter()
            .zip(&codes)
            .map(|((price, quantity), code)| (code.as_str(), *price, *quantity))
            .collect();
        let discount = match discount_kind {
            0 => None,
            1 => Some(Discount { code: "P".into(), kind: DiscountKind::Percent(percent) }),
            _ => Some(Discount { code: "A".into(), kind: DiscountKind::Amount(Money::new(amount, currency)) }),
        };
        let placed = checkout(&cart(currency, &spec, discount), country);
        let mut order = walk(&placed, &[OrderEvent::PaymentCaptured]);
        let mut choices = Choices(choices.iter());
        let mut changes: Vec<ChangeRecord> = Vec::new();

        loop {
            if changes.len() == cancels_before_shipping && order.status == OrderStatus::Paid {
                order = walk(&order, &TO_DELIVERY);
            }
            let buckets = line_quantities(&order, &changes);
            let kind = if order.status == OrderStatus::Paid { ChangeKind::Cancel } else { ChangeKind::Return };
            let left: Vec<&LineQuantities> = buckets
                .iter()
                .filter(|b| match kind {
                    ChangeKind::Cancel => b.cancellable() > 0,
                    ChangeKind::Return => b.returnable() > 0,
                })
                .collect();
            if left.is_empty() {
                // Everything is back: cancelled before shipping, or returned after.
                break;
            }
            let first = choices.up_to(left.len() as u32) as usize - 1;
            let how_many = choices.up_to((left.len() - first) as u32) as usize;
            let change_lines = left[first..first + how_many]
                .iter()
                .map(|b| {
                    let most = match kind {
                        ChangeKind::Cancel => b.cancellable(),
                        ChangeKind::Return => b.returnable(),
                    };
                    ChangeLine {
                        sku: b.sku.clone(),
                        quantity: Quantity::parse(i64::from(choices.up_to(most))).unwrap(),
                        reason: "changed mind".into(),
                    }
                })
                .collect();
            let tax_rate_bps = if own_rate {
                checkout_tax_rate(&policy(), &order)
            } else {
                choices.up_to(10_001) - 1
            };
            let change = plan_change(
                &order,
                &changes,
                ChangeRequest { kind, lines: change_lines, tax_rate_bps },
                Utc::now(),
            )
            .unwrap();
            let [goods, discount, shipping, tax, total] = figures(&change.totals);
            prop_assert!(goods >= 0 && discount >= 0 && shipping >= 0 && tax >= 0 && total >= 0);
            prop_assert_eq!(total, goods - discount + shipping + tax);
            changes.push(change);
            let back = figures(&given_back(&order, &changes).unwrap());
            for (so_far, whole) in back.iter().zip(order_figures(&order.totals)) {
                prop_assert!(*so_far <= whole, "gave back {so_far} of {whole}");
            }
        }

        prop_assert_eq!(
            figures(&given_back(&order, &changes).unwrap()),
            order_figures(&order.totals)
        );
        prop_assert_eq!(order_figures(&current_totals(&order, &changes).unwrap()), [0; 5]);
        for b in line_quantities(&order, &changes) {
            prop_assert_eq!(b.units_back(), b.ordered);
        }
        prop_assert_eq!(order.payment_status, PaymentStatus::Captured);
    }
}
