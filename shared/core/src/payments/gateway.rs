//! What the store asks a payment gateway to do with a payment it holds: take an authorised
//! amount ("ensure funds" before an order is fulfilled) and give money back. Every call carries
//! an idempotency key made from what it is for, so a retried call never takes or gives twice.

use async_trait::async_trait;

use crate::ids::PaymentRef;
use crate::money::Money;
use crate::payments::reconcile::GatewayError;

#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Takes `amount` of an authorised payment. The same `key` again takes nothing more.
    /// `Refused` when the gateway will not (the authorisation expired, was cancelled, or the
    /// payment is in no state to be captured).
    async fn capture(
        &self,
        payment: &PaymentRef,
        amount: Money,
        key: &str,
    ) -> Result<(), GatewayError>;
    /// Gives `amount` of a taken payment back; the same `key` again refunds nothing more.
    /// Answers the gateway's id of the refund.
    async fn refund(
        &self,
        payment: &PaymentRef,
        amount: Money,
        key: &str,
    ) -> Result<String, GatewayError>;
}
