use std::sync::Arc;

use checkout::config::Config;
use storesync_core::ports::SystemClock;
use storesync_core::storefront::Storefront;
use storesync_dynamodb::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    storesync_web::logging::init();
    let config = Config::from_env()?;
    let aws = aws_config::load_from_env().await;
    let store = DynamoStore::new(storesync_dynamodb::client(&aws, None), config.table);
    let storefront = Storefront::new(
        Arc::new(store),
        Arc::new(SystemClock),
        config.policy,
        config.location,
    );
    let app = checkout::router(Arc::new(storefront)).layer(axum::middleware::from_fn(
        storesync_web::identity::identity_from_authorizer,
    ));
    lambda_http::run(app).await
}
