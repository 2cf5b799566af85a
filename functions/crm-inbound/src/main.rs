use std::sync::Arc;

use crm_inbound::config::Config;
use crm_inbound::{function_handler, wiring};
use lambda_runtime::{LambdaEvent, service_fn};
use storesync_core::from_crm::CrmRecords;
use storesync_core::notifications::Notifications;
use storesync_core::ports::SystemClock;
use storesync_dynamodb::DynamoStore;
use storesync_salesforce::{SalesforceClient, SalesforceCrm};
use storesync_ses::SesNotifications;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    storesync_runtime::logging::init();
    let config = Config::from_env()?;
    let aws = storesync_runtime::aws::config().await;
    let store = Arc::new(DynamoStore::from_aws(&aws, config.table));
    let records: Option<Arc<dyn CrmRecords>> = match config.credentials {
        Some(credentials) => Some(Arc::new(SalesforceCrm::new(SalesforceClient::new(
            credentials.load(&aws).await?,
        )?))),
        None => None,
    };
    let mail: Option<Arc<dyn Notifications>> = config
        .mail
        .map(|mail| Arc::new(SesNotifications::from_aws(&aws, mail)) as Arc<dyn Notifications>);
    let inbound = wiring::inbound(
        store,
        Arc::new(SystemClock),
        config.integration_user,
        records,
        mail,
        config.ownership,
    );
    let inbound = &inbound;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        function_handler(inbound, event).await
    }))
    .await
}
