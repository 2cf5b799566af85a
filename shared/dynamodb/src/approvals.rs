//! Approval requests on the table: one item per request, listed on `gsi1` under its status by
//! last change. New and decided requests are written in their order's transaction.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::TransactWriteItem;
use storesync_core::approvals::{ApprovalRequest, ApprovalStatus};
use storesync_core::ports::{ApprovalLog, Page, PageRequest, StoreError};

use crate::DynamoStore;
use crate::keys::{self, GSI1PK, GSI1SK, GSI2PK, GSI2SK, Item, s};
use crate::store::{Index, put, to_item, version_is};

fn approval_item(approval: &ApprovalRequest) -> Result<Item, StoreError> {
    let mut key = keys::approval(&approval.id);
    key.insert(GSI1PK.into(), s(keys::approvals_in_status(approval.status)));
    key.insert(GSI1SK.into(), s(approval.position()));
    // Sparse: only requests the store still has to recall in Salesforce are on `gsi2`.
    if approval.to_recall() {
        key.insert(GSI2PK.into(), s(keys::APPROVALS_TO_RECALL));
        key.insert(GSI2SK.into(), s(approval.position()));
    }
    to_item(approval, key)
}

/// The writes of requests in an order's transaction: a new one only if none has its id, a
/// changed one only over the version before it.
pub(crate) fn approval_writes(
    table: &str,
    approvals: &[ApprovalRequest],
) -> Result<Vec<TransactWriteItem>, StoreError> {
    approvals
        .iter()
        .map(|a| {
            Ok(match a.version {
                1 => put(table, approval_item(a)?, "attribute_not_exists(pk)", None),
                v => put(table, approval_item(a)?, "version = :v", version_is(v - 1)),
            })
        })
        .collect()
}

#[async_trait]
impl ApprovalLog for DynamoStore {
    async fn approval(&self, id: &str) -> Result<Option<ApprovalRequest>, StoreError> {
        self.get(keys::approval(id)).await
    }

    async fn save_approval(&self, approval: &ApprovalRequest) -> Result<(), StoreError> {
        self.put_at_version(approval_item(approval)?, approval.version)
            .await
    }

    async fn approvals(
        &self,
        status: ApprovalStatus,
        page: &PageRequest,
    ) -> Result<Page<ApprovalRequest>, StoreError> {
        self.sync_state_page(
            keys::approvals_in_status(status),
            page,
            ApprovalRequest::position,
        )
        .await
    }

    async fn approvals_to_recall(
        &self,
        page: &PageRequest,
    ) -> Result<Page<ApprovalRequest>, StoreError> {
        self.index_page(
            Index::Gsi2,
            keys::APPROVALS_TO_RECALL.to_owned(),
            page,
            ApprovalRequest::position,
        )
        .await
    }
}
