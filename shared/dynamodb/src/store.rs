use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use storesync_core::cart::{Cart, CartStatus};
use storesync_core::catalog::{Product, ProductDetails};
use storesync_core::events::OutboxEvent;
use storesync_core::fulfilment::LocationUnits;
use storesync_core::ids::{CartId, CustomerKey, LocationId, OrderId, Sku};
use storesync_core::listing::bound;
use storesync_core::money::Currency;
use storesync_core::order::Order;
use storesync_core::order::lifecycle::OrderStatus;
use storesync_core::ports::{
    CartStore, CatalogStore, OrderChange, OrderStore, Page, PageRequest, Period, PlaceOrder,
    PlaceOrderError, ProductTake, StoreError, units_by_product,
};

use crate::keys::{self, GSI1, GSI1PK, GSI1SK, GSI2, GSI2PK, GSI2SK, Item, n, s};

/// The store on one DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

pub(crate) fn unavailable<E: std::error::Error + Send + Sync + 'static>(e: E) -> StoreError {
    StoreError::Unavailable(Box::new(e))
}

/// Times in sort keys have a fixed width, so that their text order is their time order.
fn sort_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

pub(crate) fn to_item<T: Serialize>(value: &T, key: Item) -> Result<Item, StoreError> {
    let mut item: Item =
        serde_dynamo::to_item(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    item.extend(key);
    Ok(item)
}

pub(crate) fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn cart_status(status: CartStatus) -> &'static str {
    match status {
        CartStatus::Open => "open",
        CartStatus::Checkout => "checkout",
        CartStatus::Converted => "converted",
        CartStatus::Abandoned => "abandoned",
    }
}

fn cart_item(cart: &Cart) -> Result<Item, StoreError> {
    let mut key = keys::cart(cart.id.as_str());
    key.insert(
        GSI1PK.into(),
        s(keys::carts_by_status(cart_status(cart.status))),
    );
    key.insert(GSI1SK.into(), s(cart.position()));
    to_item(cart, key)
}

pub(crate) fn order_item(order: &Order) -> Result<Item, StoreError> {
    let mut key = keys::order(order.id.as_str());
    key.insert(
        GSI1PK.into(),
        s(keys::customer_orders(&order.customer.customer_key)),
    );
    key.insert(
        GSI1SK.into(),
        s(format!("{}#{}", sort_time(order.created_at), order.id)),
    );
    key.insert(GSI2PK.into(), s(keys::orders_in_status(order.status)));
    key.insert(GSI2SK.into(), s(order.position()));
    to_item(order, key)
}

/// A global secondary index of the table.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Index {
    Gsi1,
    Gsi2,
}

/// Which sort keys a query reads.
#[derive(Debug, Clone)]
pub(crate) enum SortRange {
    All,
    /// Above this one.
    After(String),
    /// From the first to the second, both included.
    Between(String, String),
}

pub(crate) fn outbox_item(event: &OutboxEvent) -> Result<Item, StoreError> {
    let mut key = keys::outbox(event.event_id.as_str());
    key.insert(GSI2PK.into(), s(keys::OUTBOX_PENDING));
    key.insert(
        GSI2SK.into(),
        s(format!(
            "{}#{}",
            sort_time(event.occurred_at),
            event.event_id
        )),
    );
    to_item(event, key)
}

pub(crate) fn put(
    table: &str,
    item: Item,
    condition: &str,
    values: Option<HashMap<String, AttributeValue>>,
) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition)
        .set_expression_attribute_values(values)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .expect("put has table, item and condition");
    TransactWriteItem::builder().put(put).build()
}

pub(crate) fn version_is(v: u64) -> Option<HashMap<String, AttributeValue>> {
    Some(HashMap::from([(":v".to_owned(), n(v))]))
}

/// The reasons a transaction was cancelled, one per action, when that is why it failed.
pub(crate) fn cancellation_reasons(
    err: &SdkError<TransactWriteItemsError>,
) -> Option<&[CancellationReason]> {
    match err {
        SdkError::ServiceError(e) => match e.err() {
            TransactWriteItemsError::TransactionCanceledException(t) => {
                t.cancellation_reasons.as_deref()
            }
            _ => None,
        },
        _ => None,
    }
}

pub(crate) fn failed_condition(reason: &CancellationReason) -> bool {
    reason.code() == Some("ConditionalCheckFailed")
}

/// Another transaction held one of the items: nothing was written, and trying again may succeed.
pub(crate) fn lost_to_concurrent_transaction(reasons: &[CancellationReason]) -> bool {
    reasons
        .iter()
        .any(|r| r.code() == Some("TransactionConflict"))
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        key: Item,
    ) -> Result<Option<T>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item.map(from_item).transpose()
    }

    /// The items under `pk` on `gsi1`, only those whose sort key is above `after` when given.
    pub(crate) async fn query_gsi1<T: DeserializeOwned>(
        &self,
        pk: String,
        after: Option<&str>,
        newest_first: bool,
        limit: Option<usize>,
    ) -> Result<Vec<T>, StoreError> {
        let range = match after {
            Some(after) => SortRange::After(after.to_owned()),
            None => SortRange::All,
        };
        self.query_index(Index::Gsi1, pk, range, newest_first, limit)
            .await
    }

    /// The items under `pk` on `index` whose sort key is in `range`, `limit` at most.
    pub(crate) async fn query_index<T: DeserializeOwned>(
        &self,
        index: Index,
        pk: String,
        range: SortRange,
        newest_first: bool,
        limit: Option<usize>,
    ) -> Result<Vec<T>, StoreError> {
        let (name, pk_attr, sk_attr) = match index {
            Index::Gsi1 => (GSI1, GSI1PK, GSI1SK),
            Index::Gsi2 => (GSI2, GSI2PK, GSI2SK),
        };
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(name)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", pk_attr)
            .expression_attribute_values(":pk", s(pk))
            .scan_index_forward(!newest_first)
            .set_limit(limit.map(|l| i32::try_from(l).unwrap_or(i32::MAX)));
        match range {
            SortRange::All => {}
            SortRange::After(after) => {
                query = query
                    .key_condition_expression("#pk = :pk AND #sk > :after")
                    .expression_attribute_names("#sk", sk_attr)
                    .expression_attribute_values(":after", s(after));
            }
            SortRange::Between(low, high) => {
                query = query
                    .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
                    .expression_attribute_names("#sk", sk_attr)
                    .expression_attribute_values(":low", s(low))
                    .expression_attribute_values(":high", s(high));
            }
        }
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let out = query
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items.unwrap_or_default() {
                found.push(from_item(item)?);
            }
            start = out.last_evaluated_key;
            let full = limit.is_some_and(|l| found.len() >= l);
            if start.is_none() || full {
                break;
            }
        }
        if let Some(l) = limit {
            found.truncate(l);
        }
        Ok(found)
    }

    /// One page of a list by last change (sort keys are `listing::position`s) within `changed`.
    async fn by_last_change<T: DeserializeOwned>(
        &self,
        index: Index,
        pk: String,
        changed: &Period,
        page: &PageRequest,
        position: fn(&T) -> String,
    ) -> Result<Page<T>, StoreError> {
        // A bound's time alone sorts before every position at that time, and a space after a
        // position sorts after it and before the next one.
        let low = match &page.after {
            Some(after) => format!("{after} ").max(bound(changed.from)),
            None => bound(changed.from),
        };
        let high = bound(changed.until);
        if page.limit == 0 || low >= high {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        let items: Vec<T> = self
            .query_index(
                index,
                pk,
                SortRange::Between(low, high),
                false,
                Some(page.limit),
            )
            .await?;
        let next = (items.len() == page.limit)
            .then(|| items.last().map(position))
            .flatten();
        Ok(Page { items, next })
    }

    /// Writes an item whose key must be new; `AlreadyExists` when it is not.
    /// Writes `item` whatever was there.
    pub(crate) async fn put(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    /// Writes `item` unless one with its key exists: `false` when it did (a record raised
    /// again by the same cause).
    pub(crate) async fn put_if_new(&self, item: Item) -> Result<bool, StoreError> {
        match self.put_new(item).await {
            Ok(()) => Ok(true),
            Err(StoreError::AlreadyExists) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Writes `item` at `version` over the one before it; `Conflict` if it changed meanwhile.
    pub(crate) async fn put_at_version(&self, item: Item, version: u64) -> Result<(), StoreError> {
        let previous = version.checked_sub(1).ok_or(StoreError::Conflict)?;
        let write = put(&self.table, item, "version = :v", version_is(previous));
        match self.transact(vec![write]).await {
            Ok(()) => Ok(()),
            Err(e) => match cancellation_reasons(&e) {
                Some(_) => Err(StoreError::Conflict),
                None => Err(unavailable(e)),
            },
        }
    }

    pub(crate) async fn put_new(&self, item: Item) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Err(StoreError::AlreadyExists)
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    pub(crate) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<(), SdkError<TransactWriteItemsError>> {
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map(|_| ())
    }

    /// Puts units back at their locations: one update per product, since a transaction may
    /// touch an item only once.
    pub(crate) fn restock(&self, units: &[LocationUnits]) -> Vec<TransactWriteItem> {
        units_by_product(units)
            .into_iter()
            .map(|(sku, at)| {
                let mut set = Vec::new();
                let mut update = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(keys::product(sku.as_str())))
                    .condition_expression("attribute_exists(pk)")
                    .expression_attribute_values(":zero", n(0))
                    .expression_attribute_values(":one", n(1));
                for (i, (location, units)) in at.into_iter().enumerate() {
                    set.push(format!(
                        "stock.#loc{i} = if_not_exists(stock.#loc{i}, :zero) + :q{i}"
                    ));
                    update = update
                        .expression_attribute_names(format!("#loc{i}"), location.as_str())
                        .expression_attribute_values(format!(":q{i}"), n(units));
                }
                set.push("version = version + :one".to_owned());
                let update = update
                    .update_expression(format!("SET {}", set.join(", ")))
                    .build()
                    .expect("update is complete");
                TransactWriteItem::builder().update(update).build()
            })
            .collect()
    }

    /// Takes a product's units off each location's shelf, only at the order's prices and while
    /// enough are on hand at every one of them.
    fn take_stock(&self, take: &ProductTake<'_>, currency: Currency) -> TransactWriteItem {
        let mut set = Vec::new();
        let mut conditions = vec!["active = :true".to_owned()];
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys::product(take.sku.as_str())))
            .expression_attribute_names("#cur", currency.code())
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":true", AttributeValue::Bool(true));
        for (i, price) in take.unit_prices.iter().enumerate() {
            conditions.push(format!("prices.#cur = :price{i}"));
            update = update.expression_attribute_values(format!(":price{i}"), n(*price));
        }
        for (i, (location, units)) in take.units.iter().enumerate() {
            set.push(format!("stock.#loc{i} = stock.#loc{i} - :q{i}"));
            conditions.push(format!("stock.#loc{i} >= :q{i}"));
            update = update
                .expression_attribute_names(format!("#loc{i}"), location.as_str())
                .expression_attribute_values(format!(":q{i}"), n(*units));
        }
        set.push("version = version + :one".to_owned());
        let update = update
            .update_expression(format!("SET {}", set.join(", ")))
            .condition_expression(conditions.join(" AND "))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .expect("update is complete");
        TransactWriteItem::builder().update(update).build()
    }
}

/// Why a product's condition failed, from the item as it was: the first of its conditions
/// that the item fails, in the order the embedded store checks them.
fn product_refusal(
    take: &ProductTake<'_>,
    old: Option<&Item>,
    currency: Currency,
) -> PlaceOrderError {
    let sku = take.sku;
    let product = old
        .cloned()
        .and_then(|item| from_item::<Product>(item).ok());
    let Some(p) = product.filter(|p| p.active) else {
        return PlaceOrderError::ProductUnavailable { sku: sku.clone() };
    };
    let price = p.price(currency).map(|m| m.minor_units());
    if take.unit_prices.iter().any(|unit| price != Some(*unit)) {
        return PlaceOrderError::PriceChanged { sku: sku.clone() };
    }
    let short = take
        .units
        .iter()
        .find(|(location, units)| i128::from(p.available(location)) < i128::from(*units));
    match short {
        Some((location, _)) => PlaceOrderError::OutOfStock {
            sku: sku.clone(),
            location: (*location).clone(),
            available: p.available(location),
        },
        // The item as it was passes every condition: it changed in between.
        None => PlaceOrderError::Store(StoreError::Conflict),
    }
}

#[async_trait]
impl CatalogStore for DynamoStore {
    async fn product(&self, sku: &Sku) -> Result<Option<Product>, StoreError> {
        self.get(keys::product(sku.as_str())).await
    }

    async fn products(&self) -> Result<Vec<Product>, StoreError> {
        self.query_gsi1(keys::CATALOG.to_owned(), None, false, None)
            .await
    }

    async fn upsert_product(&self, d: &ProductDetails) -> Result<(), StoreError> {
        let prices: Item =
            serde_dynamo::to_item(&d.prices).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::product(d.sku.as_str())))
            .update_expression(
                "SET sku = :sku, #name = :name, category = :category, active = :active, prices = :prices, \
                 stock = if_not_exists(stock, :empty), version = if_not_exists(version, :zero) + :one, \
                 gsi1pk = :catalog, gsi1sk = :sku",
            )
            .expression_attribute_names("#name", "name")
            .expression_attribute_values(":sku", s(d.sku.as_str()))
            .expression_attribute_values(":name", s(d.name.clone()))
            .expression_attribute_values(":category", s(d.category.clone()))
            .expression_attribute_values(":active", AttributeValue::Bool(d.active))
            .expression_attribute_values(":prices", AttributeValue::M(prices))
            .expression_attribute_values(":empty", AttributeValue::M(HashMap::new()))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":catalog", s(keys::CATALOG))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn adjust_stock(
        &self,
        sku: &Sku,
        location: &LocationId,
        delta: i64,
    ) -> Result<(), StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::product(sku.as_str())))
            .update_expression("SET stock.#loc = if_not_exists(stock.#loc, :zero) + :delta, version = version + :one")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#loc", location.as_str())
            .expression_attribute_values(":delta", n(delta))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1));
        if delta < 0 {
            update = update
                .condition_expression("attribute_exists(pk) AND stock.#loc >= :needed")
                .expression_attribute_values(":needed", n(-delta));
        }
        match update.send().await {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Err(StoreError::Conflict)
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}

#[async_trait]
impl CartStore for DynamoStore {
    async fn create_cart(&self, cart: &Cart) -> Result<(), StoreError> {
        self.put_new(cart_item(cart)?).await
    }

    async fn cart(&self, id: &CartId) -> Result<Option<Cart>, StoreError> {
        self.get(keys::cart(id.as_str())).await
    }

    async fn carts_in_status(
        &self,
        status: CartStatus,
        changed: &Period,
        page: &PageRequest,
    ) -> Result<Page<Cart>, StoreError> {
        let pk = keys::carts_by_status(cart_status(status));
        self.by_last_change(Index::Gsi1, pk, changed, page, Cart::position)
            .await
    }

    async fn save_cart(
        &self,
        cart: &Cart,
        expected_version: u64,
        event: Option<&OutboxEvent>,
    ) -> Result<(), StoreError> {
        if let Some(event) = event {
            let writes = vec![
                put(
                    &self.table,
                    cart_item(cart)?,
                    "version = :v",
                    version_is(expected_version),
                ),
                put(
                    &self.table,
                    outbox_item(event)?,
                    "attribute_not_exists(pk)",
                    None,
                ),
            ];
            return match self.transact(writes).await {
                Ok(()) => Ok(()),
                Err(e) => match cancellation_reasons(&e) {
                    Some(_) => Err(StoreError::Conflict),
                    None => Err(unavailable(e)),
                },
            };
        }
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(cart_item(cart)?))
            .condition_expression("version = :v")
            .set_expression_attribute_values(version_is(expected_version))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Err(StoreError::Conflict)
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}

#[async_trait]
impl OrderStore for DynamoStore {
    async fn place_order(&self, p: &PlaceOrder) -> Result<(), PlaceOrderError> {
        let order = &p.order;
        let mut items = vec![
            put(
                &self.table,
                order_item(order)?,
                "attribute_not_exists(pk)",
                None,
            ),
            put(
                &self.table,
                cart_item(&p.cart)?,
                "version = :v",
                version_is(p.expected_cart_version),
            ),
            put(
                &self.table,
                outbox_item(&p.event)?,
                "attribute_not_exists(pk)",
                None,
            ),
        ];
        const FIRST_PRODUCT: usize = 3;
        let takes = p.products();
        for take in &takes {
            items.push(self.take_stock(take, order.currency));
        }
        items.extend(crate::approvals::approval_writes(
            &self.table,
            &p.approvals,
        )?);
        let err = match self.transact(items).await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let Some(reasons) = cancellation_reasons(&err) else {
            return Err(unavailable(err).into());
        };
        if reasons.first().is_some_and(failed_condition) {
            return Err(PlaceOrderError::OrderExists);
        }
        if reasons.get(1).is_some_and(failed_condition) {
            return Err(PlaceOrderError::CartChanged);
        }
        for (take, reason) in takes.iter().zip(reasons.iter().skip(FIRST_PRODUCT)) {
            if failed_condition(reason) {
                return Err(product_refusal(take, reason.item(), order.currency));
            }
        }
        if lost_to_concurrent_transaction(reasons) {
            return Err(StoreError::Conflict.into());
        }
        Err(unavailable(err).into())
    }

    async fn order(&self, id: &OrderId) -> Result<Option<Order>, StoreError> {
        self.get(keys::order(id.as_str())).await
    }

    async fn orders_for_customer(
        &self,
        customer_key: &CustomerKey,
        limit: usize,
    ) -> Result<Vec<Order>, StoreError> {
        self.query_gsi1(keys::customer_orders(customer_key), None, true, Some(limit))
            .await
    }

    async fn orders_in_status(
        &self,
        status: OrderStatus,
        changed: &Period,
        page: &PageRequest,
    ) -> Result<Page<Order>, StoreError> {
        self.by_last_change(
            Index::Gsi2,
            keys::orders_in_status(status),
            changed,
            page,
            Order::position,
        )
        .await
    }

    async fn change_order(&self, c: &OrderChange) -> Result<(), StoreError> {
        let mut items = vec![
            put(
                &self.table,
                order_item(&c.order)?,
                "version = :v",
                version_is(c.expected_version),
            ),
            put(
                &self.table,
                outbox_item(&c.event)?,
                "attribute_not_exists(pk)",
                None,
            ),
        ];
        items.extend(self.restock(&c.restock));
        items.extend(crate::approvals::approval_writes(
            &self.table,
            &c.approvals,
        )?);
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) => match cancellation_reasons(&e) {
                Some(_) => Err(StoreError::Conflict),
                None => Err(unavailable(e)),
            },
        }
    }
}
