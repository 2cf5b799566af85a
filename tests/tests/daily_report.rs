//! The managers' daily report, on both stores: the day's orders and revenue per currency,
//! the best-selling products (cancelled orders left out), carts converted and left open,
//! refunds; mailed once however often the job runs.

use chrono::Utc;
use reqwest::{Method, StatusCode};
use storesync_core::ids::{Email, Sku};
use storesync_core::money::{Currency, Money};
use storesync_core::report::{CartConversion, Reporting};
use storesync_tests::app::Auth;
use storesync_tests::crm::SyncHarness;
use storesync_tests::{Backend, against_both_stores};

async fn the_report_sums_the_day_and_is_mailed_once(b: Backend) {
    let h = SyncHarness::start_on(b).await;
    h.app.register("shopper-1").await;
    let (paid, paid_total) = h.order("shopper-1", 3).await;
    h.pay(&paid, paid_total).await;
    let (_unpaid, unpaid_total) = h.order("shopper-1", 1).await;
    let (cancelled, cancelled_total) = h.order("shopper-1", 5).await;
    let reply = h
        .app
        .call(
            Method::POST,
            &format!("/v1/orders/{cancelled}/cancel"),
            &Auth::customer("shopper-1"),
            Some(serde_json::json!({})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    h.refund(&paid, paid_total).await;
    // A cart left open with a mug in it.
    h.app
        .cart_with(&Auth::customer("shopper-1"), "MUG-WHT", 1)
        .await;

    let managers = vec![Email::parse("boss@example.com").unwrap()];
    let reporting = Reporting::new(h.store.clone(), h.store.clone(), h.store.clone(), managers);
    let now = Utc::now();
    let report = reporting.send_daily(now.date_naive(), now).await.unwrap();

    let usd = |minor| Money::new(minor, Currency::USD);
    assert_eq!(report.placed.len(), 1);
    assert_eq!(report.placed[0].orders, 3);
    assert_eq!(
        report.placed[0].amount,
        usd(paid_total + unpaid_total + cancelled_total)
    );
    assert_eq!(report.revenue.len(), 1);
    assert_eq!(
        (report.revenue[0].orders, report.revenue[0].amount),
        (1, usd(paid_total)),
        "only the paid order is revenue"
    );
    assert_eq!(
        (report.refunds[0].orders, report.refunds[0].amount),
        (1, usd(paid_total))
    );
    assert_eq!(report.top_products.len(), 1);
    assert_eq!(report.top_products[0].sku, Sku::parse("MUG-WHT").unwrap());
    assert_eq!(
        report.top_products[0].units, 4,
        "3 paid + 1 unpaid; the cancelled 5 left out"
    );
    assert_eq!(
        report.carts,
        CartConversion {
            converted: 3,
            left_open: 1
        }
    );

    // Run again: the same report, one mail.
    reporting.send_daily(now.date_naive(), now).await.unwrap();
    let mails = h.store.mails(10).await.unwrap();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec![Email::parse("boss@example.com").unwrap()]);
    assert!(
        mails[0].text.contains("Orders placed: 3 orders"),
        "{}",
        mails[0].text
    );
    assert!(mails[0].text.contains("MUG-WHT"), "{}", mails[0].text);
    assert!(
        mails[0].text.contains("75.0% converted"),
        "{}",
        mails[0].text
    );

    // Another day has none of it.
    let yesterday = (now - chrono::Duration::days(1)).date_naive();
    let empty = reporting.daily(yesterday, now).await.unwrap();
    assert!(empty.placed.is_empty() && empty.refunds.is_empty());
    assert_eq!(empty.carts, CartConversion::default());
}

against_both_stores!(the_report_sums_the_day_and_is_mailed_once);
