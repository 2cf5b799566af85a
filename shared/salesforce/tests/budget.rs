mod support;

use storesync_salesforce::{ApiUsage, Priority, SalesforceError};
use support::*;

#[tokio::test]
async fn api_usage_is_read_from_every_response() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    emulator.set_daily_limit(5000);
    assert_eq!(client.api_usage(), None);

    client.limits().await.unwrap();
    client.limits().await.unwrap();

    assert_eq!(
        client.api_usage(),
        Some(ApiUsage {
            used: 2,
            limit: 5000
        })
    );
}

#[tokio::test]
async fn deferrable_work_is_refused_past_the_budget_share_and_urgent_work_is_not() {
    let emulator = emulator().await;
    let client = client_for(&emulator); // budget share 0.8
    emulator.set_daily_limit(1000);
    emulator.set_api_usage(700);
    client.limits().await.unwrap();
    assert!(!client.should_defer());
    assert!(client.ensure_budget(Priority::Deferrable).is_ok());

    emulator.set_api_usage(850);
    client.limits().await.unwrap();

    assert!(client.should_defer());
    assert!(matches!(
        client.ensure_budget(Priority::Deferrable),
        Err(SalesforceError::BudgetExceeded {
            usage: ApiUsage {
                used: 851,
                limit: 1000
            },
            ..
        })
    ));
    assert!(client.ensure_budget(Priority::Urgent).is_ok());
}

#[tokio::test]
async fn the_limits_resource_reports_max_and_remaining_daily_requests() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    emulator.set_daily_limit(300);

    let limits = client.limits().await.unwrap();

    assert_eq!(limits["DailyApiRequests"]["Max"], 300);
    assert_eq!(limits["DailyApiRequests"]["Remaining"], 299);
}

#[tokio::test]
async fn an_org_over_its_daily_limit_answers_request_limit_exceeded() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    emulator.set_daily_limit(2);
    client.limits().await.unwrap();
    client.limits().await.unwrap();

    let error = client.limits().await.unwrap_err();

    assert_eq!(error.error_code(), Some("REQUEST_LIMIT_EXCEEDED"));
    assert_eq!(client.api_usage(), Some(ApiUsage { used: 2, limit: 2 }));
    assert!(
        !error.is_retryable(),
        "the 24-hour limit does not heal with backoff"
    );
    assert_eq!(client.api_calls(), 3, "not retried");
}
