//! Business accounts, as sales keeps them in Salesforce: the Account a customer belongs to
//! and the terms sales agreed with it (a discount, paying by purchase order, shipping on the
//! customer's own carrier account, tax exemption). The store keeps a copy of each Account it
//! hears of, kept current by the changes Salesforce sends; every customer of the Account gets
//! its terms at checkout.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CrmId, InvalidValue};

/// How an account pays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentTerms {
    /// By card at checkout, as every customer does.
    #[default]
    Card,
    /// On the account's purchase order, invoiced later: checkout takes no card.
    PurchaseOrder,
}

impl PaymentTerms {
    /// The value of Salesforce's `Storesync_Payment_Terms__c` picklist.
    pub fn parse_crm(raw: &str) -> Result<Self, InvalidValue> {
        match raw {
            "Card" => Ok(PaymentTerms::Card),
            "Purchase Order" => Ok(PaymentTerms::PurchaseOrder),
            _ => Err(InvalidValue::new(
                "Storesync_Payment_Terms__c",
                "must be Card or Purchase Order",
            )),
        }
    }
}

/// What sales agreed with an account. The default is what every customer gets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountTerms {
    /// Off the goods, in basis points (1/100 of a percent): 1250 is 12.5%.
    pub discount_bps: u32,
    pub payment_terms: PaymentTerms,
    /// Orders ship on the account's own carrier account (no shipping charged).
    pub ship_on_account: bool,
    /// The carrier account number orders ship on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_account: Option<String>,
    /// No tax is charged.
    pub tax_exempt: bool,
}

impl AccountTerms {
    /// The most a discount may be: the whole price.
    pub const MAX_DISCOUNT_BPS: u32 = 10_000;

    /// A discount percent as Salesforce's Percent field holds it (two decimals), in basis
    /// points.
    pub fn discount_from_percent(percent: f64) -> Result<u32, InvalidValue> {
        let bps = (percent * 100.0).round();
        if percent.is_finite() && (0.0..=f64::from(Self::MAX_DISCOUNT_BPS)).contains(&bps) {
            Ok(bps as u32)
        } else {
            Err(InvalidValue::new(
                "Storesync_Discount_Percent__c",
                "must be between 0 and 100",
            ))
        }
    }
}

/// A Salesforce Account as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreAccount {
    pub id: CrmId,
    pub name: String,
    pub terms: AccountTerms,
    /// When Salesforce last changed each field the store keeps (its commit time, in
    /// milliseconds), so an older change arriving late does not undo a newer one.
    #[serde(default)]
    pub field_times: BTreeMap<String, i64>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl StoreAccount {
    pub fn new(id: CrmId, now: DateTime<Utc>) -> StoreAccount {
        StoreAccount {
            id,
            name: String::new(),
            terms: AccountTerms::default(),
            field_times: BTreeMap::new(),
            updated_at: now,
            version: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_percent_with_two_decimals_is_kept_in_basis_points_and_out_of_range_is_refused() {
        assert_eq!(AccountTerms::discount_from_percent(12.5), Ok(1250));
        assert_eq!(AccountTerms::discount_from_percent(0.0), Ok(0));
        assert_eq!(AccountTerms::discount_from_percent(100.0), Ok(10_000));
        assert!(AccountTerms::discount_from_percent(100.01).is_err());
        assert!(AccountTerms::discount_from_percent(-1.0).is_err());
        assert!(AccountTerms::discount_from_percent(f64::NAN).is_err());
    }

    #[test]
    fn payment_terms_come_from_the_salesforce_picklist() {
        assert_eq!(
            PaymentTerms::parse_crm("Purchase Order"),
            Ok(PaymentTerms::PurchaseOrder)
        );
        assert_eq!(PaymentTerms::parse_crm("Card"), Ok(PaymentTerms::Card));
        assert!(PaymentTerms::parse_crm("Cash").is_err());
    }
}
