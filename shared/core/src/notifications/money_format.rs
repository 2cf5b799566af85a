//! Amounts as the customer reads them in their currency: grouping, decimal mark and symbol.

use crate::money::{Currency, Money};

/// How a currency writes an amount.
struct Style {
    group: char,
    decimal: char,
    /// Indian numbering: the last three digits, then groups of two (1,23,450).
    indian: bool,
    prefix: &'static str,
    suffix: &'static str,
}

fn style(currency: Currency) -> Style {
    let style = |group, decimal, indian, prefix, suffix| Style {
        group,
        decimal,
        indian,
        prefix,
        suffix,
    };
    match currency {
        Currency::USD => style(',', '.', false, "USD ", ""),
        Currency::EUR => style('.', ',', false, "", " €"),
        Currency::GBP => style(',', '.', false, "£", ""),
        Currency::INR => style(',', '.', true, "", " ₹"),
        Currency::JPY => style(',', '.', false, "¥", ""),
    }
}

/// `amount` localised: USD 1,234.50; 1.234,50 €; 1,23,450.00 ₹; ¥1,235; £1,234.50.
pub fn format_money(amount: Money) -> String {
    let style = style(amount.currency());
    let exponent = amount.currency().exponent();
    let minor = amount.minor_units().unsigned_abs();
    let scale = 10u64.pow(exponent);
    let units = grouped(minor / scale, style.group, style.indian);
    let fraction = if exponent == 0 {
        String::new()
    } else {
        format!(
            "{}{:0width$}",
            style.decimal,
            minor % scale,
            width = exponent as usize
        )
    };
    let sign = if amount.minor_units() < 0 { "-" } else { "" };
    format!("{sign}{}{units}{fraction}{}", style.prefix, style.suffix)
}

fn grouped(units: u64, separator: char, indian: bool) -> String {
    let digits = units.to_string();
    let mut groups: Vec<&str> = Vec::new();
    let mut rest = digits.as_str();
    let mut size = 3;
    while rest.len() > size {
        let (head, tail) = rest.split_at(rest.len() - size);
        groups.push(tail);
        rest = head;
        if indian {
            size = 2;
        }
    }
    groups.push(rest);
    groups.reverse();
    groups.join(&separator.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(minor: i64, currency: Currency) -> String {
        format_money(Money::new(minor, currency))
    }

    #[test]
    fn each_currency_is_written_as_its_customers_write_it() {
        assert_eq!(money(123_450, Currency::USD), "USD 1,234.50");
        assert_eq!(money(123_450, Currency::EUR), "1.234,50 €");
        assert_eq!(money(12_345_000, Currency::INR), "1,23,450.00 ₹");
        assert_eq!(money(1_235, Currency::JPY), "¥1,235");
        assert_eq!(money(123_450, Currency::GBP), "£1,234.50");
    }

    #[test]
    fn small_large_and_negative_amounts_keep_their_grouping() {
        assert_eq!(money(5, Currency::USD), "USD 0.05");
        assert_eq!(money(99_900, Currency::INR), "999.00 ₹");
        assert_eq!(money(1_000_000_000, Currency::INR), "1,00,00,000.00 ₹");
        assert_eq!(money(123_456_789, Currency::USD), "USD 1,234,567.89");
        assert_eq!(money(100_000_000, Currency::EUR), "1.000.000,00 €");
        assert_eq!(money(0, Currency::JPY), "¥0");
        assert_eq!(money(-1_999, Currency::USD), "-USD 19.99");
    }
}
