//! The round trips each order costs in money: DynamoDB requests (what AWS bills) per checkout,
//! payment webhook and order sync. Deterministic, so a change that adds a request fails here;
//! `make bench` reports the same scenario. (Salesforce calls per order are held in
//! `crm_reliability.rs`.)

// Shared with `make bench`, which also reports the figures this file does not assert.
#[allow(dead_code)]
#[path = "../src/bin/storesync-bench/counts.rs"]
mod counts;

use std::collections::BTreeMap;

fn ops(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(op, n)| ((*op).to_owned(), *n)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn checkout_webhook_and_order_sync_cost_a_fixed_number_of_dynamodb_requests() {
    let costs = counts::measure().await;

    assert_eq!(
        costs.checkout.dynamodb,
        ops(&[("GetItem", 2), ("TransactWriteItems", 1), ("UpdateItem", 1)]),
        "a checkout: the idempotency key, the customer (for her account's terms; one more read \
         with an account), the order's transaction, the outbox event marked sent"
    );
    assert_eq!(
        costs.webhook.dynamodb,
        ops(&[("Query", 1), ("TransactWriteItems", 1), ("UpdateItem", 1)]),
        "a payment webhook: the order by payment, the transaction, the outbox event marked sent"
    );
    assert_eq!(
        costs.webhook_replay.dynamodb,
        ops(&[("Query", 1)]),
        "a replayed payment webhook only finds its event already applied"
    );
    assert_eq!(
        costs.registration_sync.dynamodb,
        ops(&[("GetItem", 3), ("TransactWriteItems", 2)]),
        "syncing a registration"
    );
    let order_sync = ops(&[
        ("BatchGetItem", 1),
        ("GetItem", 10),
        ("TransactWriteItems", 2),
    ]);
    assert_eq!(
        costs.first_order_sync.dynamodb, order_sync,
        "syncing a new customer's first order, placed and paid"
    );
    assert_eq!(
        costs.known_order_sync.dynamodb, order_sync,
        "syncing a known customer's order, placed and paid"
    );
}
