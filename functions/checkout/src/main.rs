use std::sync::Arc;

use checkout::config::Config;
use checkout::wiring::{admin, lambda_app, storefront};
use storesync_core::ports::SystemClock;
use storesync_core::queue::EventQueue;
use storesync_dynamodb::DynamoStore;
use storesync_sqs::SqsQueue;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    storesync_runtime::logging::init();
    let config = Config::from_env()?;
    let aws = storesync_runtime::aws::config().await;
    let store = Arc::new(DynamoStore::from_aws(&aws, config.table));
    let queue = config
        .queue_url
        .map(|url| Arc::new(SqsQueue::from_aws(&aws, url)) as Arc<dyn EventQueue>);
    let job_queue = config
        .job_queue_url
        .map(|url| Arc::new(SqsQueue::from_aws(&aws, url)) as Arc<dyn EventQueue>);
    let admin = admin(store.clone(), queue.clone(), job_queue, config.admin);
    let storefront = storefront(store, queue, Arc::new(SystemClock), config.storefront);
    lambda_http::run(lambda_app(storefront, admin)).await
}
