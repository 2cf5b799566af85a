//! How an order is paid, and the account terms it was placed under.
//!
//! A customer of an Account on purchase-order terms may check out by purchase order: no card,
//! the order is accepted on the account ([`PaymentStatus::OnAccount`]) and goes straight on
//! to fulfilment; the account pays the invoice later, which an operator records
//! ([`OrderEvent::InvoicePaid`]) before the order may close.
//!
//! [`PaymentStatus::OnAccount`]: crate::order::PaymentStatus::OnAccount
//! [`OrderEvent::InvoicePaid`]: crate::order::OrderEvent::InvoicePaid

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::accounts::{AccountTerms, PaymentTerms, StoreAccount};
use crate::ids::{CrmId, InvalidValue};

/// A purchase order number as the buyer's procurement issued it: 1 to 40 printable ASCII
/// characters, starting and ending with a visible one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PurchaseOrderNumber(String);

impl TryFrom<String> for PurchaseOrderNumber {
    type Error = InvalidValue;

    fn try_from(raw: String) -> Result<Self, InvalidValue> {
        PurchaseOrderNumber::parse(&raw)
    }
}

impl From<PurchaseOrderNumber> for String {
    fn from(n: PurchaseOrderNumber) -> String {
        n.0
    }
}

impl PurchaseOrderNumber {
    pub const MAX_LEN: usize = 40;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let printable = |b: &u8| (b' '..=b'~').contains(b);
        let visible = |b: Option<&u8>| b.is_some_and(u8::is_ascii_graphic);
        let bytes = raw.as_bytes();
        if (1..=Self::MAX_LEN).contains(&bytes.len())
            && bytes.iter().all(printable)
            && visible(bytes.first())
            && visible(bytes.last())
        {
            Ok(PurchaseOrderNumber(raw.to_owned()))
        } else {
            Err(InvalidValue::new(
                "purchase_order_number",
                "must be 1 to 40 printable ASCII characters, starting and ending with a visible one",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PurchaseOrderNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the shopper pays for the order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Through the payment gateway, as every customer may.
    #[default]
    Card,
    /// On the account, against the buyer's purchase order: only for an account whose payment
    /// terms are purchase order.
    PurchaseOrder { number: PurchaseOrderNumber },
}

impl PaymentMethod {
    pub fn is_card(&self) -> bool {
        matches!(self, PaymentMethod::Card)
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            PaymentMethod::Card => "card",
            PaymentMethod::PurchaseOrder { .. } => "purchase_order",
        }
    }

    /// Whether an account on `terms` (or a shopper without an account) may pay this way.
    pub fn allowed_by(&self, terms: Option<&AccountTerms>) -> bool {
        match self {
            PaymentMethod::Card => true,
            PaymentMethod::PurchaseOrder { .. } => {
                terms.is_some_and(|t| t.payment_terms == PaymentTerms::PurchaseOrder)
            }
        }
    }
}

/// The account terms an order was placed under, as they were at checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTerms {
    pub account_id: CrmId,
    pub account_name: String,
    /// The account's discount, in basis points.
    pub discount_bps: u32,
    /// The account's discount is the one the order's totals took (a better discount code
    /// takes its place otherwise).
    pub discount_applied: bool,
    pub payment_terms: PaymentTerms,
    /// No shipping was charged: the order ships on the account's carrier account.
    pub ship_on_account: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_account: Option<String>,
    /// No tax was charged.
    pub tax_exempt: bool,
}

impl OrderTerms {
    pub fn new(account: &StoreAccount, discount_applied: bool) -> OrderTerms {
        let t = &account.terms;
        OrderTerms {
            account_id: account.id.clone(),
            account_name: account.name.clone(),
            discount_bps: t.discount_bps,
            discount_applied,
            payment_terms: t.payment_terms,
            ship_on_account: t.ship_on_account,
            shipping_account: t.shipping_account.clone(),
            tax_exempt: t.tax_exempt,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purchase_order_number_is_one_to_forty_printable_characters() {
        assert!(PurchaseOrderNumber::parse("PO-2026/0042").is_ok());
        assert!(PurchaseOrderNumber::parse("PO 42").is_ok());
        assert!(PurchaseOrderNumber::parse(&"9".repeat(40)).is_ok());
        for bad in [
            "",
            " PO",
            "PO ",
            &"9".repeat(41),
            "PO\n42",
            "PO\u{7f}",
            "PO-ü",
        ] {
            assert!(PurchaseOrderNumber::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_an_account_on_purchase_order_terms_may_pay_by_purchase_order() {
        let po = PaymentMethod::PurchaseOrder {
            number: PurchaseOrderNumber::parse("PO-1").unwrap(),
        };
        let on_po = AccountTerms {
            payment_terms: PaymentTerms::PurchaseOrder,
            ..AccountTerms::default()
        };
        assert!(po.allowed_by(Some(&on_po)));
        assert!(!po.allowed_by(Some(&AccountTerms::default())));
        assert!(!po.allowed_by(None));
        assert!(PaymentMethod::Card.allowed_by(None));
        assert!(PaymentMethod::Card.allowed_by(Some(&on_po)));
    }
}
