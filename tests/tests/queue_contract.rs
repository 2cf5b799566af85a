//! One contract for the event queue port, run against the in-process queue and against an SQS
//! FIFO queue with a dead-letter queue (moto server on loopback): both must behave the same in
//! every case below. Visibility timeouts are one second, SQS's smallest non-zero one.

use std::time::Duration;

use storesync_core::queue::{EventQueue, QueueError, QueueMessage, ReceivedMessage};
use storesync_tests::queue::QueueBackend;

const VISIBILITY: Duration = Duration::from_secs(1);
/// Long enough for a one-second timeout to have passed on either backend.
const PAST_VISIBILITY: Duration = Duration::from_millis(1_300);
const MAX_RECEIVES: u32 = 3;

/// Runs each named async test function `fn(QueueBackend)` once per queue backend.
macro_rules! against_both_queues {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use super::*;

                #[tokio::test]
                async fn local() {
                    super::$name(QueueBackend::local(VISIBILITY, MAX_RECEIVES)).await
                }

                #[tokio::test]
                async fn sqs() {
                    super::$name(QueueBackend::sqs(VISIBILITY, MAX_RECEIVES).await).await
                }
            }
        )*
    };
}

against_both_queues!(
    a_sent_message_is_received_once_with_its_id_group_body_and_receive_count_1,
    a_second_send_of_the_same_id_within_the_window_is_dropped,
    one_receive_hands_out_a_groups_messages_in_send_order,
    a_groups_next_message_waits_while_one_is_in_flight_but_other_groups_are_delivered,
    an_undeleted_message_comes_back_after_the_visibility_timeout_with_receive_count_2,
    a_deleted_message_never_comes_back,
    release_makes_a_message_visible_at_once,
    after_max_receives_the_message_lands_in_the_dead_letter_queue_and_is_not_delivered_again,
    a_dead_lettered_message_no_longer_holds_back_its_group,
    deleting_or_releasing_with_a_bogus_receipt_is_an_invalid_receipt,
    deleting_a_message_twice_succeeds,
    releasing_a_deleted_message_is_an_invalid_receipt,
);

fn message(id: &str, group: &str) -> QueueMessage {
    QueueMessage {
        id: id.into(),
        group: group.into(),
        body: format!(r#"{{"event_id":"{id}","group":"{group}"}}"#),
    }
}

/// Ids are unique per test so the de-duplication window of one run never hides the next.
fn unique(id: &str) -> String {
    format!("{id}-{}", uuid::Uuid::new_v4().simple())
}

async fn send(queue: &dyn EventQueue, messages: &[&QueueMessage]) {
    for m in messages {
        queue.send(m).await.expect("send");
    }
}

async fn receive(queue: &dyn EventQueue, max: usize) -> Vec<ReceivedMessage> {
    queue.receive(max).await.expect("receive")
}

async fn receive_one(queue: &dyn EventQueue) -> ReceivedMessage {
    let mut received = receive(queue, 10).await;
    assert_eq!(received.len(), 1, "exactly one message: {received:?}");
    received.remove(0)
}

fn ids(received: &[ReceivedMessage]) -> Vec<&str> {
    received.iter().map(|r| r.message.id.as_str()).collect()
}

async fn a_sent_message_is_received_once_with_its_id_group_body_and_receive_count_1(
    backend: QueueBackend,
) {
    let queue = backend.queue();
    let sent = message(&unique("evt"), "customer-1");

    send(&*queue, &[&sent]).await;
    let received = receive_one(&*queue).await;

    assert_eq!(received.message, sent, "{}", backend.name());
    assert_eq!(received.receive_count, 1);
    assert!(!received.receipt.is_empty());
    assert!(
        receive(&*queue, 10).await.is_empty(),
        "hidden while in flight"
    );
}

async fn a_second_send_of_the_same_id_within_the_window_is_dropped(backend: QueueBackend) {
    let queue = backend.queue();
    let first = message(&unique("evt"), "customer-1");
    let again = QueueMessage {
        body: "a different body".into(),
        ..first.clone()
    };

    send(&*queue, &[&first, &again]).await;
    let received = receive(&*queue, 10).await;

    assert_eq!(received.len(), 1, "{}: {received:?}", backend.name());
    assert_eq!(received[0].message, first);
    queue.delete(&received[0].receipt).await.unwrap();
    tokio::time::sleep(PAST_VISIBILITY).await;
    assert!(receive(&*queue, 10).await.is_empty());
}

async fn one_receive_hands_out_a_groups_messages_in_send_order(backend: QueueBackend) {
    let queue = backend.queue();
    let sent: Vec<QueueMessage> = (1..=5)
        .map(|n| message(&unique(&format!("evt{n}")), "customer-1"))
        .collect();

    send(&*queue, &sent.iter().collect::<Vec<_>>()).await;
    let received = receive(&*queue, 10).await;

    let expected: Vec<&str> = sent.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids(&received), expected, "{}", backend.name());
}

async fn a_groups_next_message_waits_while_one_is_in_flight_but_other_groups_are_delivered(
    backend: QueueBackend,
) {
    let queue = backend.queue();
    let a1 = message(&unique("a1"), "customer-a");
    let a2 = message(&unique("a2"), "customer-a");
    let b1 = message(&unique("b1"), "customer-b");
    send(&*queue, &[&a1, &a2, &b1]).await;

    let first = receive(&*queue, 1).await;
    assert_eq!(ids(&first), [a1.id.as_str()], "{}", backend.name());

    let meanwhile = receive(&*queue, 10).await;
    assert_eq!(ids(&meanwhile), [b1.id.as_str()], "a2 waits behind a1");

    queue.delete(&first[0].receipt).await.unwrap();
    let next = receive(&*queue, 10).await;
    assert_eq!(ids(&next), [a2.id.as_str()]);
}

async fn an_undeleted_message_comes_back_after_the_visibility_timeout_with_receive_count_2(
    backend: QueueBackend,
) {
    let queue = backend.queue();
    let sent = message(&unique("evt"), "customer-1");
    send(&*queue, &[&sent]).await;
    let first = receive_one(&*queue).await;
    assert!(receive(&*queue, 10).await.is_empty(), "{}", backend.name());

    tokio::time::sleep(PAST_VISIBILITY).await;
    let again = receive_one(&*queue).await;

    assert_eq!(again.message, sent);
    assert_eq!(again.receive_count, 2);
    assert_ne!(
        again.receipt, first.receipt,
        "each receive has its own receipt"
    );
}

async fn a_deleted_message_never_comes_back(backend: QueueBackend) {
    let queue = backend.queue();
    send(&*queue, &[&message(&unique("evt"), "customer-1")]).await;
    let received = receive_one(&*queue).await;

    queue.delete(&received.receipt).await.unwrap();
    tokio::time::sleep(PAST_VISIBILITY).await;

    assert!(receive(&*queue, 10).await.is_empty(), "{}", backend.name());
    assert!(backend.dead_letters().await.is_empty());
}

async fn release_makes_a_message_visible_at_once(backend: QueueBackend) {
    let queue = backend.queue();
    let sent = message(&unique("evt"), "customer-1");
    send(&*queue, &[&sent]).await;
    let first = receive_one(&*queue).await;

    queue.release(&first.receipt).await.unwrap();
    let again = receive_one(&*queue).await;

    assert_eq!(again.message, sent, "{}", backend.name());
    assert_eq!(again.receive_count, 2, "a release counts as a receive");
}

async fn after_max_receives_the_message_lands_in_the_dead_letter_queue_and_is_not_delivered_again(
    backend: QueueBackend,
) {
    let queue = backend.queue();
    let poison = message(&unique("poison"), "customer-1");
    send(&*queue, &[&poison]).await;
    for count in 1..=MAX_RECEIVES {
        let received = receive_one(&*queue).await;
        assert_eq!(received.receive_count, count, "{}", backend.name());
        queue.release(&received.receipt).await.unwrap();
    }
    assert!(
        backend.dead_letters().await.is_empty(),
        "moved only when the next receive would deliver it"
    );

    assert!(receive(&*queue, 10).await.is_empty(), "not delivered again");
    assert_eq!(backend.dead_letters().await, std::slice::from_ref(&poison));
    tokio::time::sleep(PAST_VISIBILITY).await;
    assert!(receive(&*queue, 10).await.is_empty());
    assert_eq!(backend.dead_letters().await, [poison]);
}

async fn a_dead_lettered_message_no_longer_holds_back_its_group(backend: QueueBackend) {
    let queue = backend.queue();
    let poison = message(&unique("poison"), "customer-1");
    let next = message(&unique("next"), "customer-1");
    send(&*queue, &[&poison, &next]).await;
    for _ in 0..MAX_RECEIVES {
        let received = receive(&*queue, 1).await;
        assert_eq!(ids(&received), [poison.id.as_str()], "{}", backend.name());
        queue.release(&received[0].receipt).await.unwrap();
    }

    let received = receive(&*queue, 1).await;

    assert_eq!(ids(&received), [next.id.as_str()]);
    assert_eq!(backend.dead_letters().await, [poison]);
}

async fn deleting_or_releasing_with_a_bogus_receipt_is_an_invalid_receipt(backend: QueueBackend) {
    let queue = backend.queue();
    send(&*queue, &[&message(&unique("evt"), "customer-1")]).await;
    let received = receive_one(&*queue).await;

    let deleted = queue.delete("not-a-receipt").await;
    let released = queue.release("not-a-receipt").await;

    assert!(
        matches!(deleted, Err(QueueError::InvalidReceipt)),
        "{}: {deleted:?}",
        backend.name()
    );
    assert!(
        matches!(released, Err(QueueError::InvalidReceipt)),
        "{released:?}"
    );
    queue.delete(&received.receipt).await.unwrap();
}

async fn deleting_a_message_twice_succeeds(backend: QueueBackend) {
    let queue = backend.queue();
    send(&*queue, &[&message(&unique("evt"), "customer-1")]).await;
    let received = receive_one(&*queue).await;
    queue.delete(&received.receipt).await.unwrap();

    let again = queue.delete(&received.receipt).await;

    assert!(again.is_ok(), "{}: {again:?}", backend.name());
}

async fn releasing_a_deleted_message_is_an_invalid_receipt(backend: QueueBackend) {
    let queue = backend.queue();
    send(&*queue, &[&message(&unique("evt"), "customer-1")]).await;
    let received = receive_one(&*queue).await;
    queue.delete(&received.receipt).await.unwrap();

    let released = queue.release(&received.receipt).await;

    assert!(
        matches!(released, Err(QueueError::InvalidReceipt)),
        "{}: {released:?}",
        backend.name()
    );
}
