//! Process exceptions on the table: one item per exception, listed on `gsi1` under its status
//! by when it was raised.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::TransactWriteItem;
use storesync_core::exceptions::{ExceptionStatus, ProcessException};
use storesync_core::ports::{ExceptionLog, Page, PageRequest, StoreError};

use crate::DynamoStore;
use crate::keys::{self, GSI1PK, GSI1SK, Item, s};
use crate::store::{put, to_item};

/// The item of `exception`, listed under its status.
pub(crate) fn exception_item(exception: &ProcessException) -> Result<Item, StoreError> {
    let mut key = keys::exception(&exception.id);
    key.insert(
        GSI1PK.into(),
        s(keys::exceptions_in_status(exception.status)),
    );
    key.insert(GSI1SK.into(), s(exception.position()));
    to_item(exception, key)
}

/// Writes a new exception, refused if one with its id exists.
pub(crate) fn new_exception(
    table: &str,
    exception: &ProcessException,
) -> Result<TransactWriteItem, StoreError> {
    Ok(put(
        table,
        exception_item(exception)?,
        "attribute_not_exists(pk)",
        None,
    ))
}

#[async_trait]
impl ExceptionLog for DynamoStore {
    async fn raise(&self, exception: &ProcessException) -> Result<bool, StoreError> {
        self.put_if_new(exception_item(exception)?).await
    }

    async fn exception(&self, id: &str) -> Result<Option<ProcessException>, StoreError> {
        self.get(keys::exception(id)).await
    }

    async fn save_exception(&self, exception: &ProcessException) -> Result<(), StoreError> {
        self.put_at_version(exception_item(exception)?, exception.version)
            .await
    }

    async fn exceptions(
        &self,
        status: ExceptionStatus,
        page: &PageRequest,
    ) -> Result<Page<ProcessException>, StoreError> {
        self.sync_state_page(
            keys::exceptions_in_status(status),
            page,
            ProcessException::position,
        )
        .await
    }
}
