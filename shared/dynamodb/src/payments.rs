//! Payment records, processed-report markers and the outbox on the DynamoDB table.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem};
use chrono::{DateTime, Duration, Utc};
use storesync_core::events::OutboxEvent;
use storesync_core::exceptions::ProcessException;
use storesync_core::ids::{EventId, OrderId, PaymentRef};
use storesync_core::order::Order;
use storesync_core::payments::{Payment, PaymentEvent};
use storesync_core::ports::{
    OutboxStore, PaymentChange, PaymentRecordError, PaymentStore, StoreError, WEBHOOK_MEMORY_DAYS,
};

use crate::DynamoStore;
use crate::keys::{self, EXPIRES_AT, GSI1, GSI1PK, GSI1SK, GSI2, GSI2PK, Item, n, s};
use crate::store::{
    cancellation_reasons, failed_condition, from_item, order_item, outbox_item, put, to_item,
    unavailable, version_is,
};

fn expiry(received_at: DateTime<Utc>) -> AttributeValue {
    n((received_at + Duration::days(WEBHOOK_MEMORY_DAYS)).timestamp())
}

impl DynamoStore {
    async fn order_items(&self, order: &OrderId) -> Result<Vec<Item>, StoreError> {
        let pk = keys::order(order.as_str())
            .remove(keys::PK)
            .expect("keys have a pk");
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client()
                .query()
                .table_name(self.table())
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", pk.clone())
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            items.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }
}

fn sort_key(item: &Item) -> &str {
    match item.get(keys::SK) {
        Some(AttributeValue::S(sk)) => sk,
        _ => "",
    }
}

#[async_trait]
impl PaymentStore for DynamoStore {
    async fn order_and_payment(
        &self,
        order: &OrderId,
        payment_ref: &PaymentRef,
    ) -> Result<(Option<Order>, Option<Payment>), StoreError> {
        let wanted = format!("PAYMENT#{payment_ref}");
        let (mut found_order, mut found_payment) = (None, None);
        for item in self.order_items(order).await? {
            match sort_key(&item) {
                "ORDER" => found_order = Some(from_item(item)?),
                sk if sk == wanted => found_payment = Some(from_item(item)?),
                _ => {}
            }
        }
        Ok((found_order, found_payment))
    }

    async fn record_payment(&self, c: &PaymentChange) -> Result<(), PaymentRecordError> {
        let table = self.table();
        let order_id = c.payment.order_id.as_str();
        let mut marker = keys::webhook(&c.webhook_event_id);
        marker.insert(EXPIRES_AT.into(), expiry(c.received_at));
        marker.insert("received_at".into(), s(c.received_at.to_rfc3339()));
        let order_action = match &c.order {
            Some(order) => put(
                table,
                order_item(order)?,
                "version = :v",
                version_is(c.expected_order_version),
            ),
            None => {
                let check = ConditionCheck::builder()
                    .table_name(table)
                    .set_key(Some(keys::order(order_id)))
                    .condition_expression("version = :v")
                    .set_expression_attribute_values(version_is(c.expected_order_version))
                    .build()
                    .expect("condition check is complete");
                TransactWriteItem::builder().condition_check(check).build()
            }
        };
        let mut payment_key = keys::payment(order_id, &c.payment.payment_ref);
        payment_key.insert(GSI1PK.into(), s(keys::payment_ref(&c.payment.payment_ref)));
        payment_key.insert(GSI1SK.into(), s(order_id));
        let payment_item = to_item(&c.payment, payment_key)?;
        let payment_action = match c.expected_payment_version {
            Some(v) => put(table, payment_item, "version = :v", version_is(v)),
            None => put(table, payment_item, "attribute_not_exists(pk)", None),
        };
        let mut items = vec![
            put(table, marker, "attribute_not_exists(pk)", None),
            order_action,
            payment_action,
            put(
                table,
                outbox_item(&c.event)?,
                "attribute_not_exists(pk)",
                None,
            ),
        ];
        if let Some(exception) = &c.exception {
            items.push(crate::exceptions::new_exception(table, exception)?);
        }
        // Units go back only with an order change (a cancellation or a refund).
        if c.order.is_some() {
            items.extend(self.restock(&c.restock));
        }
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) => match cancellation_reasons(&e) {
                Some(r) if r.first().is_some_and(failed_condition) => {
                    Err(PaymentRecordError::AlreadyProcessed)
                }
                Some(_) => Err(PaymentRecordError::Conflict),
                None => Err(PaymentRecordError::Store(unavailable(e))),
            },
        }
    }

    async fn record_unmatched(
        &self,
        event: &PaymentEvent,
        received_at: DateTime<Utc>,
        exception: &ProcessException,
    ) -> Result<bool, StoreError> {
        let mut item = to_item(event, keys::unmatched_payment(&event.event_id))?;
        item.insert("received_at".into(), s(received_at.to_rfc3339()));
        let items = vec![
            put(self.table(), item, "attribute_not_exists(pk)", None),
            crate::exceptions::new_exception(self.table(), exception)?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(true),
            // The report was kept before (and its exception with it).
            Err(e) => match cancellation_reasons(&e) {
                Some(r) if r.first().is_some_and(failed_condition) => Ok(false),
                Some(_) => Err(StoreError::Conflict),
                None => Err(unavailable(e)),
            },
        }
    }

    async fn payments_for_order(&self, order: &OrderId) -> Result<Vec<Payment>, StoreError> {
        self.order_items(order)
            .await?
            .into_iter()
            .filter(|item| sort_key(item).starts_with("PAYMENT#"))
            .map(from_item)
            .collect()
    }

    async fn order_for_payment(
        &self,
        payment_ref: &PaymentRef,
    ) -> Result<Option<OrderId>, StoreError> {
        let out = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(GSI1)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", GSI1PK)
            .expression_attribute_values(":pk", s(keys::payment_ref(payment_ref)))
            .limit(1)
            .send()
            .await
            .map_err(unavailable)?;
        let item = out.items.unwrap_or_default().into_iter().next();
        Ok(item
            .and_then(|i| i.get(GSI1SK).and_then(|v| v.as_s().ok()).cloned())
            .and_then(|raw| OrderId::parse(&raw).ok()))
    }
}

#[async_trait]
impl OutboxStore for DynamoStore {
    async fn unsent_events(&self, limit: usize) -> Result<Vec<OutboxEvent>, StoreError> {
        let out = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(GSI2)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", GSI2PK)
            .expression_attribute_values(":pk", s(keys::OUTBOX_PENDING))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(unavailable)?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect()
    }

    async fn mark_sent(&self, event_id: &EventId) -> Result<(), StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(keys::outbox(event_id.as_str())))
            .update_expression("SET sent_at = if_not_exists(sent_at, :now) REMOVE gsi2pk, gsi2sk")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", s(Utc::now().to_rfc3339()))
            .send()
            .await;
        match result {
            Ok(_) => {}
            Err(aws_sdk_dynamodb::error::SdkError::ServiceError(e))
                if e.err().is_conditional_check_failed_exception() =>
            {
                return Err(StoreError::Corrupt(format!("no outbox event {event_id}")));
            }
            Err(e) => return Err(unavailable(e)),
        }
        Ok(())
    }
}
