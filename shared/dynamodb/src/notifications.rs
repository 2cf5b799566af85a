//! Customers' mails on the table: one item per mail, listed on `gsi1` under its status by
//! last change.

use async_trait::async_trait;
use storesync_core::notifications::{Notification, NotificationStatus};
use storesync_core::ports::{NotificationLog, Page, PageRequest, StoreError};

use crate::DynamoStore;
use crate::keys::{self, GSI1PK, GSI1SK, Item, s};
use crate::store::{cancellation_reasons, put, to_item, unavailable, version_is};

fn notification_item(notification: &Notification) -> Result<Item, StoreError> {
    let mut key = keys::notification(&notification.id);
    key.insert(
        GSI1PK.into(),
        s(keys::notifications_in_status(notification.status)),
    );
    key.insert(GSI1SK.into(), s(notification.position()));
    to_item(notification, key)
}

#[async_trait]
impl NotificationLog for DynamoStore {
    async fn record_notification(&self, notification: &Notification) -> Result<bool, StoreError> {
        match self.put_new(notification_item(notification)?).await {
            Ok(()) => Ok(true),
            Err(StoreError::AlreadyExists) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn notification(&self, id: &str) -> Result<Option<Notification>, StoreError> {
        self.get(keys::notification(id)).await
    }

    async fn save_notification(&self, notification: &Notification) -> Result<(), StoreError> {
        let previous = notification
            .version
            .checked_sub(1)
            .ok_or(StoreError::Conflict)?;
        let item = put(
            self.table(),
            notification_item(notification)?,
            "version = :v",
            version_is(previous),
        );
        match self.transact(vec![item]).await {
            Ok(()) => Ok(()),
            Err(e) => match cancellation_reasons(&e) {
                Some(_) => Err(StoreError::Conflict),
                None => Err(unavailable(e)),
            },
        }
    }

    async fn notifications(
        &self,
        status: NotificationStatus,
        page: &PageRequest,
    ) -> Result<Page<Notification>, StoreError> {
        self.sync_state_page(
            keys::notifications_in_status(status),
            page,
            Notification::position,
        )
        .await
    }
}
