//! The outbox relay: events committed with a change are sent to the queue and marked sent;
//! a sweep sends whatever a failure left behind. Receivers de-duplicate by event id.

use std::sync::Arc;

use crate::events::OutboxEvent;
use crate::ports::{OutboxStore, StoreError};
use crate::queue::{EventQueue, QueueMessage};

/// The queue message for an event: de-duplicated by event id, ordered per customer.
pub fn queue_message(event: &OutboxEvent) -> QueueMessage {
    QueueMessage {
        id: event.event_id.to_string(),
        group: event.customer_key.to_string(),
        body: serde_json::to_string(event).expect("outbox events serialise"),
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub sent: usize,
    pub failed: usize,
}

pub struct OutboxRelay {
    outbox: Arc<dyn OutboxStore>,
    queue: Arc<dyn EventQueue>,
}

impl OutboxRelay {
    pub fn new(outbox: Arc<dyn OutboxStore>, queue: Arc<dyn EventQueue>) -> Self {
        OutboxRelay { outbox, queue }
    }

    /// Sends committed events right away. A failure is logged and left to the sweep: the
    /// change the caller made is committed either way.
    pub async fn publish(&self, events: &[OutboxEvent]) -> SweepReport {
        let mut report = SweepReport::default();
        for event in events {
            match self.send(event).await {
                Ok(()) => report.sent += 1,
                Err(e) => {
                    report.failed += 1;
                    tracing::warn!(event_id = %event.event_id, subject = event.subject_id(), error = %e, "event left for the outbox sweep");
                }
            }
        }
        report
    }

    async fn send(
        &self,
        event: &OutboxEvent,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.queue.send(&queue_message(event)).await?;
        self.outbox.mark_sent(&event.event_id).await?;
        Ok(())
    }

    /// Sends up to `limit` unsent events, oldest first.
    pub async fn sweep(&self, limit: usize) -> Result<SweepReport, StoreError> {
        let events = self.outbox.unsent_events(limit).await?;
        Ok(self.publish(&events).await)
    }
}
