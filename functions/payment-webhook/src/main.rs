use std::sync::Arc;

use payment_webhook::config::Config;
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
    let secrets = config.secrets.load(&aws).await?;
    let store = Arc::new(DynamoStore::from_aws(&aws, config.table));
    let queue = config
        .queue_url
        .map(|url| Arc::new(SqsQueue::from_aws(&aws, url)) as Arc<dyn EventQueue>);
    let webhook = wiring::webhook(
        store,
        queue,
        Arc::new(SystemClock),
        secrets,
        config.tolerance_secs,
    );
    lambda_http::run(router(Arc::new(webhook))).await
}
