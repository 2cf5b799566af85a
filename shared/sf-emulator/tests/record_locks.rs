//! Record locking during approval, as a real org does it: a record submitted for approval
//! is locked while its request is pending. Only users with "Modify All Data" or "Modify All"
//! on its object (the integration user, through its permission set) may update or delete
//! it; under `AdminOnly` not even the approver may; everyone else gets `ENTITY_IS_LOCKED`,
//! through every write API. Reads stay allowed, and the decision or a recall unlocks it.
//! The processes' locking settings and the permission sets match their metadata.

mod sfdx;
mod support;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use storesync_sf_emulator::approvals::APPROVAL_PROCESSES;
use storesync_sf_emulator::permissions::{self, PERMISSION_SETS};
use storesync_sf_emulator::{
    EmulatorConfig, INTEGRATION_USERNAME, MANAGER_PASSWORD, MANAGER_USERNAME, PasswordLogin,
};
use support::Org;

const DISCOUNT: &str = "Storesync_Discount_Approval";
const REFUND: &str = "Storesync_Refund_Approval";
const REP_USERNAME: &str = "sales.rep@example.com";
const REP_PASSWORD: &str = "storesync-rep-demo-password";
const LOCKED: &str = "This record is locked. If you need to edit it, contact your admin.";

/// An org with a third user, a sales rep with no permission set, who may log in with the
/// password flow: (org, the rep's token, the manager's token).
async fn org_with_rep() -> (Org, String, String) {
    let mut config = EmulatorConfig::default();
    config.password_logins.push(PasswordLogin {
        username: REP_USERNAME.into(),
        password: REP_PASSWORD.into(),
    });
    let org = Org::start_with(config).await;
    org.insert(
        "User",
        json!({
            "Username": REP_USERNAME, "Email": REP_USERNAME, "FirstName": "Sam",
            "LastName": "Rep", "Alias": "srep",
        }),
    );
    let rep = org.token_of(REP_USERNAME, REP_PASSWORD).await;
    let manager = org.token_of(MANAGER_USERNAME, MANAGER_PASSWORD).await;
    (org, rep, manager)
}

fn opportunity(org: &Org) -> String {
    org.insert(
        "Opportunity",
        json!({
            "Name": "Order 1042", "StageName": "Prospecting", "CloseDate": "2026-12-31",
            "Storesync_Order_Id__c": "ord_1042",
        }),
    )
}

fn order(org: &Org) -> String {
    let account = org.account("Ada Lovelace");
    org.insert(
        "Order",
        json!({
            "AccountId": account, "EffectiveDate": "2026-11-22", "Status": "Draft",
            "Pricebook2Id": org.emulator.standard_pricebook_id(),
            "Storesync_Order_Id__c": "ord_1042",
        }),
    )
}

/// Submits as the integration user: the work item id.
async fn submitted(org: &Org, record: &str, process: &str) -> String {
    let (status, _, body) = org
        .post(
            "process/approvals/",
            json!({ "requests": [{
                "actionType": "Submit", "contextId": record,
                "processDefinitionNameOrId": process, "comments": "held",
            }]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body[0]["newWorkitemIds"][0].as_str().unwrap().to_string()
}

async fn decide(org: &Org, token: &str, action: &str, workitem: &str) {
    let (status, _, body) = org
        .send_as(
            token,
            Method::POST,
            "process/approvals/",
            Some(json!({ "requests": [{ "actionType": action, "contextId": workitem }] })),
        )
        .await;
    assert_eq!(status, 200, "{action}: {body}");
}

fn assert_locked(status: StatusCode, body: &Value) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        *body,
        json!([{ "errorCode": "ENTITY_IS_LOCKED", "message": LOCKED, "fields": [] }])
    );
}

#[tokio::test]
async fn a_pending_opportunity_is_locked_against_a_user_without_modify_all_but_readable() {
    let (org, rep, _) = org_with_rep().await;
    let record = opportunity(&org);
    let path = format!("sobjects/Opportunity/{record}");
    let (status, _, body) = org
        .send_as(
            &rep,
            Method::PATCH,
            &path,
            Some(json!({ "Description": "Call" })),
        )
        .await;
    assert_eq!(status, 204, "not locked before submission: {body}");
    submitted(&org, &record, DISCOUNT).await;

    let (status, _, body) = org
        .send_as(
            &rep,
            Method::PATCH,
            &path,
            Some(json!({ "StageName": "Closed Won" })),
        )
        .await;
    assert_locked(status, &body);
    let (status, _, body) = org
        .send_as(
            &rep,
            Method::PATCH,
            "sobjects/Opportunity/Storesync_Order_Id__c/ord_1042",
            Some(json!({ "StageName": "Closed Won" })),
        )
        .await;
    assert_locked(status, &body);
    let (status, _, body) = org.send_as(&rep, Method::DELETE, &path, None).await;
    assert_locked(status, &body);

    let (status, _, body) = org.send_as(&rep, Method::GET, &path, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["StageName"], "Prospecting", "nothing was written");
    let soql = format!("SELECT StageName FROM Opportunity WHERE Id = '{record}'");
    let q: String = url::form_urlencoded::byte_serialize(soql.as_bytes()).collect();
    let (status, _, body) = org
        .send_as(&rep, Method::GET, &format!("query?q={q}"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalSize"], 1);
}

#[tokio::test]
async fn the_integration_user_with_modify_all_keeps_syncing_a_held_order() {
    let (org, _, _) = org_with_rep().await;
    let opp = opportunity(&org);
    let ord = order(&org);
    submitted(&org, &opp, DISCOUNT).await;
    submitted(&org, &ord, REFUND).await;

    let (status, _, body) = org
        .patch(
            &format!("sobjects/Opportunity/{opp}"),
            json!({ "StageName": "Closed Won" }),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, _, body) = org
        .patch(
            "sobjects/Opportunity/Storesync_Order_Id__c/ord_1042",
            json!({ "Name": "Order 1042 (paid)" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["created"], false);
    let (status, _, body) = org
        .patch(
            "sobjects/Order/Storesync_Order_Id__c/ord_1042",
            json!({ "Storesync_Status__c": "refund_pending" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let stored = org.emulator.record(&opp).unwrap();
    assert_eq!(stored["StageName"], "Closed Won");
    assert_eq!(
        org.emulator.record(&ord).unwrap()["Storesync_Status__c"],
        "refund_pending"
    );
}

#[tokio::test]
async fn under_admin_only_the_approver_may_not_edit_the_record_she_decides() {
    let (org, _, manager) = org_with_rep().await;
    let record = order(&org);
    submitted(&org, &record, REFUND).await;
    let (status, _, body) = org
        .send_as(
            &manager,
            Method::PATCH,
            &format!("sobjects/Order/{record}"),
            Some(json!({ "Description": "checked" })),
        )
        .await;
    assert_locked(status, &body);
}

#[tokio::test]
async fn composite_graph_and_collections_report_the_lock_per_subrequest() {
    let (org, rep, _) = org_with_rep().await;
    let record = opportunity(&org);
    submitted(&org, &record, DISCOUNT).await;
    let url = format!("/services/data/v62.0/sobjects/Opportunity/{record}");

    let (status, _, body) = org
        .send_as(
            &rep,
            Method::POST,
            "composite",
            Some(json!({ "allOrNone": false, "compositeRequest": [
                { "method": "PATCH", "url": url, "referenceId": "opp", "body": { "StageName": "Closed Won" } },
                { "method": "GET", "url": url, "referenceId": "read" },
            ]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let patched = &body["compositeResponse"][0];
    assert_eq!(patched["httpStatusCode"], 400);
    assert_locked(StatusCode::BAD_REQUEST, &patched["body"]);
    assert_eq!(body["compositeResponse"][1]["httpStatusCode"], 200);

    let (status, _, body) = org
        .send_as(
            &rep,
            Method::POST,
            "composite/graph",
            Some(json!({ "graphs": [{ "graphId": "g1", "compositeRequest": [
                { "method": "PATCH", "url": "/services/data/v62.0/sobjects/Opportunity/Storesync_Order_Id__c/ord_1042",
                  "referenceId": "opp", "body": { "StageName": "Closed Won" } },
            ]}]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let graph = &body["graphs"][0];
    assert_eq!(graph["isSuccessful"], false);
    let node = &graph["graphResponse"]["compositeResponse"][0];
    assert_eq!(node["httpStatusCode"], 400);
    assert_locked(StatusCode::BAD_REQUEST, &node["body"]);

    let (status, _, body) = org
        .send_as(
            &rep,
            Method::PATCH,
            "composite/sobjects",
            Some(json!({ "records": [
                { "attributes": { "type": "Opportunity" }, "Id": record, "StageName": "Closed Won" },
            ]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["success"], false);
    assert_eq!(
        body[0]["errors"],
        json!([{ "statusCode": "ENTITY_IS_LOCKED", "message": LOCKED, "fields": [] }])
    );
    let (_, _, body) = org
        .send_as(
            &rep,
            Method::DELETE,
            &format!("composite/sobjects?ids={record}"),
            None,
        )
        .await;
    assert_eq!(body[0]["errors"][0]["statusCode"], "ENTITY_IS_LOCKED");
    assert_eq!(
        org.emulator.record(&record).unwrap()["StageName"],
        "Prospecting"
    );
}

#[tokio::test]
async fn an_orders_products_are_locked_with_it() {
    let (org, rep, _) = org_with_rep().await;
    let product = org.insert(
        "Product2",
        json!({ "Name": "SKU-1", "Storesync_Sku__c": "SKU-1", "IsActive": true }),
    );
    let entry = org.insert(
        "PricebookEntry",
        json!({
            "Pricebook2Id": org.emulator.standard_pricebook_id(), "Product2Id": product,
            "UnitPrice": 10, "IsActive": true,
        }),
    );
    let record = order(&org);
    let line =
        json!({ "OrderId": record, "PricebookEntryId": entry, "Quantity": 1, "UnitPrice": 10 });
    let item = org.insert("OrderItem", line.clone());
    submitted(&org, &record, REFUND).await;

    let (status, _, body) = org
        .send_as(&rep, Method::POST, "sobjects/OrderItem", Some(line.clone()))
        .await;
    assert_locked(status, &body);
    let (status, _, body) = org
        .send_as(
            &rep,
            Method::PATCH,
            &format!("sobjects/OrderItem/{item}"),
            Some(json!({ "Quantity": 2 })),
        )
        .await;
    assert_locked(status, &body);
    let (status, _, body) = org.post("sobjects/OrderItem", line).await;
    assert_eq!(status, 201, "Modify All on Order: {body}");
}

#[tokio::test]
async fn approval_rejection_and_recall_unlock_the_record() {
    let (org, rep, manager) = org_with_rep().await;
    for (decider, action) in [
        (&manager, "Approve"),
        (&manager, "Reject"),
        (&org.token, "Removed"),
    ] {
        let record = opportunity_named(&org, action);
        let workitem = submitted(&org, &record, DISCOUNT).await;
        let path = format!("sobjects/Opportunity/{record}");
        let edit = Some(json!({ "Description": action }));
        let (status, _, body) = org.send_as(&rep, Method::PATCH, &path, edit.clone()).await;
        assert_locked(status, &body);

        decide(&org, decider, action, &workitem).await;

        let (status, _, body) = org.send_as(&rep, Method::PATCH, &path, edit).await;
        assert_eq!(status, 204, "{action} unlocks it: {body}");
        assert_eq!(org.emulator.record(&record).unwrap()["Description"], action);
    }
}

fn opportunity_named(org: &Org, name: &str) -> String {
    org.insert(
        "Opportunity",
        json!({ "Name": name, "StageName": "Prospecting", "CloseDate": "2026-12-31" }),
    )
}

/// The `<objectPermissions>` blocks of a permission set file, each as (object, flags).
fn object_permissions(xml: &str) -> Vec<(String, Vec<(String, bool)>)> {
    xml.split("<objectPermissions>")
        .skip(1)
        .map(|block| {
            let block = &block[..block.find("</objectPermissions>").expect("closed")];
            let object = sfdx::tag(block, "object").expect("an object").to_string();
            let flags = [
                "allowCreate",
                "allowRead",
                "allowEdit",
                "allowDelete",
                "viewAllRecords",
                "modifyAllRecords",
            ]
            .iter()
            .map(|f| (f.to_string(), sfdx::tag(block, f) == Some("true")))
            .collect();
            (object, flags)
        })
        .collect()
}

fn flag(flags: &[(String, bool)], name: &str) -> bool {
    flags.iter().any(|(f, on)| f == name && *on)
}

#[test]
fn each_permission_set_grants_exactly_the_modify_all_the_emulator_assumes() {
    for set in PERMISSION_SETS {
        let xml = sfdx::read(&format!(
            "permissionsets/{}.permissionset-meta.xml",
            set.name
        ));
        let at = set.name;
        let mut modify_all: Vec<String> = Vec::new();
        for (object, flags) in object_permissions(&xml) {
            if flag(&flags, "modifyAllRecords") {
                // Salesforce requires Read, Edit, Delete and View All with Modify All.
                for implied in ["allowRead", "allowEdit", "allowDelete", "viewAllRecords"] {
                    assert!(
                        flag(&flags, implied),
                        "{at}: {object} Modify All needs {implied}"
                    );
                }
                modify_all.push(object);
            }
        }
        let mut expected: Vec<String> = set.modify_all.iter().map(|o| o.to_string()).collect();
        modify_all.sort();
        expected.sort();
        assert_eq!(modify_all, expected, "{at}: Modify All");
        let compact: String = xml.split_whitespace().collect();
        assert_eq!(
            compact.contains("<enabled>true</enabled><name>ModifyAllData</name>"),
            set.modify_all_data,
            "{at}: Modify All Data"
        );
    }
    // The integration user keeps syncing held orders: Modify All on both locked objects.
    for process in APPROVAL_PROCESSES {
        assert!(
            permissions::modifies_all(INTEGRATION_USERNAME, process.object),
            "{}",
            process.object
        );
        assert!(!permissions::modifies_all(MANAGER_USERNAME, process.object));
    }
}

#[test]
fn every_process_locks_as_its_metadata_says() {
    for process in APPROVAL_PROCESSES {
        let xml = sfdx::read(&format!(
            "approvalProcesses/{}.{}.approvalProcess-meta.xml",
            process.object, process.name
        ));
        let at = process.name;
        assert_eq!(
            sfdx::tag(&xml, "recordEditability"),
            Some(process.record_editability.metadata_name()),
            "{at}"
        );
        let flag = |on: bool| if on { "true" } else { "false" };
        assert_eq!(
            sfdx::tag(&xml, "finalApprovalRecordLock"),
            Some(flag(process.final_approval_record_lock)),
            "{at}"
        );
        assert_eq!(
            sfdx::tag(&xml, "finalRejectionRecordLock"),
            Some(flag(process.final_rejection_record_lock)),
            "{at}"
        );
    }
}
