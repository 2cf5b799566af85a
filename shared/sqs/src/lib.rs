//! The SQS FIFO adapter of the storesync event queue port: group = `MessageGroupId`,
//! message id = `MessageDeduplicationId`, and a dead-letter queue by redrive policy.

mod error;
mod queue;
mod setup;

pub use error::{MalformedMessage, SetupError};
pub use queue::{ReceiveSettings, SqsQueue};
pub use setup::{FifoQueueUrls, create_fifo_queue_with_dlq};

/// Builds an SQS client from the shared AWS configuration.
pub fn client(config: &aws_config::SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(config)
}
