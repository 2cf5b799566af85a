//! Fulfilment in tests: the project's local fulfilment provider, taking what the stack sends and
//! answering with notices the test posts (to post them once, twice or out of order), and the
//! fulfilment job as the Lambda runs it.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use storesync_core::fulfilment::NoticeKind;
use storesync_core::fulfilment::process::Fulfilment;
use storesync_core::ids::OrderId;
use storesync_core::order::lifecycle::OrderStatus;
use storesync_core::outbox::OutboxRelay;
use storesync_core::ports::SystemClock;
use storesync_devstack::{DEV_NOTICE_SECRET, DEV_PROVIDER_SECRET};
use storesync_provider::wire::NoticeBody;
use storesync_provider::{HttpProvider, LocalProvider, NoticeTarget, SIGNATURE_HEADER};

use crate::app::{Auth, Reply};
use crate::crm::SyncHarness;

/// A local provider that ships only when the test posts its notices.
pub async fn provider(h: &SyncHarness) -> LocalProvider {
    LocalProvider::start(
        DEV_PROVIDER_SECRET,
        NoticeTarget {
            url: format!("{}/v1/fulfilment/asn", h.app.base),
            secret: DEV_NOTICE_SECRET.to_owned(),
            delay: None,
        },
    )
    .await
    .expect("the local provider starts")
}

/// The fulfilment job over the harness's store and queue, sending to `provider`.
pub fn fulfilment(h: &SyncHarness, provider: &LocalProvider) -> Fulfilment {
    Fulfilment::new(
        h.store.clone(),
        h.store.clone(),
        h.store.clone(),
        Arc::new(SystemClock),
    )
    .with_relay(Arc::new(OutboxRelay::new(h.store.clone(), h.queue.clone())))
    .with_provider(Arc::new(
        HttpProvider::new(provider.url(), DEV_PROVIDER_SECRET).expect("a provider client"),
    ))
}

/// Posts a notice's raw `body` to the webhook with `signature`.
pub async fn post_notice(h: &SyncHarness, body: &[u8], signature: &str) -> Reply {
    h.app
        .send(
            h.app
                .request(Method::POST, "/v1/fulfilment/asn", &Auth::None)
                .header(SIGNATURE_HEADER, signature)
                .header("Content-Type", "application/json")
                .body(body.to_vec()),
        )
        .await
}

/// Posts `notice` signed as `provider` signs it.
pub async fn send_notice(h: &SyncHarness, provider: &LocalProvider, notice: &NoticeBody) -> Reply {
    let body = serde_json::to_vec(notice).expect("a notice serialises");
    post_notice(h, &body, &provider.sign(&body)).await
}

/// Ships the order through a local provider and has every parcel delivered.
pub async fn deliver(h: &SyncHarness, order: &str) {
    let provider = provider(h).await;
    fulfilment(h, &provider)
        .run(&|| true)
        .await
        .expect("the fulfilment job runs");
    let id = OrderId::parse(order).expect("an order id");
    for fo in h
        .store
        .fulfilment_orders(&id)
        .await
        .expect("the store answers")
    {
        for kind in [NoticeKind::Shipped, NoticeKind::Delivered] {
            let notice = provider
                .notice(fo.id.as_str(), kind, "1ZTEST")
                .expect("a notice");
            let reply = send_notice(h, &provider, &notice).await;
            assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        }
    }
    assert_eq!(h.stored_order(order).await.status, OrderStatus::Delivered);
}
