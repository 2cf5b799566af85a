//! The catalog: what is sold, at which price in each currency, and how many are on hand.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{LocationId, Sku};
use crate::money::{Currency, Money};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub sku: Sku,
    pub name: String,
    pub category: String,
    pub active: bool,
    /// Unit price in minor units, per currency the product is sold in.
    pub prices: BTreeMap<Currency, i64>,
    /// Units on hand, per location.
    pub stock: BTreeMap<LocationId, i64>,
    pub version: u64,
}

impl Product {
    pub fn price(&self, currency: Currency) -> Option<Money> {
        self.prices
            .get(&currency)
            .map(|minor| Money::new(*minor, currency))
    }

    pub fn available(&self, location: &LocationId) -> i64 {
        self.stock.get(location).copied().unwrap_or(0)
    }

    /// Units on hand at all locations together, what checkout can sell (a count below zero
    /// holds nothing).
    pub fn available_anywhere(&self) -> i64 {
        self.stock
            .values()
            .fold(0i64, |sum, units| sum.saturating_add((*units).max(0)))
    }
}

/// A product's description and prices as an operator sets them; stock is managed separately.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDetails {
    pub sku: Sku,
    pub name: String,
    pub category: String,
    pub active: bool,
    pub prices: BTreeMap<Currency, i64>,
}
