//! Carts: a guest's or a customer's basket in one currency.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod big;
pub mod status;

pub use status::CartStatus;

use crate::accounts::AccountTerms;
use crate::catalog::Product;
use crate::error::DomainError;
use crate::ids::{CartId, CustomerId, Email, OrderId, Quantity, Sku};
use crate::money::{Currency, Money, MoneyError};
use crate::pricing::{Discount, Priced, PricingPolicy, Totals};

/// At most this many lines in a cart: a checkout writes one stock change per line and three
/// more items (order, cart, outbox event) in one transaction, and a transaction holds at
/// most 100 writes.
pub const MAX_CART_LINES: usize = 97;

/// Who may see and change a cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CartOwner {
    Customer {
        customer_id: CustomerId,
    },
    /// A guest proves ownership with the token handed out at creation; only its hash is kept.
    Guest {
        token_hash: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub sku: Sku,
    pub name: String,
    pub quantity: Quantity,
    /// The price when the line was last set; checkout only succeeds if it is still the price.
    pub unit_price: Money,
}

impl CartLine {
    pub fn total(&self) -> Result<Money, MoneyError> {
        self.unit_price.times(self.quantity.get())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    pub id: CartId,
    pub owner: CartOwner,
    pub currency: Currency,
    pub status: CartStatus,
    pub lines: Vec<CartLine>,
    pub discount: Option<Discount>,
    pub order_id: Option<OrderId>,
    /// Where a guest who reached checkout can be reached (a customer's is on their profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<Email>,
    /// A registered customer's cart that reached its currency's big-cart threshold: from
    /// then on each change goes to Salesforce, even one that takes it below again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub big: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl Cart {
    /// Its place in the lists by status: by its last change.
    pub fn position(&self) -> String {
        crate::listing::position(self.updated_at, self.id.as_str())
    }

    pub fn new(id: CartId, owner: CartOwner, currency: Currency, now: DateTime<Utc>) -> Cart {
        Cart {
            id,
            owner,
            currency,
            status: CartStatus::Open,
            lines: Vec::new(),
            discount: None,
            order_id: None,
            contact_email: None,
            big: false,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    fn ensure_open(&self) -> Result<(), DomainError> {
        match self.status {
            status if status.is_editable() => Ok(()),
            status => Err(DomainError::CartClosed { status }),
        }
    }

    /// The shopper reached the payment step. A guest must say where they can be reached;
    /// a customer's e-mail is on their profile, so `email` is not kept for them. Returns
    /// whether anything changed.
    pub fn begin_checkout(
        &mut self,
        email: Option<Email>,
        now: DateTime<Utc>,
    ) -> Result<bool, DomainError> {
        self.ensure_open()?;
        if self.lines.is_empty() {
            return Err(DomainError::EmptyCart);
        }
        let contact_email = match &self.owner {
            CartOwner::Guest { .. } => Some(email.ok_or(DomainError::GuestEmailRequired)?),
            CartOwner::Customer { .. } => None,
        };
        if self.status == CartStatus::Checkout && self.contact_email == contact_email {
            return Ok(false);
        }
        self.status = CartStatus::Checkout;
        self.contact_email = contact_email;
        self.touched(now);
        Ok(true)
    }

    fn touched(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
    }

    /// Sets a line to `quantity` units of `product` at its current price in the cart's currency.
    pub fn set_line(
        &mut self,
        product: &Product,
        quantity: Quantity,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.ensure_open()?;
        if !product.active {
            return Err(DomainError::ProductUnavailable {
                sku: product.sku.clone(),
            });
        }
        let unit_price = product
            .price(self.currency)
            .ok_or(DomainError::NotSoldInCurrency {
                sku: product.sku.clone(),
                currency: self.currency,
            })?;
        match self.lines.iter_mut().find(|l| l.sku == product.sku) {
            Some(line) => {
                line.quantity = quantity;
                line.unit_price = unit_price;
                line.name = product.name.clone();
            }
            None => {
                if self.lines.len() >= MAX_CART_LINES {
                    return Err(DomainError::TooManyLines {
                        max: MAX_CART_LINES,
                    });
                }
                self.lines.push(CartLine {
                    sku: product.sku.clone(),
                    name: product.name.clone(),
                    quantity,
                    unit_price,
                });
            }
        }
        self.touched(now);
        Ok(())
    }

    /// Removes a line; removing a line that is not there changes nothing.
    pub fn remove_line(&mut self, sku: &Sku, now: DateTime<Utc>) -> Result<bool, DomainError> {
        self.ensure_open()?;
        let before = self.lines.len();
        self.lines.retain(|l| &l.sku != sku);
        let removed = self.lines.len() != before;
        if removed {
            self.touched(now);
        }
        Ok(removed)
    }

    pub fn apply_discount(
        &mut self,
        discount: Discount,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.ensure_open()?;
        self.discount = Some(discount);
        self.touched(now);
        Ok(())
    }

    pub fn remove_discount(&mut self, now: DateTime<Utc>) -> Result<(), DomainError> {
        self.ensure_open()?;
        if self.discount.take().is_some() {
            self.touched(now);
        }
        Ok(())
    }

    /// Brings line prices up to date with the catalog (after a price change stopped a checkout).
    pub fn reprice(&mut self, products: &[Product], now: DateTime<Utc>) -> bool {
        let mut changed = false;
        for line in &mut self.lines {
            let current = products
                .iter()
                .find(|p| p.sku == line.sku)
                .and_then(|p| p.price(self.currency));
            if let Some(price) = current
                && price != line.unit_price
            {
                line.unit_price = price;
                changed = true;
            }
        }
        if changed {
            self.touched(now);
        }
        changed
    }

    pub fn subtotal(&self) -> Result<Money, MoneyError> {
        self.lines
            .iter()
            .try_fold(Money::zero(self.currency), |acc, l| {
                acc.checked_add(l.total()?)
            })
    }

    /// Totals before the destination is known: no tax yet.
    pub fn totals(&self, policy: &PricingPolicy) -> Result<Totals, MoneyError> {
        policy.totals(self.subtotal()?, self.discount.as_ref(), None)
    }

    /// Totals under the terms of the customer's account, before the destination is known:
    /// no tax yet, and none ever for a tax-exempt account.
    pub fn priced(
        &self,
        policy: &PricingPolicy,
        terms: Option<&AccountTerms>,
    ) -> Result<Priced, MoneyError> {
        policy.price(self.subtotal()?, self.discount.as_ref(), terms, None)
    }

    /// The goods after the discount, before shipping and tax (which need an address): what
    /// an abandoned cart is worth to sales.
    pub fn goods_value(&self) -> Result<Money, MoneyError> {
        let subtotal = self.subtotal()?;
        match &self.discount {
            Some(d) => subtotal.checked_sub(d.amount_off(subtotal)?),
            None => Ok(subtotal),
        }
    }

    pub fn total_quantity(&self) -> u32 {
        self.lines.iter().map(|l| l.quantity.get()).sum()
    }

    /// The cart as it is stored once its order is placed.
    pub fn converted(&self, order_id: OrderId, now: DateTime<Utc>) -> Cart {
        let mut next = self.clone();
        next.status = CartStatus::Converted;
        next.order_id = Some(order_id);
        next.touched(now);
        next
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::ids::LocationId;

    pub(crate) fn product(sku: &str, usd_minor: i64, stock: i64) -> Product {
        Product {
            sku: Sku::parse(sku).unwrap(),
            name: format!("Product {sku}"),
            category: "test".into(),
            active: true,
            prices: BTreeMap::from([(Currency::USD, usd_minor)]),
            stock: BTreeMap::from([(LocationId::default(), stock)]),
            version: 1,
        }
    }

    fn cart() -> Cart {
        Cart::new(
            CartId::random(),
            CartOwner::Guest {
                token_hash: "h".into(),
            },
            Currency::USD,
            Utc::now(),
        )
    }

    fn qty(n: i64) -> Quantity {
        Quantity::parse(n).unwrap()
    }

    #[test]
    fn a_guest_at_checkout_leaves_an_email_and_can_still_change_the_cart() {
        let mut c = cart();
        let p = product("A", 1000, 10);
        c.set_line(&p, qty(2), Utc::now()).unwrap();
        assert!(matches!(
            c.begin_checkout(None, Utc::now()),
            Err(DomainError::GuestEmailRequired)
        ));
        let email = Email::parse("ada@example.com").unwrap();
        assert!(c.begin_checkout(Some(email.clone()), Utc::now()).unwrap());
        assert_eq!(c.status, CartStatus::Checkout);
        assert_eq!(c.contact_email, Some(email.clone()));
        let version = c.version;
        assert!(!c.begin_checkout(Some(email), Utc::now()).unwrap());
        assert_eq!(c.version, version, "repeating it changes nothing");
        c.set_line(&p, qty(3), Utc::now()).unwrap();
        assert_eq!(
            c.status,
            CartStatus::Checkout,
            "an edit keeps it at checkout"
        );
        c.discount = Some(crate::pricing::Discount {
            code: "TEN".into(),
            kind: crate::pricing::DiscountKind::Percent(10),
        });
        assert_eq!(c.goods_value().unwrap(), Money::new(2700, Currency::USD));
    }

    #[test]
    fn an_empty_or_converted_cart_does_not_reach_checkout() {
        let mut c = cart();
        let email = Email::parse("ada@example.com").unwrap();
        assert!(matches!(
            c.begin_checkout(Some(email.clone()), Utc::now()),
            Err(DomainError::EmptyCart)
        ));
        c.set_line(&product("A", 1000, 10), qty(1), Utc::now())
            .unwrap();
        let done = c.converted(OrderId::for_checkout("g", "k"), Utc::now());
        let mut done = done;
        assert!(matches!(
            done.begin_checkout(Some(email), Utc::now()),
            Err(DomainError::CartClosed { .. })
        ));
    }

    #[test]
    fn setting_a_line_twice_replaces_its_quantity() {
        let mut c = cart();
        let p = product("A", 250, 10);
        c.set_line(&p, qty(2), Utc::now()).unwrap();
        c.set_line(&p, qty(5), Utc::now()).unwrap();
        assert_eq!(c.lines.len(), 1);
        assert_eq!(c.lines[0].quantity.get(), 5);
        assert_eq!(c.subtotal().unwrap(), Money::new(1250, Currency::USD));
        assert_eq!(c.version, 3);
    }

    #[test]
    fn a_product_without_a_price_in_the_cart_currency_is_refused() {
        let mut c = cart();
        c.currency = Currency::EUR;
        let err = c
            .set_line(&product("A", 250, 10), qty(1), Utc::now())
            .unwrap_err();
        assert!(matches!(
            err,
            DomainError::NotSoldInCurrency {
                currency: Currency::EUR,
                ..
            }
        ));
        assert!(c.lines.is_empty());
    }

    #[test]
    fn inactive_products_cannot_be_added() {
        let mut c = cart();
        let mut p = product("A", 250, 10);
        p.active = false;
        assert!(matches!(
            c.set_line(&p, qty(1), Utc::now()),
            Err(DomainError::ProductUnavailable { .. })
        ));
    }

    #[test]
    fn a_cart_holds_at_most_the_line_limit() {
        let mut c = cart();
        for i in 0..MAX_CART_LINES {
            c.set_line(&product(&format!("P{i}"), 100, 1), qty(1), Utc::now())
                .unwrap();
        }
        let err = c
            .set_line(&product("ONE-MORE", 100, 1), qty(1), Utc::now())
            .unwrap_err();
        assert_eq!(
            err,
            DomainError::TooManyLines {
                max: MAX_CART_LINES
            }
        );
        // Changing an existing line is still allowed at the limit.
        c.set_line(&product("P0", 100, 1), qty(3), Utc::now())
            .unwrap();
    }

    #[test]
    fn a_converted_cart_cannot_change() {
        let c = cart();
        let mut done = c.converted(OrderId::for_checkout("s", "k"), Utc::now());
        assert_eq!(done.status, CartStatus::Converted);
        assert!(matches!(
            done.set_line(&product("A", 1, 1), qty(1), Utc::now()),
            Err(DomainError::CartClosed {
                status: CartStatus::Converted
            })
        ));
        assert!(done.remove_discount(Utc::now()).is_err());
    }

    #[test]
    fn removing_a_missing_line_changes_nothing() {
        let mut c = cart();
        let v = c.version;
        assert!(
            !c.remove_line(&Sku::parse("NOPE").unwrap(), Utc::now())
                .unwrap()
        );
        assert_eq!(c.version, v);
    }

    #[test]
    fn repricing_follows_the_catalog() {
        let mut c = cart();
        c.set_line(&product("A", 250, 10), qty(2), Utc::now())
            .unwrap();
        assert!(c.reprice(&[product("A", 300, 10)], Utc::now()));
        assert_eq!(c.subtotal().unwrap().minor_units(), 600);
        assert!(!c.reprice(&[product("A", 300, 10)], Utc::now()));
    }
}
