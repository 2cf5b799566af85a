use std::sync::Arc;

use payment_webhook::config::{Config, ConfigError, SecretSource, split_secrets};
use payment_webhook::stripe::StripeGateway;
use payment_webhook::{Webhook, router};
use storesync_core::outbox::OutboxRelay;
use storesync_core::payments::PaymentProcessor;
use storesync_core::ports::SystemClock;
use storesync_dynamodb::DynamoStore;
use storesync_sqs::SqsQueue;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    storesync_web::logging::init();
    let config = Config::from_env()?;
    let aws = aws_config::load_from_env().await;
    let secrets = match config.secrets {
        SecretSource::Inline(secrets) => secrets,
        SecretSource::Parameter(name) => {
            let parameter = aws_sdk_ssm::Client::new(&aws)
                .get_parameter()
                .name(&name)
                .with_decryption(true)
                .send()
                .await?;
            split_secrets(
                parameter
                    .parameter()
                    .and_then(|p| p.value())
                    .unwrap_or_default(),
            )
        }
    };
    if secrets.is_empty() {
        // Every webhook would be refused: better not to start.
        return Err(ConfigError::Invalid {
            name: "STRIPE_WEBHOOK_SECRETS_PARAMETER",
            message: "the parameter holds no secret".into(),
        }
        .into());
    }
    let store = Arc::new(DynamoStore::new(
        storesync_dynamodb::client(&aws, None),
        config.table,
    ));
    let relay = config.queue_url.map(|url| {
        let queue = SqsQueue::new(storesync_sqs::client(&aws), url, Default::default());
        Arc::new(OutboxRelay::new(store.clone(), Arc::new(queue)))
    });
    let clock = Arc::new(SystemClock);
    let processor = PaymentProcessor::new(store, clock.clone(), relay);
    let stripe = Arc::new(StripeGateway::new(secrets, config.tolerance_secs));
    let webhook = Webhook::new(vec![stripe], processor, clock);
    lambda_http::run(router(Arc::new(webhook))).await
}
