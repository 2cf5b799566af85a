//! The sync's ledger on the DynamoDB table: the settings item, one status item per customer
//! key and per order (listed on `gsi1` under its sync state), and applied event ids that
//! expire.

use async_trait::async_trait;
use std::collections::HashMap;

use aws_sdk_dynamodb::types::{KeysAndAttributes, Put, TransactWriteItem};
use chrono::Duration;
use serde::Serialize;
use serde::de::DeserializeOwned;
use storesync_core::ids::{CartId, CustomerKey, EventId, OrderId};
use storesync_core::ports::StoreError;
use storesync_core::ports::{
    APPLIED_EVENT_MEMORY_DAYS, Page, PageRequest, SyncChange, SyncLedger, SyncRecordError,
};
use storesync_core::sync::settings::SyncSettings;
use storesync_core::sync::status::{CartSync, CustomerSync, OrderSync, PriceSync, SyncState};

use crate::DynamoStore;
use crate::keys::{self, EXPIRES_AT, GSI1PK, GSI1SK, Item, n, s};
use crate::store::{
    Index, SortRange, cancellation_reasons, failed_condition, from_item, put, to_item, unavailable,
    version_is,
};

/// Writes `item` at `version`: new at 1, else over `version - 1`.
pub(crate) fn versioned<T: Serialize>(
    table: &str,
    value: &T,
    key: Item,
    version: u64,
) -> Result<TransactWriteItem, StoreError> {
    let item = to_item(value, key)?;
    Ok(match version {
        0 | 1 => put(table, item, "attribute_not_exists(pk)", None),
        v => put(table, item, "version = :v", version_is(v - 1)),
    })
}

/// `key` with the `gsi1` attributes that list the record under its sync state, by position.
fn listed(mut key: Item, by_state: String, position: String) -> Item {
    key.insert(GSI1PK.into(), s(by_state));
    key.insert(GSI1SK.into(), s(position));
    key
}

impl DynamoStore {
    /// A page of the items under the `gsi1` partition `by_state` (sync status records,
    /// process exceptions). A full page says
    /// where the next one starts: more may follow. The index is eventually consistent, so a
    /// record just written may still show under its former state for a moment.
    pub(crate) async fn sync_state_page<T: DeserializeOwned>(
        &self,
        by_state: String,
        page: &PageRequest,
        position: fn(&T) -> String,
    ) -> Result<Page<T>, StoreError> {
        self.index_page(Index::Gsi1, by_state, page, position).await
    }

    /// One page of the items under `pk` on `index`, oldest position first.
    pub(crate) async fn index_page<T: DeserializeOwned>(
        &self,
        index: Index,
        pk: String,
        page: &PageRequest,
        position: fn(&T) -> String,
    ) -> Result<Page<T>, StoreError> {
        // DynamoDB refuses a query limit of 0.
        if page.limit == 0 {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        let range = match &page.after {
            Some(after) => SortRange::After(after.clone()),
            None => SortRange::All,
        };
        let items: Vec<T> = self
            .query_index(index, pk, range, false, Some(page.limit))
            .await?;
        let next = match items.last() {
            Some(last) if items.len() == page.limit => Some(position(last)),
            _ => None,
        };
        Ok(Page { items, next })
    }
}

#[async_trait]
impl SyncLedger for DynamoStore {
    async fn sync_settings(&self) -> Result<Option<SyncSettings>, StoreError> {
        self.get(keys::sync_settings()).await
    }

    async fn save_sync_settings(&self, settings: &SyncSettings) -> Result<(), StoreError> {
        let item = versioned(
            self.table(),
            settings,
            keys::sync_settings(),
            settings.version,
        )?;
        match self.transact(vec![item]).await {
            Ok(()) => Ok(()),
            Err(e) => match cancellation_reasons(&e) {
                Some(_) => Err(StoreError::Conflict),
                None => Err(unavailable(e)),
            },
        }
    }

    async fn customer_sync(&self, key: &CustomerKey) -> Result<Option<CustomerSync>, StoreError> {
        self.get(keys::customer_sync(key)).await
    }

    async fn order_sync(&self, id: &OrderId) -> Result<Option<OrderSync>, StoreError> {
        self.get(keys::order_sync(id.as_str())).await
    }

    async fn cart_sync(&self, id: &CartId) -> Result<Option<CartSync>, StoreError> {
        self.get(keys::cart_sync(id.as_str())).await
    }

    async fn event_applied(&self, id: &EventId) -> Result<bool, StoreError> {
        let item: Option<serde_json::Value> = self.get(keys::applied_event(id.as_str())).await?;
        Ok(item.is_some())
    }

    async fn price_entries(&self, keys: &[String]) -> Result<Vec<PriceSync>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut wanted = KeysAndAttributes::builder().consistent_read(true);
        for key in keys {
            wanted = wanted.keys(keys::price_sync(key));
        }
        let mut request = Some(HashMap::from([(
            self.table().to_owned(),
            wanted.build().expect("keys are set"),
        )]));
        let mut found = Vec::new();
        // DynamoDB may answer part of a batch and name the rest as unprocessed.
        while let Some(items) = request.take().filter(|r| !r.is_empty()) {
            let out = self
                .client()
                .batch_get_item()
                .set_request_items(Some(items))
                .send()
                .await
                .map_err(unavailable)?;
            for item in out
                .responses
                .unwrap_or_default()
                .remove(self.table())
                .unwrap_or_default()
            {
                found.push(from_item(item)?);
            }
            request = out.unprocessed_keys;
        }
        Ok(found)
    }

    async fn record_sync(&self, change: &SyncChange) -> Result<(), SyncRecordError> {
        let table = self.table();
        let mut items = Vec::new();
        if let Some(event_id) = &change.event_id {
            let mut marker = keys::applied_event(event_id.as_str());
            let expires = change.at + Duration::days(APPLIED_EVENT_MEMORY_DAYS);
            marker.insert(EXPIRES_AT.into(), n(expires.timestamp()));
            marker.insert("applied_at".into(), s(change.at.to_rfc3339()));
            items.push(put(table, marker, "attribute_not_exists(pk)", None));
        }
        if let Some(c) = &change.customer {
            items.push(versioned(
                table,
                c,
                listed(
                    keys::customer_sync(&c.customer_key),
                    keys::customers_in_sync_state(c.state()),
                    c.position(),
                ),
                c.version,
            )?);
        }
        if let Some(o) = &change.order {
            items.push(versioned(
                table,
                o,
                listed(
                    keys::order_sync(o.order_id.as_str()),
                    keys::orders_in_sync_state(o.state()),
                    o.position(),
                ),
                o.version,
            )?);
        }
        if let Some(c) = &change.cart {
            items.push(versioned(
                table,
                c,
                listed(
                    keys::cart_sync(c.cart_id.as_str()),
                    keys::carts_in_sync_state(c.state()),
                    c.position(),
                ),
                c.version,
            )?);
        }
        for price in &change.prices {
            let item = to_item(price, keys::price_sync(&price.key))?;
            let overwrite = Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .build()
                .expect("put has table and item");
            items.push(TransactWriteItem::builder().put(overwrite).build());
        }
        if items.is_empty() {
            return Ok(());
        }
        let marks_event = change.event_id.is_some();
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) => match cancellation_reasons(&e) {
                Some(r) if marks_event && r.first().is_some_and(failed_condition) => {
                    Err(SyncRecordError::AlreadyApplied)
                }
                Some(_) => Err(SyncRecordError::Conflict),
                None => Err(SyncRecordError::Store(unavailable(e))),
            },
        }
    }

    async fn orders_in_sync_state(
        &self,
        state: SyncState,
        page: &PageRequest,
    ) -> Result<Page<OrderSync>, StoreError> {
        self.sync_state_page(keys::orders_in_sync_state(state), page, OrderSync::position)
            .await
    }

    async fn customers_in_sync_state(
        &self,
        state: SyncState,
        page: &PageRequest,
    ) -> Result<Page<CustomerSync>, StoreError> {
        self.sync_state_page(
            keys::customers_in_sync_state(state),
            page,
            CustomerSync::position,
        )
        .await
    }

    async fn carts_in_sync_state(
        &self,
        state: SyncState,
        page: &PageRequest,
    ) -> Result<Page<CartSync>, StoreError> {
        self.sync_state_page(keys::carts_in_sync_state(state), page, CartSync::position)
            .await
    }
}
