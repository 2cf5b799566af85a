//! Money in integer minor units of an ISO 4217 currency. No floats anywhere.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// The currencies the store sells in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Currency {
    USD,
    EUR,
    GBP,
    INR,
    JPY,
}

impl Currency {
    pub const ALL: [Currency; 5] = [
        Currency::USD,
        Currency::EUR,
        Currency::GBP,
        Currency::INR,
        Currency::JPY,
    ];

    /// Number of decimal places of the minor unit (ISO 4217 exponent).
    pub fn exponent(self) -> u32 {
        match self {
            Currency::JPY => 0,
            _ => 2,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Currency::USD => "USD",
            Currency::EUR => "EUR",
            Currency::GBP => "GBP",
            Currency::INR => "INR",
            Currency::JPY => "JPY",
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::ALL
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| MoneyError::UnknownCurrency(s.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyError {
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount out of range")]
    Overflow,
    #[error("unknown currency {0:?}; supported: USD, EUR, GBP, INR, JPY")]
    UnknownCurrency(String),
    #[error("amount must not be negative")]
    Negative,
}

/// An amount of one currency, in its minor unit (cents, paise, yen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Money::new(0, currency)
    }

    pub fn minor_units(self) -> i64 {
        self.minor
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    pub fn is_zero(self) -> bool {
        self.minor == 0
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_sub(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    pub fn times(self, quantity: u32) -> Result<Money, MoneyError> {
        let minor = self
            .minor
            .checked_mul(i64::from(quantity))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// `self * basis_points / 10_000`, rounded half away from zero to the minor unit.
    pub fn basis_points(self, bps: u32) -> Result<Money, MoneyError> {
        let product = i128::from(self.minor) * i128::from(bps);
        let half = 5_000i128;
        let rounded = if product >= 0 {
            (product + half) / 10_000
        } else {
            (product - half) / 10_000
        };
        let minor = i64::try_from(rounded).map_err(|_| MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    pub fn min(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Ok(if other.minor < self.minor {
            other
        } else {
            self
        })
    }

    /// Decimal rendering in the currency's exponent, e.g. `19.99` or `1500` for JPY.
    pub fn amount_string(self) -> String {
        let exp = self.currency.exponent();
        if exp == 0 {
            return self.minor.to_string();
        }
        let scale = 10i64.pow(exp);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let scale_u = scale.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / scale_u,
            abs % scale_u,
            width = exp as usize
        )
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

#[derive(Serialize)]
struct MoneyWire {
    currency: Currency,
    minor_units: i64,
    amount: String,
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        MoneyWire {
            currency: self.currency,
            minor_units: self.minor,
            amount: self.amount_string(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The wire form carries a derived `amount` for people; it is accepted and ignored.
        #[derive(Deserialize)]
        struct In {
            currency: Currency,
            minor_units: i64,
            #[serde(default)]
            #[allow(dead_code)]
            amount: Option<String>,
        }
        let w = In::deserialize(deserializer)?;
        Ok(Money::new(w.minor_units, w.currency))
    }
}

/// Whether `amount` reaches the threshold of its currency among `over` (minor units by
/// currency); a currency without one reaches none.
pub fn reaches(over: &std::collections::BTreeMap<Currency, i64>, amount: Money) -> bool {
    over.get(&amount.currency())
        .is_some_and(|minimum| amount.minor_units() >= *minimum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_two_currencies_is_an_error() {
        let usd = Money::new(100, Currency::USD);
        let eur = Money::new(100, Currency::EUR);
        assert_eq!(
            usd.checked_add(eur),
            Err(MoneyError::CurrencyMismatch(Currency::USD, Currency::EUR))
        );
    }

    #[test]
    fn amounts_render_in_the_currency_exponent() {
        assert_eq!(Money::new(1999, Currency::USD).amount_string(), "19.99");
        assert_eq!(Money::new(5, Currency::INR).amount_string(), "0.05");
        assert_eq!(Money::new(-250, Currency::EUR).amount_string(), "-2.50");
        assert_eq!(Money::new(1500, Currency::JPY).amount_string(), "1500");
    }

    #[test]
    fn basis_points_round_half_away_from_zero() {
        // 8.25% of 10.00 = 0.825 -> 0.83
        assert_eq!(
            Money::new(1000, Currency::USD)
                .basis_points(825)
                .unwrap()
                .minor_units(),
            83
        );
        // 10% of 0.05 = 0.005 -> 0.01
        assert_eq!(
            Money::new(5, Currency::USD)
                .basis_points(1000)
                .unwrap()
                .minor_units(),
            1
        );
        assert_eq!(
            Money::new(4, Currency::USD)
                .basis_points(1000)
                .unwrap()
                .minor_units(),
            0
        );
    }

    #[test]
    fn overflow_is_reported_not_wrapped() {
        let big = Money::new(i64::MAX, Currency::USD);
        assert_eq!(
            big.checked_add(Money::new(1, Currency::USD)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(big.times(2), Err(MoneyError::Overflow));
    }

    #[test]
    fn unknown_currency_codes_are_rejected() {
        assert!("XYZ".parse::<Currency>().is_err());
        assert_eq!("INR".parse::<Currency>().unwrap(), Currency::INR);
    }

    #[test]
    fn money_serialises_with_minor_units_and_a_display_amount() {
        let json = serde_json::to_value(Money::new(1999, Currency::USD)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"currency":"USD","minor_units":1999,"amount":"19.99"})
        );
        let back: Money = serde_json::from_value(json).unwrap();
        assert_eq!(back, Money::new(1999, Currency::USD));
    }
}
