//! Big carts: a registered customer's cart whose value reaches its currency's threshold is
//! a sale in the making, and sales sees it grow. From the change that takes it over the
//! threshold on, every change of the cart is sent (an event written with the cart), so the
//! one Opportunity follows it, even below the threshold again, until its order takes over.

use std::collections::BTreeMap;

use crate::cart::{Cart, CartOwner};
use crate::money::{Currency, reaches};

/// Whether the cart, as just changed, must be sent to Salesforce; marks it big the first
/// time. A guest's cart is never big: there is no one to open an Opportunity for until the
/// payment step, where the abandoned-carts job takes it. A cart worth nothing it cannot
/// price (an overflow) is left as it was.
pub fn track(cart: &mut Cart, big_cart_over: &BTreeMap<Currency, i64>) -> bool {
    if !matches!(cart.owner, CartOwner::Customer { .. }) || !cart.status.is_editable() {
        return false;
    }
    if !cart.big {
        cart.big = cart
            .goods_value()
            .is_ok_and(|value| reaches(big_cart_over, value));
    }
    cart.big
}

/// The cart may become big with this change: the thresholds must be read to know. A cart
/// already big, a guest's, or a closed one needs none.
pub fn needs_thresholds(cart: &Cart) -> bool {
    matches!(cart.owner, CartOwner::Customer { .. }) && cart.status.is_editable() && !cart.big
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::cart::tests::product;
    use crate::ids::{CartId, CustomerId, Quantity};
    use crate::pricing::{Discount, DiscountKind};

    fn usd_over(minor: i64) -> BTreeMap<Currency, i64> {
        BTreeMap::from([(Currency::USD, minor)])
    }

    fn customer_cart() -> Cart {
        Cart::new(
            CartId::random(),
            CartOwner::Customer {
                customer_id: CustomerId::parse("c1").unwrap(),
            },
            Currency::USD,
            Utc::now(),
        )
    }

    fn with_units(cart: &mut Cart, units: i64) {
        let quantity = Quantity::parse(units).unwrap();
        cart.set_line(&product("A", 10_000, 100), quantity, Utc::now())
            .unwrap();
    }

    #[test]
    fn a_cart_below_the_threshold_is_not_sent_and_one_at_it_is_from_then_on() {
        let mut cart = customer_cart();
        with_units(&mut cart, 4);
        assert!(!track(&mut cart, &usd_over(50_000)), "USD 400.00");
        assert!(!cart.big);
        with_units(&mut cart, 5);
        assert!(needs_thresholds(&cart));
        assert!(track(&mut cart, &usd_over(50_000)), "USD 500.00");
        assert!(cart.big);
        assert!(!needs_thresholds(&cart), "big once, big until its order");
        with_units(&mut cart, 1);
        assert!(
            track(&mut cart, &usd_over(50_000)),
            "below again, the same Opportunity still follows the cart"
        );
    }

    #[test]
    fn the_threshold_is_on_the_goods_after_the_discount_and_in_the_carts_currency() {
        let mut cart = customer_cart();
        with_units(&mut cart, 5);
        cart.discount = Some(Discount {
            code: "TEN".into(),
            kind: DiscountKind::Percent(10),
        });
        assert!(!track(&mut cart, &usd_over(50_000)), "USD 450.00 after 10%");
        assert!(
            !track(&mut cart, &BTreeMap::from([(Currency::EUR, 1)])),
            "no threshold for USD"
        );
        assert!(!track(&mut cart, &BTreeMap::new()), "big carts off");
        assert!(track(&mut cart, &usd_over(45_000)));
    }

    #[test]
    fn a_guests_cart_and_a_closed_cart_are_never_sent() {
        let mut guest = Cart::new(
            CartId::random(),
            CartOwner::Guest {
                token_hash: "h".into(),
            },
            Currency::USD,
            Utc::now(),
        );
        with_units(&mut guest, 50);
        assert!(!needs_thresholds(&guest));
        assert!(!track(&mut guest, &usd_over(1)));
        assert!(!guest.big);
        let mut cart = customer_cart();
        with_units(&mut cart, 50);
        let mut converted = cart.converted(crate::ids::OrderId::for_checkout("s", "k"), Utc::now());
        assert!(!needs_thresholds(&converted));
        assert!(!track(&mut converted, &usd_over(1)));
    }
}
