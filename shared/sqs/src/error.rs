use std::num::ParseIntError;

/// A received SQS message that storesync did not send: it lacks what [`crate::SqsQueue::send`]
/// always sets. Reported as [`storesync_core::queue::QueueError::Unavailable`].
#[derive(Debug, thiserror::Error)]
pub enum MalformedMessage {
    #[error("SQS message {message_id} has no {attribute}")]
    Missing {
        message_id: String,
        attribute: &'static str,
    },
    #[error("SQS message {message_id} has a receive count that is not a number")]
    ReceiveCount {
        message_id: String,
        #[source]
        source: ParseIntError,
    },
}

/// Why a queue could not be created.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("SQS refused to create the queue")]
    Sqs(#[from] aws_sdk_sqs::Error),
    #[error("SQS answered CreateQueue for {0} without a queue URL")]
    MissingQueueUrl(String),
    #[error("SQS answered GetQueueAttributes for {0} without the queue ARN")]
    MissingQueueArn(String),
}
