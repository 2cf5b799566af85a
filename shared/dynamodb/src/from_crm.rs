//! Salesforce's changes on the table: a marker per applied change (kept a week), a link per
//! Contact, an item per Account, and the customers' history listed on `gsi1` by time. One
//! change is one transaction.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use chrono::Duration;
use storesync_core::accounts::StoreAccount;
use storesync_core::customer::Customer;
use storesync_core::events::OutboxEvent;
use storesync_core::from_crm::{ContactLink, CrmInboundWrite, CustomerChange, CustomerWrite};
use storesync_core::ids::{CrmId, CustomerId, Email};
use storesync_core::ports::{CrmInboundStore, StoreError, SyncRecordError};

use crate::DynamoStore;
use crate::customers::{claim_email, customer_change, release_email};
use crate::keys::{self, EXPIRES_AT, GSI1PK, GSI1SK, Item, n, s};
use crate::store::{
    cancellation_reasons, failed_condition, outbox_item, put, to_item, unavailable, version_is,
};
use crate::sync::versioned;

/// How long a change's id is remembered against redelivery.
const APPLIED_CHANGE_MEMORY_DAYS: i64 = 7;

fn history_item(change: &CustomerChange) -> Result<Item, StoreError> {
    let position = change.position();
    let mut key = keys::history_entry(change.customer_id.as_str(), &position);
    key.insert(
        GSI1PK.into(),
        s(keys::customer_history(change.customer_id.as_str())),
    );
    key.insert(GSI1SK.into(), s(position));
    to_item(change, key)
}

/// A new entry of a customer's history.
pub(crate) fn history_write(
    table: &str,
    change: &CustomerChange,
) -> Result<TransactWriteItem, StoreError> {
    Ok(put(
        table,
        history_item(change)?,
        "attribute_not_exists(pk)",
        None,
    ))
}

#[async_trait]
impl CrmInboundStore for DynamoStore {
    async fn crm_change_applied(&self, event_id: &str) -> Result<bool, StoreError> {
        let item: Option<serde_json::Value> = self.get(keys::crm_change(event_id)).await?;
        Ok(item.is_some())
    }

    async fn contact_link(&self, contact: &CrmId) -> Result<Option<ContactLink>, StoreError> {
        self.get(keys::contact_link(contact.as_str())).await
    }

    async fn store_account(&self, id: &CrmId) -> Result<Option<StoreAccount>, StoreError> {
        self.get(keys::store_account(id.as_str())).await
    }

    async fn customer_by_email(&self, email: &Email) -> Result<Option<Customer>, StoreError> {
        let claim: Option<serde_json::Value> = self.get(keys::email(&email.normalized())).await?;
        let Some(id) = claim
            .as_ref()
            .and_then(|c| c.get("customer_id"))
            .and_then(|id| id.as_str())
            .and_then(|id| CustomerId::parse(id).ok())
        else {
            return Ok(None);
        };
        self.get(keys::customer(id.as_str())).await
    }

    async fn apply_crm_change(&self, write: &CrmInboundWrite) -> Result<(), SyncRecordError> {
        let table = self.table();
        let mut marker = keys::crm_change(&write.event_id);
        let expires = write.at + Duration::days(APPLIED_CHANGE_MEMORY_DAYS);
        marker.insert(EXPIRES_AT.into(), n(expires.timestamp()));
        marker.insert("applied_at".into(), s(write.at.to_rfc3339()));
        // The marker first: its refusal is a redelivery.
        let mut items = vec![put(table, marker, "attribute_not_exists(pk)", None)];
        let mut email_claim = None;
        match &write.customer {
            Some(CustomerWrite::New(c)) => {
                items.push(put(
                    table,
                    to_item(c, keys::customer(c.id.as_str()))?,
                    "attribute_not_exists(pk)",
                    None,
                ));
                email_claim = Some(items.len());
                items.push(claim_email(table, &c.email.normalized(), &c.id));
            }
            Some(CustomerWrite::Changed { previous, next }) => {
                let (customer, moves) = customer_change(table, previous, next)?;
                items.push(customer);
                if !moves.is_empty() {
                    email_claim = Some(items.len() + 1);
                }
                items.extend(moves);
            }
            None => {}
        }
        if let Some(link) = &write.link {
            items.push(versioned(
                table,
                link,
                keys::contact_link(link.contact_id.as_str()),
                link.version,
            )?);
        }
        if let Some(account) = &write.account {
            items.push(versioned(
                table,
                account,
                keys::store_account(account.id.as_str()),
                account.version,
            )?);
        }
        for change in &write.history {
            items.push(history_write(table, change)?);
        }
        if let Some(event) = &write.event {
            items.push(put(
                table,
                outbox_item(event)?,
                "attribute_not_exists(pk)",
                None,
            ));
        }
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) => match cancellation_reasons(&e) {
                Some(r) if r.first().is_some_and(failed_condition) => {
                    Err(SyncRecordError::AlreadyApplied)
                }
                Some(r)
                    if email_claim
                        .and_then(|i| r.get(i))
                        .is_some_and(failed_condition) =>
                {
                    Err(SyncRecordError::Store(StoreError::EmailTaken))
                }
                Some(_) => Err(SyncRecordError::Conflict),
                None => Err(SyncRecordError::Store(unavailable(e))),
            },
        }
    }

    async fn customer_history(
        &self,
        customer: &CustomerId,
        limit: usize,
    ) -> Result<Vec<CustomerChange>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.query_gsi1(
            keys::customer_history(customer.as_str()),
            None,
            true,
            Some(limit),
        )
        .await
    }

    async fn claim_customer(
        &self,
        invited: &Customer,
        claimed: &Customer,
        link: &ContactLink,
        event: &OutboxEvent,
        history: &[CustomerChange],
    ) -> Result<(), StoreError> {
        let table = self.table();
        let delete = Delete::builder()
            .table_name(table)
            .set_key(Some(keys::customer(invited.id.as_str())))
            .condition_expression("version = :v")
            .set_expression_attribute_values(version_is(invited.version))
            .build()
            .expect("delete is complete");
        let (old, new) = (invited.email.normalized(), claimed.email.normalized());
        let mut items = vec![
            TransactWriteItem::builder().delete(delete).build(),
            put(
                table,
                to_item(claimed, keys::customer(claimed.id.as_str()))?,
                "attribute_not_exists(pk)",
                None,
            ),
            versioned(
                table,
                link,
                keys::contact_link(link.contact_id.as_str()),
                link.version,
            )?,
            put(table, outbox_item(event)?, "attribute_not_exists(pk)", None),
            release_email(table, &old, &invited.id),
            claim_email(table, &new, &claimed.id),
        ];
        if old == new {
            // The claim moves to the new id: one write over the old one.
            items.truncate(4);
            let mut email_item = keys::email(&new);
            email_item.insert("customer_id".into(), s(claimed.id.as_str()));
            items.push(put(
                table,
                email_item,
                "customer_id = :id",
                Some(std::collections::HashMap::from([(
                    ":id".to_owned(),
                    s(invited.id.as_str()),
                )])),
            ));
        }
        for change in history {
            items.push(history_write(table, change)?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) => match cancellation_reasons(&e) {
                Some(r) if r.get(1).is_some_and(failed_condition) => Err(StoreError::AlreadyExists),
                Some(_) => Err(StoreError::Conflict),
                None => Err(unavailable(e)),
            },
        }
    }
}
