//! Change orders: cancelling units before they ship and taking units back after they shipped,
//! with the money to give back exact to the minor unit.
//!
//! Quantities follow Order Management's order item summary. For each line of the order:
//! `ordered`, `cancelled` (by cancel changes), `allocated` (handed to fulfilment: every unit
//! not cancelled once the order is being fulfilled), `fulfilled` (shipped: every unit not
//! cancelled once the order has shipped) and `returned` (by return changes). A line can still
//! cancel `ordered - cancelled - fulfilled` units and take back `fulfilled - returned`.
//!
//! What a change gives back, and why it always adds up:
//! - **Cumulative rule.** For the units given back so far (cancelled plus returned, per line)
//!   the order's amounts are worked out afresh; a change gives back the difference between that
//!   figure after the change and before it. Each amount only grows as units come back, so no
//!   change is ever negative, the sum of every change made so far never exceeds the order, and
//!   once every unit is back the sum is the order's totals exactly — whatever the order of the
//!   lines and however the quantities were split.
//! - **Goods**: unit price × units back.
//! - **Discount**: the order's discount × goods back / the order's subtotal, rounded half up to
//!   the minor unit. The customer keeps the share of the discount on the goods they keep.
//! - **Shipping** comes back only with the last unit: while anything is still on its way to the
//!   customer or kept by them, the delivery was needed. A change never charges shipping either:
//!   free shipping earned at checkout stays earned when the goods drop below the threshold.
//! - **Tax** is worked out the way checkout worked it out: the order's rate in basis points on
//!   goods after discount plus shipping, rounded half away from zero ([`Money::basis_points`]).
//!   The order does not record its rate, so the change request carries it
//!   ([`ChangeRequest::tax_rate_bps`], from [`checkout_tax_rate`]). It is checked against the
//!   order: if it does not give the order's tax exactly (the operator changed the rate since),
//!   the rate nearest to it that does is used instead, and the order's first change fixes the
//!   rate for all later ones. The rate used is kept on each [`ChangeRecord`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Order, OrderEvent, OrderStatus};
use crate::error::DomainError;
use crate::ids::{InvalidValue, Quantity, Sku};
use crate::money::{Currency, Money, MoneyError};
use crate::pricing::{PricingPolicy, Totals};

/// What a change does to the units it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Units that have not shipped are not sent.
    Cancel,
    /// Shipped units come back from the customer.
    Return,
}

/// Units of one order line in a change, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeLine {
    pub sku: Sku,
    pub quantity: Quantity,
    pub reason: String,
}

/// Money a change gives back, each amount in the direction it goes back to the customer:
/// `total = goods - discount + shipping + tax`, and every amount is zero or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeTotals {
    pub goods: Money,
    /// The share of the order's discount that went with these goods; it reduces the refund.
    pub discount: Money,
    pub shipping: Money,
    pub tax: Money,
    pub total: Money,
}

impl ChangeTotals {
    pub fn zero(currency: Currency) -> Self {
        let zero = Money::zero(currency);
        ChangeTotals {
            goods: zero,
            discount: zero,
            shipping: zero,
            tax: zero,
            total: zero,
        }
    }

    fn combine(
        self,
        other: ChangeTotals,
        op: fn(Money, Money) -> Result<Money, MoneyError>,
    ) -> Result<ChangeTotals, MoneyError> {
        Ok(ChangeTotals {
            goods: op(self.goods, other.goods)?,
            discount: op(self.discount, other.discount)?,
            shipping: op(self.shipping, other.shipping)?,
            tax: op(self.tax, other.tax)?,
            total: op(self.total, other.total)?,
        })
    }
}

/// A cancel or return made on an order: the order's change order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRecord {
    pub id: String,
    pub kind: ChangeKind,
    pub lines: Vec<ChangeLine>,
    pub totals: ChangeTotals,
    /// The tax rate the totals were worked out at, in basis points.
    pub tax_rate_bps: u32,
    pub created_at: DateTime<Utc>,
}

/// A cancel or return asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRequest {
    pub kind: ChangeKind,
    pub lines: Vec<ChangeLine>,
    /// The rate the order was taxed at, in basis points: see [`checkout_tax_rate`].
    pub tax_rate_bps: u32,
}

/// The units of one order line, bucket by bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineQuantities {
    pub sku: Sku,
    pub ordered: u32,
    pub cancelled: u32,
    pub allocated: u32,
    pub fulfilled: u32,
    pub returned: u32,
}

impl LineQuantities {
    /// Units not shipped and not cancelled yet.
    pub fn cancellable(&self) -> u32 {
        self.ordered
            .saturating_sub(self.cancelled)
            .saturating_sub(self.fulfilled)
    }

    /// Units shipped and not returned yet.
    pub fn returnable(&self) -> u32 {
        self.fulfilled.saturating_sub(self.returned)
    }

    /// Units cancelled or returned: the ones whose money goes back.
    pub fn units_back(&self) -> u32 {
        self.cancelled + self.returned
    }
}

/// The buckets of every line of the order, in the order's line order. A sku is on one line
/// only (the cart merges them), so changes name lines by sku.
///
/// Units are handed to fulfilment all together when the order starts fulfilment and ship
/// together, so `allocated` and `fulfilled` follow the order's status. Allocated units that
/// have not shipped can still be cancelled: the warehouse is told to drop them.
pub fn line_quantities(order: &Order, changes: &[ChangeRecord]) -> Vec<LineQuantities> {
    let (allocated, shipped) = match order.status {
        OrderStatus::PendingPayment | OrderStatus::Paid | OrderStatus::Cancelled => (false, false),
        OrderStatus::Fulfilling => (true, false),
        OrderStatus::Shipped
        | OrderStatus::Delivered
        | OrderStatus::Closed
        | OrderStatus::ReturnRequested
        | OrderStatus::Returned
        | OrderStatus::Refunded => (true, true),
    };
    order
        .lines
        .iter()
        .map(|line| {
            let units = |kind: ChangeKind| -> u32 {
                changes
                    .iter()
                    .filter(|c| c.kind == kind)
                    .flat_map(|c| &c.lines)
                    .filter(|l| l.sku == line.sku)
                    .map(|l| l.quantity.get())
                    .sum()
            };
            let ordered = line.quantity.get();
            let cancelled = units(ChangeKind::Cancel);
            let handed_over = ordered.saturating_sub(cancelled);
            LineQuantities {
                sku: line.sku.clone(),
                ordered,
                cancelled,
                allocated: if allocated { handed_over } else { 0 },
                fulfilled: if shipped { handed_over } else { 0 },
                returned: units(ChangeKind::Return),
            }
        })
        .collect()
}

/// The tax rate the pricing policy gives the order's destination: what checkout charged,
/// unless the operator has changed it since; none for an order of a tax-exempt account.
pub fn checkout_tax_rate(policy: &PricingPolicy, order: &Order) -> u32 {
    if order.account_terms.as_ref().is_some_and(|t| t.tax_exempt) {
        return 0;
    }
    policy
        .tax_rates
        .get(&order.shipping_address.country)
        .copied()
        .unwrap_or(0)
}

/// Plans a cancel or a return: checks the quantities against the buckets and works out the
/// money to give back. The order and the changes already made are not touched.
pub fn plan_change(
    order: &Order,
    existing: &[ChangeRecord],
    request: ChangeRequest,
    now: DateTime<Utc>,
) -> Result<ChangeRecord, DomainError> {
    if request.kind == ChangeKind::Cancel && order.status == OrderStatus::Cancelled {
        return Err(DomainError::InvalidTransition {
            current: order.status,
            event: OrderEvent::Cancel,
        });
    }
    let before = line_quantities(order, existing);
    let mut after: Vec<u32> = before.iter().map(LineQuantities::units_back).collect();
    check_lines(&request.lines)?;
    for line in &request.lines {
        let index = before
            .iter()
            .position(|b| b.sku == line.sku)
            .ok_or_else(|| invalid(format!("{} is not on the order", line.sku)))?;
        let bucket = &before[index];
        let asked = line.quantity.get();
        match request.kind {
            ChangeKind::Cancel if asked > bucket.cancellable() => {
                return Err(DomainError::CancelExceedsOrder {
                    sku: line.sku.clone(),
                    cancellable: bucket.cancellable(),
                });
            }
            ChangeKind::Return if asked > bucket.returnable() => {
                return Err(DomainError::ReturnExceedsOrder {
                    sku: line.sku.clone(),
                    returnable: bucket.returnable(),
                });
            }
            _ => after[index] += asked,
        }
    }
    // Every change of an order is worked out at one rate, or the amounts would not add up.
    let rate_asked = existing
        .first()
        .map_or(request.tax_rate_bps, |c| c.tax_rate_bps);
    let rate = order_tax_rate(order, rate_asked)?;
    let given_before: Vec<u32> = before.iter().map(LineQuantities::units_back).collect();
    let totals = back_for(order, &after, rate)?
        .combine(back_for(order, &given_before, rate)?, Money::checked_sub)?;
    Ok(ChangeRecord {
        id: format!("chg_{}", existing.len() + 1),
        kind: request.kind,
        lines: request.lines,
        totals,
        tax_rate_bps: rate,
        created_at: now,
    })
}

/// Everything the changes have given back so far.
pub fn given_back(order: &Order, changes: &[ChangeRecord]) -> Result<ChangeTotals, DomainError> {
    changes
        .iter()
        .try_fold(ChangeTotals::zero(order.currency), |sum, c| {
            sum.combine(c.totals, Money::checked_add)
        })
        .map_err(DomainError::from)
}

/// The order's totals now: what checkout charged less everything the changes gave back.
pub fn current_totals(order: &Order, changes: &[ChangeRecord]) -> Result<Totals, DomainError> {
    let back = given_back(order, changes)?;
    let t = &order.totals;
    Ok(Totals {
        subtotal: t.subtotal.checked_sub(back.goods)?,
        discount: t.discount.checked_sub(back.discount)?,
        shipping: t.shipping.checked_sub(back.shipping)?,
        tax: t.tax.checked_sub(back.tax)?,
        total: t.total.checked_sub(back.total)?,
    })
}

fn invalid(message: String) -> DomainError {
    DomainError::Invalid(vec![InvalidValue::new("lines", message)])
}

fn check_lines(lines: &[ChangeLine]) -> Result<(), DomainError> {
    if lines.is_empty() {
        return Err(invalid("name at least one line".into()));
    }
    for (i, line) in lines.iter().enumerate() {
        if lines[..i].iter().any(|l| l.sku == line.sku) {
            return Err(invalid(format!("{} is named twice", line.sku)));
        }
        if line.reason.trim().is_empty() {
            return Err(invalid(format!("{} needs a reason", line.sku)));
        }
    }
    Ok(())
}

/// What the order gives back once `units_back[i]` units of line `i` are cancelled or
/// returned: the cumulative figure the changes are the differences of.
fn back_for(order: &Order, units_back: &[u32], rate_bps: u32) -> Result<ChangeTotals, MoneyError> {
    let currency = order.currency;
    let goods = order
        .lines
        .iter()
        .zip(units_back)
        .try_fold(Money::zero(currency), |sum, (line, units)| {
            sum.checked_add(line.unit_price.times(*units)?)
        })?;
    let discount = share(order.totals.discount, goods, order.totals.subtotal)?;
    let everything_back = order
        .lines
        .iter()
        .zip(units_back)
        .all(|(line, units)| *units >= line.quantity.get());
    let shipping = if everything_back {
        order.totals.shipping
    } else {
        Money::zero(currency)
    };
    let taxable = goods.checked_sub(discount)?.checked_add(shipping)?;
    let tax = taxable.basis_points(rate_bps)?;
    Ok(ChangeTotals {
        goods,
        discount,
        shipping,
        tax,
        total: taxable.checked_add(tax)?,
    })
}

/// `amount × part / whole`, rounded half up to the minor unit; all three are zero or more.
fn share(amount: Money, part: Money, whole: Money) -> Result<Money, MoneyError> {
    if whole.is_zero() {
        return Ok(Money::zero(amount.currency()));
    }
    let (a, p, w) = (
        i128::from(amount.minor_units()),
        i128::from(part.minor_units()),
        i128::from(whole.minor_units()),
    );
    let minor = (2 * a * p + w) / (2 * w);
    let minor = i64::try_from(minor).map_err(|_| MoneyError::Overflow)?;
    Ok(Money::new(minor, amount.currency()))
}

/// The rate to work the order's tax out at: `asked` if it gives the order's tax exactly,
/// otherwise the nearest rate that does (the lower on a tie).
fn order_tax_rate(order: &Order, asked: u32) -> Result<u32, DomainError> {
    let t = &order.totals;
    let taxable = t
        .subtotal
        .checked_sub(t.discount)?
        .checked_add(t.shipping)?;
    let gives_the_tax = |bps: u32| taxable.basis_points(bps) == Ok(t.tax);
    if gives_the_tax(asked) {
        return Ok(asked);
    }
    (0..=10_000)
        .filter(|bps| gives_the_tax(*bps))
        .min_by_key(|bps| (bps.abs_diff(asked), *bps))
        .ok_or(DomainError::TaxRateUnknown { tax: t.tax })
}

#[cfg(test)]
mod tests;
