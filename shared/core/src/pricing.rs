//! Totals: subtotal, discount, shipping and tax, from a policy the operator configures.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::accounts::AccountTerms;
use crate::customer::CountryCode;
use crate::error::DomainError;
use crate::money::{Currency, Money, MoneyError};

/// A discount as applied to a cart or order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discount {
    pub code: String,
    #[serde(flatten)]
    pub kind: DiscountKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum DiscountKind {
    /// Whole percent off the subtotal, 1 to 100.
    Percent(u32),
    /// A fixed amount off, in one currency.
    Amount(Money),
}

impl Discount {
    /// What it takes off `subtotal`: never more than the subtotal.
    pub fn amount_off(&self, subtotal: Money) -> Result<Money, MoneyError> {
        match self.kind {
            DiscountKind::Percent(p) => subtotal.basis_points(p * 100),
            DiscountKind::Amount(a) => a.min(subtotal),
        }
    }

    /// Discounts above 20% need a manager's approval before the order is fulfilled.
    pub fn needs_manager_approval(&self, subtotal: Money) -> bool {
        match self.kind {
            DiscountKind::Percent(p) => p > 20,
            DiscountKind::Amount(a) => {
                a.currency() == subtotal.currency() && a.minor_units() * 5 > subtotal.minor_units()
            }
        }
    }
}

/// Which discount a price took. An account's discount and a code's do not add up: the one
/// that takes more off the goods applies, the account's on a tie (sales agreed it, so it
/// needs no manager's approval).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppliedDiscount {
    #[default]
    None,
    Code,
    Account,
}

/// Totals and which discount they took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    pub totals: Totals,
    pub applied: AppliedDiscount,
}

impl Priced {
    /// The code applied and is over the limit a manager must approve; an account's discount
    /// never needs approval.
    pub fn code_needs_approval(&self, code: Option<&Discount>) -> bool {
        self.applied == AppliedDiscount::Code
            && code.is_some_and(|d| d.needs_manager_approval(self.totals.subtotal))
    }
}

/// Flat shipping per currency, free from a threshold on the discounted subtotal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShippingRate {
    pub flat: Money,
    pub free_from: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub subtotal: Money,
    pub discount: Money,
    pub shipping: Money,
    pub tax: Money,
    pub total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyError {
    #[error("invalid {setting}: {message}")]
    Invalid {
        setting: &'static str,
        message: String,
    },
}

fn invalid(setting: &'static str, message: impl Into<String>) -> PolicyError {
    PolicyError::Invalid {
        setting,
        message: message.into(),
    }
}

/// What the operator configures about prices: tax per country, shipping per currency,
/// discount codes and when an order counts as bulk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricingPolicy {
    /// Tax in basis points (1/100 of a percent) by destination country; absent means none.
    pub tax_rates: BTreeMap<CountryCode, u32>,
    pub shipping: BTreeMap<Currency, ShippingRate>,
    pub discount_codes: BTreeMap<String, DiscountKind>,
    /// An order whose total quantity reaches this is a bulk order.
    pub bulk_threshold: u32,
}

/// Built-in settings, used where the operator sets none.
pub const DEFAULT_TAX_RATES: &str = "US:0,DE:1900,FR:2000,GB:2000,IN:1800";
pub const DEFAULT_SHIPPING: &str =
    "USD:500:5000,EUR:500:5000,GBP:400:4000,INR:9900:99900,JPY:800:8000";
pub const DEFAULT_DISCOUNT_CODES: &str =
    "WELCOME10:percent:10,VIP25:percent:25,SAVE5:amount:USD:500";
pub const DEFAULT_BULK_THRESHOLD: u32 = 50;

impl Default for PricingPolicy {
    fn default() -> Self {
        PricingPolicy::parse(
            DEFAULT_TAX_RATES,
            DEFAULT_SHIPPING,
            DEFAULT_DISCOUNT_CODES,
            DEFAULT_BULK_THRESHOLD,
        )
        .expect("the built-in pricing policy parses")
    }
}

impl PricingPolicy {
    /// The policy from the environment's `STORESYNC_TAX_RATES`, `STORESYNC_SHIPPING_RATES`,
    /// `STORESYNC_DISCOUNT_CODES` and `STORESYNC_BULK_THRESHOLD`, each defaulted when absent;
    /// an invalid one is named with its variable.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, (&'static str, String)> {
        let bulk = match lookup("STORESYNC_BULK_THRESHOLD") {
            None => DEFAULT_BULK_THRESHOLD,
            Some(v) => v.parse().map_err(|_| {
                (
                    "STORESYNC_BULK_THRESHOLD",
                    format!("{v:?} is not a whole number"),
                )
            })?,
        };
        PricingPolicy::parse(
            &lookup("STORESYNC_TAX_RATES").unwrap_or_else(|| DEFAULT_TAX_RATES.into()),
            &lookup("STORESYNC_SHIPPING_RATES").unwrap_or_else(|| DEFAULT_SHIPPING.into()),
            &lookup("STORESYNC_DISCOUNT_CODES").unwrap_or_else(|| DEFAULT_DISCOUNT_CODES.into()),
            bulk,
        )
        .map_err(|PolicyError::Invalid { setting, message }| {
            let name = match setting {
                "tax rates" => "STORESYNC_TAX_RATES",
                "shipping" => "STORESYNC_SHIPPING_RATES",
                "discount codes" => "STORESYNC_DISCOUNT_CODES",
                _ => "STORESYNC_BULK_THRESHOLD",
            };
            (name, message)
        })
    }

    /// Parses the policy from its configuration strings:
    /// tax `CC:bps,...`, shipping `CUR:flat_minor:free_from_minor,...`,
    /// discounts `CODE:percent:N` or `CODE:amount:CUR:minor`, comma separated.
    pub fn parse(
        tax: &str,
        shipping: &str,
        discounts: &str,
        bulk_threshold: u32,
    ) -> Result<Self, PolicyError> {
        let mut tax_rates = BTreeMap::new();
        for entry in entries(tax) {
            let (cc, bps) = entry
                .split_once(':')
                .ok_or_else(|| invalid("tax rates", format!("{entry:?} is not CC:bps")))?;
            let cc = CountryCode::parse(cc).map_err(|e| invalid("tax rates", e.message))?;
            let bps: u32 = bps.parse().ok().filter(|b| *b <= 10_000).ok_or_else(|| {
                invalid(
                    "tax rates",
                    format!("{bps:?} is not 0..=10000 basis points"),
                )
            })?;
            tax_rates.insert(cc, bps);
        }
        let mut shipping_rates = BTreeMap::new();
        for entry in entries(shipping) {
            let parts: Vec<&str> = entry.split(':').collect();
            let [cur, flat, free] = parts[..] else {
                return Err(invalid(
                    "shipping",
                    format!("{entry:?} is not CUR:flat:free_from"),
                ));
            };
            let cur = Currency::from_str(cur).map_err(|e| invalid("shipping", e.to_string()))?;
            let flat = parse_minor(flat, "shipping")?;
            let free = parse_minor(free, "shipping")?;
            shipping_rates.insert(
                cur,
                ShippingRate {
                    flat: Money::new(flat, cur),
                    free_from: Money::new(free, cur),
                },
            );
        }
        let mut discount_codes = BTreeMap::new();
        for entry in entries(discounts) {
            let parts: Vec<&str> = entry.split(':').collect();
            let kind = match parts[..] {
                [_, "percent", n] => {
                    let n: u32 = n
                        .parse()
                        .ok()
                        .filter(|n| (1..=100).contains(n))
                        .ok_or_else(|| {
                            invalid(
                                "discount codes",
                                format!("{entry:?}: percent must be 1..=100"),
                            )
                        })?;
                    DiscountKind::Percent(n)
                }
                [_, "amount", cur, minor] => {
                    let cur = Currency::from_str(cur)
                        .map_err(|e| invalid("discount codes", e.to_string()))?;
                    DiscountKind::Amount(Money::new(parse_minor(minor, "discount codes")?, cur))
                }
                _ => {
                    return Err(invalid(
                        "discount codes",
                        format!("{entry:?} is not CODE:percent:N or CODE:amount:CUR:minor"),
                    ));
                }
            };
            discount_codes.insert(normalize_code(parts[0]), kind);
        }
        if bulk_threshold == 0 {
            return Err(invalid("bulk threshold", "must be at least 1"));
        }
        Ok(PricingPolicy {
            tax_rates,
            shipping: shipping_rates,
            discount_codes,
            bulk_threshold,
        })
    }

    /// The discount for a code, if the code exists and can apply to this currency.
    pub fn discount(&self, code: &str, currency: Currency) -> Option<Discount> {
        self.discount_for(code, currency).ok()
    }

    /// The discount `code` gives a cart in `currency`; an unknown code and an amount in another
    /// currency are refused, each for its own reason.
    pub fn discount_for(&self, code: &str, currency: Currency) -> Result<Discount, DomainError> {
        let normalized = normalize_code(code);
        let kind = *self.discount_codes.get(&normalized).ok_or_else(|| {
            DomainError::UnknownDiscountCode {
                code: code.to_owned(),
            }
        })?;
        match kind {
            DiscountKind::Amount(m) if m.currency() != currency => {
                Err(MoneyError::CurrencyMismatch(currency, m.currency()).into())
            }
            _ => Ok(Discount {
                code: normalized,
                kind,
            }),
        }
    }

    /// Totals for a subtotal; tax only once the destination is known.
    pub fn totals(
        &self,
        subtotal: Money,
        discount: Option<&Discount>,
        destination: Option<&CountryCode>,
    ) -> Result<Totals, MoneyError> {
        Ok(self.price(subtotal, discount, None, destination)?.totals)
    }

    /// Totals for a subtotal under an account's `terms`, if any: the better of the account's
    /// discount and the code's, no shipping charged when the account ships on its own carrier
    /// account, no tax for a tax-exempt account. Tax only once the destination is known.
    pub fn price(
        &self,
        subtotal: Money,
        code: Option<&Discount>,
        terms: Option<&AccountTerms>,
        destination: Option<&CountryCode>,
    ) -> Result<Priced, MoneyError> {
        let currency = subtotal.currency();
        let zero = Money::zero(currency);
        let code_off = match code {
            None => zero,
            Some(d) => d.amount_off(subtotal)?,
        };
        let account_off = match terms.filter(|t| t.discount_bps > 0) {
            None => None,
            Some(t) => {
                Some(subtotal.basis_points(t.discount_bps.min(AccountTerms::MAX_DISCOUNT_BPS))?)
            }
        };
        let (applied, discount_amount) = match account_off {
            Some(off) if off.minor_units() >= code_off.minor_units() => {
                (AppliedDiscount::Account, off)
            }
            _ if code.is_some() => (AppliedDiscount::Code, code_off),
            _ => (AppliedDiscount::None, zero),
        };
        let goods = subtotal.checked_sub(discount_amount)?;
        let on_account = terms.is_some_and(|t| t.ship_on_account);
        let shipping = match self.shipping.get(&currency) {
            _ if subtotal.is_zero() || on_account => zero,
            Some(rate) if goods.minor_units() < rate.free_from.minor_units() => rate.flat,
            _ => zero,
        };
        let taxable = goods.checked_add(shipping)?;
        let exempt = terms.is_some_and(|t| t.tax_exempt);
        let tax = match destination.and_then(|c| self.tax_rates.get(c)) {
            Some(bps) if !exempt => taxable.basis_points(*bps)?,
            _ => zero,
        };
        Ok(Priced {
            totals: Totals {
                subtotal,
                discount: discount_amount,
                shipping,
                tax,
                total: taxable.checked_add(tax)?,
            },
            applied,
        })
    }
}

fn entries(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim).filter(|e| !e.is_empty())
}

fn parse_minor(raw: &str, setting: &'static str) -> Result<i64, PolicyError> {
    raw.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
        invalid(
            setting,
            format!("{raw:?} is not a non-negative amount in minor units"),
        )
    })
}

fn normalize_code(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    fn de() -> CountryCode {
        CountryCode::parse("DE").unwrap()
    }

    #[test]
    fn shipping_is_flat_below_the_threshold_and_free_from_it() {
        let p = PricingPolicy::default();
        assert_eq!(p.totals(usd(4999), None, None).unwrap().shipping, usd(500));
        assert_eq!(p.totals(usd(5000), None, None).unwrap().shipping, usd(0));
        assert_eq!(p.totals(usd(0), None, None).unwrap().shipping, usd(0));
    }

    #[test]
    fn percent_discount_then_tax_on_goods_and_shipping() {
        let p = PricingPolicy::default();
        let d = p.discount("welcome10", Currency::USD).unwrap();
        let t = p.totals(usd(3000), Some(&d), Some(&de())).unwrap();
        assert_eq!(t.discount, usd(300));
        assert_eq!(t.shipping, usd(500));
        // 19% of (27.00 + 5.00) = 6.08
        assert_eq!(t.tax, usd(608));
        assert_eq!(t.total, usd(2700 + 500 + 608));
    }

    #[test]
    fn amount_discount_never_exceeds_the_subtotal() {
        let p = PricingPolicy::default();
        let d = p.discount("SAVE5", Currency::USD).unwrap();
        let t = p.totals(usd(300), Some(&d), None).unwrap();
        assert_eq!(t.discount, usd(300));
        assert_eq!(t.total, usd(500));
    }

    #[test]
    fn amount_discounts_only_apply_in_their_currency() {
        let p = PricingPolicy::default();
        assert!(p.discount("SAVE5", Currency::EUR).is_none());
        assert!(p.discount("NOPE", Currency::USD).is_none());
        assert_eq!(
            p.discount_for("SAVE5", Currency::EUR),
            Err(DomainError::Money(MoneyError::CurrencyMismatch(
                Currency::EUR,
                Currency::USD
            )))
        );
        assert!(matches!(
            p.discount_for("nope", Currency::USD),
            Err(DomainError::UnknownDiscountCode { .. })
        ));
    }

    #[test]
    fn discounts_over_twenty_percent_need_approval() {
        let p = PricingPolicy::default();
        assert!(
            !p.discount("WELCOME10", Currency::USD)
                .unwrap()
                .needs_manager_approval(usd(1000))
        );
        assert!(
            p.discount("VIP25", Currency::USD)
                .unwrap()
                .needs_manager_approval(usd(1000))
        );
        let five = p.discount("SAVE5", Currency::USD).unwrap();
        assert!(five.needs_manager_approval(usd(2000)));
        assert!(!five.needs_manager_approval(usd(2500)));
    }

    fn terms(discount_bps: u32) -> AccountTerms {
        AccountTerms {
            discount_bps,
            ..AccountTerms::default()
        }
    }

    #[test]
    fn the_better_of_the_account_discount_and_the_code_applies_the_account_on_a_tie() {
        let p = PricingPolicy::default();
        let welcome10 = p.discount("WELCOME10", Currency::USD).unwrap();
        let vip25 = p.discount("VIP25", Currency::USD).unwrap();

        let account = p
            .price(usd(10_000), Some(&welcome10), Some(&terms(1250)), None)
            .unwrap();
        assert_eq!(account.applied, AppliedDiscount::Account);
        assert_eq!(account.totals.discount, usd(1250));

        let code = p
            .price(usd(10_000), Some(&vip25), Some(&terms(1250)), None)
            .unwrap();
        assert_eq!(code.applied, AppliedDiscount::Code);
        assert_eq!(
            code.totals.discount,
            usd(2500),
            "not stacked: 25%, not 37.5%"
        );

        let tie = p
            .price(usd(10_000), Some(&welcome10), Some(&terms(1000)), None)
            .unwrap();
        assert_eq!(tie.applied, AppliedDiscount::Account);

        let alone = p
            .price(usd(10_000), None, Some(&terms(1250)), None)
            .unwrap();
        assert_eq!(
            (alone.applied, alone.totals.discount),
            (AppliedDiscount::Account, usd(1250))
        );
        let none = p.price(usd(10_000), None, Some(&terms(0)), None).unwrap();
        assert_eq!(
            (none.applied, none.totals.discount),
            (AppliedDiscount::None, usd(0))
        );
    }

    #[test]
    fn an_account_discount_over_twenty_percent_needs_no_approval_but_a_code_that_applies_does() {
        let p = PricingPolicy::default();
        let vip25 = p.discount("VIP25", Currency::USD).unwrap();
        let account = p
            .price(usd(10_000), Some(&vip25), Some(&terms(3000)), None)
            .unwrap();
        assert_eq!(account.totals.discount, usd(3000));
        assert!(!account.code_needs_approval(Some(&vip25)));
        let code = p
            .price(usd(10_000), Some(&vip25), Some(&terms(500)), None)
            .unwrap();
        assert!(code.code_needs_approval(Some(&vip25)));
        let plain = p.price(usd(10_000), Some(&vip25), None, None).unwrap();
        assert!(plain.code_needs_approval(Some(&vip25)));
    }

    #[test]
    fn a_tax_exempt_account_pays_no_tax_and_one_shipping_on_its_account_pays_no_shipping() {
        let p = PricingPolicy::default();
        let taxed = p
            .price(usd(3000), None, Some(&terms(0)), Some(&de()))
            .unwrap()
            .totals;
        assert_eq!((taxed.shipping, taxed.tax), (usd(500), usd(665)));
        let exempt = AccountTerms {
            tax_exempt: true,
            ..terms(0)
        };
        let t = p
            .price(usd(3000), None, Some(&exempt), Some(&de()))
            .unwrap()
            .totals;
        assert_eq!((t.shipping, t.tax, t.total), (usd(500), usd(0), usd(3500)));
        let shipped = AccountTerms {
            ship_on_account: true,
            shipping_account: Some("UPS-123".into()),
            ..terms(0)
        };
        let t = p
            .price(usd(3000), None, Some(&shipped), Some(&de()))
            .unwrap()
            .totals;
        assert_eq!((t.shipping, t.tax, t.total), (usd(0), usd(570), usd(3570)));
    }

    #[test]
    fn bad_policy_strings_name_the_setting() {
        let err = PricingPolicy::parse("USA:10", "", "", 50).unwrap_err();
        assert!(err.to_string().contains("tax rates"));
        assert!(PricingPolicy::parse("", "USD:5", "", 50).is_err());
        assert!(PricingPolicy::parse("", "", "X:percent:0", 50).is_err());
        assert!(PricingPolicy::parse("", "", "", 0).is_err());
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn totals_always_add_up_and_never_go_negative(
                subtotal in 0i64..100_000_000,
                percent in 1u32..=100,
                amount in 0i64..10_000_000,
                kind in 0u8..3,
                country in prop::sample::select(vec!["US", "DE", "IN", "FR", "GB", "JP"]),
                currency in prop::sample::select(Currency::ALL.to_vec()),
                account_bps in 0u32..=10_000,
                exempt in any::<bool>(),
                on_account in any::<bool>(),
            ) {
                let policy = PricingPolicy::default();
                let discount = match kind {
                    0 => None,
                    1 => Some(Discount { code: "P".into(), kind: DiscountKind::Percent(percent) }),
                    _ => Some(Discount { code: "A".into(), kind: DiscountKind::Amount(Money::new(amount, currency)) }),
                };
                let country = CountryCode::parse(country).unwrap();
                let terms = AccountTerms {
                    discount_bps: account_bps,
                    tax_exempt: exempt,
                    ship_on_account: on_account,
                    ..AccountTerms::default()
                };
                let m = |x: Money| x.minor_units();
                let priced = policy.price(Money::new(subtotal, currency), discount.as_ref(), Some(&terms), Some(&country)).unwrap();
                let plain = policy.totals(Money::new(subtotal, currency), discount.as_ref(), Some(&country)).unwrap();
                prop_assert!(m(priced.totals.discount) >= m(plain.discount), "an account never pays more for the goods");
                if exempt { prop_assert_eq!(m(priced.totals.tax), 0); }
                if on_account { prop_assert_eq!(m(priced.totals.shipping), 0); }
                for t in [plain, priced.totals] {
                prop_assert!(m(t.discount) >= 0 && m(t.discount) <= subtotal);
                prop_assert!(m(t.shipping) >= 0 && m(t.tax) >= 0);
                prop_assert_eq!(m(t.total), subtotal - m(t.discount) + m(t.shipping) + m(t.tax));
                for x in [t.subtotal, t.discount, t.shipping, t.tax, t.total] {
                    prop_assert_eq!(x.currency(), currency);
                }
                }
            }
        }
    }
}
