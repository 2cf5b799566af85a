//! The store's mailbox on the table: one item per mail, listed newest first on `gsi1`.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use storesync_core::listing::position;
use storesync_core::ports::{Mail, Mailbox, StoreError};

use crate::DynamoStore;
use crate::keys::{self, GSI1PK, GSI1SK, s};
use crate::store::{to_item, unavailable};

#[async_trait]
impl Mailbox for DynamoStore {
    async fn deliver(&self, mail: &Mail) -> Result<(), StoreError> {
        let mut key = keys::mail(&mail.id);
        key.insert(GSI1PK.into(), s(keys::MAILBOX));
        key.insert(GSI1SK.into(), s(position(mail.sent_at, &mail.id)));
        let result = self
            .client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(to_item(mail, key)?))
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

    async fn mails(&self, limit: usize) -> Result<Vec<Mail>, StoreError> {
        self.query_gsi1(keys::MAILBOX.to_owned(), None, true, Some(limit))
            .await
    }
}
