//! An in-process queue with the semantics of an SQS FIFO queue with a redrive policy, as the
//! SQS adapter shows them against moto (the queue contract suite checks both):
//! - at-least-once: a received message comes back after the visibility timeout unless deleted;
//! - a second send of a message id within five minutes of the first is accepted and dropped,
//!   even if the first was deleted meanwhile (as in SQS);
//! - a group's next message waits while an earlier one of the group is in flight; one receive
//!   may hand out several messages of a group, in send order;
//! - a message received `max_receives` times moves to the dead-letter list on the next receive
//!   that would deliver it, and its group moves on.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use storesync_core::queue::{EventQueue, QueueError, QueueMessage, ReceivedMessage};

/// How long a message id is remembered, as in SQS.
const DEDUPLICATION_WINDOW: Duration = Duration::from_secs(5 * 60);

/// SQS answers at most ten messages per receive.
const MAX_BATCH: usize = 10;

/// Tells receipts of one queue from another's.
static NEXT_QUEUE_ID: AtomicU64 = AtomicU64::new(1);

type Now = Arc<dyn Fn() -> Instant + Send + Sync>;

/// An in-process queue with SQS FIFO semantics.
pub struct LocalQueue {
    queue_id: u64,
    visibility_timeout: Duration,
    max_receives: u32,
    now: Now,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// In send order.
    messages: VecDeque<Stored>,
    /// Message ids sent within the window, oldest first.
    sent: VecDeque<(Instant, String)>,
    sent_ids: HashSet<String>,
    dead_letters: Vec<QueueMessage>,
    next_seq: u64,
}

struct Stored {
    seq: u64,
    message: QueueMessage,
    receive_count: u32,
    invisible_until: Option<Instant>,
}

impl Stored {
    fn in_flight(&self, now: Instant) -> bool {
        self.invisible_until.is_some_and(|until| until > now)
    }
}

/// A receipt names the queue, the message and which receive of it handed the receipt out.
struct Receipt {
    queue_id: u64,
    seq: u64,
    receive: u32,
}

impl Receipt {
    fn encode(&self) -> String {
        format!("local-{}-{}-{}", self.queue_id, self.seq, self.receive)
    }

    fn parse(s: &str) -> Option<Self> {
        let mut parts = s.strip_prefix("local-")?.split('-');
        let receipt = Receipt {
            queue_id: parts.next()?.parse().ok()?,
            seq: parts.next()?.parse().ok()?,
            receive: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(receipt)
    }
}

impl LocalQueue {
    /// A queue whose received messages stay hidden for `visibility_timeout`, and whose
    /// messages go to the dead-letter list after `max_receives` receives (at least 1, as SQS's
    /// `maxReceiveCount`).
    pub fn new(visibility_timeout: Duration, max_receives: u32) -> Self {
        Self::with_clock(visibility_timeout, max_receives, Arc::new(Instant::now))
    }

    fn with_clock(visibility_timeout: Duration, max_receives: u32, now: Now) -> Self {
        Self {
            queue_id: NEXT_QUEUE_ID.fetch_add(1, Ordering::Relaxed),
            visibility_timeout,
            max_receives: max_receives.max(1),
            now,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is consistent after every statement that can panic, so a poisoned lock
        // still guards a usable queue.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The messages moved to the dead-letter list, oldest first.
    pub fn dead_letters(&self) -> Vec<QueueMessage> {
        self.state().dead_letters.clone()
    }

    /// Messages in the queue, in flight or not (dead letters excluded).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.state().messages.len()
    }

    /// Messages not in flight (some may still wait behind their group).
    #[cfg(test)]
    fn visible_len(&self) -> usize {
        let now = (self.now)();
        self.state()
            .messages
            .iter()
            .filter(|m| !m.in_flight(now))
            .count()
    }

    fn send_now(&self, message: &QueueMessage) {
        let now = (self.now)();
        let mut state = self.state();
        while let Some((sent_at, _)) = state.sent.front() {
            if now.duration_since(*sent_at) < DEDUPLICATION_WINDOW {
                break;
            }
            if let Some((_, id)) = state.sent.pop_front() {
                state.sent_ids.remove(&id);
            }
        }
        if !state.sent_ids.insert(message.id.clone()) {
            return;
        }
        state.sent.push_back((now, message.id.clone()));
        let seq = state.next_seq;
        state.next_seq += 1;
        state.messages.push_back(Stored {
            seq,
            message: message.clone(),
            receive_count: 0,
            invisible_until: None,
        });
    }

    fn receive_now(&self, max: usize) -> Vec<ReceivedMessage> {
        let max = max.min(MAX_BATCH);
        let now = (self.now)();
        let mut state = self.state();
        let busy_groups: HashSet<String> = state
            .messages
            .iter()
            .filter(|m| m.in_flight(now))
            .map(|m| m.message.group.clone())
            .collect();
        let mut received = Vec::new();
        let mut dead = Vec::new();
        for (index, stored) in state.messages.iter_mut().enumerate() {
            if received.len() >= max {
                break;
            }
            if stored.in_flight(now) || busy_groups.contains(&stored.message.group) {
                continue;
            }
            if stored.receive_count >= self.max_receives {
                dead.push(index);
                continue;
            }
            stored.receive_count += 1;
            stored.invisible_until = Some(now + self.visibility_timeout);
            received.push(ReceivedMessage {
                message: stored.message.clone(),
                receipt: Receipt {
                    queue_id: self.queue_id,
                    seq: stored.seq,
                    receive: stored.receive_count,
                }
                .encode(),
                receive_count: stored.receive_count,
            });
        }
        for index in dead.into_iter().rev() {
            if let Some(stored) = state.messages.remove(index) {
                state.dead_letters.push(stored.message);
            }
        }
        received
    }

    /// Where a receipt points: `Ok(Some(index))` for a message in the queue that this receipt
    /// was handed out for, `Ok(None)` for a message no longer in the queue.
    fn locate(&self, state: &State, receipt: &str) -> Result<Option<usize>, QueueError> {
        let receipt = Receipt::parse(receipt)
            .filter(|r| r.queue_id == self.queue_id && r.seq < state.next_seq && r.receive > 0)
            .ok_or(QueueError::InvalidReceipt)?;
        match state.messages.iter().position(|m| m.seq == receipt.seq) {
            Some(index) if receipt.receive > state.messages[index].receive_count => {
                Err(QueueError::InvalidReceipt)
            }
            found => Ok(found),
        }
    }

    /// Any receipt of a message deletes it, as moto does; a receipt of a message already gone
    /// (deleted or dead-lettered) is accepted, as SQS accepts a second delete.
    fn delete_now(&self, receipt: &str) -> Result<(), QueueError> {
        let mut state = self.state();
        if let Some(index) = self.locate(&state, receipt)? {
            state.messages.remove(index);
        }
        Ok(())
    }

    /// Only the latest receipt of a message in flight releases it: SQS refuses a message that is
    /// not in flight (`MessageNotInflight`), which the SQS adapter reports as an invalid receipt.
    fn release_now(&self, receipt: &str) -> Result<(), QueueError> {
        let now = (self.now)();
        let mut state = self.state();
        let index = self
            .locate(&state, receipt)?
            .ok_or(QueueError::InvalidReceipt)?;
        let stored = &mut state.messages[index];
        let latest = Receipt::parse(receipt).is_some_and(|r| r.receive == stored.receive_count);
        if !latest || !stored.in_flight(now) {
            return Err(QueueError::InvalidReceipt);
        }
        stored.invisible_until = None;
        Ok(())
    }
}

impl std::fmt::Debug for LocalQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalQueue")
            .field("visibility_timeout", &self.visibility_timeout)
            .field("max_receives", &self.max_receives)
            .field("len", &self.state().messages.len())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl EventQueue for LocalQueue {
    async fn send(&self, message: &QueueMessage) -> Result<(), QueueError> {
        self.send_now(message);
        Ok(())
    }

    async fn receive(&self, max: usize) -> Result<Vec<ReceivedMessage>, QueueError> {
        Ok(self.receive_now(max))
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        self.delete_now(receipt)
    }

    async fn release(&self, receipt: &str) -> Result<(), QueueError> {
        self.release_now(receipt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock the test moves by hand.
    #[derive(Clone)]
    struct ManualClock(Arc<Mutex<Instant>>);

    impl ManualClock {
        fn new() -> Self {
            Self(Arc::new(Mutex::new(Instant::now())))
        }

        fn advance(&self, by: Duration) {
            *self.0.lock().unwrap() += by;
        }

        fn queue(&self, visibility_timeout: Duration, max_receives: u32) -> LocalQueue {
            let clock = self.0.clone();
            LocalQueue::with_clock(
                visibility_timeout,
                max_receives,
                Arc::new(move || *clock.lock().unwrap()),
            )
        }
    }

    const TIMEOUT: Duration = Duration::from_secs(30);

    fn message(id: &str, group: &str) -> QueueMessage {
        QueueMessage {
            id: id.into(),
            group: group.into(),
            body: format!("body of {id}"),
        }
    }

    fn ids(received: &[ReceivedMessage]) -> Vec<&str> {
        received.iter().map(|r| r.message.id.as_str()).collect()
    }

    #[test]
    fn a_message_is_hidden_until_the_visibility_timeout_has_passed() {
        let clock = ManualClock::new();
        let queue = clock.queue(TIMEOUT, 5);
        queue.send_now(&message("a", "g"));
        assert_eq!(queue.receive_now(1).len(), 1);

        clock.advance(TIMEOUT - Duration::from_millis(1));
        assert!(queue.receive_now(1).is_empty());
        assert_eq!(queue.visible_len(), 0);

        clock.advance(Duration::from_millis(1));
        let again = queue.receive_now(1);
        assert_eq!(ids(&again), ["a"]);
        assert_eq!(again[0].receive_count, 2);
    }

    #[test]
    fn a_message_id_is_accepted_again_once_the_deduplication_window_has_passed() {
        let clock = ManualClock::new();
        let queue = clock.queue(TIMEOUT, 5);
        queue.send_now(&message("a", "g"));
        let first = queue.receive_now(1);
        queue.delete_now(&first[0].receipt).unwrap();

        clock.advance(DEDUPLICATION_WINDOW - Duration::from_secs(1));
        queue.send_now(&message("a", "g"));
        assert!(
            queue.len() == 0,
            "still within the window, even after a delete"
        );

        clock.advance(Duration::from_secs(1));
        queue.send_now(&message("a", "g"));
        assert_eq!(queue.len(), 1);
    }

    #[test]
    fn a_message_is_delivered_max_receives_times_then_dead_lettered_on_the_next_receive() {
        let clock = ManualClock::new();
        let queue = clock.queue(TIMEOUT, 3);
        queue.send_now(&message("a", "g"));
        queue.send_now(&message("b", "g"));
        for count in 1..=3 {
            let received = queue.receive_now(1);
            assert_eq!(ids(&received), ["a"]);
            assert_eq!(received[0].receive_count, count);
            clock.advance(TIMEOUT);
        }
        assert!(queue.dead_letters().is_empty());

        let next = queue.receive_now(1);

        assert_eq!(ids(&next), ["b"], "the group moves on");
        assert_eq!(queue.dead_letters(), [message("a", "g")]);
    }

    #[test]
    fn one_receive_hands_out_a_groups_messages_in_send_order() {
        let clock = ManualClock::new();
        let queue = clock.queue(TIMEOUT, 5);
        for id in ["a1", "b1", "a2", "a3"] {
            queue.send_now(&message(id, &id[..1]));
        }
        assert_eq!(ids(&queue.receive_now(3)), ["a1", "b1", "a2"]);
        assert!(queue.receive_now(10).is_empty(), "a3 waits behind a2");
    }

    #[test]
    fn a_stale_receipt_deletes_but_does_not_release() {
        let clock = ManualClock::new();
        let queue = clock.queue(TIMEOUT, 5);
        queue.send_now(&message("a", "g"));
        let first = queue.receive_now(1).remove(0);
        clock.advance(TIMEOUT);
        let second = queue.receive_now(1).remove(0);

        assert!(matches!(
            queue.release_now(&first.receipt),
            Err(QueueError::InvalidReceipt)
        ));
        queue.delete_now(&first.receipt).unwrap();
        assert!(queue.len() == 0);
        queue.delete_now(&second.receipt).unwrap();
    }

    #[test]
    fn a_message_that_is_not_in_flight_cannot_be_released() {
        let clock = ManualClock::new();
        let queue = clock.queue(TIMEOUT, 5);
        queue.send_now(&message("a", "g"));
        let received = queue.receive_now(1).remove(0);
        clock.advance(TIMEOUT);

        assert!(matches!(
            queue.release_now(&received.receipt),
            Err(QueueError::InvalidReceipt)
        ));
    }

    #[test]
    fn receipts_of_another_queue_or_never_handed_out_are_invalid() {
        let clock = ManualClock::new();
        let queue = clock.queue(TIMEOUT, 5);
        let other = clock.queue(TIMEOUT, 5);
        queue.send_now(&message("a", "g"));
        other.send_now(&message("a", "g"));
        let foreign = other.receive_now(1).remove(0);
        let own = queue.receive_now(1).remove(0);
        let not_yet = Receipt {
            queue_id: queue.queue_id,
            seq: 0,
            receive: own.receive_count + 1,
        }
        .encode();

        for receipt in [foreign.receipt.as_str(), not_yet.as_str(), "", "local-x"] {
            assert!(
                matches!(queue.delete_now(receipt), Err(QueueError::InvalidReceipt)),
                "{receipt:?}"
            );
        }
        assert_eq!(queue.len(), 1);
    }

    #[test]
    fn receiving_zero_messages_receives_none_and_more_than_ten_receives_ten() {
        let clock = ManualClock::new();
        let queue = clock.queue(TIMEOUT, 5);
        for n in 0..12 {
            queue.send_now(&message(&format!("m{n}"), &format!("g{n}")));
        }
        assert!(queue.receive_now(0).is_empty());
        assert_eq!(queue.receive_now(50).len(), 10);
    }
}
