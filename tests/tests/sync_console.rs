//! The operators' sync console, in a real browser (Debian's Chromium through ChromeDriver)
//! against the stack on loopback, with the order-events consumer taking the queue as it fills
//! and syncing to the Salesforce emulator: a failed order shows its error, two selected orders
//! synced from the page turn green, so does a failed abandoned cart, a job run from the page
//! shows in the last runs with who asked, settings are saved and a stale save is refused,
//! process exceptions are listed and one resolved from the page moves to the resolved list;
//! and over plain HTTP, only the admin group gets anything but the sign-in page.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::{Method, StatusCode};
use scheduled_sync::Scheduler;
use serde_json::json;
use storesync_core::admin::SalesforceInstance;
use storesync_core::exceptions::{ExceptionCategory, ProcessException};
use storesync_core::ids::{CartId, OrderId};
use storesync_core::jobs::Trigger;
use storesync_core::outbox::OutboxRelay;
use storesync_core::sync::status::{CrmObject, SyncState};
use storesync_sf_emulator::Fault;
use storesync_tests::app::Reply;
use storesync_tests::crm::{SyncHarness, text};
use storesync_tests::webdriver::Browser;
use storesync_tests::{Auth, Backend};

/// How long the page may take to show what the test waits for.
const PATIENCE: Duration = Duration::from_secs(20);
const OPERATOR_TOKEN: &str = "dev:ops-1:admin";

/// The stack with its admin links to the emulator, as `make run` has it.
async fn harness() -> SyncHarness {
    SyncHarness::start_with(Backend::embedded().await, |stack, emulator| {
        stack.admin.salesforce_instance =
            Some(SalesforceInstance::parse(&emulator.base_url()).expect("the emulator's URL"));
    })
    .await
}

/// A function's work in the background, as the dev stack runs it, until dropped.
struct Running(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Running {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// The order-events consumer on the stack's queue.
fn run_consumer(h: &SyncHarness) -> Running {
    let (queue, consumer) = (h.queue.clone(), h.consumer());
    Running(vec![tokio::spawn(async move {
        loop {
            match order_events::wiring::poll(queue.as_ref(), &consumer).await {
                Ok(0) | Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                Ok(_) => {}
            }
        }
    })])
}

/// The scheduled-jobs function on the job-requests queue, as the dev stack runs it: each
/// operator's request run through [`Scheduler::run_logged`] (no job on a schedule).
fn run_job_requests(h: &SyncHarness) -> Running {
    let relay = Arc::new(OutboxRelay::new(h.store.clone(), h.queue.clone()));
    let scheduler = Scheduler::new(relay).with_log(h.store.clone());
    Running(storesync_devstack::jobs::spawn(
        Arc::new(scheduler),
        &[],
        h.job_requests.clone(),
    ))
}

/// Opens the console as an operator does: the sign-in page, the token pasted.
async fn sign_in(browser: &Browser, h: &SyncHarness) {
    browser.goto(&format!("{}/admin/sign-in", h.app.base)).await;
    let token = browser.wait_for("#token", PATIENCE).await;
    browser.type_into(&token, OPERATOR_TOKEN).await;
    let open = browser
        .find("#sign-in button[type=submit]")
        .await
        .expect("the sign-in button");
    browser.click(&open).await;
    browser.wait_for("#grid", PATIENCE).await;
}

fn row(id: &str) -> String {
    format!(r#"#grid tr[data-id="{id}"]"#)
}

/// Polls until the element's text starts with `expected`, for [`PATIENCE`] at most.
async fn wait_for_text(browser: &Browser, css: &str, expected: &str) {
    let element = browser.wait_for(css, PATIENCE).await;
    let until = Instant::now() + PATIENCE;
    loop {
        let text = browser.text(&element).await;
        if text.starts_with(expected) {
            return;
        }
        assert!(
            Instant::now() < until,
            "{css} says {text:?}, not {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A customer's cart left at the payment step whose sync Salesforce refused: every call
/// answered "session expired", which no retry heals, so the abandoned-carts job marks it
/// failed. Salesforce is well again afterwards. Returns the cart's id.
async fn failed_abandoned_cart(h: &SyncHarness) -> CartId {
    h.register("c-cart", "cart@example.com", None).await;
    let auth = Auth::customer("c-cart");
    let cart = h.app.cart_with(&auth, "MUG-WHT", 2).await;
    let begun = h
        .app
        .call(
            Method::POST,
            &format!("/v1/carts/{cart}/begin-checkout"),
            &auth,
            Some(json!({})),
        )
        .await;
    assert_eq!(begun.status, StatusCode::OK, "{:?}", begun.body);
    h.emulator.inject(Fault::ExpiredSession, 10);
    let (carts, _) = h.abandoned_carts();
    let summary = carts
        .run(chrono::Duration::zero(), &|| true)
        .await
        .expect("the job runs");
    h.emulator.clear_faults();
    assert_eq!(summary.carts_failed, 1, "{summary:?}");
    CartId::parse(&cart).expect("a cart id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_orders_show_their_error_and_two_synced_from_the_console_turn_green() {
    let h = harness().await;
    let failed = h.failed_second_orders(3).await;
    let _consumer = run_consumer(&h);
    let browser = Browser::start().await;
    sign_in(&browser, &h).await;

    for id in &failed {
        let error = h.order_sync(id).await.objects[&CrmObject::Opportunity]
            .last_error
            .clone()
            .expect("the failed sync's error");
        assert!(
            error.contains("SERVER_UNAVAILABLE") || error.contains("503"),
            "{error}"
        );
        let mark = browser
            .find(&format!("{} .mark-failed", row(id)))
            .await
            .unwrap_or_else(|| panic!("order {id} is listed with a red mark"));
        let title = browser.attribute(&mark, "title").await.unwrap_or_default();
        assert!(title.contains(&error), "{title:?} tells {error:?}");
    }

    for id in &failed[..2] {
        let pick = browser
            .find(&format!(r#"{} input[name="select"]"#, row(id)))
            .await
            .expect("a checkbox on the row");
        browser.click(&pick).await;
    }
    let sync = browser
        .find(r#"button[data-action="sync-selected"]"#)
        .await
        .expect("the Sync with Salesforce button");
    browser.click(&sync).await;

    for id in &failed[..2] {
        browser
            .wait_for(&format!("{} .mark-synced", row(id)), PATIENCE)
            .await;
    }
    wait_for_text(&browser, "#sync-status", "2 synced, 0 failed").await;
    assert!(
        browser
            .find(&format!("{} .mark-failed", row(&failed[2])))
            .await
            .is_some(),
        "the order not selected stays failed"
    );
    let opportunity = h.one("Opportunity", "Storesync_Order_Id__c", &failed[0]);
    let link = browser
        .find(&format!("{} .records a", row(&failed[0])))
        .await
        .expect("a link to the synced Opportunity");
    assert_eq!(
        browser.attribute(&link, "href").await.as_deref(),
        Some(
            format!(
                "{}/lightning/r/Opportunity/{}/view",
                h.emulator.base_url(),
                text(&opportunity, "Id")
            )
            .as_str()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_abandoned_cart_shows_its_error_and_synced_from_the_carts_tab_turns_green() {
    let h = harness().await;
    let cart = failed_abandoned_cart(&h).await;
    let failed = h
        .store
        .cart_sync(&cart)
        .await
        .expect("the ledger reads")
        .expect("the cart's sync status");
    assert_eq!(failed.state(), SyncState::Failed);
    let error = failed.objects[&CrmObject::Opportunity]
        .last_error
        .clone()
        .expect("the failed sync's error");
    assert!(error.contains("INVALID_SESSION_ID"), "{error}");
    let _consumer = run_consumer(&h);
    let browser = Browser::start().await;
    sign_in(&browser, &h).await;

    let tab = browser
        .find(r#".tabs button[data-kind="carts"]"#)
        .await
        .expect("the Abandoned carts tab");
    browser.click(&tab).await;
    let row = format!(r#"#grid[data-kind="carts"] tr[data-id="{cart}"]"#);
    let mark = browser
        .wait_for(&format!("{row} .mark-failed"), PATIENCE)
        .await;
    let title = browser.attribute(&mark, "title").await.unwrap_or_default();
    assert!(title.contains(&error), "{title:?} tells {error:?}");
    let customer = browser
        .find(&format!("{row} td:nth-child(3)"))
        .await
        .expect("the customer's cell");
    assert_eq!(browser.text(&customer).await, "c-cart");

    let pick = browser
        .find(&format!(r#"{row} input[name="select"]"#))
        .await
        .expect("a checkbox on the row");
    browser.click(&pick).await;
    let sync = browser
        .find(r#"button[data-action="sync-selected"]"#)
        .await
        .expect("the Sync with Salesforce button");
    browser.click(&sync).await;

    browser
        .wait_for(&format!("{row} .mark-synced"), PATIENCE)
        .await;
    wait_for_text(&browser, "#sync-status", "1 synced, 0 failed").await;
    let synced = h
        .store
        .cart_sync(&cart)
        .await
        .expect("the ledger reads")
        .expect("the cart's sync status");
    assert_eq!(synced.state(), SyncState::Synced);
    let opportunity = synced
        .id(CrmObject::Opportunity)
        .expect("the cart's Opportunity");
    let link = browser
        .find(&format!("{row} .records a"))
        .await
        .expect("a link to the Opportunity");
    assert_eq!(
        browser.attribute(&link, "href").await,
        Some(format!(
            "{}/lightning/r/Opportunity/{opportunity}/view",
            h.emulator.base_url()
        ))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_run_from_the_console_shows_in_the_last_runs_with_the_operator() {
    let h = harness().await;
    let _jobs = run_job_requests(&h);
    let browser = Browser::start().await;
    sign_in(&browser, &h).await;
    let none = browser.wait_for("#job-runs .empty", PATIENCE).await;
    assert_eq!(browser.text(&none).await, "No runs recorded.");

    let run_now = browser
        .find(r#"#jobs button[data-action="run-job"][data-job="outbox-sweep"]"#)
        .await
        .expect("Run now for the outbox sweep");
    browser.click(&run_now).await;

    let run = r#"#job-runs tr[data-job="outbox-sweep"][data-trigger="operator"]"#;
    let started_by = browser
        .wait_for(&format!("{run} .started-by"), PATIENCE)
        .await;
    assert_eq!(browser.text(&started_by).await, "ops-1 (run now)");
    let outcome = browser
        .find(&format!("{run} .outcome"))
        .await
        .expect("the run's outcome");
    assert_eq!(browser.text(&outcome).await, "failed 0 · sent 0");
    wait_for_text(&browser, "#jobs-status", "outbox-sweep ran.").await;
    let logged = storesync_core::ports::JobLog::recent_runs(h.store.as_ref(), 5)
        .await
        .expect("the log reads");
    assert_eq!(logged.len(), 1, "{logged:?}");
    let Trigger::Operator { request_id, .. } = &logged[0].trigger else {
        panic!("run by the operator: {logged:?}");
    };
    let row = browser.find(run).await.expect("the run's row");
    assert_eq!(
        browser.attribute(&row, "data-request").await.as_deref(),
        Some(request_id.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_now_without_a_job_queue_shows_the_503() {
    let h = SyncHarness::start_with(Backend::embedded().await, |stack, _| {
        stack.job_requests = None;
    })
    .await;
    let browser = Browser::start().await;
    sign_in(&browser, &h).await;

    let run_now = browser
        .wait_for(
            r#"#jobs button[data-action="run-job"][data-job="nightly-resync"]"#,
            PATIENCE,
        )
        .await;
    browser.click(&run_now).await;
    let problem = browser
        .wait_for("#jobs-problem:not([hidden])", PATIENCE)
        .await;
    let said = browser.text(&problem).await;
    assert!(said.contains("(503)"), "{said}");
    assert!(said.contains("unavailable"), "{said}");
    let none = browser.find("#job-runs .empty").await;
    assert!(none.is_some(), "no run recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn settings_are_saved_from_the_console_and_a_stale_save_shows_the_conflict() {
    let h = harness().await;
    let browser = Browser::start().await;
    sign_in(&browser, &h).await;

    let days = browser
        .wait_for(r#"#settings input[name="sales_cycle_days"]"#, PATIENCE)
        .await;
    browser.type_into(&days, "45").await;
    let role = browser
        .find(r#"#settings input[name="contact_role"]"#)
        .await
        .expect("the contact role");
    browser.type_into(&role, "Buyer <b>").await;
    let save = browser
        .find(r#"#settings button[type="submit"]"#)
        .await
        .expect("the save button");
    browser.click(&save).await;
    browser
        .wait_for(r#"#settings[data-version="1"]"#, PATIENCE)
        .await;
    let saved = h
        .app
        .get("/v1/admin/sync/settings", &Auth::customer("ops-1:admin"))
        .await;
    assert_eq!(
        (
            &saved.body["version"],
            &saved.body["sales_cycle_days"],
            &saved.body["contact_role"]
        ),
        (&json!(1), &json!(45), &json!("Buyer <b>"))
    );
    assert_eq!(saved.body["stage_mapping"]["paid"], "Closed Won", "kept");
    assert_eq!(
        saved.body["standard_pricebook_id"],
        json!(null),
        "kept unset"
    );

    // Someone else saves meanwhile; the page still holds version 1.
    let mut theirs = saved.body.clone();
    theirs["draft_stage"] = json!("Qualification");
    let put = h
        .app
        .call(
            Method::PUT,
            "/v1/admin/sync/settings",
            &Auth::customer("ops-2:admin"),
            Some(theirs),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    let days = browser
        .find(r#"#settings input[name="sales_cycle_days"]"#)
        .await
        .expect("the sales cycle");
    browser.type_into(&days, "60").await;
    let save = browser
        .find(r#"#settings button[type="submit"]"#)
        .await
        .expect("the save button");
    browser.click(&save).await;
    let problem = browser
        .wait_for("#settings-problem:not([hidden])", PATIENCE)
        .await;
    assert!(
        browser.text(&problem).await.contains("(409)"),
        "{}",
        browser.text(&problem).await
    );
    let now = h
        .app
        .get("/v1/admin/sync/settings", &Auth::customer("ops-1:admin"))
        .await;
    assert_eq!(
        (&now.body["version"], &now.body["sales_cycle_days"]),
        (&json!(2), &json!(45)),
        "the stale save changed nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn open_exceptions_are_listed_oldest_first_and_one_resolved_on_the_page_moves_to_resolved() {
    let h = harness().await;
    let now = Utc::now();
    let order = OrderId::for_checkout("c-1", "k-1");
    let declined = ProcessException::raise(
        ExceptionCategory::CaptureFailed,
        Some(order.clone()),
        "cause",
        "card declined <b>twice</b>",
        now - chrono::Duration::minutes(2),
    );
    let unmatched = ProcessException::raise(
        ExceptionCategory::PaymentUnmatched,
        None,
        "evt_1",
        "a payment for no order of this store",
        now - chrono::Duration::minutes(1),
    );
    for raised in [&declined, &unmatched] {
        assert!(h.store.raise(raised).await.expect("the log takes it"));
    }
    let browser = Browser::start().await;
    sign_in(&browser, &h).await;

    let tab = browser
        .find(r#".tabs button[data-action="show-exceptions"]"#)
        .await
        .expect("the Process exceptions tab");
    browser.click(&tab).await;
    let open = |id: &str| format!(r#"#exceptions[data-status="open"] tr[data-id="{id}"]"#);
    let message = browser
        .wait_for(&format!("{} .message", open(&declined.id)), PATIENCE)
        .await;
    assert_eq!(browser.text(&message).await, "card declined <b>twice</b>");
    let message = browser
        .find(&format!("{} .message", open(&unmatched.id)))
        .await
        .expect("the other exception's message");
    assert_eq!(
        browser.text(&message).await,
        "a payment for no order of this store"
    );
    let first = browser
        .find("#exceptions tbody tr:first-child")
        .await
        .expect("a first row");
    assert_eq!(
        browser.attribute(&first, "data-id").await.as_deref(),
        Some(declined.id.as_str()),
        "oldest first"
    );
    let high = browser
        .find(&format!("{} .severity-high", open(&declined.id)))
        .await
        .expect("a failed capture is high, in red");
    assert_eq!(browser.text(&high).await, "high");
    let order_cell = browser
        .find(&format!("{} .order", open(&declined.id)))
        .await
        .expect("the order it is about");
    assert_eq!(browser.text(&order_cell).await, order.as_str());

    // A blank note passes the browser's `required` but not the API.
    let note = format!(r#"{} input[name="resolution"]"#, open(&declined.id));
    let resolve = format!(r#"{} button[type="submit"]"#, open(&declined.id));
    let field = browser.find(&note).await.expect("the resolution field");
    browser.type_into(&field, "   ").await;
    browser
        .click(&browser.find(&resolve).await.expect("Resolve"))
        .await;
    let problem = browser
        .wait_for("#exceptions-problem:not([hidden])", PATIENCE)
        .await;
    let said = browser.text(&problem).await;
    assert!(
        said.contains("(422)") && said.contains("resolution"),
        "{said}"
    );
    assert!(
        browser.find(&open(&declined.id)).await.is_some(),
        "still open"
    );

    browser.type_into(&field, "captured by hand").await;
    browser
        .click(&browser.find(&resolve).await.expect("Resolve"))
        .await;
    browser.wait_gone(&open(&declined.id), PATIENCE).await;
    wait_for_text(
        &browser,
        "#exceptions-status",
        "Resolved by ops-1: captured by hand",
    )
    .await;
    assert!(
        browser.find(&open(&unmatched.id)).await.is_some(),
        "the other stays open"
    );
    assert!(
        browser
            .find("#exceptions-problem:not([hidden])")
            .await
            .is_none(),
        "the refusal is gone"
    );

    let resolved = browser
        .find(r#"#exceptions-filter option[value="resolved"]"#)
        .await
        .expect("the resolved filter");
    browser.click(&resolved).await;
    let done = format!(
        r#"#exceptions[data-status="resolved"] tr[data-id="{}"]"#,
        declined.id
    );
    let resolution = browser
        .wait_for(&format!("{done} .resolution"), PATIENCE)
        .await;
    assert_eq!(browser.text(&resolution).await, "captured by hand");
    let by = browser
        .find(&format!("{done} .resolved-by"))
        .await
        .expect("who resolved it");
    assert_eq!(browser.text(&by).await, "ops-1");
    assert!(
        browser
            .find(&format!(r#"#exceptions tr[data-id="{}"]"#, unmatched.id))
            .await
            .is_none(),
        "only the resolved one is listed as resolved"
    );
}

async fn get_page(h: &SyncHarness, path: &str, auth: &Auth) -> Reply {
    h.app
        .send(
            h.app
                .request(Method::GET, path, auth)
                .header("accept", "text/html,application/xhtml+xml"),
        )
        .await
}

fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_console_page_is_for_the_admin_group_and_the_sign_in_page_holds_no_data() {
    let h = harness().await;
    let failed = h.failed_second_orders(1).await;
    let exception = ProcessException::raise(
        ExceptionCategory::CaptureFailed,
        Some(OrderId::parse(&failed[0]).expect("an order id")),
        "cause",
        "card declined",
        Utc::now(),
    );
    assert!(h.store.raise(&exception).await.expect("the log takes it"));
    let pages = [
        "/admin".to_owned(),
        "/admin/grid?kind=orders&state=failed".to_owned(),
        "/admin/grid?kind=customers&state=synced".to_owned(),
        "/admin/grid/changes?kind=orders&since=2020-01-01T00:00:00Z".to_owned(),
        "/admin/grid?kind=carts&state=failed".to_owned(),
        "/admin/grid/changes?kind=carts&since=2020-01-01T00:00:00Z".to_owned(),
        "/admin/settings".to_owned(),
        "/admin/jobs".to_owned(),
        "/admin/exceptions".to_owned(),
        "/admin/exceptions?status=resolved".to_owned(),
    ];
    for path in &pages {
        let anonymous = get_page(&h, path, &Auth::None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(anonymous.content_type(), "text/html; charset=utf-8");
        let body = anonymous.body.as_str().unwrap_or("");
        assert!(
            body.contains(r#"<a href="/admin/sign-in">"#),
            "{path}: {body}"
        );
        let as_api = h.app.get(path, &Auth::None).await;
        assert_eq!(
            (as_api.status, as_api.problem()),
            (StatusCode::UNAUTHORIZED, "unauthorized"),
            "{path}"
        );
        for customer in [Auth::customer("c-0"), Auth::customer("c-0:support")] {
            let refused = get_page(&h, path, &customer).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
            assert!(!refused.body.to_string().contains(&failed[0]), "{path}");
            let as_api = h.app.get(path, &customer).await;
            assert_eq!(
                (as_api.status, as_api.problem()),
                (StatusCode::FORBIDDEN, "forbidden"),
                "{path}"
            );
        }
        let operator = get_page(&h, path, &Auth::customer("ops-1:admin")).await;
        assert_eq!(
            operator.status,
            StatusCode::OK,
            "{path}: {:?}",
            operator.body
        );
        assert_eq!(operator.content_type(), "text/html; charset=utf-8");
        assert_eq!(header(&operator, "cache-control"), "no-store", "{path}");
        assert_eq!(header(&operator, "x-frame-options"), "DENY", "{path}");
        let policy = header(&operator, "content-security-policy");
        assert!(
            policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
    }
    let console = get_page(&h, "/admin", &Auth::customer("ops-1:admin")).await;
    let console = console.body.as_str().unwrap_or("");
    assert!(console.contains(&format!(r#"data-id="{}""#, failed[0])));
    assert!(console.contains(r#"<section id="jobs""#));
    let open = get_page(
        &h,
        "/admin/exceptions?status=open",
        &Auth::customer("ops-1:admin"),
    )
    .await;
    let open = open.body.as_str().unwrap_or("");
    assert!(
        open.contains(&format!(
            r#"<tr data-id="{}" data-status="open">"#,
            exception.id
        )),
        "{open}"
    );
    let unknown = h
        .app
        .get(
            "/admin/exceptions?status=ignored",
            &Auth::customer("ops-1:admin"),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.problem()),
        (StatusCode::BAD_REQUEST, "invalid-parameter")
    );

    for (path, content_type) in [
        ("/admin/sign-in", "text/html; charset=utf-8"),
        ("/admin/console.js", "text/javascript; charset=utf-8"),
        ("/admin/console.css", "text/css; charset=utf-8"),
    ] {
        let public = get_page(&h, path, &Auth::None).await;
        assert_eq!(public.status, StatusCode::OK, "{path}");
        assert_eq!(public.content_type(), content_type, "{path}");
        assert!(!public.body.to_string().contains(&failed[0]), "{path}");
        assert!(
            header(&public, "content-security-policy").contains("script-src 'self'"),
            "{path}"
        );
    }
}
