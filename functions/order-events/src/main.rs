use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use order_events::config::Config;
use order_events::{function_handler, wiring};
use storesync_core::ports::SystemClock;
use storesync_dynamodb::DynamoStore;
use storesync_salesforce::{SalesforceClient, SalesforceCrm};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    storesync_runtime::logging::init();
    let config = Config::from_env()?;
    let aws = storesync_runtime::aws::config().await;
    let salesforce = SalesforceClient::new(config.credentials.load(&aws).await?)?;
    let store = Arc::new(DynamoStore::from_aws(&aws, config.table));
    let consumer = wiring::consumer(
        store,
        Arc::new(SalesforceCrm::new(salesforce)),
        Arc::new(SystemClock),
        config.sync_defaults,
        config.max_receives,
    );
    let consumer = &consumer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        function_handler(consumer, event).await
    }))
    .await
}
