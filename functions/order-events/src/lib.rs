//! The order-events consumer: SQS FIFO delivers every customer and order event; each is
//! synced to Salesforce on its own, and the ones that must be tried again are reported in
//! `batchItemFailures`, together with every later message of their group in the batch, so
//! one customer's events are never applied out of order. An operator's "sync now" on a
//! selection comes the same way, as a sync request.

pub mod config;
pub mod wiring;

use std::convert::Infallible;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::LambdaEvent;
use storesync_core::events::OutboxEvent;
use storesync_core::notifications::notifier::{Notifier, NotifySummary};
use storesync_core::sync::consumer::{CrmSync, Handled};
use storesync_core::sync::resync::{Resync, SyncRequest};

/// One message as delivered, whichever queue delivered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    /// The FIFO message group: the customer key.
    pub group: String,
    pub body: String,
    /// This delivery's number, the first being 1.
    pub receive_count: u32,
}

/// The SQS records of a Lambda event as deliveries, in the order SQS gave them.
pub fn deliveries(event: &SqsEvent) -> Vec<Delivery> {
    event
        .records
        .iter()
        .map(|m| Delivery {
            id: m.message_id.clone().unwrap_or_default(),
            group: m
                .attributes
                .get("MessageGroupId")
                .cloned()
                .unwrap_or_default(),
            body: m.body.clone().unwrap_or_default(),
            receive_count: m
                .attributes
                .get("ApproximateReceiveCount")
                .and_then(|n| n.parse().ok())
                .unwrap_or(1),
        })
        .collect()
}

/// Applies deliveries to Salesforce, then mails the customer when the event asks for it.
pub struct Consumer {
    sync: std::sync::Arc<CrmSync>,
    resync: Resync,
    max_receives: u32,
    notifier: Option<std::sync::Arc<Notifier>>,
}

impl Consumer {
    /// `resync` serves the operators' sync requests, over the same sync as the events.
    pub fn new(sync: std::sync::Arc<CrmSync>, resync: Resync, max_receives: u32) -> Self {
        Consumer {
            sync,
            resync,
            max_receives,
            notifier: None,
        }
    }

    /// Mails customers about the events once they are synced.
    pub fn with_notifier(mut self, notifier: std::sync::Arc<Notifier>) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// Handles a batch in its order, one message at a time. Returns the ids to deliver
    /// again: each failure and every later message of its group.
    pub async fn consume(&self, batch: &[Delivery]) -> Vec<String> {
        let mut failed_groups: Vec<&str> = Vec::new();
        let mut failed = Vec::new();
        for delivery in batch {
            if failed_groups.contains(&delivery.group.as_str()) {
                failed.push(delivery.id.clone());
            } else if !self.one(delivery).await {
                failed_groups.push(&delivery.group);
                failed.push(delivery.id.clone());
            }
        }
        failed
    }

    /// Whether the delivery is done with (synced, or recorded as failed for good).
    async fn one(&self, delivery: &Delivery) -> bool {
        let event: OutboxEvent = match serde_json::from_str(&delivery.body) {
            Ok(event) => event,
            Err(error) => {
                if let Ok(request) = serde_json::from_str::<SyncRequest>(&delivery.body) {
                    return self.requested(&request).await;
                }
                // Not a message of this store: it goes to the dead-letter queue for a person.
                tracing::error!(message_id = %delivery.id, %error, "unreadable order event");
                return false;
            }
        };
        let last_try = delivery.receive_count >= self.max_receives;
        match self.sync.handle(&event, last_try).await {
            Ok(Handled::Refused(_)) => {
                tracing::warn!(event_id = %event.event_id, "Salesforce refused the change; recorded as failed");
                self.notify(&event).await;
                true
            }
            Ok(handled) => {
                tracing::debug!(event_id = %event.event_id, ?handled, "order event handled");
                self.notify(&event).await;
                true
            }
            Err(error) => {
                tracing::warn!(event_id = %event.event_id, receive_count = delivery.receive_count, %error, "order event left for another try");
                false
            }
        }
    }
}

impl Consumer {
    /// The customer's mails for `event`. Never fails the delivery: a mail not sent is kept
    /// pending for the retry run, and a store failure here leaves the mail to a replay.
    async fn notify(&self, event: &OutboxEvent) {
        let Some(notifier) = &self.notifier else {
            return;
        };
        match notifier.notify(event).await {
            Ok(summary) if summary == NotifySummary::default() => {}
            Ok(summary) => {
                tracing::info!(event_id = %event.event_id, sent = summary.sent, not_sent = summary.not_sent, skipped = summary.skipped, "customer mails")
            }
            Err(error) => {
                tracing::warn!(event_id = %event.event_id, %error, "customer mails not recorded")
            }
        }
    }

    /// An operator's "sync now": each record's outcome is recorded on it; only a store
    /// failure leaves the request for another try.
    async fn requested(&self, request: &SyncRequest) -> bool {
        match self.resync.sync_records(&request.targets()).await {
            Ok(summary) => {
                let line = serde_json::to_string(&summary).unwrap_or_default();
                tracing::info!(request_id = %request.request_id, summary = %line, "sync request done");
                true
            }
            Err(error) => {
                tracing::warn!(request_id = %request.request_id, %error, "sync request left for another try");
                false
            }
        }
    }
}

/// The Lambda handler.
pub async fn function_handler(
    consumer: &Consumer,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Infallible> {
    let failed = consumer.consume(&deliveries(&event.payload)).await;
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    Ok(response)
}
