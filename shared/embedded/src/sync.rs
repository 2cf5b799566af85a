//! The sync's ledger in memory, with the DynamoDB adapter's rules: versioned status records
//! and applied event ids, all of a change or nothing.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use storesync_core::ids::{CartId, CustomerKey, EventId, OrderId};
use storesync_core::ports::StoreError;
use storesync_core::ports::{Page, PageRequest, SyncChange, SyncLedger, SyncRecordError};
use storesync_core::sync::settings::SyncSettings;
use storesync_core::sync::status::{self, CartSync, CustomerSync, OrderSync, PriceSync};

use crate::EmbeddedStore;

#[derive(Debug, Default, Clone)]
pub(crate) struct SyncState {
    settings: Option<SyncSettings>,
    customers: BTreeMap<CustomerKey, CustomerSync>,
    orders: BTreeMap<OrderId, OrderSync>,
    carts: BTreeMap<CartId, CartSync>,
    applied: BTreeMap<EventId, DateTime<Utc>>,
    prices: BTreeMap<String, PriceSync>,
}

impl SyncState {
    pub(crate) fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "settings": self.settings,
            "customers": self.customers.values().collect::<Vec<_>>(),
            "orders": self.orders.values().collect::<Vec<_>>(),
            "carts": self.carts.values().collect::<Vec<_>>(),
            "applied": self.applied,
            "prices": self.prices,
        })
    }
}

/// Whether a record at `version` may replace `stored`: new at 1, else over `version - 1`.
fn fits(stored: Option<u64>, version: u64) -> bool {
    match (stored, version) {
        (None, 0 | 1) => true,
        (Some(v), n) => n >= 2 && v == n - 1,
        _ => false,
    }
}

/// The page of `records` after `page.after`, by position. As on DynamoDB, a full page says
/// where the next one starts, whether or not more follow.
pub(crate) fn page_of<'a, T: Clone + 'a>(
    records: impl Iterator<Item = &'a T>,
    page: &PageRequest,
    position: fn(&T) -> String,
) -> Page<T> {
    let mut listed: Vec<(String, &T)> = records
        .map(|r| (position(r), r))
        .filter(|(p, _)| page.after.as_ref().is_none_or(|after| p > after))
        .collect();
    listed.sort_by(|a, b| a.0.cmp(&b.0));
    listed.truncate(page.limit);
    let next = match listed.last() {
        Some((last, _)) if listed.len() == page.limit => Some(last.clone()),
        _ => None,
    };
    Page {
        items: listed.into_iter().map(|(_, r)| r.clone()).collect(),
        next,
    }
}

#[async_trait]
impl SyncLedger for EmbeddedStore {
    async fn sync_settings(&self) -> Result<Option<SyncSettings>, StoreError> {
        Ok(self.state().sync.settings.clone())
    }

    async fn save_sync_settings(&self, settings: &SyncSettings) -> Result<(), StoreError> {
        let mut state = self.state();
        let stored = state.sync.settings.as_ref().map(|s| s.version);
        if !fits(stored, settings.version) {
            return Err(StoreError::Conflict);
        }
        state.sync.settings = Some(settings.clone());
        Ok(())
    }

    async fn customer_sync(&self, key: &CustomerKey) -> Result<Option<CustomerSync>, StoreError> {
        Ok(self.state().sync.customers.get(key).cloned())
    }

    async fn order_sync(&self, id: &OrderId) -> Result<Option<OrderSync>, StoreError> {
        Ok(self.state().sync.orders.get(id).cloned())
    }

    async fn cart_sync(&self, id: &CartId) -> Result<Option<CartSync>, StoreError> {
        Ok(self.state().sync.carts.get(id).cloned())
    }

    async fn event_applied(&self, id: &EventId) -> Result<bool, StoreError> {
        Ok(self.state().sync.applied.contains_key(id))
    }

    async fn price_entries(&self, keys: &[String]) -> Result<Vec<PriceSync>, StoreError> {
        let state = self.state();
        Ok(keys
            .iter()
            .filter_map(|k| state.sync.prices.get(k).cloned())
            .collect())
    }

    async fn record_sync(&self, change: &SyncChange) -> Result<(), SyncRecordError> {
        let mut state = self.state();
        let sync = &mut state.sync;
        if let Some(id) = &change.event_id
            && sync.applied.contains_key(id)
        {
            return Err(SyncRecordError::AlreadyApplied);
        }
        if let Some(c) = &change.customer {
            let stored = sync.customers.get(&c.customer_key).map(|s| s.version);
            if !fits(stored, c.version) {
                return Err(SyncRecordError::Conflict);
            }
        }
        if let Some(o) = &change.order {
            let stored = sync.orders.get(&o.order_id).map(|s| s.version);
            if !fits(stored, o.version) {
                return Err(SyncRecordError::Conflict);
            }
        }
        if let Some(c) = &change.cart {
            let stored = sync.carts.get(&c.cart_id).map(|s| s.version);
            if !fits(stored, c.version) {
                return Err(SyncRecordError::Conflict);
            }
        }
        if let Some(id) = &change.event_id {
            sync.applied.insert(id.clone(), change.at);
        }
        if let Some(c) = &change.customer {
            sync.customers.insert(c.customer_key.clone(), c.clone());
        }
        if let Some(o) = &change.order {
            sync.orders.insert(o.order_id.clone(), o.clone());
        }
        if let Some(c) = &change.cart {
            sync.carts.insert(c.cart_id.clone(), c.clone());
        }
        for price in &change.prices {
            sync.prices.insert(price.key.clone(), price.clone());
        }
        Ok(())
    }

    async fn orders_in_sync_state(
        &self,
        state: status::SyncState,
        page: &PageRequest,
    ) -> Result<Page<OrderSync>, StoreError> {
        let stored = self.state();
        let in_state = stored.sync.orders.values().filter(|o| o.state() == state);
        Ok(page_of(in_state, page, OrderSync::position))
    }

    async fn customers_in_sync_state(
        &self,
        state: status::SyncState,
        page: &PageRequest,
    ) -> Result<Page<CustomerSync>, StoreError> {
        let stored = self.state();
        let in_state = stored
            .sync
            .customers
            .values()
            .filter(|c| c.state() == state);
        Ok(page_of(in_state, page, CustomerSync::position))
    }

    async fn carts_in_sync_state(
        &self,
        state: status::SyncState,
        page: &PageRequest,
    ) -> Result<Page<CartSync>, StoreError> {
        let stored = self.state();
        let in_state = stored.sync.carts.values().filter(|c| c.state() == state);
        Ok(page_of(in_state, page, CartSync::position))
    }
}
