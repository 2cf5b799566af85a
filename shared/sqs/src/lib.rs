//! The SQS FIFO adapter of the storesync event queue port: group = `MessageGroupId`,
//! message id = `MessageDeduplicationId`, and a dead-letter queue by redrive policy.

mod error;
mod queue;
mod setup;

pub use error::{MalformedMessage, SetupError};
pub use queue::{ReceiveSettings, SqsQueue};
pub use setup::{FifoQueueUrls, create_fifo_queue_with_dlq};

impl SqsQueue {
    /// The queue at `queue_url`, with a client from the shared AWS configuration.
    pub fn from_aws(config: &aws_config::SdkConfig, queue_url: impl Into<String>) -> Self {
        SqsQueue::for_url(client(config), queue_url)
    }
}

/// Builds an SQS client from the shared AWS configuration.
pub fn client(config: &aws_config::SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(config)
}
