//! The event queue port: at-least-once delivery, per-group ordering, de-duplication by message
//! id, a visibility timeout, and a dead-letter queue after too many receives (as SQS FIFO).

use async_trait::async_trait;
use thiserror::Error;

use crate::ports::BoxError;

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    /// De-duplication id: a second send of the same id within the de-duplication window
    /// (5 minutes) is accepted and dropped.
    pub id: String,
    /// Messages of one group are delivered in order, one in flight at a time.
    pub group: String,
    pub body: String,
}

/// A message as received; it comes back after the visibility timeout unless deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub message: QueueMessage,
    /// Handle for [`EventQueue::delete`] and [`EventQueue::release`].
    pub receipt: String,
    /// How many times this message has been received, this time included.
    pub receive_count: u32,
}

#[derive(Debug, Error)]
pub enum QueueError {
    #[error("the queue is unavailable")]
    Unavailable(#[source] BoxError),
    #[error("the receipt is unknown or expired")]
    InvalidReceipt,
}

#[async_trait]
pub trait EventQueue: Send + Sync {
    async fn send(&self, message: &QueueMessage) -> Result<(), QueueError>;
    /// Up to `max` (1 to 10) visible messages, hidden from other receivers for the visibility timeout.
    async fn receive(&self, max: usize) -> Result<Vec<ReceivedMessage>, QueueError>;
    /// The message was handled: it is never delivered again.
    async fn delete(&self, receipt: &str) -> Result<(), QueueError>;
    /// The message was not handled: make it visible again now (counts as a receive).
    async fn release(&self, receipt: &str) -> Result<(), QueueError>;
}
