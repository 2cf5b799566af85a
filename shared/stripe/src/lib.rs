//! Stripe, as the payment reconciliation asks it: an order's PaymentIntents, found by the
//! `order_id` the storefront puts in their metadata ([`StripePayments`]); and a local Stripe
//! that answers the same calls the same way ([`LocalStripe`]).

mod client;
mod local;

pub use client::{StripeConfig, StripePayments};
pub use local::LocalStripe;
