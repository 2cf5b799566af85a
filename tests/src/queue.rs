//! The two event queue backends behind one switch, each able to show its dead letters.

use std::sync::Arc;
use std::time::Duration;

use storesync_core::queue::{EventQueue, QueueMessage};
use storesync_embedded::LocalQueue;
use storesync_sqs::{ReceiveSettings, SqsQueue};

pub enum QueueBackend {
    Local(Arc<LocalQueue>),
    Sqs {
        queue: Arc<SqsQueue>,
        dead_letters: SqsQueue,
    },
}

impl QueueBackend {
    pub fn local(visibility_timeout: Duration, max_receives: u32) -> Self {
        QueueBackend::Local(Arc::new(LocalQueue::new(visibility_timeout, max_receives)))
    }

    /// A FIFO queue and its dead-letter queue of their own in the moto server. SQS counts
    /// the timeout in whole seconds.
    pub async fn sqs(visibility_timeout: Duration, max_receives: u32) -> Self {
        let config = crate::moto::aws_config().await;
        let client = storesync_sqs::client(&config);
        let prefix = format!("storesync-test-{}", uuid::Uuid::new_v4().simple());
        let timeout_secs = u32::try_from(visibility_timeout.as_secs()).expect("a short timeout");
        let urls =
            storesync_sqs::create_fifo_queue_with_dlq(&client, &prefix, max_receives, timeout_secs)
                .await
                .expect("the test queues are created");
        let settings = ReceiveSettings {
            visibility_timeout: Some(visibility_timeout),
            ..ReceiveSettings::default()
        };
        QueueBackend::Sqs {
            queue: Arc::new(SqsQueue::new(client.clone(), urls.queue_url, settings)),
            dead_letters: SqsQueue::for_url(client, urls.dead_letter_url),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            QueueBackend::Local(_) => "local",
            QueueBackend::Sqs { .. } => "sqs",
        }
    }

    pub fn queue(&self) -> Arc<dyn EventQueue> {
        match self {
            QueueBackend::Local(q) => q.clone(),
            QueueBackend::Sqs { queue, .. } => queue.clone(),
        }
    }

    /// The messages in the dead-letter queue, oldest first. Reading the SQS one receives them
    /// and releases them again, so it can be read more than once.
    pub async fn dead_letters(&self) -> Vec<QueueMessage> {
        match self {
            QueueBackend::Local(q) => q.dead_letters(),
            QueueBackend::Sqs { dead_letters, .. } => {
                let mut received = Vec::new();
                loop {
                    let batch = dead_letters
                        .receive(10)
                        .await
                        .expect("the dead-letter queue can be read");
                    if batch.is_empty() {
                        break;
                    }
                    received.extend(batch);
                }
                for r in &received {
                    dead_letters
                        .release(&r.receipt)
                        .await
                        .expect("a dead letter can be released");
                }
                received.into_iter().map(|r| r.message).collect()
            }
        }
    }
}
