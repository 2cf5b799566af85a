use std::sync::Arc;

use payment_webhook::config::{Config, NOTICE_SECRETS, STRIPE_SECRETS};
use payment_webhook::{router, wiring};
use storesync_core::ports::SystemClock;
use storesync_core::queue::EventQueue;
use storesync_dynamodb::DynamoStore;
use storesync_sqs::SqsQueue;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    storesync_runtime::logging::init();
    let config = Config::from_env()?;
    let aws = storesync_runtime::aws::config().await;
    let secrets = config.secrets.load(&aws, STRIPE_SECRETS).await?;
    let store = Arc::new(DynamoStore::from_aws(&aws, config.table));
    let queue = config
        .queue_url
        .map(|url| Arc::new(SqsQueue::from_aws(&aws, url)) as Arc<dyn EventQueue>);
    let mut webhook = wiring::webhook(
        store.clone(),
        queue.clone(),
        Arc::new(SystemClock),
        secrets,
        config.tolerance_secs,
    );
    if let Some(source) = config.notice_secrets {
        let notice_secrets = source.load(&aws, NOTICE_SECRETS).await?;
        webhook = wiring::with_notices(
            webhook,
            store,
            queue,
            Arc::new(SystemClock),
            notice_secrets,
            config.tolerance_secs,
        );
    }
    lambda_http::run(router(Arc::new(webhook))).await
}
