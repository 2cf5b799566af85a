use std::sync::Arc;

use payment_webhook::config::{Config, NOTICE_SECRETS, OUTBOUND_SECRETS, STRIPE_SECRETS};
use payment_webhook::salesforce::OutboundMessages;
use payment_webhook::{router, wiring};
use storesync_core::from_crm::FieldOwnership;
use storesync_core::notifications::Notifications;
use storesync_core::ports::SystemClock;
use storesync_core::queue::EventQueue;
use storesync_dynamodb::DynamoStore;
use storesync_ses::SesNotifications;
use storesync_sqs::SqsQueue;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    storesync_runtime::logging::init();
    let config = Config::from_env()?;
    let aws = storesync_runtime::aws::config().await;
    let secrets = config.secrets.load(&aws, STRIPE_SECRETS).await?;
    let store = Arc::new(DynamoStore::from_aws(&aws, config.table));
    let store_for_inbound = store.clone();
    let queue = config
        .queue_url
        .map(|url| Arc::new(SqsQueue::from_aws(&aws, url)) as Arc<dyn EventQueue>);
    let mut webhook = wiring::webhook(
        store.clone(),
        queue.clone(),
        Arc::new(SystemClock),
        secrets,
        config.tolerance_secs,
    );
    if let Some(source) = config.notice_secrets {
        let notice_secrets = source.load(&aws, NOTICE_SECRETS).await?;
        webhook = wiring::with_notices(
            webhook,
            store,
            queue,
            Arc::new(SystemClock),
            notice_secrets,
            config.tolerance_secs,
        );
    }
    if let Some(outbound) = config.outbound {
        let secrets = outbound.secrets.load(&aws, OUTBOUND_SECRETS).await?;
        let mail = outbound
            .mail
            .map(|mail| Arc::new(SesNotifications::from_aws(&aws, mail)) as Arc<dyn Notifications>);
        let inbound = crm_inbound::wiring::inbound(
            store_for_inbound,
            Arc::new(SystemClock),
            outbound.integration_user,
            None,
            mail,
            FieldOwnership::default(),
        );
        webhook = webhook.with_outbound_messages(OutboundMessages {
            inbound,
            secrets,
            org_ids: outbound.org_ids,
        });
    }
    lambda_http::run(router(Arc::new(webhook))).await
}
