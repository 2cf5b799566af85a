//! The store's mailbox on the table: one item per mail, listed newest first on `gsi1`.

use async_trait::async_trait;
use storesync_core::listing::position;
use storesync_core::ports::{Mail, Mailbox, StoreError};

use crate::DynamoStore;
use crate::keys::{self, GSI1PK, GSI1SK, s};
use crate::store::to_item;

#[async_trait]
impl Mailbox for DynamoStore {
    async fn deliver(&self, mail: &Mail) -> Result<(), StoreError> {
        let mut key = keys::mail(&mail.id);
        key.insert(GSI1PK.into(), s(keys::MAILBOX));
        key.insert(GSI1SK.into(), s(position(mail.sent_at, &mail.id)));
        self.put_new(to_item(mail, key)?).await
    }

    async fn mails(&self, limit: usize) -> Result<Vec<Mail>, StoreError> {
        self.query_gsi1(keys::MAILBOX.to_owned(), None, true, Some(limit))
            .await
    }
}
