//! The table's key design. Every item has `pk`/`sk`; `gsi1` lists the catalog, carts by status,
//! a customer's orders, and orders and customers by sync state; `gsi2` holds outbox events not
//! yet sent and orders by status and last change.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use storesync_core::ids::{CustomerKey, PaymentRef};
use storesync_core::sync::status::SyncState;

pub type Item = HashMap<String, AttributeValue>;

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI1PK: &str = "gsi1pk";
pub const GSI1SK: &str = "gsi1sk";
pub const GSI2: &str = "gsi2";
pub const GSI2PK: &str = "gsi2pk";
pub const GSI2SK: &str = "gsi2sk";

pub const CATALOG: &str = "CATALOG";
pub const OUTBOX_PENDING: &str = "OUTBOX#pending";

/// The orders now in `status`, on `gsi2`, by their last change (the scheduled jobs' lists).
pub fn orders_in_status(status: storesync_core::order::lifecycle::OrderStatus) -> String {
    format!("ORDERS#{}", status.as_str())
}

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub fn key(pk: String, sk: &str) -> Item {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

pub fn product(sku: &str) -> Item {
    key(format!("PRODUCT#{sku}"), "PRODUCT")
}

pub fn customer(id: &str) -> Item {
    key(format!("CUSTOMER#{id}"), "PROFILE")
}

pub fn email(normalized: &str) -> Item {
    key(format!("EMAIL#{normalized}"), "EMAIL")
}

pub fn cart(id: &str) -> Item {
    key(format!("CART#{id}"), "CART")
}

pub fn order(id: &str) -> Item {
    key(format!("ORDER#{id}"), "ORDER")
}

pub fn outbox(event_id: &str) -> Item {
    key(format!("OUTBOX#{event_id}"), "OUTBOX")
}

pub fn customer_orders(customer_key: &CustomerKey) -> String {
    format!("CUSTOMER_ORDERS#{customer_key}")
}

pub fn carts_by_status(status: &str) -> String {
    format!("CARTS#{status}")
}

pub fn payment(order_id: &str, payment_ref: &PaymentRef) -> Item {
    key(
        format!("ORDER#{order_id}"),
        &format!("PAYMENT#{payment_ref}"),
    )
}

pub fn webhook(event_id: &str) -> Item {
    key(format!("WEBHOOK#{event_id}"), "WEBHOOK")
}

pub fn unmatched_payment(event_id: &str) -> Item {
    key(format!("UNMATCHED#{event_id}"), "PAYMENT_REPORT")
}

/// The attribute DynamoDB's time-to-live deletes items by (epoch seconds).
pub const EXPIRES_AT: &str = "expires_at";

pub fn payment_ref(payment_ref: &PaymentRef) -> String {
    format!("PAYMENTREF#{payment_ref}")
}

/// The sync settings: one item per store.
pub fn sync_settings() -> Item {
    key("CONFIG#sync".to_owned(), "CONFIG")
}

/// A customer's (or guest's) sync status, by customer key.
pub fn customer_sync(customer_key: &CustomerKey) -> Item {
    key(format!("SYNC#CUSTOMER#{customer_key}"), "SYNC")
}

/// An order's sync status, beside the order.
pub fn order_sync(order_id: &str) -> Item {
    key(format!("ORDER#{order_id}"), "SYNC")
}

fn sync_state(state: SyncState) -> &'static str {
    match state {
        SyncState::Pending => "pending",
        SyncState::Synced => "synced",
        SyncState::Failed => "failed",
    }
}

/// The `gsi1` partition of the orders whose sync is in `state`, for the operators' lists; an
/// order's status item moves between these as its sync state changes.
pub fn orders_in_sync_state(state: SyncState) -> String {
    format!("SYNC_STATE#ORDER#{}", sync_state(state))
}

/// An abandoned cart's sync status, beside the cart.
pub fn cart_sync(cart_id: &str) -> Item {
    key(format!("CART#{cart_id}"), "SYNC")
}

/// The `gsi1` partition of the abandoned carts whose sync is in `state`, as for orders.
pub fn carts_in_sync_state(state: SyncState) -> String {
    format!("SYNC_STATE#CART#{}", sync_state(state))
}

/// The `gsi1` partition of the customers whose sync is in `state`, as for orders.
pub fn customers_in_sync_state(state: SyncState) -> String {
    format!("SYNC_STATE#CUSTOMER#{}", sync_state(state))
}

/// A product's price in one currency as created in Salesforce.
pub fn price_sync(key: &str) -> Item {
    self::key(format!("SYNC#PRICE#{key}"), "SYNC_PRICE")
}

/// The mailbox's list on `gsi1`, newest first.
pub const MAILBOX: &str = "MAILBOX";

/// A fulfilment order, by its id.
pub fn fulfilment_order(id: &str) -> Item {
    key(format!("FULFILMENT#{id}"), "FULFILMENT")
}

/// The `gsi1` partition of the fulfilment orders in `status`, by last change.
pub fn fulfilment_in_status(status: storesync_core::fulfilment::FulfilmentStatus) -> String {
    format!("FULFILMENTS#{}", status.as_str())
}

/// The `gsi2` partition of an order's fulfilment orders.
pub fn order_fulfilment(order_id: &str) -> String {
    format!("ORDER_FULFILMENTS#{order_id}")
}

/// A process exception, by its id.
pub fn exception(id: &str) -> Item {
    key(format!("EXCEPTION#{id}"), "EXCEPTION")
}

/// The `gsi1` partition of the process exceptions in `status`, by when they were raised.
pub fn exceptions_in_status(status: storesync_core::exceptions::ExceptionStatus) -> String {
    format!("EXCEPTIONS#{}", status.as_str())
}

pub fn approval(id: &str) -> Item {
    key(format!("APPROVAL#{id}"), "APPROVAL")
}

/// The `gsi2` partition of the approval requests decided in the store whose Salesforce
/// request is still open.
pub const APPROVALS_TO_RECALL: &str = "APPROVALS#to_recall";

/// The `gsi1` partition of the approval requests in `status`, by last change.
pub fn approvals_in_status(status: storesync_core::approvals::ApprovalStatus) -> String {
    format!("APPROVALS#{}", status.as_str())
}

/// The `gsi1` partition of the jobs' runs, by when they started.
pub const JOB_RUNS: &str = "JOB_RUNS";

/// One run of a scheduled job.
pub fn job_run(id: &str) -> Item {
    key(format!("JOBRUN#{id}"), "JOBRUN")
}

/// A mail in the store's mailbox, by its id.
pub fn mail(id: &str) -> Item {
    key(format!("MAIL#{id}"), "MAIL")
}

/// An event the sync applied, remembered for a while.
/// A change from Salesforce applied, kept a week (Salesforce keeps change events three days).
pub fn crm_change(event_id: &str) -> Item {
    key(format!("CRM_CHANGE#{event_id}"), "CRM_CHANGE")
}

/// A Salesforce Contact's link to its customer.
pub fn contact_link(contact: &str) -> Item {
    key(format!("CONTACT_LINK#{contact}"), "CONTACT_LINK")
}

/// A Salesforce Account and its terms.
pub fn store_account(id: &str) -> Item {
    key(format!("ACCOUNT#{id}"), "ACCOUNT")
}

/// One change in a customer's history, listed on `gsi1` under [`customer_history`].
pub fn history_entry(customer: &str, position: &str) -> Item {
    key(format!("HISTORY#{customer}#{position}"), "HISTORY")
}

/// The `gsi1` partition of a customer's history, by time.
pub fn customer_history(customer: &str) -> String {
    format!("HISTORY#{customer}")
}

pub fn applied_event(event_id: &str) -> Item {
    key(format!("SYNC_EVENT#{event_id}"), "SYNC_EVENT")
}

/// A customer's mail, by its id.
pub fn notification(id: &str) -> Item {
    key(format!("NOTIFICATION#{id}"), "NOTIFICATION")
}

/// The `gsi1` partition of the customers' mails in `status`, by last change.
pub fn notifications_in_status(
    status: storesync_core::notifications::NotificationStatus,
) -> String {
    format!("NOTIFICATIONS#{}", status.as_str())
}
