use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use scheduled_sync::{Scheduler, function_handler};
use storesync_core::outbox::OutboxRelay;
use storesync_dynamodb::DynamoStore;
use storesync_sqs::SqsQueue;
use storesync_web::config::ConfigError;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    storesync_web::logging::init();
    let required = |name: &'static str| std::env::var(name).map_err(|_| ConfigError::Missing(name));
    let table = required("STORESYNC_TABLE")?;
    let queue_url = required("STORESYNC_QUEUE_URL")?;
    let aws = aws_config::load_from_env().await;
    let store = Arc::new(DynamoStore::new(
        storesync_dynamodb::client(&aws, None),
        table,
    ));
    let queue = Arc::new(SqsQueue::new(
        storesync_sqs::client(&aws),
        queue_url,
        Default::default(),
    ));
    let scheduler = Scheduler::new(Arc::new(OutboxRelay::new(store, queue)));
    let scheduler = &scheduler;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            function_handler(scheduler, event).await
        },
    ))
    .await
}
