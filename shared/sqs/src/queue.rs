use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use storesync_core::queue::{EventQueue, QueueError, QueueMessage, ReceivedMessage};

use crate::error::MalformedMessage;

/// SQS answers at most ten messages per ReceiveMessage.
const MAX_BATCH: usize = 10;

/// How [`SqsQueue::receive`] asks SQS for messages. Durations are sent in whole seconds (SQS's
/// unit); a fraction of a second is dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiveSettings {
    /// Hides received messages for this long; `None` keeps the queue's own timeout.
    pub visibility_timeout: Option<Duration>,
    /// Long polling: how long a receive waits for a message (0 to 20 s; 0 answers at once).
    pub wait_time: Duration,
}

/// The event queue on an SQS FIFO queue.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    queue_url: String,
    settings: ReceiveSettings,
}

impl SqsQueue {
    pub fn new(client: Client, queue_url: impl Into<String>, settings: ReceiveSettings) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
            settings,
        }
    }

    /// The queue at `queue_url` with default settings, e.g. to read a dead-letter queue.
    pub fn for_url(client: Client, queue_url: impl Into<String>) -> Self {
        Self::new(client, queue_url, ReceiveSettings::default())
    }
}

fn unavailable<E: std::error::Error + Send + Sync + 'static>(e: E) -> QueueError {
    QueueError::Unavailable(Box::new(e))
}

fn whole_seconds(d: Duration) -> i32 {
    i32::try_from(d.as_secs()).unwrap_or(i32::MAX)
}

/// SQS has answered both codes for a receipt handle it cannot use; `InvalidIdFormat` is the
/// older one.
fn is_bad_receipt_code(code: Option<&str>) -> bool {
    matches!(code, Some("ReceiptHandleIsInvalid" | "InvalidIdFormat"))
}

#[async_trait]
impl EventQueue for SqsQueue {
    async fn send(&self, message: &QueueMessage) -> Result<(), QueueError> {
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(&message.body)
            .message_group_id(&message.group)
            .message_deduplication_id(&message.id)
            .send()
            .await
            .map_err(unavailable)?;
        tracing::debug!(message_id = %message.id, "sent to SQS");
        Ok(())
    }

    async fn receive(&self, max: usize) -> Result<Vec<ReceivedMessage>, QueueError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let batch = i32::try_from(max.min(MAX_BATCH)).expect("at most ten");
        let output = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(batch)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
            .message_system_attribute_names(MessageSystemAttributeName::MessageDeduplicationId)
            .set_visibility_timeout(self.settings.visibility_timeout.map(whole_seconds))
            .wait_time_seconds(whole_seconds(self.settings.wait_time))
            .send()
            .await
            .map_err(unavailable)?;
        output
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|m| received(m).map_err(unavailable))
            .collect()
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(s) if s.is_receipt_handle_is_invalid() || is_bad_receipt_code(s.code()) => {
                    QueueError::InvalidReceipt
                }
                _ => unavailable(e),
            })?;
        Ok(())
    }

    async fn release(&self, receipt: &str) -> Result<(), QueueError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(0)
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(s)
                    if s.is_receipt_handle_is_invalid()
                        || s.is_message_not_inflight()
                        || is_bad_receipt_code(s.code()) =>
                {
                    QueueError::InvalidReceipt
                }
                _ => unavailable(e),
            })?;
        Ok(())
    }
}

/// The port's view of an SQS message, from the system attributes that `receive` asks for.
pub(crate) fn received(message: Message) -> Result<ReceivedMessage, MalformedMessage> {
    let message_id = message.message_id().unwrap_or_default().to_owned();
    let attribute = |name: MessageSystemAttributeName, label: &'static str| {
        message
            .attributes()
            .and_then(|a| a.get(&name))
            .cloned()
            .ok_or_else(|| MalformedMessage::Missing {
                message_id: message_id.clone(),
                attribute: label,
            })
    };
    let id = attribute(
        MessageSystemAttributeName::MessageDeduplicationId,
        "MessageDeduplicationId",
    )?;
    let group = attribute(MessageSystemAttributeName::MessageGroupId, "MessageGroupId")?;
    let receive_count = attribute(
        MessageSystemAttributeName::ApproximateReceiveCount,
        "ApproximateReceiveCount",
    )?
    .parse()
    .map_err(|source| MalformedMessage::ReceiveCount {
        message_id: message_id.clone(),
        source,
    })?;
    let missing = |label| MalformedMessage::Missing {
        message_id: message_id.clone(),
        attribute: label,
    };
    let receipt = message
        .receipt_handle()
        .ok_or_else(|| missing("receipt handle"))?
        .to_owned();
    let body = message.body().ok_or_else(|| missing("body"))?.to_owned();
    Ok(ReceivedMessage {
        message: QueueMessage { id, group, body },
        receipt,
        receive_count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqs_message(attributes: &[(MessageSystemAttributeName, &str)]) -> Message {
        let mut builder = Message::builder()
            .message_id("m-1")
            .receipt_handle("r-1")
            .body("{\"hello\":1}");
        for (name, value) in attributes {
            builder = builder.attributes(name.clone(), *value);
        }
        builder.build()
    }

    #[test]
    fn a_received_message_carries_the_sent_id_group_and_receive_count() {
        let message = sqs_message(&[
            (MessageSystemAttributeName::MessageDeduplicationId, "evt-1"),
            (MessageSystemAttributeName::MessageGroupId, "customer-7"),
            (MessageSystemAttributeName::ApproximateReceiveCount, "3"),
        ]);

        let received = received(message).unwrap();

        assert_eq!(
            received,
            ReceivedMessage {
                message: QueueMessage {
                    id: "evt-1".into(),
                    group: "customer-7".into(),
                    body: "{\"hello\":1}".into(),
                },
                receipt: "r-1".into(),
                receive_count: 3,
            }
        );
    }

    #[test]
    fn a_message_without_a_group_is_malformed() {
        let message = sqs_message(&[
            (MessageSystemAttributeName::MessageDeduplicationId, "evt-1"),
            (MessageSystemAttributeName::ApproximateReceiveCount, "1"),
        ]);

        let err = received(message).unwrap_err();

        assert!(matches!(
            err,
            MalformedMessage::Missing {
                attribute: "MessageGroupId",
                ..
            }
        ));
    }

    #[test]
    fn a_receive_count_that_is_not_a_number_is_malformed() {
        let message = sqs_message(&[
            (MessageSystemAttributeName::MessageDeduplicationId, "evt-1"),
            (MessageSystemAttributeName::MessageGroupId, "g"),
            (MessageSystemAttributeName::ApproximateReceiveCount, "many"),
        ]);

        assert!(matches!(
            received(message).unwrap_err(),
            MalformedMessage::ReceiveCount { .. }
        ));
    }

    #[test]
    fn durations_are_sent_in_whole_seconds() {
        assert_eq!(whole_seconds(Duration::from_millis(1_900)), 1);
        assert_eq!(whole_seconds(Duration::from_secs(u64::MAX)), i32::MAX);
    }
}
