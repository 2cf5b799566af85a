//! The use case: which mails an event asks for, to whom, sent once each, kept pending when the
//! mail service does not take them and tried again by the retry run.

use std::sync::Arc;

use chrono::Duration;
use serde::Serialize;

use super::{
    Content, EmailMessage, MAX_ATTEMPTS, Notification, NotificationStatus, Notifications,
    NotifyError, Parcel, Template, render,
};
use crate::events::{EventType, OutboxEvent};
use crate::ids::{Email, OrderId};
use crate::order::{Order, RefundState};
use crate::ports::{
    Clock, CustomerStore, FulfilmentStore, NotificationLog, PageRequest, StoreError,
};

/// How long a mail being sent is left alone by the retry run: longer than one send takes.
const CLAIM: Duration = Duration::minutes(2);
/// Mails retried per run.
const RETRY_BATCH: usize = 50;

/// A mail an event asks for, before it has an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailPlan {
    pub id: String,
    pub content: Content,
}

/// The mails `event` asks for: a confirmation when the order is paid, a shipment mail when it
/// shipped (parcels filled in by the caller), a refund mail per refunded credit memo.
pub fn mails_for(event: &OutboxEvent) -> Vec<MailPlan> {
    let Some(order) = event.order() else {
        return Vec::new();
    };
    let id = |template: Template| format!("{}:{}", order.id.as_str(), template.as_str());
    match event.event_type {
        EventType::OrderPaid => vec![MailPlan {
            id: id(Template::OrderConfirmation),
            content: Content::OrderConfirmation,
        }],
        EventType::OrderShipped => vec![MailPlan {
            id: id(Template::Shipment),
            content: Content::Shipment {
                parcels: Vec::new(),
            },
        }],
        EventType::OrderChanged => order
            .credit_memos
            .iter()
            .filter(|m| matches!(m.refund, RefundState::Refunded { .. }))
            .map(|m| MailPlan {
                id: format!("{}:{}", id(Template::Refund), m.id),
                content: Content::Refund { amount: m.amount },
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// What one event's mails came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NotifySummary {
    pub sent: usize,
    /// Left pending (or failed, if refused) for the retry run and operators.
    pub not_sent: usize,
    /// Sent before, or no address to send to.
    pub skipped: usize,
}

/// What a retry run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RetrySummary {
    pub sent: usize,
    pub pending: usize,
    pub failed: usize,
}

/// Mails customers about their orders' events.
pub struct Notifier {
    log: Arc<dyn NotificationLog>,
    customers: Arc<dyn CustomerStore>,
    fulfilment: Arc<dyn FulfilmentStore>,
    mail: Arc<dyn Notifications>,
    clock: Arc<dyn Clock>,
}

impl Notifier {
    pub fn new(
        log: Arc<dyn NotificationLog>,
        customers: Arc<dyn CustomerStore>,
        fulfilment: Arc<dyn FulfilmentStore>,
        mail: Arc<dyn Notifications>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Notifier {
            log,
            customers,
            fulfilment,
            mail,
            clock,
        }
    }

    /// Sends the mails `event` asks for that were not sent before. A mail the service does
    /// not take is kept pending; only a store failure is an error.
    pub async fn notify(&self, event: &OutboxEvent) -> Result<NotifySummary, StoreError> {
        let mut summary = NotifySummary::default();
        let plans = mails_for(event);
        let Some(order) = event.order().filter(|_| !plans.is_empty()) else {
            return Ok(summary);
        };
        for plan in plans {
            if self.log.notification(&plan.id).await?.is_some() {
                summary.skipped += 1;
                continue;
            }
            let Some((to, first_name)) = self.recipient(order).await? else {
                tracing::warn!(order_id = %order.id.as_str(), "no e-mail address for the order's customer; no mail");
                summary.skipped += 1;
                continue;
            };
            let content = match plan.content {
                Content::Shipment { .. } => Content::Shipment {
                    parcels: self.parcels(&order.id).await?,
                },
                other => other,
            };
            let rendered = render(&content, order, first_name.as_deref());
            let now = self.clock.now();
            let notification = Notification {
                id: plan.id.clone(),
                template: content.template(),
                order_id: order.id.clone(),
                event_id: event.event_id.clone(),
                message: EmailMessage {
                    id: plan.id,
                    to,
                    subject: rendered.subject,
                    text: rendered.text,
                    html: rendered.html,
                },
                status: NotificationStatus::Pending,
                attempts: 0,
                last_error: None,
                next_attempt_at: now + CLAIM,
                created_at: now,
                updated_at: now,
                version: 1,
            };
            // Claimed by whoever records it first: a concurrent delivery of the event skips.
            if !self.log.record_notification(&notification).await? {
                summary.skipped += 1;
                continue;
            }
            match self.attempt(notification).await?.status {
                NotificationStatus::Sent => summary.sent += 1,
                _ => summary.not_sent += 1,
            }
        }
        Ok(summary)
    }

    /// Sends again the pending mails whose time has come, oldest first.
    pub async fn retry_pending(&self) -> Result<RetrySummary, StoreError> {
        let mut summary = RetrySummary::default();
        let now = self.clock.now();
        let page = self
            .log
            .notifications(
                NotificationStatus::Pending,
                &PageRequest::first(RETRY_BATCH),
            )
            .await?;
        for mut notification in page.items {
            if notification.next_attempt_at > now {
                continue;
            }
            // Claimed for this run: a concurrent run loses the version and leaves it.
            notification.next_attempt_at = now + CLAIM;
            notification.version += 1;
            match self.log.save_notification(&notification).await {
                Ok(()) => {}
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e),
            }
            match self.attempt(notification).await?.status {
                NotificationStatus::Sent => summary.sent += 1,
                NotificationStatus::Pending => summary.pending += 1,
                NotificationStatus::Failed => summary.failed += 1,
            }
        }
        Ok(summary)
    }

    /// Sends a claimed mail and records the outcome.
    async fn attempt(&self, mut notification: Notification) -> Result<Notification, StoreError> {
        let result = self.mail.send(&notification.message).await;
        let now = self.clock.now();
        notification.attempts += 1;
        notification.updated_at = now;
        notification.version += 1;
        match result {
            Ok(()) => {
                notification.status = NotificationStatus::Sent;
                notification.last_error = None;
                tracing::info!(notification_id = %notification.id, template = notification.template.as_str(), "customer mail sent");
            }
            Err(error) => {
                let parked = matches!(error, NotifyError::Refused(_))
                    || notification.attempts >= MAX_ATTEMPTS;
                notification.status = if parked {
                    NotificationStatus::Failed
                } else {
                    NotificationStatus::Pending
                };
                notification.next_attempt_at = now + backoff(notification.attempts);
                notification.last_error = Some(error_chain(&error));
                tracing::warn!(notification_id = %notification.id, attempts = notification.attempts, status = notification.status.as_str(), %error, "customer mail not sent");
            }
        }
        self.log.save_notification(&notification).await?;
        Ok(notification)
    }

    async fn recipient(
        &self,
        order: &Order,
    ) -> Result<Option<(Email, Option<String>)>, StoreError> {
        if let Some(email) = &order.customer.guest_email {
            return Ok(Some((email.clone(), None)));
        }
        let Some(id) = &order.customer.customer_id else {
            return Ok(None);
        };
        Ok(self
            .customers
            .customer(id)
            .await?
            .map(|c| (c.email, Some(c.first_name))))
    }

    async fn parcels(&self, order: &OrderId) -> Result<Vec<Parcel>, StoreError> {
        Ok(self
            .fulfilment
            .fulfilment_orders(order)
            .await?
            .into_iter()
            .flat_map(|f| f.shipments)
            .map(|s| Parcel {
                carrier: s.carrier,
                tracking_number: s.tracking_number,
            })
            .collect())
    }
}

/// Waits between tries: one minute, doubling, at most an hour.
fn backoff(attempts: u32) -> Duration {
    Duration::minutes((1i64 << attempts.saturating_sub(1).min(6)).min(60))
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
