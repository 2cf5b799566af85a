//! Where a cart is in its life: open, at checkout, turned into an order, or abandoned.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CartStatus {
    Open,
    /// The shopper reached the payment step (and a guest left an e-mail): if no order
    /// follows, the cart is abandoned and sales hears of it. Still editable.
    Checkout,
    Converted,
    Abandoned,
}

impl CartStatus {
    /// The shopper can still change the cart and check it out.
    pub fn is_editable(self) -> bool {
        matches!(self, CartStatus::Open | CartStatus::Checkout)
    }
}
