//! The approval port against the emulated org: the store submits and recalls as the
//! integration user, the sales manager decides as herself through the Process Approvals
//! resource, and the store reads every decision back with who, when and why.

mod support;

use serde_json::{Value, json};
use storesync_core::ids::CrmId;
use storesync_core::sync::approvals::{
    ApprovalProcess, ApprovalSubmission, ApprovalTicket, CrmApprovalState, CrmApprovals,
};
use storesync_core::sync::crm::CrmError;
use storesync_salesforce::SalesforceCrm;
use storesync_sf_emulator::{Emulator, MANAGER_PASSWORD, MANAGER_USERNAME};
use support::{client_for, emulator};

fn crm(emulator: &Emulator) -> SalesforceCrm {
    SalesforceCrm::new(client_for(emulator))
}

fn opportunity(emulator: &Emulator) -> CrmId {
    let id = emulator
        .insert(
            "Opportunity",
            json!({ "Name": "Order 1042", "StageName": "Prospecting", "CloseDate": "2026-12-31" }),
        )
        .unwrap();
    CrmId::parse(&id).unwrap()
}

fn salesforce_order(emulator: &Emulator) -> CrmId {
    let account = emulator
        .insert("Account", json!({ "Name": "Ada Lovelace" }))
        .unwrap();
    let id = emulator
        .insert(
            "Order",
            json!({
                "AccountId": account, "EffectiveDate": "2026-11-22", "Status": "Draft",
                "Pricebook2Id": emulator.standard_pricebook_id(),
            }),
        )
        .unwrap();
    CrmId::parse(&id).unwrap()
}

fn discount(record: &CrmId) -> ApprovalSubmission {
    ApprovalSubmission {
        process: ApprovalProcess::Discount,
        record_id: record.clone(),
        comment: "Order 1042: 25% off (USD 250.00)".into(),
    }
}

/// The sales manager decides a work item as herself: a token by the username-password flow,
/// then the Process Approvals resource, as Salesforce's own app would.
async fn manager_decides(
    emulator: &Emulator,
    action: &str,
    ticket: &ApprovalTicket,
    comment: &str,
) {
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{}/services/oauth2/token", emulator.base_url()))
        .form(&[
            ("grant_type", "password"),
            ("client_id", emulator.client_id()),
            ("client_secret", emulator.client_secret()),
            ("username", MANAGER_USERNAME),
            ("password", MANAGER_PASSWORD),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let response = http
        .post(format!(
            "{}/services/data/v62.0/process/approvals/",
            token["instance_url"].as_str().unwrap()
        ))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .json(&json!({ "requests": [{
            "actionType": action,
            "contextId": ticket.workitem_id.as_str(),
            "comments": comment,
        }]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn a_discount_approved_by_the_manager_reads_back_with_who_when_and_why() {
    let emulator = emulator().await;
    let crm = crm(&emulator);
    let record = opportunity(&emulator);

    emulator.reset_calls();
    let ticket = crm.submit(&discount(&record)).await.unwrap();
    assert_eq!(emulator.api_calls(), 1, "a submission is one call");
    let pending = crm
        .statuses(std::slice::from_ref(&ticket.instance_id))
        .await
        .unwrap();
    assert_eq!(emulator.api_calls(), 2, "pending requests are one query");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].state, CrmApprovalState::Pending);
    assert_eq!(pending[0].actor, None);
    assert_eq!(pending[0].decided_at, None);

    manager_decides(&emulator, "Approve", &ticket, "Loyal customer").await;
    emulator.reset_calls();
    let decided = crm
        .statuses(std::slice::from_ref(&ticket.instance_id))
        .await
        .unwrap();

    assert_eq!(
        emulator.api_calls(),
        2,
        "one query, one more for the decisions"
    );
    let status = &decided[0];
    assert_eq!(status.instance_id, ticket.instance_id);
    assert_eq!(status.state, CrmApprovalState::Approved);
    assert_eq!(status.actor.as_deref(), Some("Dana Whitfield"));
    assert_eq!(status.comment.as_deref(), Some("Loyal customer"));
    let decided_at = status.decided_at.expect("decided at");
    assert!((chrono::Utc::now() - decided_at).num_seconds().abs() < 60);
}

#[tokio::test]
async fn a_refund_rejected_by_the_manager_reads_rejected() {
    let emulator = emulator().await;
    let crm = crm(&emulator);
    let record = salesforce_order(&emulator);
    let ticket = crm
        .submit(&ApprovalSubmission {
            process: ApprovalProcess::Refund,
            record_id: record,
            comment: "Return of order 1042: USD 80.00".into(),
        })
        .await
        .unwrap();

    manager_decides(&emulator, "Reject", &ticket, "Item worn").await;
    let statuses = crm
        .statuses(std::slice::from_ref(&ticket.instance_id))
        .await
        .unwrap();

    assert_eq!(statuses[0].state, CrmApprovalState::Rejected);
    assert_eq!(statuses[0].actor.as_deref(), Some("Dana Whitfield"));
    assert_eq!(statuses[0].comment.as_deref(), Some("Item worn"));
}

#[tokio::test]
async fn a_request_the_store_decided_itself_is_recalled_and_reads_removed() {
    let emulator = emulator().await;
    let crm = crm(&emulator);
    let ticket = crm
        .submit(&discount(&opportunity(&emulator)))
        .await
        .unwrap();

    emulator.reset_calls();
    crm.recall(&ticket, "Approved by ops@example.com in the store")
        .await
        .unwrap();
    assert_eq!(emulator.api_calls(), 1, "a recall is one call");
    let statuses = crm
        .statuses(std::slice::from_ref(&ticket.instance_id))
        .await
        .unwrap();

    assert_eq!(statuses[0].state, CrmApprovalState::Removed);
    assert_eq!(statuses[0].actor.as_deref(), Some("Storesync Integration"));
    assert_eq!(
        statuses[0].comment.as_deref(),
        Some("Approved by ops@example.com in the store")
    );
    assert!(statuses[0].decided_at.is_some());
}

#[tokio::test]
async fn a_second_submission_while_one_is_pending_is_retryable() {
    let emulator = emulator().await;
    let crm = crm(&emulator);
    let record = opportunity(&emulator);
    crm.submit(&discount(&record)).await.unwrap();

    let again = crm.submit(&discount(&record)).await;

    match again {
        Err(CrmError::Retryable(text)) => assert!(text.contains("ALREADY_IN_PROCESS"), "{text}"),
        other => panic!("expected Retryable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_record_of_another_object_than_the_process_is_refused_for_good() {
    let emulator = emulator().await;
    let crm = crm(&emulator);
    let submission = ApprovalSubmission {
        process: ApprovalProcess::Refund,
        ..discount(&opportunity(&emulator))
    };

    let refused = crm.submit(&submission).await;

    match refused {
        Err(CrmError::Permanent(text)) => assert!(text.contains("NO_APPLICABLE_PROCESS"), "{text}"),
        other => panic!("expected Permanent, got {other:?}"),
    }
}

#[tokio::test]
async fn many_requests_are_read_in_one_query_plus_one_for_the_decided() {
    let emulator = emulator().await;
    let crm = crm(&emulator);
    let mut tickets = Vec::new();
    for _ in 0..3 {
        tickets.push(
            crm.submit(&discount(&opportunity(&emulator)))
                .await
                .unwrap(),
        );
    }
    manager_decides(&emulator, "Approve", &tickets[1], "Fine").await;
    let ids: Vec<CrmId> = tickets.iter().map(|t| t.instance_id.clone()).collect();

    emulator.reset_calls();
    let statuses = crm.statuses(&ids).await.unwrap();

    assert_eq!(emulator.api_calls(), 2);
    let states: Vec<CrmApprovalState> = statuses.iter().map(|s| s.state).collect();
    assert_eq!(
        states,
        [
            CrmApprovalState::Pending,
            CrmApprovalState::Approved,
            CrmApprovalState::Pending
        ]
    );
    assert_eq!(statuses[1].instance_id, ids[1]);
    assert!(statuses[0].actor.is_none() && statuses[2].actor.is_none());
}
