use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;

use crate::error::SetupError;

/// Fourteen days, the longest SQS keeps a message: a dead letter should outlive its source.
const DEAD_LETTER_RETENTION_SECS: u32 = 14 * 24 * 60 * 60;

/// The URLs of a FIFO queue and of its dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FifoQueueUrls {
    pub queue_url: String,
    pub dead_letter_url: String,
}

/// Creates `{name_prefix}.fifo` with the dead-letter queue `{name_prefix}-dlq.fifo`, as
/// `template.yaml` declares them (for local runs and tests; production queues come from the
/// template). A message received `max_receives` times without being deleted moves to the
/// dead-letter queue on the next receive. De-duplication is by message id only
/// (`ContentBasedDeduplication` off). Creating queues that exist with the same attributes is a
/// no-op; SQS refuses different attributes.
pub async fn create_fifo_queue_with_dlq(
    client: &Client,
    name_prefix: &str,
    max_receives: u32,
    visibility_timeout_secs: u32,
) -> Result<FifoQueueUrls, SetupError> {
    let dead_letter_name = format!("{name_prefix}-dlq.fifo");
    let dead_letter_url = create_fifo(
        client,
        &dead_letter_name,
        &[
            (
                QueueAttributeName::VisibilityTimeout,
                visibility_timeout_secs.to_string(),
            ),
            (
                QueueAttributeName::MessageRetentionPeriod,
                DEAD_LETTER_RETENTION_SECS.to_string(),
            ),
        ],
    )
    .await?;
    let dead_letter_arn = queue_arn(client, &dead_letter_url).await?;
    let redrive_policy = serde_json::json!({
        "deadLetterTargetArn": dead_letter_arn,
        "maxReceiveCount": max_receives.to_string(),
    });
    let queue_url = create_fifo(
        client,
        &format!("{name_prefix}.fifo"),
        &[
            (
                QueueAttributeName::VisibilityTimeout,
                visibility_timeout_secs.to_string(),
            ),
            (
                QueueAttributeName::RedrivePolicy,
                redrive_policy.to_string(),
            ),
        ],
    )
    .await?;
    Ok(FifoQueueUrls {
        queue_url,
        dead_letter_url,
    })
}

async fn create_fifo(
    client: &Client,
    name: &str,
    attributes: &[(QueueAttributeName, String)],
) -> Result<String, SetupError> {
    let mut request = client
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "false");
    for (name, value) in attributes {
        request = request.attributes(name.clone(), value);
    }
    let output = request
        .send()
        .await
        .map_err(|e| SetupError::Sqs(e.into()))?;
    output
        .queue_url()
        .map(str::to_owned)
        .ok_or_else(|| SetupError::MissingQueueUrl(name.to_owned()))
}

async fn queue_arn(client: &Client, queue_url: &str) -> Result<String, SetupError> {
    let output = client
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| SetupError::Sqs(e.into()))?;
    output
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .ok_or_else(|| SetupError::MissingQueueArn(queue_url.to_owned()))
}
