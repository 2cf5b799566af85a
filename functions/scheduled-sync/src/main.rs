use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use scheduled_sync::config::Config;
use scheduled_sync::{Scheduler, function_handler};
use storesync_core::outbox::OutboxRelay;
use storesync_dynamodb::DynamoStore;
use storesync_sqs::SqsQueue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    storesync_runtime::logging::init();
    let config = Config::from_env()?;
    let aws = storesync_runtime::aws::config().await;
    let store = Arc::new(DynamoStore::from_aws(&aws, config.table));
    let queue = Arc::new(SqsQueue::from_aws(&aws, config.queue_url));
    let scheduler = Scheduler::new(Arc::new(OutboxRelay::new(store, queue)));
    let scheduler = &scheduler;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            function_handler(scheduler, event).await
        },
    ))
    .await
}
