//! The dev stack's scheduler: jobs fire on their intervals, an operator's "run now" from the
//! admin API is taken from the job-requests queue and run, and every run shows in the admin
//! API's last runs, as in AWS.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use scheduled_sync::{Job, Scheduler};
use serde_json::Value;
use storesync_core::outbox::OutboxRelay;
use storesync_core::report::Reporting;
use storesync_tests::Auth;
use storesync_tests::crm::SyncHarness;

fn operator() -> Auth {
    Auth::customer("ops-1:admin")
}

/// The runs the admin API lists, polled until `found` holds or five seconds pass.
async fn runs_until(h: &SyncHarness, found: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let reply = h.app.get("/v1/admin/jobs/runs?limit=50", &operator()).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        let runs = reply.body["items"].as_array().cloned().unwrap_or_default();
        if found(&runs) || tokio::time::Instant::now() > deadline {
            return runs;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_fire_on_their_interval_and_an_operators_run_now_is_run_and_logged() {
    let h = SyncHarness::start().await;
    let relay = Arc::new(OutboxRelay::new(h.store.clone(), h.queue.clone()));
    let reporting = Reporting::new(
        h.store.clone(),
        h.store.clone(),
        h.store.clone(),
        Vec::new(),
    );
    let scheduler = Arc::new(
        Scheduler::new(relay)
            .with_log(h.store.clone())
            .with_reporting(Arc::new(reporting)),
    );
    let tasks = storesync_devstack::jobs::spawn(
        scheduler,
        &[(Job::DailyReport, Duration::from_millis(100))],
        h.job_requests.clone(),
    );

    let scheduled = |runs: &[Value]| {
        runs.iter()
            .filter(|r| r["job"] == "daily-report" && r["trigger"]["kind"] == "schedule")
            .count()
    };
    let runs = runs_until(&h, |runs| scheduled(runs) >= 3).await;
    assert!(
        scheduled(&runs) >= 3,
        "the report fires on its interval: {runs:?}"
    );

    let asked = h
        .app
        .call(
            Method::POST,
            "/v1/admin/jobs/outbox-sweep",
            &operator(),
            None,
        )
        .await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{:?}", asked.body);
    let request_id = asked.body["request_id"].clone();
    let by_operator = |runs: &[Value]| {
        runs.iter()
            .find(|r| r["trigger"]["request_id"] == request_id)
            .cloned()
    };
    let runs = runs_until(&h, |runs| by_operator(runs).is_some()).await;
    let run = by_operator(&runs).expect("the operator's run is logged");
    assert_eq!(run["job"], "outbox-sweep");
    assert_eq!(run["trigger"]["subject"], "ops-1");
    assert_eq!(run["summary"]["sent"], 0);
    for task in tasks {
        task.abort();
    }
}
