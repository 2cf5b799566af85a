//! The operators' admin API over HTTP, on both stores: only the admin group gets in; orders
//! and customers are listed by where their sync stands, with their Salesforce records and
//! links, page by page; the sync settings are read, saved at the next version, and obeyed.

use std::collections::BTreeSet;
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use storesync_core::admin::SalesforceInstance;
use storesync_core::sync::settings::SyncSettings;
use storesync_tests::app::Reply;
use storesync_tests::crm::{SyncHarness, text};
use storesync_tests::{Auth, Backend, against_both_stores};

/// The sync harness over `backend`, its admin API linking records to the emulator, as the
/// dev stack's does.
async fn harness(backend: Backend) -> SyncHarness {
    SyncHarness::start_with(backend, |stack, emulator| {
        stack.admin.salesforce_instance =
            Some(SalesforceInstance::parse(&emulator.base_url()).expect("the emulator's URL"));
    })
    .await
}

fn operator() -> Auth {
    Auth::customer("ops-1:admin")
}

async fn admin_get(h: &SyncHarness, path: &str) -> Reply {
    h.app.get(path, &operator()).await
}

async fn put_settings(h: &SyncHarness, auth: &Auth, body: &Value) -> Reply {
    h.app
        .call(
            Method::PUT,
            "/v1/admin/sync/settings",
            auth,
            Some(body.clone()),
        )
        .await
}

/// Every item of the list at `path` (with its own query), walking the pages `limit` at a time;
/// also how many pages it took.
async fn walk(h: &SyncHarness, path: &str, limit: usize) -> (Vec<Value>, usize) {
    let (mut items, mut pages) = (Vec::new(), 0);
    let mut after: Option<String> = None;
    loop {
        let mut url = format!("{path}&limit={limit}");
        if let Some(cursor) = &after {
            url.push_str(&format!("&after={cursor}"));
        }
        let reply = admin_get(h, &url).await;
        assert_eq!(reply.status, StatusCode::OK, "{url}: {:?}", reply.body);
        pages += 1;
        let page = reply.body["items"].as_array().expect("items").clone();
        assert!(page.len() <= limit, "{url}");
        items.extend(page);
        match reply.body["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return (items, pages),
        }
    }
}

fn order_ids(items: &[Value]) -> BTreeSet<String> {
    items
        .iter()
        .map(|i| i["order_id"].as_str().expect("an order id").to_owned())
        .collect()
}

/// The record of `object` among an item's records.
fn record<'a>(item: &'a Value, object: &str) -> &'a Value {
    item["records"]
        .as_array()
        .and_then(|records| records.iter().find(|r| r["object"] == object))
        .unwrap_or_else(|| panic!("no {object} record in {item}"))
}

async fn every_route_and_method_is_for_the_admin_group_only(backend: Backend) {
    let h = harness(backend).await;
    h.register("c-1", "c-1@example.com", None).await;
    let defaults = serde_json::to_value(SyncSettings::default()).unwrap();
    let selection = json!({"customers": ["c-1"]});
    let resolution = json!({"resolution": "refunded by hand"});
    let routes = [
        (
            Method::GET,
            "/v1/admin/sync/orders?state=failed",
            None,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/v1/admin/sync/customers?state=synced",
            None,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/v1/admin/sync/carts?state=pending",
            None,
            StatusCode::OK,
        ),
        (Method::GET, "/v1/admin/jobs/runs", None, StatusCode::OK),
        (Method::GET, "/v1/admin/exceptions", None, StatusCode::OK),
        (
            Method::POST,
            "/v1/admin/exceptions/exc_00000000000000000000000000000000/resolve",
            Some(&resolution),
            StatusCode::NOT_FOUND,
        ),
        (
            Method::POST,
            "/v1/admin/jobs/nightly-resync",
            None,
            StatusCode::ACCEPTED,
        ),
        (Method::GET, "/v1/admin/sync/settings", None, StatusCode::OK),
        (
            Method::PUT,
            "/v1/admin/sync/settings",
            Some(&defaults),
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/v1/admin/sync/requests",
            Some(&selection),
            StatusCode::ACCEPTED,
        ),
    ];
    let app = &h.app;
    for (method, path, body, _) in &routes {
        let call =
            |auth: Auth| async move { app.call(method.clone(), path, &auth, body.cloned()).await };
        let anonymous = call(Auth::None).await;
        assert_eq!(
            (anonymous.status, anonymous.problem()),
            (StatusCode::UNAUTHORIZED, "unauthorized"),
            "{method} {path}"
        );
        assert_eq!(anonymous.content_type(), "application/problem+json");
        for customer in [Auth::customer("c-1"), Auth::customer("c-1:support,ops")] {
            let refused = call(customer).await;
            assert_eq!(
                (refused.status, refused.problem()),
                (StatusCode::FORBIDDEN, "forbidden"),
                "{method} {path}"
            );
            assert_eq!(refused.content_type(), "application/problem+json");
        }
    }
    let settings = admin_get(&h, "/v1/admin/sync/settings").await;
    assert_eq!(settings.body["version"], 0, "no refused PUT saved anything");
    for (method, path, body, expected) in routes {
        let allowed = h
            .app
            .call(method.clone(), path, &operator(), body.cloned())
            .await;
        assert_eq!(
            allowed.status, expected,
            "{method} {path}: {:?}",
            allowed.body
        );
    }
}

async fn a_failed_order_is_listed_as_failed_with_its_error_and_synced_ones_link_to_salesforce(
    backend: Backend,
) {
    let h = harness(backend).await;
    let failed = h.failed_second_orders(3).await;

    let listed = admin_get(&h, "/v1/admin/sync/orders?state=failed").await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let items = listed.body["items"].as_array().unwrap().clone();
    assert_eq!(order_ids(&items), failed.iter().cloned().collect());
    assert_eq!(listed.body["next"], Value::Null);
    for item in &items {
        assert_eq!(item["state"], "failed");
        assert_eq!(item["status"], "pending_payment");
        assert_eq!(item["total"]["currency"], "USD");
        assert!(item["number"].as_str().unwrap().starts_with("SO-"));
        let opportunity = record(item, "Opportunity");
        assert_eq!(opportunity["state"], "failed");
        assert_eq!(
            (&opportunity["id"], &opportunity["link"]),
            (&Value::Null, &Value::Null)
        );
        let error = opportunity["last_error"].as_str().unwrap_or("");
        assert!(
            error.contains("503") || error.contains("SERVER_UNAVAILABLE"),
            "{item}"
        );
        assert!(opportunity["attempts"].as_u64().unwrap() >= 1);
    }

    let synced = admin_get(&h, "/v1/admin/sync/orders?state=synced").await;
    let items = synced.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3, "the first orders: {:?}", synced.body);
    assert!(order_ids(&items).is_disjoint(&failed.iter().cloned().collect()));
    for item in &items {
        let order = item["order_id"].as_str().unwrap();
        let in_salesforce = h.one("Opportunity", "Storesync_Order_Id__c", order);
        let opportunity = record(item, "Opportunity");
        assert_eq!(opportunity["state"], "synced");
        assert_eq!(opportunity["id"], text(&in_salesforce, "Id"));
        assert_eq!(
            opportunity["link"],
            format!(
                "{}/lightning/r/Opportunity/{}/view",
                h.emulator.base_url(),
                text(&in_salesforce, "Id")
            )
        );
        assert!(opportunity["last_synced_at"].is_string());
    }
}

async fn customers_are_listed_with_their_lead_or_account_and_contact(backend: Backend) {
    let h = harness(backend).await;
    h.register("lead-1", "lead-1@example.com", None).await;
    h.register("buyer-1", "buyer-1@example.com", None).await;
    h.order("buyer-1", 1).await;
    h.sync().await;

    let listed = admin_get(&h, "/v1/admin/sync/customers?state=synced").await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let items = listed.body["items"].as_array().unwrap();
    let customer = |key: &str| {
        items
            .iter()
            .find(|i| i["customer_key"] == key)
            .unwrap_or_else(|| panic!("{key} in {items:?}"))
    };
    let lead = customer("lead-1");
    assert_eq!(lead["has_orders"], false);
    let in_salesforce = h.one("Lead", "Email", "lead-1@example.com");
    assert_eq!(
        record(lead, "Lead")["link"],
        format!(
            "{}/lightning/r/Lead/{}/view",
            h.emulator.base_url(),
            text(&in_salesforce, "Id")
        )
    );
    let buyer = customer("buyer-1");
    assert_eq!(buyer["has_orders"], true);
    let contact = h.one("Contact", "Email", "buyer-1@example.com");
    assert_eq!(record(buyer, "Contact")["id"], text(&contact, "Id"));
    assert_eq!(record(buyer, "Account")["id"], text(&contact, "AccountId"));
    assert_eq!(
        admin_get(&h, "/v1/admin/sync/customers?state=failed")
            .await
            .body["items"],
        json!([])
    );
}

async fn pages_of_two_walk_every_order_exactly_once(backend: Backend) {
    let h = harness(backend).await;
    let failed = h.failed_second_orders(5).await;

    let (items, pages) = walk(&h, "/v1/admin/sync/orders?state=failed", 2).await;
    assert_eq!(items.len(), 5, "each once: {items:?}");
    assert_eq!(order_ids(&items), failed.iter().cloned().collect());
    assert_eq!(pages, 3);

    let (synced, _) = walk(&h, "/v1/admin/sync/orders?state=synced", 2).await;
    assert_eq!((synced.len(), order_ids(&synced).len()), (5, 5));
    let (whole, pages) = walk(&h, "/v1/admin/sync/orders?state=synced", 200).await;
    assert_eq!((order_ids(&whole), pages), (order_ids(&synced), 1));
}

async fn a_bad_query_is_refused_naming_the_parameter(backend: Backend) {
    let h = harness(backend).await;
    let both = ["orders", "customers"].as_slice();
    for (query, parameter, lists) in [
        ("", "state", both),
        ("?state=done", "state", both),
        ("?state=failed&state=synced", "state", both),
        ("?state=failed&limit=0", "limit", both),
        ("?state=failed&limit=201", "limit", both),
        ("?state=failed&limit=ten", "limit", both),
        ("?state=failed&after=yesterday", "after", both),
        (
            "?state=failed&after=2026-12-01T10:00:00.000000000Z~",
            "after",
            both,
        ),
        // A customer's key is no order's cursor.
        (
            "?state=failed&after=2026-12-01T10:00:00.000000000Z~c-1",
            "after",
            &["orders"],
        ),
    ] {
        for list in lists {
            let reply = admin_get(&h, &format!("/v1/admin/sync/{list}{query}")).await;
            assert_eq!(
                (reply.status, reply.problem()),
                (StatusCode::BAD_REQUEST, "invalid-parameter"),
                "{list}{query}: {:?}",
                reply.body
            );
            assert_eq!(reply.body["parameter"], parameter, "{list}{query}");
        }
    }
}

async fn settings_are_saved_at_the_next_version_refused_when_stale_and_obeyed(backend: Backend) {
    let h = harness(backend).await;
    let read = admin_get(&h, "/v1/admin/sync/settings").await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(
        read.body,
        serde_json::to_value(SyncSettings::default()).unwrap()
    );
    assert_eq!(read.body["version"], 0);

    let mut off = read.body.clone();
    off["auto_sync_orders"] = json!(false);
    let saved = put_settings(&h, &operator(), &off).await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
    assert_eq!(
        (&saved.body["version"], &saved.body["auto_sync_orders"]),
        (&json!(1), &json!(false))
    );
    assert_eq!(
        admin_get(&h, "/v1/admin/sync/settings").await.body,
        saved.body
    );

    let mut stale = read.body.clone();
    stale["sales_cycle_days"] = json!(60);
    let conflict = put_settings(&h, &operator(), &stale).await;
    assert_eq!(
        (conflict.status, conflict.problem()),
        (StatusCode::CONFLICT, "conflict")
    );
    assert_eq!(
        admin_get(&h, "/v1/admin/sync/settings").await.body,
        saved.body
    );

    // Automatic order sync is off: the next order waits, listed as pending, and Salesforce
    // hears nothing of it.
    h.register("c-1", "c-1@example.com", None).await;
    let (order, _) = h.order("c-1", 1).await;
    h.sync().await;
    assert!(
        h.records_where("Opportunity", "Storesync_Order_Id__c", &order)
            .is_empty()
    );
    let pending = admin_get(&h, "/v1/admin/sync/orders?state=pending").await;
    assert_eq!(
        order_ids(pending.body["items"].as_array().unwrap()),
        BTreeSet::from([order])
    );
}

async fn settings_the_sync_could_not_use_are_refused_and_nothing_is_saved(backend: Backend) {
    let h = harness(backend).await;
    let read = admin_get(&h, "/v1/admin/sync/settings").await.body;
    let with = |field: &str, value: Value| {
        let mut body = read.clone();
        body[field] = value;
        body
    };
    for (body, field) in [
        (with("draft_stage", json!("  ")), "draft_stage"),
        (
            with("standard_pricebook_id", json!("junk")),
            "standard_pricebook_id",
        ),
        (
            with("default_owner_id", json!("01s000000000001AAA")),
            "default_owner_id",
        ),
        (with("sales_cycle_days", json!(3651)), "sales_cycle_days"),
        (
            with("stage_mapping", json!({"paid": ""})),
            "stage_mapping.paid",
        ),
        (
            with("salesforce_order", json!("sometimes")),
            "salesforce_order",
        ),
        (with("colour", json!("red")), "colour"),
    ] {
        let refused = put_settings(&h, &operator(), &body).await;
        assert_eq!(
            (refused.status, refused.problem()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid-request"),
            "{field}: {:?}",
            refused.body
        );
        assert_eq!(
            refused.body["errors"][0]["field"], field,
            "{:?}",
            refused.body
        );
    }
    let malformed = h
        .app
        .send(
            h.app
                .request(Method::PUT, "/v1/admin/sync/settings", &operator())
                .header("content-type", "application/json")
                .body("{\"version\": 0,"),
        )
        .await;
    assert_eq!(
        (malformed.status, malformed.problem()),
        (StatusCode::BAD_REQUEST, "malformed-json")
    );
    assert_eq!(admin_get(&h, "/v1/admin/sync/settings").await.body, read);
}

async fn request_sync(h: &SyncHarness, body: Value) -> Reply {
    h.app
        .call(
            Method::POST,
            "/v1/admin/sync/requests",
            &operator(),
            Some(body),
        )
        .await
}

async fn sync_now_sends_the_selection_to_salesforce_and_its_ticks_turn_green(backend: Backend) {
    let h = harness(backend).await;
    let orders = h.failed_second_orders(3).await;
    let accepted = request_sync(&h, json!({"orders": [&orders[0], &orders[1]]})).await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{:?}", accepted.body);
    assert_eq!(accepted.body["orders"], 2);
    assert!(
        accepted.body["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    // The order-events consumer takes the request off the queue.
    h.sync().await;
    let (synced, _) = walk(&h, "/v1/admin/sync/orders?state=synced", 50).await;
    let synced: BTreeSet<&str> = synced
        .iter()
        .filter_map(|o| o["order_id"].as_str())
        .collect();
    assert!(synced.contains(orders[0].as_str()) && synced.contains(orders[1].as_str()));
    assert!(
        !synced.contains(orders[2].as_str()),
        "not selected, still failed"
    );
    h.one("Opportunity", "Storesync_Order_Id__c", &orders[1]);

    for (body, field) in [
        (json!({"orders": ["not-an-order"]}), "orders[0]"),
        (json!({}), "orders"),
        (json!({"customers": ["c-0"], "orders": [], "extra": 1}), ""),
    ] {
        let refused = request_sync(&h, body.clone()).await;
        assert!(
            refused.status == StatusCode::UNPROCESSABLE_ENTITY
                || refused.status == StatusCode::BAD_REQUEST,
            "{body}: {:?}",
            refused.body
        );
        assert_eq!(refused.content_type(), "application/problem+json");
        if !field.is_empty() {
            assert!(
                refused.body.to_string().contains(field),
                "{body}: {:?}",
                refused.body
            );
        }
    }
    assert!(
        h.take_messages().await.is_empty(),
        "a refused request sends nothing"
    );
}

/// "Run now": the request goes to the scheduled-jobs function (here, as its queue delivers it
/// to the Lambda), which runs the job and logs the run with the operator who asked.
async fn an_operator_runs_a_job_now_and_sees_the_run_in_the_log(backend: Backend) {
    use storesync_core::queue::EventQueue;

    let h = harness(backend).await;
    let unknown = h
        .app
        .call(
            Method::POST,
            "/v1/admin/jobs/make-coffee",
            &operator(),
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{:?}", unknown.body);
    let empty = admin_get(&h, "/v1/admin/jobs/runs").await;
    assert_eq!(empty.body, json!({"items": []}));

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
    assert_eq!(asked.body["job"], "outbox-sweep");
    let received = h.job_requests.receive(10).await.unwrap();
    assert_eq!(received.len(), 1, "one request on the queue");
    let delivery = json!({"Records": [{"body": received[0].message.body}]});
    let relay = Arc::new(storesync_core::outbox::OutboxRelay::new(
        h.store.clone(),
        h.queue.clone(),
    ));
    let scheduler = scheduled_sync::Scheduler::new(relay).with_log(h.store.clone());
    let event = lambda_runtime::LambdaEvent::new(delivery, lambda_runtime::Context::default());
    scheduled_sync::function_handler(&scheduler, event)
        .await
        .expect("the job runs");

    let runs = admin_get(&h, "/v1/admin/jobs/runs?limit=5").await;
    assert_eq!(runs.status, StatusCode::OK, "{:?}", runs.body);
    let run = &runs.body["items"][0];
    assert_eq!(run["job"], "outbox-sweep");
    assert_eq!(run["trigger"]["kind"], "operator");
    assert_eq!(run["trigger"]["subject"], "ops-1");
    assert_eq!(run["trigger"]["request_id"], asked.body["request_id"]);
    assert_eq!(run["summary"], json!({"sent": 0, "failed": 0}));
    let bad = admin_get(&h, "/v1/admin/jobs/runs?limit=51").await;
    assert_eq!(
        (bad.status, bad.problem()),
        (StatusCode::BAD_REQUEST, "invalid-parameter")
    );
}

/// Process exceptions: listed open, oldest first; an operator resolves one with a note, once.
async fn an_operator_resolves_a_process_exception_and_it_moves_to_the_resolved_list(
    backend: Backend,
) {
    use storesync_core::exceptions::{ExceptionCategory, ProcessException};
    use storesync_core::ids::OrderId;

    let h = harness(backend).await;
    let now = chrono::Utc::now();
    let order = OrderId::for_checkout("c-1", "k-1");
    for (cause, minutes) in [("first", 2), ("second", 1)] {
        let raised = ProcessException::raise(
            ExceptionCategory::CaptureFailed,
            Some(order.clone()),
            cause,
            format!("card declined ({cause})"),
            now - chrono::Duration::minutes(minutes),
        );
        assert!(h.store.raise(&raised).await.unwrap());
        assert!(!h.store.raise(&raised).await.unwrap(), "raised once");
    }
    let open = admin_get(&h, "/v1/admin/exceptions").await;
    assert_eq!(open.status, StatusCode::OK, "{:?}", open.body);
    let items = open.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["message"], "card declined (first)", "oldest first");
    assert_eq!(items[0]["severity"], "high");
    let id = items[0]["id"].as_str().unwrap();

    let path = format!("/v1/admin/exceptions/{id}/resolve");
    let blank = h
        .app
        .call(
            Method::POST,
            &path,
            &operator(),
            Some(json!({"resolution": " "})),
        )
        .await;
    assert_eq!(
        blank.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        blank.body
    );
    let resolved = h
        .app
        .call(
            Method::POST,
            &path,
            &operator(),
            Some(json!({"resolution": "captured by hand"})),
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{:?}", resolved.body);
    assert_eq!(resolved.body["status"], "resolved");
    assert_eq!(resolved.body["resolved_by"], "ops-1");
    let again = h
        .app
        .call(
            Method::POST,
            &path,
            &operator(),
            Some(json!({"resolution": "someone else"})),
        )
        .await;
    assert_eq!(
        again.body["resolution"], "captured by hand",
        "resolved once"
    );
    let open = admin_get(&h, "/v1/admin/exceptions?status=open").await;
    assert_eq!(open.body["items"].as_array().unwrap().len(), 1);
    let done = admin_get(&h, "/v1/admin/exceptions?status=resolved").await;
    assert_eq!(done.body["items"][0]["id"], id);
    let bad = admin_get(&h, "/v1/admin/exceptions?status=ignored").await;
    assert_eq!(
        (bad.status, bad.problem()),
        (StatusCode::BAD_REQUEST, "invalid-parameter")
    );
}

against_both_stores!(
    an_operator_resolves_a_process_exception_and_it_moves_to_the_resolved_list,
    an_operator_runs_a_job_now_and_sees_the_run_in_the_log,
    sync_now_sends_the_selection_to_salesforce_and_its_ticks_turn_green,
    every_route_and_method_is_for_the_admin_group_only,
    a_failed_order_is_listed_as_failed_with_its_error_and_synced_ones_link_to_salesforce,
    customers_are_listed_with_their_lead_or_account_and_contact,
    pages_of_two_walk_every_order_exactly_once,
    a_bad_query_is_refused_naming_the_parameter,
    settings_are_saved_at_the_next_version_refused_when_stale_and_obeyed,
    settings_the_sync_could_not_use_are_refused_and_nothing_is_saved,
);
