use std::sync::Arc;

use checkout::config::Config;
use storesync_core::outbox::OutboxRelay;
use storesync_core::ports::SystemClock;
use storesync_core::storefront::Storefront;
use storesync_dynamodb::DynamoStore;
use storesync_sqs::SqsQueue;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    storesync_web::logging::init();
    let config = Config::from_env()?;
    let aws = aws_config::load_from_env().await;
    let store = Arc::new(DynamoStore::new(
        storesync_dynamodb::client(&aws, None),
        config.table,
    ));
    let mut storefront = Storefront::new(
        store.clone(),
        Arc::new(SystemClock),
        config.policy,
        config.location,
    );
    if let Some(url) = config.queue_url {
        let queue = SqsQueue::new(storesync_sqs::client(&aws), url, Default::default());
        storefront = storefront.with_relay(Arc::new(OutboxRelay::new(store, Arc::new(queue))));
    }
    let app = checkout::router(Arc::new(storefront)).layer(axum::middleware::from_fn(
        storesync_web::identity::identity_from_authorizer,
    ));
    lambda_http::run(app).await
}
