//! Fulfilment orders on the table: one item per fulfilment order, listed on `gsi1` under its
//! status by last change (the exports still to send) and on `gsi2` under its order.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{ConditionCheck, TransactWriteItem};
use storesync_core::fulfilment::{FulfilmentOrder, FulfilmentOrderId, FulfilmentStatus};
use storesync_core::ids::OrderId;
use storesync_core::ports::{
    FulfilmentStore, Page, PageRequest, ShipmentChange, StartFulfilment, StoreError,
};

use crate::DynamoStore;
use crate::keys::{self, GSI1PK, GSI1SK, GSI2PK, GSI2SK, Item, s};
use crate::store::{
    Index, SortRange, cancellation_reasons, order_item, outbox_item, put, to_item, unavailable,
    version_is,
};

fn fulfilment_item(fo: &FulfilmentOrder) -> Result<Item, StoreError> {
    let mut key = keys::fulfilment_order(fo.id.as_str());
    key.insert(GSI1PK.into(), s(keys::fulfilment_in_status(fo.status)));
    key.insert(GSI1SK.into(), s(fo.position()));
    key.insert(
        GSI2PK.into(),
        s(keys::order_fulfilment(fo.order_id.as_str())),
    );
    key.insert(GSI2SK.into(), s(fo.id.as_str()));
    to_item(fo, key)
}

/// The order at `version`, unchanged: notices for one order are applied one after another.
fn order_is_at(table: &str, order: &OrderId, version: u64) -> TransactWriteItem {
    let check = ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(keys::order(order.as_str())))
        .condition_expression("version = :v")
        .set_expression_attribute_values(version_is(version))
        .build()
        .expect("condition check is complete");
    TransactWriteItem::builder().condition_check(check).build()
}

impl DynamoStore {
    async fn write_all(&self, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) => match cancellation_reasons(&e) {
                Some(_) => Err(StoreError::Conflict),
                None => Err(unavailable(e)),
            },
        }
    }
}

#[async_trait]
impl FulfilmentStore for DynamoStore {
    async fn start_fulfilment(&self, start: &StartFulfilment) -> Result<(), StoreError> {
        let table = self.table();
        let mut items = vec![put(
            table,
            order_item(&start.order)?,
            "version = :v",
            version_is(start.expected_order_version),
        )];
        for fo in &start.fulfilment_orders {
            items.push(put(
                table,
                fulfilment_item(fo)?,
                "attribute_not_exists(pk)",
                None,
            ));
        }
        items.push(put(
            table,
            outbox_item(&start.event)?,
            "attribute_not_exists(pk)",
            None,
        ));
        self.write_all(items).await
    }

    async fn fulfilment_orders(&self, order: &OrderId) -> Result<Vec<FulfilmentOrder>, StoreError> {
        self.query_index(
            Index::Gsi2,
            keys::order_fulfilment(order.as_str()),
            SortRange::All,
            false,
            None,
        )
        .await
    }

    async fn fulfilment_order(
        &self,
        id: &FulfilmentOrderId,
    ) -> Result<Option<FulfilmentOrder>, StoreError> {
        self.get(keys::fulfilment_order(id.as_str())).await
    }

    async fn fulfilment_orders_in_status(
        &self,
        status: FulfilmentStatus,
        page: &PageRequest,
    ) -> Result<Page<FulfilmentOrder>, StoreError> {
        self.sync_state_page(
            keys::fulfilment_in_status(status),
            page,
            FulfilmentOrder::position,
        )
        .await
    }

    async fn save_fulfilment_order(
        &self,
        fulfilment_order: &FulfilmentOrder,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let item = put(
            self.table(),
            fulfilment_item(fulfilment_order)?,
            "version = :v",
            version_is(expected_version),
        );
        self.write_all(vec![item]).await
    }

    async fn record_shipment(&self, change: &ShipmentChange) -> Result<(), StoreError> {
        let table = self.table();
        let fo = &change.fulfilment_order;
        let mut items = vec![put(
            table,
            fulfilment_item(fo)?,
            "version = :v",
            version_is(change.expected_version),
        )];
        items.push(match &change.order {
            Some(order) => put(
                table,
                order_item(order)?,
                "version = :v",
                version_is(change.expected_order_version),
            ),
            None => order_is_at(table, &fo.order_id, change.expected_order_version),
        });
        if let Some(event) = &change.event {
            items.push(put(
                table,
                outbox_item(event)?,
                "attribute_not_exists(pk)",
                None,
            ));
        }
        self.write_all(items).await
    }
}
