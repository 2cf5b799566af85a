//! At-least-once, in-order delivery of what the org sends out (Event Relay's change events,
//! outbound messages): a queue per kind of target, sent by a background task that retries
//! the head with a growing back-off until the target accepts it, as Salesforce keeps
//! retrying an endpoint that is down.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// The first retry waits this long; each further one twice as long.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How long one POST may take before it counts as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// How a target's answer is judged: accepted (2xx) and, for an outbound message, acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Acceptance {
    /// Any 2xx.
    Success,
    /// A 2xx whose body holds `<Ack>true</Ack>`.
    SoapAck,
}

/// One message waiting to be delivered.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub url: String,
    pub content_type: &'static str,
    /// Extra headers, such as `SOAPAction`.
    pub headers: Vec<(&'static str, &'static str)>,
    pub body: String,
    pub acceptance: Acceptance,
}

/// One try at delivering a message, as tests read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// Where it was sent.
    pub url: String,
    /// What was sent.
    pub body: String,
    /// The target's status, `None` when it could not be reached.
    pub status: Option<u16>,
    /// The target accepted it: it will not be sent again.
    pub delivered: bool,
}

/// A queue of messages for one kind of target and the log of every try.
#[derive(Debug)]
pub(crate) struct Outbox {
    queue: Mutex<VecDeque<Delivery>>,
    attempts: Mutex<Vec<DeliveryAttempt>>,
    wake: Notify,
    /// One sender at a time, so the head is never sent twice at once nor overtaken.
    sending: tokio::sync::Mutex<()>,
    client: reqwest::Client,
}

impl Outbox {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            queue: Mutex::new(VecDeque::new()),
            attempts: Mutex::new(Vec::new()),
            wake: Notify::new(),
            sending: tokio::sync::Mutex::new(()),
            client: reqwest::Client::builder()
                .timeout(SEND_TIMEOUT)
                .build()
                .unwrap_or_default(),
        })
    }

    fn queue(&self) -> MutexGuard<'_, VecDeque<Delivery>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn log(&self) -> MutexGuard<'_, Vec<DeliveryAttempt>> {
        self.attempts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a message behind the ones not yet delivered.
    pub(crate) fn push(&self, delivery: Delivery) {
        self.queue().push_back(delivery);
        self.wake.notify_one();
    }

    /// Messages not yet delivered.
    pub(crate) fn pending(&self) -> usize {
        self.queue().len()
    }

    /// Every try so far, oldest first.
    pub(crate) fn attempts(&self) -> Vec<DeliveryAttempt> {
        self.log().clone()
    }

    /// Sends queued messages in order until one is refused; returns how many are left.
    pub(crate) async fn send_pending(&self) -> usize {
        let _sending = self.sending.lock().await;
        loop {
            let Some(head) = self.queue().front().cloned() else {
                return 0;
            };
            let (status, delivered) = self.send(&head).await;
            self.log().push(DeliveryAttempt {
                url: head.url.clone(),
                body: head.body.clone(),
                status,
                delivered,
            });
            if !delivered {
                return self.pending();
            }
            self.queue().pop_front();
        }
    }

    async fn send(&self, delivery: &Delivery) -> (Option<u16>, bool) {
        let mut request = self
            .client
            .post(&delivery.url)
            .header(reqwest::header::CONTENT_TYPE, delivery.content_type)
            .body(delivery.body.clone());
        for (name, value) in &delivery.headers {
            request = request.header(*name, *value);
        }
        let Ok(response) = request.send().await else {
            return (None, false);
        };
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        let delivered = status.is_success()
            && match delivery.acceptance {
                Acceptance::Success => true,
                Acceptance::SoapAck => acknowledged(&body),
            };
        (Some(status.as_u16()), delivered)
    }

    /// The background sender: sends whenever something is queued, and retries a refused
    /// message with a growing back-off.
    pub(crate) fn spawn_sender(self: &Arc<Self>) -> JoinHandle<()> {
        let outbox = self.clone();
        tokio::spawn(async move {
            let mut backoff = FIRST_BACKOFF;
            loop {
                if outbox.send_pending().await == 0 {
                    backoff = FIRST_BACKOFF;
                    outbox.wake.notified().await;
                } else {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        })
    }
}

/// The listener's `notificationsResponse` says `<Ack>true</Ack>` (any namespace prefix).
fn acknowledged(body: &str) -> bool {
    let compact: String = body.split_whitespace().collect();
    compact.match_indices("Ack>").any(|(at, _)| {
        let before = &compact[..at];
        let is_open = !before.ends_with('/') && before.ends_with(['<', ':']);
        is_open && compact[at + 4..].starts_with("true</")
    })
}

#[cfg(test)]
mod tests {
    use super::acknowledged;

    #[test]
    fn only_a_true_ack_acknowledges_a_notification() {
        assert!(acknowledged(
            "<soapenv:Body><notificationsResponse><Ack>true</Ack></notificationsResponse>"
        ));
        assert!(acknowledged("<out:Ack> true </out:Ack>"));
        assert!(!acknowledged("<Ack>false</Ack>"));
        assert!(!acknowledged("<notificationsResponse/>"));
    }
}
