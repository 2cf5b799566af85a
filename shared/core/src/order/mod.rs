//! Orders and their life cycle: an explicit transition table, nothing implicit.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod changes;
pub mod lifecycle;
pub mod terms;

pub use lifecycle::{OrderEvent, OrderStatus, PaymentStatus, TRANSITIONS};
pub use terms::{OrderTerms, PaymentMethod, PurchaseOrderNumber};

use crate::accounts::StoreAccount;
use crate::cart::{Cart, CartOwner, CartStatus};
use crate::customer::Address;
use crate::error::DomainError;
use crate::fulfilment::allocation::{Allocation, LocationUnits};
use crate::ids::{
    CartId, CustomerId, CustomerKey, Email, LocationId, OrderId, PaymentRef, Quantity, Sku,
};
use crate::money::{Currency, Money};
use crate::pricing::{AppliedDiscount, Discount, PricingPolicy, Totals};

/// The next status for an event, or the error that names the current status.
pub fn next_status(from: OrderStatus, event: OrderEvent) -> Result<OrderStatus, DomainError> {
    TRANSITIONS
        .iter()
        .find(|(f, e, _)| *f == from && *e == event)
        .map(|(_, _, to)| *to)
        .ok_or(DomainError::InvalidTransition {
            current: from,
            event,
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderType {
    Normal,
    Bulk,
    Return,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub sku: Sku,
    pub name: String,
    pub quantity: Quantity,
    pub unit_price: Money,
    pub line_total: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    Requested,
    Received,
    Refunded,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnLine {
    pub sku: Sku,
    pub quantity: Quantity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnRequest {
    pub id: String,
    pub lines: Vec<ReturnLine>,
    pub reason: String,
    pub status: ReturnStatus,
    pub requested_at: DateTime<Utc>,
}

/// Where a credit memo's refund stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RefundState {
    /// The refund of a return waits for a manager's approval.
    AwaitingApproval,
    /// To be refunded through the gateway (tried again until it answers).
    Pending,
    Refunded {
        refund_id: String,
        refunded_at: DateTime<Utc>,
    },
    /// The gateway refused: a process exception says why.
    Failed { reason: String },
    /// Nothing was paid, so nothing goes back.
    NotPaid,
    /// A manager did not approve the refund (the approval request says who and why).
    Declined,
}

/// What a change owes the customer: one per change, by the change's id, so that a refund is
/// asked for once (its id is the gateway's idempotency key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditMemo {
    pub id: String,
    pub change_id: String,
    pub amount: Money,
    pub refund: RefundState,
    pub created_at: DateTime<Utc>,
}

/// Who placed the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCustomer {
    pub customer_id: Option<CustomerId>,
    /// The customer id, or for a guest a hash of the lowercased e-mail: orders of one
    /// customer are processed in order under this key.
    pub customer_key: CustomerKey,
    /// Kept for guests only; a registered customer's address lives on the profile.
    pub guest_email: Option<Email>,
    pub guest_token_hash: Option<String>,
}

/// Where a decision was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionSource {
    /// The store's admin API (or its console).
    Store,
    /// A Salesforce approval request, decided by its approver.
    Salesforce,
}

/// A manager's decision, with who made it, where and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub approved: bool,
    /// The manager: the store user's id, or the Salesforce user's name.
    pub by: String,
    pub via: DecisionSource,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Approvals that rules require before the order may move on (the requests themselves, and
/// the decisions on refunds, are kept as `ApprovalRequest`s).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approvals {
    /// Set when the discount is over 20%; fulfilment waits for an approving `discount`.
    pub discount_required: bool,
    /// The manager's decision on the discount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<Decision>,
}

impl Approvals {
    /// The discount needs a manager's approval that it does not have (yet).
    pub fn discount_waiting(&self) -> bool {
        self.discount_required && !self.discount.as_ref().is_some_and(|d| d.approved)
    }
}

/// What makes a repeated checkout request recognisable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutRequestRecord {
    pub idempotency_key: String,
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub number: String,
    pub cart_id: CartId,
    /// The cart had reached the payment step before this order, so the abandoned-carts job
    /// may have given it an Opportunity, which this order then carries on.
    #[serde(default)]
    pub cart_reached_checkout: bool,
    /// The cart was big (see [`crate::cart::big`]): its Opportunity, opened while it was
    /// filled, is this order's.
    #[serde(default)]
    pub from_big_cart: bool,
    pub customer: OrderCustomer,
    pub status: OrderStatus,
    pub payment_status: PaymentStatus,
    pub order_type: OrderType,
    pub currency: Currency,
    pub lines: Vec<OrderLine>,
    pub totals: Totals,
    /// The discount code the totals took (not one a better account discount replaced).
    pub discount: Option<Discount>,
    /// The account terms the order was placed under; `None` for a guest or a customer
    /// without an account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_terms: Option<OrderTerms>,
    /// How the order is paid: by card through the gateway, or by purchase order on account.
    #[serde(default, skip_serializing_if = "PaymentMethod::is_card")]
    pub payment_method: PaymentMethod,
    pub shipping_address: Address,
    /// The store's default location when the order was placed.
    pub location: LocationId,
    /// Where checkout took the order's units; `None` for orders placed before checkout
    /// allocated, which took every unit at `location` (see [`Order::allocation`]).
    #[serde(default)]
    pub allocation: Option<Allocation>,
    pub returns: Vec<ReturnRequest>,
    pub approvals: Approvals,
    pub checkout: CheckoutRequestRecord,
    pub cancel_reason: Option<String>,
    /// The gateway payment that paid the order; refunds and disputes of any other payment
    /// of the order do not move it.
    #[serde(default)]
    pub paid_by: Option<PaymentRef>,
    /// Cancels before shipment and returns after it, each with the money it gives back.
    #[serde(default)]
    pub changes: Vec<changes::ChangeRecord>,
    /// What each change owes the customer, and how its refund went.
    #[serde(default)]
    pub credit_memos: Vec<CreditMemo>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

/// Everything checkout needs besides the cart.
#[derive(Debug, Clone)]
pub struct CheckoutDetails {
    pub order_id: OrderId,
    pub shipping_address: Address,
    pub guest_email: Option<Email>,
    pub location: LocationId,
    pub request: CheckoutRequestRecord,
}

impl Order {
    /// Its place in the lists by status: by its last change.
    pub fn position(&self) -> String {
        crate::listing::position(self.updated_at, self.id.as_str())
    }

    /// Where checkout took the order's units: the stored allocation, or for an order placed
    /// before checkout allocated, all of them at the order's location.
    pub fn allocation(&self) -> Allocation {
        self.allocation.clone().unwrap_or_else(|| {
            let units: Vec<(Sku, u32)> = self
                .lines
                .iter()
                .map(|l| (l.sku.clone(), l.quantity.get()))
                .collect();
            Allocation::whole_order_at(&self.location, &units)
                .expect("an order's units of one sku fit in a u32: quantities and lines are capped")
        })
    }

    /// Prices the cart into a new order awaiting payment, for a shopper without an account.
    pub fn from_cart(
        cart: &Cart,
        details: CheckoutDetails,
        policy: &PricingPolicy,
        now: DateTime<Utc>,
    ) -> Result<Order, DomainError> {
        Order::from_cart_on_terms(cart, details, policy, None, PaymentMethod::Card, now)
    }

    /// Prices the cart into a new order under the terms of the customer's `account`: awaiting
    /// payment by card, or, paid by purchase order, accepted on the account and ready for
    /// fulfilment. Paying by purchase order needs an account on purchase-order terms.
    pub fn from_cart_on_terms(
        cart: &Cart,
        details: CheckoutDetails,
        policy: &PricingPolicy,
        account: Option<&StoreAccount>,
        payment_method: PaymentMethod,
        now: DateTime<Utc>,
    ) -> Result<Order, DomainError> {
        let terms = account.map(|a| &a.terms);
        if !payment_method.allowed_by(terms) {
            return Err(DomainError::PaymentMethodNotAllowed {
                method: payment_method.as_str(),
            });
        }
        if cart.lines.is_empty() {
            return Err(DomainError::EmptyCart);
        }
        let customer = match &cart.owner {
            CartOwner::Customer { customer_id } => OrderCustomer {
                customer_id: Some(customer_id.clone()),
                customer_key: CustomerKey::customer(customer_id),
                guest_email: None,
                guest_token_hash: None,
            },
            CartOwner::Guest { token_hash } => {
                let email = details
                    .guest_email
                    .clone()
                    .or_else(|| cart.contact_email.clone())
                    .ok_or(DomainError::GuestEmailRequired)?;
                OrderCustomer {
                    customer_id: None,
                    customer_key: CustomerKey::guest(&email),
                    guest_email: Some(email),
                    guest_token_hash: Some(token_hash.clone()),
                }
            }
        };
        let lines = cart
            .lines
            .iter()
            .map(|l| {
                Ok(OrderLine {
                    sku: l.sku.clone(),
                    name: l.name.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    line_total: l.total()?,
                })
            })
            .collect::<Result<Vec<_>, DomainError>>()?;
        let subtotal = cart.subtotal()?;
        let priced = policy.price(
            subtotal,
            cart.discount.as_ref(),
            terms,
            Some(&details.shipping_address.country),
        )?;
        let order_type = if cart.total_quantity() >= policy.bulk_threshold {
            OrderType::Bulk
        } else {
            OrderType::Normal
        };
        let discount_required = priced.code_needs_approval(cart.discount.as_ref());
        let discount = cart
            .discount
            .clone()
            .filter(|_| priced.applied == AppliedDiscount::Code);
        let account_terms =
            account.map(|a| OrderTerms::new(a, priced.applied == AppliedDiscount::Account));
        let on_account = !payment_method.is_card();
        let order = Order {
            number: details.order_id.order_number(),
            id: details.order_id,
            cart_id: cart.id.clone(),
            cart_reached_checkout: cart.status == CartStatus::Checkout,
            from_big_cart: cart.big,
            customer,
            status: OrderStatus::PendingPayment,
            payment_status: PaymentStatus::Pending,
            order_type,
            currency: cart.currency,
            lines,
            totals: priced.totals,
            discount,
            account_terms,
            payment_method,
            shipping_address: details.shipping_address,
            location: details.location,
            allocation: None,
            returns: Vec::new(),
            approvals: Approvals {
                discount_required,
                ..Approvals::default()
            },
            checkout: details.request,
            cancel_reason: None,
            paid_by: None,
            changes: Vec::new(),
            credit_memos: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        if on_account {
            // Accepted as it is placed: one write, one version.
            let mut accepted = order.apply(OrderEvent::AcceptOnAccount, now)?;
            accepted.version = order.version;
            return Ok(accepted);
        }
        Ok(order)
    }

    /// Applies an event: the order one version on, or why it may not happen now.
    pub fn apply(&self, event: OrderEvent, now: DateTime<Utc>) -> Result<Order, DomainError> {
        let to = next_status(self.status, event)?;
        match event {
            OrderEvent::StartFulfilment if self.approvals.discount_waiting() => {
                return Err(DomainError::ApprovalRequired { what: "discount" });
            }
            OrderEvent::AcceptOnAccount if self.payment_method.is_card() => {
                return Err(DomainError::PaymentMethodNotAllowed {
                    method: self.payment_method.as_str(),
                });
            }
            OrderEvent::InvoicePaid if self.payment_status != PaymentStatus::OnAccount => {
                return Err(DomainError::InvalidTransition {
                    current: self.status,
                    event,
                });
            }
            OrderEvent::Close if self.payment_status != PaymentStatus::Captured => {
                return Err(DomainError::PaymentNotCaptured {
                    payment_status: self.payment_status,
                });
            }
            OrderEvent::Refund
                if self
                    .credit_memos
                    .iter()
                    .any(|m| m.refund == RefundState::AwaitingApproval) =>
            {
                return Err(DomainError::ApprovalRequired { what: "refund" });
            }
            _ => {}
        }
        let mut next = self.clone();
        next.status = to;
        next.updated_at = now;
        next.version += 1;
        match event {
            OrderEvent::PaymentCaptured => next.payment_status = PaymentStatus::Captured,
            OrderEvent::PaymentRefunded => next.payment_status = PaymentStatus::Refunded,
            OrderEvent::AcceptOnAccount => next.payment_status = PaymentStatus::OnAccount,
            OrderEvent::InvoicePaid => next.payment_status = PaymentStatus::Captured,
            OrderEvent::ReceiveReturn => {
                mark_returns(&mut next, ReturnStatus::Requested, ReturnStatus::Received)
            }
            OrderEvent::Refund => {
                mark_returns(&mut next, ReturnStatus::Received, ReturnStatus::Refunded)
            }
            _ => {}
        }
        Ok(next)
    }

    /// Cancels before fulfilment; returns the order and the stock to put back, each unit at
    /// the location it was taken from.
    pub fn cancel(
        &self,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(Order, Vec<LocationUnits>), DomainError> {
        let mut next = self.apply(OrderEvent::Cancel, now)?;
        next.cancel_reason = reason;
        Ok((next, self.allocation().stock_taken()))
    }

    /// How many units of a line may still be returned.
    pub fn returnable(&self, sku: &Sku) -> u32 {
        let ordered = self
            .lines
            .iter()
            .filter(|l| &l.sku == sku)
            .map(|l| l.quantity.get())
            .sum::<u32>();
        let returned = self
            .returns
            .iter()
            .flat_map(|r| &r.lines)
            .filter(|l| &l.sku == sku)
            .map(|l| l.quantity.get())
            .sum::<u32>();
        ordered.saturating_sub(returned)
    }

    /// Requests the return of some or all delivered items.
    pub fn request_return(
        &self,
        lines: Vec<ReturnLine>,
        reason: String,
        now: DateTime<Utc>,
    ) -> Result<Order, DomainError> {
        if lines.is_empty() {
            return Err(DomainError::Invalid(vec![crate::ids::InvalidValue::new(
                "lines",
                "name at least one line to return",
            )]));
        }
        let mut next = self.apply(OrderEvent::RequestReturn, now)?;
        let mut seen: Vec<&Sku> = Vec::new();
        for line in &lines {
            if seen.contains(&&line.sku) {
                return Err(DomainError::Invalid(vec![crate::ids::InvalidValue::new(
                    "lines",
                    format!("{} is named twice", line.sku),
                )]));
            }
            seen.push(&line.sku);
            let left = self.returnable(&line.sku);
            if line.quantity.get() > left {
                return Err(DomainError::ReturnExceedsOrder {
                    sku: line.sku.clone(),
                    returnable: left,
                });
            }
        }
        next.returns.push(ReturnRequest {
            id: format!("ret_{}", next.returns.len() + 1),
            lines,
            reason,
            status: ReturnStatus::Requested,
            requested_at: now,
        });
        Ok(next)
    }
}

fn mark_returns(order: &mut Order, from: ReturnStatus, to: ReturnStatus) {
    for r in order.returns.iter_mut().filter(|r| r.status == from) {
        r.status = to;
    }
}

#[cfg(test)]
pub(crate) mod tests;
