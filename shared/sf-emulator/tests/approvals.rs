//! Approval requests through `process/approvals`, as a real org runs them: the integration
//! user submits, the sales manager (its manager, the step's approver, logged in with the
//! username-password flow) approves or rejects, the submitter recalls; everyone else is
//! refused with the org's errors. The processes match their metadata in `salesforce/`.

mod sfdx;
mod support;

use reqwest::Method;
use serde_json::{Value, json};
use storesync_sf_emulator::approvals::APPROVAL_PROCESSES;
use storesync_sf_emulator::{MANAGER_PASSWORD, MANAGER_USERNAME};
use support::Org;

const DISCOUNT: &str = "Storesync_Discount_Approval";
const REFUND: &str = "Storesync_Refund_Approval";

/// A session of the sales manager, by the username-password flow.
async fn manager_session(org: &Org) -> Org2 {
    let answer: Value = org
        .http
        .post(format!("{}/services/oauth2/token", org.emulator.base_url()))
        .form(&[
            ("grant_type", "password"),
            ("client_id", org.emulator.client_id()),
            ("client_secret", org.emulator.client_secret()),
            ("username", MANAGER_USERNAME),
            ("password", MANAGER_PASSWORD),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let manager_id = org.emulator.user_id(MANAGER_USERNAME).unwrap();
    assert!(
        answer["id"].as_str().unwrap().ends_with(&manager_id),
        "{answer}"
    );
    Org2 {
        token: answer["access_token"].as_str().unwrap().to_string(),
    }
}

/// Another user's token on the same org.
struct Org2 {
    token: String,
}

impl Org2 {
    async fn post(&self, org: &Org, path: &str, body: Value) -> (u16, Value) {
        let response = org
            .http
            .request(Method::POST, org.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }
}

fn opportunity(org: &Org) -> String {
    org.insert(
        "Opportunity",
        json!({ "Name": "Order 1042", "StageName": "Prospecting", "CloseDate": "2026-12-31" }),
    )
}

fn order(org: &Org) -> String {
    let account = org.account("Ada Lovelace");
    org.insert(
        "Order",
        json!({
            "AccountId": account, "EffectiveDate": "2026-11-22", "Status": "Draft",
            "Pricebook2Id": org.emulator.standard_pricebook_id(),
        }),
    )
}

fn submit(record: &str, process: &str) -> Value {
    json!({ "requests": [{
        "actionType": "Submit", "contextId": record, "processDefinitionNameOrId": process,
        "comments": "Order 1042: 25% off (USD 250.00)", "skipEntryCriteria": true,
    }]})
}

fn decide(action: &str, workitem: &str, comments: &str) -> Value {
    json!({ "requests": [{ "actionType": action, "contextId": workitem, "comments": comments }] })
}

/// Submits as the integration user: (instance id, work item id).
async fn submitted(org: &Org, record: &str, process: &str) -> (String, String) {
    let (status, _, body) = org
        .post("process/approvals/", submit(record, process))
        .await;
    assert_eq!(status, 200, "{body}");
    (
        body[0]["instanceId"].as_str().unwrap().to_string(),
        body[0]["newWorkitemIds"][0].as_str().unwrap().to_string(),
    )
}

async fn instance(org: &Org, id: &str) -> Value {
    let (status, _, body) = org
        .query(&format!(
            "SELECT Id, Status, TargetObjectId, CompletedDate, LastActorId, SubmittedById FROM ProcessInstance WHERE Id = '{id}'"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    body["records"][0].clone()
}

async fn steps(org: &Org, instance: &str) -> Vec<Value> {
    let (status, _, body) = org
        .query(&format!(
            "SELECT StepStatus, ActorId, Actor.Name, Comments, CreatedDate FROM ProcessInstanceStep WHERE ProcessInstanceId = '{instance}' ORDER BY CreatedDate"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    body["records"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_org_lists_its_approval_processes_by_object() {
    let org = Org::start().await;
    let (status, _, body) = org.get("process/approvals/").await;
    assert_eq!(status, 200, "{body}");
    let discount = &body["approvals"]["Opportunity"][0];
    assert_eq!(discount["name"], "Storesync Discount Approval");
    assert_eq!(discount["object"], "Opportunity");
    assert!(discount["id"].as_str().unwrap().starts_with("04a"));
    assert_eq!(body["approvals"]["Order"][0]["object"], "Order");
}

#[tokio::test]
async fn a_submission_makes_a_pending_instance_with_a_work_item_for_the_submitters_manager() {
    let org = Org::start().await;
    let record = opportunity(&org);
    org.emulator.reset_calls();
    let (status, _, body) = org
        .post("process/approvals/", submit(&record, DISCOUNT))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(org.emulator.api_calls(), 1);
    let result = &body[0];
    assert_eq!(result["success"], true);
    assert_eq!(result["errors"], Value::Null);
    assert_eq!(result["entityId"], record.as_str());
    assert_eq!(result["instanceStatus"], "Pending");
    let manager_id = org.emulator.user_id(MANAGER_USERNAME).unwrap();
    assert_eq!(result["actorIds"], json!([manager_id]));
    let instance_id = result["instanceId"].as_str().unwrap();
    assert!(instance_id.starts_with("04g"));
    let workitem = result["newWorkitemIds"][0].as_str().unwrap();
    assert!(workitem.starts_with("04i"));

    let stored = instance(&org, instance_id).await;
    assert_eq!(stored["Status"], "Pending");
    assert_eq!(stored["TargetObjectId"], record.as_str());
    assert_eq!(stored["SubmittedById"], org.emulator.integration_user_id());
    assert_eq!(stored["CompletedDate"], Value::Null);
    let (_, _, items) = org
        .query(&format!("SELECT Id, ActorId, Actor.Name FROM ProcessInstanceWorkitem WHERE ProcessInstanceId = '{instance_id}'"))
        .await;
    assert_eq!(items["records"][0]["Id"], workitem);
    assert_eq!(items["records"][0]["Actor"]["Name"], "Dana Whitfield");
    let history = steps(&org, instance_id).await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["StepStatus"], "Started");
    assert_eq!(history[0]["Comments"], "Order 1042: 25% off (USD 250.00)");
}

#[tokio::test]
async fn the_manager_approves_as_herself_and_the_decision_is_recorded_with_who_and_when() {
    let org = Org::start().await;
    let record = opportunity(&org);
    let (instance_id, workitem) = submitted(&org, &record, DISCOUNT).await;
    let manager = manager_session(&org).await;
    org.emulator.reset_calls();

    let (status, body) = manager
        .post(
            &org,
            "process/approvals/",
            decide("Approve", &workitem, "Loyal customer"),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(org.emulator.api_calls(), 1);
    assert_eq!(body[0]["instanceStatus"], "Approved");
    assert_eq!(body[0]["instanceId"], instance_id.as_str());
    assert_eq!(body[0]["entityId"], record.as_str());
    let manager_id = org.emulator.user_id(MANAGER_USERNAME).unwrap();
    let stored = instance(&org, &instance_id).await;
    assert_eq!(stored["Status"], "Approved");
    assert_eq!(stored["LastActorId"], manager_id.as_str());
    assert!(stored["CompletedDate"].is_string());
    let history = steps(&org, &instance_id).await;
    let decision = history.last().unwrap();
    assert_eq!(decision["StepStatus"], "Approved");
    assert_eq!(decision["ActorId"], manager_id.as_str());
    assert_eq!(decision["Actor"]["Name"], "Dana Whitfield");
    assert_eq!(decision["Comments"], "Loyal customer");
    let (_, _, left) = org
        .query(&format!(
            "SELECT COUNT() FROM ProcessInstanceWorkitem WHERE ProcessInstanceId = '{instance_id}'"
        ))
        .await;
    assert_eq!(left["totalSize"], 0, "a decided work item is gone");
}

#[tokio::test]
async fn the_manager_rejects_a_refund_on_its_order() {
    let org = Org::start().await;
    let record = order(&org);
    let (instance_id, workitem) = submitted(&org, &record, REFUND).await;
    let manager = manager_session(&org).await;

    let (status, body) = manager
        .post(
            &org,
            "process/approvals/",
            decide("Reject", &workitem, "Worn item"),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["instanceStatus"], "Rejected");
    assert_eq!(instance(&org, &instance_id).await["Status"], "Rejected");
    assert_eq!(steps(&org, &instance_id).await[1]["StepStatus"], "Rejected");
}

#[tokio::test]
async fn the_integration_user_is_not_an_approver() {
    let org = Org::start().await;
    let record = opportunity(&org);
    let (instance_id, workitem) = submitted(&org, &record, DISCOUNT).await;

    let (status, _, body) = org
        .post(
            "process/approvals/",
            decide("Approve", &workitem, "self-approved"),
        )
        .await;

    assert_eq!(status, 400);
    assert_eq!(Org::code(&body), "INSUFFICIENT_ACCESS_OR_READONLY");
    assert_eq!(instance(&org, &instance_id).await["Status"], "Pending");
}

#[tokio::test]
async fn a_record_pending_in_a_process_cannot_be_submitted_again_until_it_is_decided() {
    let org = Org::start().await;
    let record = opportunity(&org);
    let (_, workitem) = submitted(&org, &record, DISCOUNT).await;

    let (status, _, body) = org
        .post("process/approvals/", submit(&record, DISCOUNT))
        .await;
    assert_eq!(status, 400);
    assert_eq!(Org::code(&body), "ALREADY_IN_PROCESS");
    assert_eq!(
        body[0]["message"],
        "Cannot submit object already in process."
    );

    let manager = manager_session(&org).await;
    manager
        .post(
            &org,
            "process/approvals/",
            decide("Reject", &workitem, "No"),
        )
        .await;
    let (status, _, body) = org
        .post("process/approvals/", submit(&record, DISCOUNT))
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_unknown_process_or_one_on_another_object_is_no_applicable_process() {
    let org = Org::start().await;
    let record = opportunity(&org);
    for process in ["Storesync_Bogus_Approval", REFUND] {
        let (status, _, body) = org
            .post("process/approvals/", submit(&record, process))
            .await;
        assert_eq!(status, 400, "{process}");
        assert_eq!(Org::code(&body), "NO_APPLICABLE_PROCESS", "{process}");
    }
    let (_, _, count) = org.query("SELECT COUNT() FROM ProcessInstance").await;
    assert_eq!(count["totalSize"], 0);
}

#[tokio::test]
async fn the_submitter_recalls_a_pending_request_and_no_one_else_may() {
    let org = Org::start().await;
    let record = order(&org);
    let (instance_id, workitem) = submitted(&org, &record, REFUND).await;
    let manager = manager_session(&org).await;

    let (status, body) = manager
        .post(
            &org,
            "process/approvals/",
            decide("Removed", &workitem, "Mine now"),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(Org::code(&body), "INVALID_OPERATION");
    assert_eq!(instance(&org, &instance_id).await["Status"], "Pending");

    let (status, _, body) = org
        .post(
            "process/approvals/",
            decide("Removed", &workitem, "Refunded by ops"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["instanceStatus"], "Removed");
    let stored = instance(&org, &instance_id).await;
    assert_eq!(stored["Status"], "Removed");
    assert_eq!(stored["LastActorId"], org.emulator.integration_user_id());

    let (status, _, body) = org
        .post("process/approvals/", decide("Removed", &workitem, "again"))
        .await;
    assert_eq!(status, 400);
    assert_eq!(Org::code(&body), "INVALID_CROSS_REFERENCE_KEY");
}

#[tokio::test]
async fn approval_records_are_read_only_to_the_sobject_api_and_described() {
    let org = Org::start().await;
    let record = opportunity(&org);
    let (status, _, body) = org
        .post(
            "sobjects/ProcessInstance/",
            json!({ "TargetObjectId": record, "Status": "Approved" }),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(Org::code(&body), "INVALID_TYPE_FOR_OPERATION");
    for object in [
        "ProcessInstance",
        "ProcessInstanceStep",
        "ProcessInstanceWorkitem",
    ] {
        let (status, _, describe) = org.get(&format!("sobjects/{object}/describe")).await;
        assert_eq!(status, 200, "{object}");
        assert_eq!(describe["createable"], false, "{object}");
    }
    let (_, _, describe) = org.get("sobjects/ProcessInstance/describe").await;
    let status_field = Org::described_field(&describe, "Status").unwrap();
    assert_eq!(status_field["updateable"], false);
}

#[tokio::test]
async fn the_password_flow_refuses_a_wrong_password() {
    let org = Org::start().await;
    let response = org
        .http
        .post(format!("{}/services/oauth2/token", org.emulator.base_url()))
        .form(&[
            ("grant_type", "password"),
            ("client_id", org.emulator.client_id()),
            ("client_secret", org.emulator.client_secret()),
            ("username", MANAGER_USERNAME),
            ("password", "guess"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[test]
fn every_emulated_process_is_deployed_as_its_metadata_says() {
    for process in APPROVAL_PROCESSES {
        let xml = sfdx::read(&format!(
            "approvalProcesses/{}.{}.approvalProcess-meta.xml",
            process.object, process.name
        ));
        let at = process.name;
        // The process's own label follows its step (which has a label of its own).
        let after_step = &xml[xml.find("</approvalStep>").expect("one step")..];
        assert_eq!(sfdx::tag(after_step, "label"), Some(process.label), "{at}");
        assert_eq!(sfdx::tag(&xml, "active"), Some("true"), "{at}");
        let recall = if process.allow_recall {
            "true"
        } else {
            "false"
        };
        assert_eq!(sfdx::tag(&xml, "allowRecall"), Some(recall), "{at}");
        let compact: String = xml.split_whitespace().collect();
        assert!(
            compact.contains("<approver><type>userHierarchyField</type></approver>"),
            "{at}: the step goes to the submitter's hierarchy field"
        );
        assert!(
            compact.contains(&format!(
                "<userHierarchyField>{}</userHierarchyField>",
                process.approver_field
            )),
            "{at}: the hierarchy field is {}",
            process.approver_field
        );
    }
}
