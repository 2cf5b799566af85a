use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use order_events::config::Config;
use order_events::{function_handler, wiring};
use storesync_core::ports::SystemClock;
use storesync_dynamodb::DynamoStore;
use storesync_salesforce::{SalesforceClient, SalesforceCrm};
use storesync_ses::SesNotifications;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    storesync_runtime::logging::init();
    let config = Config::from_env()?;
    let aws = storesync_runtime::aws::config().await;
    let salesforce = SalesforceClient::new(config.credentials.load(&aws).await?)?;
    let store = Arc::new(DynamoStore::from_aws(&aws, config.table));
    let clock = Arc::new(SystemClock);
    let mut consumer = wiring::consumer(
        store.clone(),
        Arc::new(SalesforceCrm::new(salesforce)),
        clock.clone(),
        config.sync_defaults,
        config.max_receives,
    );
    match config.mail {
        Some(mail) => {
            let ses = Arc::new(SesNotifications::from_aws(&aws, mail));
            consumer = consumer.with_notifier(wiring::notifier(store, ses, clock));
        }
        None => tracing::info!("STORESYNC_MAIL_FROM is not set: no customer mails"),
    }
    let consumer = &consumer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        function_handler(consumer, event).await
    }))
    .await
}
