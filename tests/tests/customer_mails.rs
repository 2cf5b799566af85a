//! Customers' mails end to end: an order's confirmation, shipment and refund mails arrive in
//! the local mailbox once each, however often their events are delivered; with the mail
//! service down the order and its sync go on, the mail waits as pending with its error, and
//! the retry run delivers it once. The mail log's contract holds on both stores.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use reqwest::{Method, StatusCode};
use scheduled_sync::{Job, JobSummary, Scheduler};
use serde_json::json;
use storesync_core::after_sales::Refunds;
use storesync_core::catalog::ProductDetails;
use storesync_core::fulfilment::NoticeKind;
use storesync_core::ids::{Email, EventId, LocationId, OrderId, Sku};
use storesync_core::money::Currency;
use storesync_core::notifications::notifier::{Notifier, RetrySummary};
use storesync_core::notifications::{
    EmailMessage, Notification, NotificationStatus, Notifications, NotifyError, Template,
};
use storesync_core::order::RefundState;
use storesync_core::order::lifecycle::OrderStatus;
use storesync_core::outbox::OutboxRelay;
use storesync_core::ports::{Clock, Mail, PageRequest, StoreError, SystemClock};
use storesync_core::sync::status::SyncState;
use storesync_devstack::DEV_STRIPE_SECRET;
use storesync_embedded::MailboxNotifications;
use storesync_stripe::{LocalStripe, StripeConfig, StripePayments};
use storesync_tests::app::{Auth, shipping_body};
use storesync_tests::crm::SyncHarness;
use storesync_tests::fulfilment::{fulfilment, provider, send_notice};
use storesync_tests::payments::{payment_intent, stripe_event};
use storesync_tests::{Backend, against_both_stores};

fn always() -> bool {
    true
}

/// A clock the test moves on.
struct TestClock(AtomicI64);

impl TestClock {
    fn new() -> Arc<Self> {
        Arc::new(TestClock(AtomicI64::new(Utc::now().timestamp_millis())))
    }
    fn advance(&self, by: Duration) {
        self.0.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0.load(Ordering::SeqCst)).unwrap()
    }
}

/// A mail service that is down while `down` is set, and otherwise hands mail to `inner`.
struct FlakyMail {
    down: AtomicBool,
    inner: Arc<MailboxNotifications>,
    tries: Mutex<usize>,
}

#[async_trait]
impl Notifications for FlakyMail {
    async fn send(&self, message: &EmailMessage) -> Result<(), NotifyError> {
        *self.tries.lock().unwrap() += 1;
        if self.down.load(Ordering::SeqCst) {
            return Err(NotifyError::Unavailable("SES answered 503".into()));
        }
        self.inner.send(message).await
    }
}

fn notifier(h: &SyncHarness, mail: Arc<dyn Notifications>, clock: Arc<dyn Clock>) -> Arc<Notifier> {
    order_events::wiring::notifier(h.store.clone(), mail, clock)
}

fn local_mail(h: &SyncHarness) -> Arc<MailboxNotifications> {
    Arc::new(MailboxNotifications::new(
        h.store.clone(),
        Arc::new(SystemClock),
    ))
}

/// The mails in the local mailbox to `to`, oldest first.
async fn mails_to(h: &SyncHarness, to: &str) -> Vec<Mail> {
    let mut mails: Vec<Mail> = h
        .store
        .mails(1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t.as_str() == to))
        .collect();
    mails.reverse();
    mails
}

fn gateway(stripe: &LocalStripe) -> Arc<StripePayments> {
    let mut config = StripeConfig::new(stripe.secret_key());
    config.api_base = stripe.base_url();
    Arc::new(StripePayments::new(config).unwrap())
}

/// Every event the store has sent or left in the outbox, taken off the queue in order.
async fn delivered_bodies(h: &SyncHarness) -> Vec<String> {
    OutboxRelay::new(h.store.clone(), h.queue.clone())
        .sweep(1000)
        .await
        .unwrap();
    h.take_messages()
        .await
        .into_iter()
        .map(|m| m.body)
        .collect()
}

fn as_deliveries(bodies: &[String], round: usize) -> Vec<order_events::Delivery> {
    bodies
        .iter()
        .enumerate()
        .map(|(i, body)| order_events::Delivery {
            id: format!("m-{round}-{i}"),
            group: "g".into(),
            body: body.clone(),
            receive_count: 1,
        })
        .collect()
}

#[tokio::test]
async fn confirmation_shipment_and_refund_mails_arrive_once_each_even_when_events_are_replayed() {
    let h = SyncHarness::start().await;
    let stripe = LocalStripe::start().await.unwrap();
    h.register("mail-1", "mail-1@example.com", None).await;
    // 3 mugs at USD 12.00 and USD 5.00 shipping.
    let (order, total) = h.order("mail-1", 3).await;
    h.pay(&order, total).await;
    let intent = format!("pi_{}", &order[4..16]);
    stripe.put_intent(&intent, &order, total, "usd", "succeeded");
    // One mug cancelled before fulfilment: its USD 12.00 is refunded by the refunds run.
    let cancelled = h
        .app
        .call(
            Method::POST,
            &format!("/v1/orders/{order}/cancel-items"),
            &Auth::customer("mail-1"),
            Some(json!({"lines": [{"sku": "MUG-WHT", "quantity": 1}], "reason": "one too many"})),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    let refunds = Refunds::new(
        h.store.clone(),
        gateway(&stripe),
        h.store.clone(),
        Arc::new(SystemClock),
    );
    assert_eq!(refunds.run(&always).await.unwrap().refunded, 1);
    let provider = provider(&h).await;
    fulfilment(&h, &provider).run(&always).await.unwrap();
    for fo in h
        .store
        .fulfilment_orders(&OrderId::parse(&order).unwrap())
        .await
        .unwrap()
    {
        let notice = provider
            .notice(fo.id.as_str(), NoticeKind::Shipped, "1ZMAIL0001")
            .unwrap();
        assert_eq!(
            send_notice(&h, &provider, &notice).await.status,
            StatusCode::OK
        );
    }
    let stored = h
        .store
        .order(&OrderId::parse(&order).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, OrderStatus::Shipped);
    assert!(matches!(
        stored.credit_memos[0].refund,
        RefundState::Refunded { .. }
    ));

    let mail = Arc::new(FlakyMail {
        down: AtomicBool::new(false),
        inner: local_mail(&h),
        tries: Mutex::new(0),
    });
    let consumer = h
        .consumer()
        .with_notifier(notifier(&h, mail.clone(), Arc::new(SystemClock)));
    let bodies = delivered_bodies(&h).await;
    assert!(
        consumer
            .consume(&as_deliveries(&bodies, 1))
            .await
            .is_empty()
    );
    // Every event again, as SQS may deliver it: nothing more is sent.
    assert!(
        consumer
            .consume(&as_deliveries(&bodies, 2))
            .await
            .is_empty()
    );
    assert_eq!(
        *mail.tries.lock().unwrap(),
        3,
        "three mails handed to the mail service"
    );

    let mails = mails_to(&h, "mail-1@example.com").await;
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    let number = &stored.number;
    assert_eq!(
        subjects.len(),
        3,
        "one confirmation, one shipment, one refund: {subjects:?}"
    );
    for expected in [
        format!("Your order {number} is confirmed"),
        format!("Your order {number} has shipped"),
        format!("Your refund for order {number}"),
    ] {
        assert_eq!(
            subjects.iter().filter(|s| **s == expected).count(),
            1,
            "{expected}: {subjects:?}"
        );
    }
    let mail = |subject: &str| mails.iter().find(|m| m.subject.contains(subject)).unwrap();
    let confirmation = mail("confirmed");
    assert!(
        confirmation.text.starts_with("Hello Jane,"),
        "{}",
        confirmation.text
    );
    assert!(
        confirmation.text.contains("3 x Mug, white: USD 36.00"),
        "{}",
        confirmation.text
    );
    assert!(
        confirmation.text.contains("Total: USD 41.00"),
        "{}",
        confirmation.text
    );
    assert!(
        confirmation
            .html
            .as_deref()
            .unwrap()
            .contains("Total: USD 41.00"),
        "{:?}",
        confirmation.html
    );
    assert!(mail("shipped").text.contains("tracking number 1ZMAIL0001"));
    assert!(
        mail("refund").text.contains("refunded USD 12.00 "),
        "{}",
        mail("refund").text
    );
    // The sync went on as before.
    assert_eq!(h.order_sync(&order).await.state(), SyncState::Synced);

    // The dev stack shows the mailbox, as JSON and as a page with every value escaped.
    let http = reqwest::Client::new();
    let url = format!("{}/dev/mailbox", h.app.base);
    let listed: serde_json::Value = http
        .get(&url)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed_subjects: Vec<&str> = listed["mails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["to"][0] == "mail-1@example.com")
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    assert_eq!(listed_subjects.len(), 3, "{listed}");
    let page = http.get(&url).send().await.unwrap();
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = page.text().await.unwrap();
    assert!(
        page.contains(&format!("Your order {number} has shipped")),
        "{page}"
    );
}

/// A customer's paid order of one unit at `minor` in `currency`; returns the order's id.
async fn paid_order_in(h: &SyncHarness, customer: &str, currency: Currency, minor: i64) -> String {
    let sku = Sku::parse("MAIL-CUR").unwrap();
    h.store
        .upsert_product(&ProductDetails {
            sku: sku.clone(),
            name: "Lamp".into(),
            category: "home".into(),
            active: true,
            prices: BTreeMap::from([(currency, minor)]),
        })
        .await
        .unwrap();
    h.store
        .adjust_stock(&sku, &LocationId::default(), 1)
        .await
        .unwrap();
    let auth = Auth::customer(customer);
    let cart = h
        .app
        .call(
            Method::POST,
            "/v1/carts",
            &auth,
            Some(json!({"currency": currency.code()})),
        )
        .await;
    assert_eq!(cart.status, StatusCode::CREATED, "{:?}", cart.body);
    let cart = cart.body["id"].as_str().unwrap().to_owned();
    let line = h
        .app
        .call(
            Method::PUT,
            &format!("/v1/carts/{cart}/lines/MAIL-CUR"),
            &auth,
            Some(json!({"quantity": 1})),
        )
        .await;
    assert_eq!(line.status, StatusCode::OK, "{:?}", line.body);
    let placed = h
        .app
        .checkout(
            &auth,
            &format!("/v1/carts/{cart}"),
            &uuid::Uuid::new_v4().to_string(),
            &shipping_body(),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
    let order = placed.body["id"].as_str().unwrap().to_owned();
    let total = placed.body["totals"]["total"]["minor_units"]
        .as_i64()
        .unwrap();
    let event = stripe_event(
        &format!("evt_{}", uuid::Uuid::new_v4().simple()),
        "payment_intent.succeeded",
        payment_intent(
            &format!("pi_{}", &order[4..16]),
            &order,
            total,
            &currency.code().to_lowercase(),
        ),
    );
    let paid = h
        .app
        .stripe_webhook(&event, DEV_STRIPE_SECRET, Utc::now().timestamp())
        .await;
    assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
    order
}

#[tokio::test]
async fn confirmations_write_amounts_as_customers_of_each_currency_do() {
    let h = SyncHarness::start().await;
    let consumer = h
        .consumer()
        .with_notifier(notifier(&h, local_mail(&h), Arc::new(SystemClock)));
    for (customer, currency, minor, shown) in [
        ("cur-usd", Currency::USD, 123_450, "USD 1,234.50"),
        ("cur-eur", Currency::EUR, 123_450, "1.234,50 €"),
        ("cur-inr", Currency::INR, 12_345_000, "1,23,450.00 ₹"),
        ("cur-jpy", Currency::JPY, 1_235, "¥1,235"),
    ] {
        let email = format!("{customer}@example.com");
        h.register(customer, &email, None).await;
        paid_order_in(&h, customer, currency, minor).await;
        consumer
            .consume(&as_deliveries(&delivered_bodies(&h).await, 1))
            .await;
        let mails = mails_to(&h, &email).await;
        assert_eq!(mails.len(), 1, "{currency}: {mails:?}");
        let line = format!("1 x Lamp: {shown}");
        assert!(
            mails[0].text.contains(&line),
            "{currency}: {}",
            mails[0].text
        );
        assert!(
            mails[0].html.as_deref().unwrap().contains(&line),
            "{currency}: {:?}",
            mails[0].html
        );
    }
}

#[tokio::test]
async fn with_the_mail_service_down_the_order_completes_and_the_retry_run_mails_once() {
    let h = SyncHarness::start().await;
    h.register("mail-2", "mail-2@example.com", None).await;
    let clock = TestClock::new();
    let mail = Arc::new(FlakyMail {
        down: AtomicBool::new(true),
        inner: local_mail(&h),
        tries: Mutex::new(0),
    });
    let notifier = notifier(&h, mail.clone(), clock.clone());
    let consumer = h.consumer().with_notifier(notifier.clone());

    let (order, total) = h.order("mail-2", 1).await;
    h.pay(&order, total).await;
    let bodies = delivered_bodies(&h).await;
    assert!(
        consumer
            .consume(&as_deliveries(&bodies, 1))
            .await
            .is_empty(),
        "a mail failure never fails the message"
    );
    assert_eq!(h.order_sync(&order).await.state(), SyncState::Synced);
    let pending = h
        .store
        .notifications(NotificationStatus::Pending, &PageRequest::first(10))
        .await
        .unwrap()
        .items;
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0].template, Template::OrderConfirmation);
    assert_eq!(pending[0].attempts, 1);
    assert!(
        pending[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("SES answered 503"),
        "{:?}",
        pending[0].last_error
    );
    assert!(mails_to(&h, "mail-2@example.com").await.is_empty());

    // Operators see it in the admin API, without the address or the body.
    let ops = Auth::customer("ops-1:admin");
    let listed = h
        .app
        .call(Method::GET, "/v1/admin/notifications", &ops, None)
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    assert_eq!(listed.body["items"][0]["id"], pending[0].id.as_str());
    assert_eq!(listed.body["items"][0]["status"], "pending");
    assert_eq!(listed.body["items"][0]["attempts"], 1);
    assert_eq!(listed.body["items"][0]["order_id"], order.as_str());
    assert!(
        !listed.body.to_string().contains("mail-2@example.com"),
        "{}",
        listed.body
    );
    let by_customer = h
        .app
        .call(
            Method::GET,
            "/v1/admin/notifications",
            &Auth::customer("mail-2"),
            None,
        )
        .await;
    assert_eq!(by_customer.status, StatusCode::FORBIDDEN);
    let bad = h
        .app
        .call(
            Method::GET,
            "/v1/admin/notifications?status=sent",
            &ops,
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{:?}", bad.body);

    // Too early for another try, and a replay of the event does not send it either.
    assert_eq!(notifier.retry_pending().await.unwrap().sent, 0);
    assert!(
        consumer
            .consume(&as_deliveries(&bodies, 2))
            .await
            .is_empty()
    );
    assert_eq!(*mail.tries.lock().unwrap(), 1);

    mail.down.store(false, Ordering::SeqCst);
    clock.advance(Duration::minutes(2));
    // The outbox sweep, as scheduled, tries the mail again.
    let scheduler = Scheduler::new(Arc::new(OutboxRelay::new(h.store.clone(), h.queue.clone())))
        .with_notifier(notifier.clone());
    let swept = scheduler.run(&Job::OutboxSweep, &always).await.unwrap();
    match swept {
        JobSummary::Sweep(sweep) => assert_eq!(
            sweep.mails,
            Some(RetrySummary {
                sent: 1,
                ..RetrySummary::default()
            }),
            "{sweep:?}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(notifier.retry_pending().await.unwrap().sent, 0);
    clock.advance(Duration::hours(2));
    assert_eq!(notifier.retry_pending().await.unwrap().sent, 0);
    assert_eq!(mails_to(&h, "mail-2@example.com").await.len(), 1);
    assert!(
        h.store
            .notifications(NotificationStatus::Pending, &PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn a_mail_that_keeps_failing_is_parked_as_failed_after_five_tries() {
    let h = SyncHarness::start().await;
    let clock = TestClock::new();
    let mail = Arc::new(FlakyMail {
        down: AtomicBool::new(true),
        inner: local_mail(&h),
        tries: Mutex::new(0),
    });
    let notifier = notifier(&h, mail.clone(), clock.clone());
    let consumer = h.consumer().with_notifier(notifier.clone());
    let (order, total) = h.guest_order("guest-mail@example.com").await;
    h.pay(&order, total).await;
    consumer
        .consume(&as_deliveries(&delivered_bodies(&h).await, 1))
        .await;
    for _ in 0..10 {
        clock.advance(Duration::hours(1));
        notifier.retry_pending().await.unwrap();
    }
    assert_eq!(*mail.tries.lock().unwrap(), 5);
    let failed = h
        .store
        .notifications(NotificationStatus::Failed, &PageRequest::first(10))
        .await
        .unwrap()
        .items;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].attempts, 5);
    assert_eq!(failed[0].message.to.as_str(), "guest-mail@example.com");
    let listed = h
        .app
        .call(
            Method::GET,
            "/v1/admin/notifications?status=failed&limit=1",
            &Auth::customer("ops-1:admin"),
            None,
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    assert_eq!(listed.body["items"][0]["attempts"], 5);
    // A full page names the next one; its cursor is taken back.
    let next = listed.body["next"].as_str().expect("a cursor").to_owned();
    let rest = h
        .app
        .call(
            Method::GET,
            &format!("/v1/admin/notifications?status=failed&after={next}"),
            &Auth::customer("ops-1:admin"),
            None,
        )
        .await;
    assert_eq!(rest.status, StatusCode::OK, "{:?}", rest.body);
    assert_eq!(rest.body["items"], json!([]));
}

fn record(id: &str, at: DateTime<Utc>) -> Notification {
    Notification {
        id: id.into(),
        template: Template::Shipment,
        order_id: OrderId::for_checkout("c", id),
        event_id: EventId::random(),
        message: EmailMessage {
            id: id.into(),
            to: Email::parse("contract@example.com").unwrap(),
            subject: "s".into(),
            text: "t".into(),
            html: "<p>t</p>".into(),
        },
        status: NotificationStatus::Pending,
        attempts: 0,
        last_error: None,
        next_attempt_at: at,
        created_at: at,
        updated_at: at,
        version: 1,
    }
}

async fn the_mail_log_keeps_each_mail_once_and_lists_it_by_status(b: Backend) {
    let store = b.store();
    let at = Utc::now();
    let first = record("o1_shipment", at);
    assert!(store.record_notification(&first).await.unwrap());
    assert!(
        !store
            .record_notification(&record("o1_shipment", at))
            .await
            .unwrap(),
        "a second mail with the id is refused"
    );
    assert_eq!(
        store.notification("o1_shipment").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.notification("nope").await.unwrap(), None);
    assert!(
        store
            .record_notification(&record("o2_shipment", at + Duration::seconds(1)))
            .await
            .unwrap()
    );

    let mut sent = first.clone();
    sent.status = NotificationStatus::Sent;
    sent.updated_at = at + Duration::seconds(2);
    sent.version = 2;
    store.save_notification(&sent).await.unwrap();
    // A stale save loses.
    assert!(matches!(
        store.save_notification(&sent).await,
        Err(StoreError::Conflict)
    ));
    let mut unknown = record("o3_shipment", at);
    unknown.version = 2;
    assert!(matches!(
        store.save_notification(&unknown).await,
        Err(StoreError::Conflict)
    ));

    let ids = |page: Vec<Notification>| page.into_iter().map(|n| n.id).collect::<Vec<_>>();
    let pending = store
        .notifications(NotificationStatus::Pending, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(ids(pending.items), ["o2_shipment"]);
    let sent_list = store
        .notifications(NotificationStatus::Sent, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(ids(sent_list.items), ["o1_shipment"]);

    for i in 0..3 {
        store
            .record_notification(&record(
                &format!("p{i}_refund"),
                at + Duration::seconds(10 + i),
            ))
            .await
            .unwrap();
    }
    let one = store
        .notifications(NotificationStatus::Pending, &PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(ids(one.items), ["o2_shipment", "p0_refund"]);
    let two = store
        .notifications(
            NotificationStatus::Pending,
            &PageRequest {
                limit: 2,
                after: one.next,
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(two.items), ["p1_refund", "p2_refund"]);
}

against_both_stores!(the_mail_log_keeps_each_mail_once_and_lists_it_by_status);
