//! Customers' mails on the table: one item per mail, listed on `gsi1` under its status by
//! last change.

use async_trait::async_trait;
use storesync_core::notifications::{Notification, NotificationStatus};
use storesync_core::ports::{NotificationLog, Page, PageRequest, StoreError};

use crate::DynamoStore;
use crate::keys::{self, GSI1PK, GSI1SK, Item, s};
use crate::store::to_item;

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
        self.put_if_new(notification_item(notification)?).await
    }

    async fn notification(&self, id: &str) -> Result<Option<Notification>, StoreError> {
        self.get(keys::notification(id)).await
    }

    async fn save_notification(&self, notification: &Notification) -> Result<(), StoreError> {
        self.put_at_version(notification_item(notification)?, notification.version)
            .await
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
