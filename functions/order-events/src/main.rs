use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use order_events::config::Config;
use order_events::{Consumer, function_handler};
use storesync_core::ports::SystemClock;
use storesync_core::sync::consumer::CrmSync;
use storesync_dynamodb::DynamoStore;
use storesync_salesforce::{SalesforceClient, SalesforceCrm};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    storesync_runtime::logging::init();
    let config = Config::from_env()?;
    let aws = aws_config::load_from_env().await;
    let salesforce = SalesforceClient::new(config.credentials.load(&aws).await?)?;
    let store = Arc::new(DynamoStore::new(
        storesync_dynamodb::client(&aws, None),
        config.table,
    ));
    let sync = CrmSync::new(
        store.clone(),
        store,
        Arc::new(SalesforceCrm::new(salesforce)),
        Arc::new(SystemClock),
        config.sync_defaults,
    );
    let consumer = Consumer::new(sync, config.max_receives);
    let consumer = &consumer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        function_handler(consumer, event).await
    }))
    .await
}
