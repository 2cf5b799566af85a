//! The store's mailbox and the jobs' log on the table: one item per mail and per run, each
//! listed newest first on `gsi1`; runs expire.

use async_trait::async_trait;
use storesync_core::jobs::{JOB_RUN_MEMORY_DAYS, JobRun};
use storesync_core::listing::position;
use storesync_core::ports::{JobLog, Mail, Mailbox, StoreError};

use crate::DynamoStore;
use crate::keys::{self, EXPIRES_AT, GSI1PK, GSI1SK, n, s};
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

#[async_trait]
impl JobLog for DynamoStore {
    async fn record_run(&self, run: &JobRun) -> Result<(), StoreError> {
        let mut key = keys::job_run(&run.id);
        key.insert(GSI1PK.into(), s(keys::JOB_RUNS));
        key.insert(GSI1SK.into(), s(run.position()));
        let expires = run.started_at + chrono::Duration::days(JOB_RUN_MEMORY_DAYS);
        key.insert(EXPIRES_AT.into(), n(expires.timestamp()));
        self.put(to_item(run, key)?).await
    }

    async fn recent_runs(&self, limit: usize) -> Result<Vec<JobRun>, StoreError> {
        self.query_gsi1(keys::JOB_RUNS.to_owned(), None, true, Some(limit))
            .await
    }
}
