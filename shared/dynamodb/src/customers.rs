//! Customers on the DynamoDB table: the profile and a uniqueness item per lowercased
//! e-mail, written with the change's outbox event in one transaction.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use storesync_core::customer::Customer;
use storesync_core::events::OutboxEvent;
use storesync_core::from_crm::CustomerChange;
use storesync_core::ids::CustomerId;
use storesync_core::ports::{CustomerStore, StoreError};

use crate::DynamoStore;
use crate::keys::{self, s};
use crate::store::{
    cancellation_reasons, failed_condition, lost_to_concurrent_transaction, outbox_item, put,
    to_item, unavailable, version_is,
};

#[async_trait]
impl CustomerStore for DynamoStore {
    async fn create_customer(&self, c: &Customer, event: &OutboxEvent) -> Result<(), StoreError> {
        let email = c.email.normalized();
        let mut email_item = keys::email(&email);
        email_item.insert("customer_id".into(), s(c.id.as_str()));
        let items = vec![
            put(
                self.table(),
                to_item(c, keys::customer(c.id.as_str()))?,
                "attribute_not_exists(pk)",
                None,
            ),
            put(self.table(), email_item, "attribute_not_exists(pk)", None),
            put(
                self.table(),
                outbox_item(event)?,
                "attribute_not_exists(pk)",
                None,
            ),
        ];
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) => match cancellation_reasons(&e) {
                Some(r) if r.first().is_some_and(failed_condition) => {
                    Err(StoreError::AlreadyExists)
                }
                Some(r) if r.get(1).is_some_and(failed_condition) => Err(StoreError::EmailTaken),
                Some(r) if lost_to_concurrent_transaction(r) => Err(StoreError::Conflict),
                _ => Err(unavailable(e)),
            },
        }
    }

    async fn customer(&self, id: &CustomerId) -> Result<Option<Customer>, StoreError> {
        self.get(keys::customer(id.as_str())).await
    }

    async fn update_customer(
        &self,
        previous: &Customer,
        next: &Customer,
        event: &OutboxEvent,
        history: &[CustomerChange],
    ) -> Result<(), StoreError> {
        // The customer first and the new e-mail claim fourth: the refusals below read them
        // there.
        let (customer, email_moves) = customer_change(self.table(), previous, next)?;
        let mut items = vec![
            customer,
            put(
                self.table(),
                outbox_item(event)?,
                "attribute_not_exists(pk)",
                None,
            ),
        ];
        items.extend(email_moves);
        for change in history {
            items.push(crate::from_crm::history_write(self.table(), change)?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) => match cancellation_reasons(&e) {
                Some(r) if r.first().is_some_and(failed_condition) => Err(StoreError::Conflict),
                Some(r) if r.get(3).is_some_and(failed_condition) => Err(StoreError::EmailTaken),
                Some(_) => Err(StoreError::Conflict),
                None => Err(unavailable(e)),
            },
        }
    }
}

/// The writes of a changed customer: the profile over `previous`'s version, and when the
/// e-mail changed, the old claim's delete (still this customer's) and the new claim (free).
pub(crate) fn customer_change(
    table: &str,
    previous: &Customer,
    next: &Customer,
) -> Result<(TransactWriteItem, Vec<TransactWriteItem>), StoreError> {
    let customer = put(
        table,
        to_item(next, keys::customer(next.id.as_str()))?,
        "version = :v",
        version_is(previous.version),
    );
    let (old, new) = (previous.email.normalized(), next.email.normalized());
    let mut moves = Vec::new();
    if old != new {
        moves.push(release_email(table, &old, &previous.id));
        moves.push(claim_email(table, &new, &next.id));
    }
    Ok((customer, moves))
}

/// Deletes the claim of e-mail `normalized`, if it is still `owner`'s.
pub(crate) fn release_email(
    table: &str,
    normalized: &str,
    owner: &CustomerId,
) -> TransactWriteItem {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(keys::email(normalized)))
        .condition_expression("customer_id = :id")
        .expression_attribute_values(":id", s(owner.as_str()))
        .build()
        .expect("delete is complete");
    TransactWriteItem::builder().delete(delete).build()
}

/// Claims e-mail `normalized` for `owner`, if no one holds it.
pub(crate) fn claim_email(table: &str, normalized: &str, owner: &CustomerId) -> TransactWriteItem {
    let mut email_item = keys::email(normalized);
    email_item.insert("customer_id".into(), s(owner.as_str()));
    put(table, email_item, "attribute_not_exists(pk)", None)
}
