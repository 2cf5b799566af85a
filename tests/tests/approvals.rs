//! Approvals end to end: an order with a 25% discount is paid but not fulfilled until a
//! manager approves it, from the store's admin API or from Salesforce (its approval request,
//! decided by the approver in the emulator); a rejection cancels the order and puts its units
//! back; an operator who is not a manager cannot decide (403).

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::json;
use storesync_core::approvals::{ApprovalStatus, DecisionSource, discount_id};
use storesync_core::fulfilment::process::Fulfilment;
use storesync_core::ids::OrderId;
use storesync_core::order::RefundState;
use storesync_core::order::lifecycle::OrderStatus;
use storesync_core::ports::SystemClock;
use storesync_tests::app::Auth;
use storesync_tests::crm::SyncHarness;
use storesync_tests::{Backend, against_both_stores};

fn always() -> bool {
    true
}

fn operator() -> Auth {
    Auth::customer("ops-1:admin")
}

fn manager() -> Auth {
    Auth::customer("mgr-1:admin,managers")
}

fn fulfilment(h: &SyncHarness) -> Fulfilment {
    Fulfilment::new(
        h.store.clone(),
        h.store.clone(),
        h.store.clone(),
        Arc::new(SystemClock),
    )
}

/// A paid order of 4 mugs with the 25% code; returns its id.
async fn discounted_order(h: &SyncHarness, customer: &str) -> String {
    h.register(customer, &format!("{customer}@example.com"), None)
        .await;
    let (order, total) = h.order_with_code(customer, 4, Some("VIP25")).await;
    h.pay(&order, total).await;
    order
}

async fn decide(h: &SyncHarness, who: &Auth, order: &str, decision: &str) -> reqwest::StatusCode {
    let path = format!("/v1/admin/approvals/{order}:discount/decision");
    let reply = h
        .app
        .call(
            Method::POST,
            &path,
            who,
            Some(json!({ "decision": decision })),
        )
        .await;
    reply.status
}

async fn a_big_discount_waits_for_a_manager_and_only_a_manager_releases_it(b: Backend) {
    let h = SyncHarness::start_on(b).await;
    let order = discounted_order(&h, "vip-1").await;

    let run = fulfilment(&h).run(&always).await.unwrap();
    assert_eq!(run.awaiting_approval, 1, "{run:?}");
    assert_eq!(h.stored_order(&order).await.status, OrderStatus::Paid);
    let listed = h
        .app
        .call(Method::GET, "/v1/admin/approvals", &operator(), None)
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    assert_eq!(listed.body["items"][0]["id"], format!("{order}:discount"));
    assert_eq!(listed.body["items"][0]["kind"], "discount");
    assert_eq!(listed.body["items"][0]["amount"]["minor_units"], 1200);

    // An operator outside the managers cannot decide; nothing changes.
    assert_eq!(
        decide(&h, &operator(), &order, "approve").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(fulfilment(&h).run(&always).await.unwrap().started, 0);

    assert_eq!(
        decide(&h, &manager(), &order, "approve").await,
        StatusCode::OK
    );
    // The same decision again is answered as it stands; the other one is refused.
    assert_eq!(
        decide(&h, &manager(), &order, "approve").await,
        StatusCode::OK
    );
    assert_eq!(
        decide(&h, &manager(), &order, "reject").await,
        StatusCode::CONFLICT
    );
    let decided = h.stored_order(&order).await.approvals.discount.unwrap();
    assert_managers_were_told_once(&h, &order).await;
    assert_eq!(
        (decided.approved, decided.by.as_str(), decided.via),
        (true, "mgr-1", DecisionSource::Store)
    );
    assert_eq!(fulfilment(&h).run(&always).await.unwrap().started, 1);
    assert_eq!(h.stored_order(&order).await.status, OrderStatus::Fulfilling);
    let approved = h
        .store
        .approvals(
            ApprovalStatus::Approved,
            &storesync_core::ports::PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(
        approved
            .items
            .iter()
            .map(|a| a.id.clone())
            .collect::<Vec<_>>(),
        vec![discount_id(&OrderId::parse(&order).unwrap())]
    );
}

async fn a_rejected_discount_cancels_the_order_and_puts_its_units_back(b: Backend) {
    let h = SyncHarness::start_on(b).await;
    let before = h.on_shelf("MUG-WHT").await;
    let order = discounted_order(&h, "vip-2").await;
    assert_eq!(h.on_shelf("MUG-WHT").await, before - 4);

    assert_eq!(
        decide(&h, &manager(), &order, "reject").await,
        StatusCode::OK
    );
    let cancelled = h.stored_order(&order).await;
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(
        cancelled.cancel_reason.as_deref(),
        Some("the discount was not approved")
    );
    assert_eq!(
        h.on_shelf("MUG-WHT").await,
        before,
        "the four mugs are back"
    );
    // The money paid is owed back in full.
    assert_eq!(cancelled.credit_memos.len(), 1);
    assert_eq!(cancelled.credit_memos[0].amount, cancelled.totals.total);
    assert_eq!(cancelled.credit_memos[0].refund, RefundState::Pending);
    assert_eq!(fulfilment(&h).run(&always).await.unwrap().started, 0);
}

/// The managers hear of a request once, however often the job runs (here after it was
/// decided: a request is mailed about while pending only, so a fresh one is made first).
async fn assert_managers_were_told_once(h: &SyncHarness, decided_order: &str) {
    let order = discounted_order(h, "vip-mail").await;
    let mailer = order_events::wiring::approval_sync(
        h.store.clone(),
        None,
        Arc::new(SystemClock),
        storesync_core::pricing::PricingPolicy::default(),
    )
    .with_managers(
        Arc::new(storesync_embedded::MailboxNotifications::new(
            h.store.clone(),
            Arc::new(SystemClock),
        )),
        vec![storesync_core::ids::Email::parse("boss@example.com").unwrap()],
    );
    for _ in 0..2 {
        mailer.run(&always).await.unwrap();
    }
    let mails = h.store.mails(10).await.unwrap();
    let told: Vec<_> = mails
        .iter()
        .filter(|m| m.subject.contains("needs your approval"))
        .collect();
    assert_eq!(told.len(), 1, "{mails:?}");
    assert_eq!(told[0].to[0].as_str(), "boss@example.com");
    assert!(told[0].subject.contains("USD 12.00"), "{}", told[0].subject);
    assert!(told[0].text.contains(&format!("{order}:discount")));
    assert!(!told[0].text.contains(decided_order));
    assert!(request(h, &order).await.managers_notified);
}

/// The approval request as the store keeps it.
async fn request(h: &SyncHarness, order: &str) -> storesync_core::approvals::ApprovalRequest {
    h.store
        .approval(&format!("{order}:discount"))
        .await
        .unwrap()
        .expect("a discount request")
}

async fn a_discount_approved_in_salesforce_releases_the_order(b: Backend) {
    let h = SyncHarness::start_on(b).await;
    let order = discounted_order(&h, "vip-3").await;
    let approvals = h.approval_sync();

    // The order's Opportunity is not in Salesforce yet: nothing to submit.
    let waiting = approvals.run(&always).await.unwrap();
    assert_eq!(waiting.waiting_for_sync, 1, "{waiting:?}");
    h.sync().await;
    let submitted = approvals.run(&always).await.unwrap();
    assert_eq!(submitted.submitted, 1, "{submitted:?}");
    let crm = request(&h, &order).await.crm.expect("submitted");
    let opportunity = h.order_sync(&order).await;
    let instance = h.one("ProcessInstance", "Id", crm.instance_id.as_str());
    assert_eq!(
        instance["TargetObjectId"],
        opportunity
            .id(storesync_core::sync::status::CrmObject::Opportunity)
            .unwrap()
            .as_str()
    );
    assert_eq!(instance["Status"], "Pending");
    // Run again: nothing is submitted twice.
    assert_eq!(approvals.run(&always).await.unwrap().submitted, 0);
    assert_eq!(h.records("ProcessInstance").len(), 1);

    h.manager_decides("Approve", crm.workitem_id.as_str(), "Loyal customer")
        .await;
    let read = approvals.run(&always).await.unwrap();
    assert_eq!(read.decided_in_salesforce, 1, "{read:?}");
    let decided = request(&h, &order).await;
    assert_eq!(decided.status, ApprovalStatus::Approved);
    let decision = decided.decision.unwrap();
    assert_eq!(decision.via, DecisionSource::Salesforce);
    assert_eq!(decision.comment.as_deref(), Some("Loyal customer"));
    assert!(!decision.by.is_empty());
    assert!(decided.crm.unwrap().closed, "nothing left to recall");
    assert_eq!(fulfilment(&h).run(&always).await.unwrap().started, 1);
    assert_eq!(h.stored_order(&order).await.status, OrderStatus::Fulfilling);
    // Nothing more to do in Salesforce.
    let calls = h.emulator.api_calls();
    let idle = approvals.run(&always).await.unwrap();
    assert!(idle.is_idle(), "{idle:?}");
    assert_eq!(h.emulator.api_calls(), calls);
}

async fn a_discount_rejected_in_salesforce_cancels_and_one_decided_in_the_store_is_recalled_there(
    b: Backend,
) {
    let h = SyncHarness::start_on(b).await;
    let before = h.on_shelf("MUG-WHT").await;
    let rejected = discounted_order(&h, "vip-4").await;
    let approved = discounted_order(&h, "vip-5").await;
    h.sync().await;
    let approvals = h.approval_sync();
    assert_eq!(approvals.run(&always).await.unwrap().submitted, 2);

    let crm = request(&h, &rejected).await.crm.unwrap();
    h.manager_decides("Reject", crm.workitem_id.as_str(), "Too generous")
        .await;
    assert_eq!(
        decide(&h, &manager(), &approved, "approve").await,
        StatusCode::OK
    );
    let run = approvals.run(&always).await.unwrap();
    assert_eq!((run.decided_in_salesforce, run.recalled), (1, 1), "{run:?}");

    let cancelled = h.stored_order(&rejected).await;
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(
        h.on_shelf("MUG-WHT").await,
        before - 4,
        "the rejected order's mugs are back"
    );
    let recalled = request(&h, &approved).await.crm.unwrap();
    assert!(recalled.closed);
    let instance = h.one("ProcessInstance", "Id", recalled.instance_id.as_str());
    assert_eq!(instance["Status"], "Removed");
    // The store's decision stands when Salesforce reads back as recalled.
    assert_eq!(
        approvals.run(&always).await.unwrap().decided_in_salesforce,
        0
    );
    assert_eq!(
        request(&h, &approved).await.status,
        ApprovalStatus::Approved
    );
}

async fn a_returns_refund_approved_in_salesforce_is_paid_then(b: Backend) {
    let h = SyncHarness::start_on(b).await;
    h.register("ret-9", "ret9@example.com", None).await;
    let (order, total) = h.order("ret-9", 2).await;
    h.pay(&order, total).await;
    storesync_tests::fulfilment::deliver(&h, &order).await;
    let asked = h
        .app
        .call(
            Method::POST,
            &format!("/v1/orders/{order}/returns"),
            &Auth::customer("ret-9"),
            Some(json!({"lines": [{"sku": "MUG-WHT", "quantity": 1}], "reason": "chipped"})),
        )
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{:?}", asked.body);
    let return_id = asked.body["returns"][0]["id"].as_str().unwrap().to_owned();
    let received = h
        .app
        .call(
            Method::POST,
            &format!("/v1/admin/orders/{order}/returns/{return_id}/receive"),
            &operator(),
            None,
        )
        .await;
    assert_eq!(received.status, StatusCode::OK, "{:?}", received.body);
    h.sync().await;
    let memo = h.stored_order(&order).await.credit_memos[0].clone();
    assert_eq!(memo.refund, RefundState::AwaitingApproval);

    // Submitted on the order's Salesforce Order, approved there by the sales manager.
    let approvals = h.approval_sync();
    assert_eq!(approvals.run(&always).await.unwrap().submitted, 1);
    let id = format!("{order}:refund:{}", memo.id);
    let crm = h.store.approval(&id).await.unwrap().unwrap().crm.unwrap();
    let salesforce_order = h
        .order_sync(&order)
        .await
        .id(storesync_core::sync::status::CrmObject::Order)
        .unwrap()
        .clone();
    let instance = h.one("ProcessInstance", "Id", crm.instance_id.as_str());
    assert_eq!(instance["TargetObjectId"], salesforce_order.as_str());
    h.manager_decides("Approve", crm.workitem_id.as_str(), "Chipped in transit")
        .await;
    assert_eq!(
        approvals.run(&always).await.unwrap().decided_in_salesforce,
        1
    );
    assert_eq!(
        h.stored_order(&order).await.credit_memos[0].refund,
        RefundState::Pending,
        "the refund run pays it now"
    );
}

against_both_stores!(
    a_returns_refund_approved_in_salesforce_is_paid_then,
    a_discount_approved_in_salesforce_releases_the_order,
    a_discount_rejected_in_salesforce_cancels_and_one_decided_in_the_store_is_recalled_there,
    a_big_discount_waits_for_a_manager_and_only_a_manager_releases_it,
    a_rejected_discount_cancels_the_order_and_puts_its_units_back,
);
