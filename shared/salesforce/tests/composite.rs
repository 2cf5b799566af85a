mod support;

use serde_json::json;
use storesync_salesforce::composite::Graph;
use storesync_salesforce::soql::Soql;
use storesync_salesforce::{CompositeRequest, SalesforceClient};
use storesync_sf_emulator::Emulator;
use support::*;

/// Whether an order's lines are being written for the first time or again.
#[derive(Clone, Copy, PartialEq)]
enum Lines {
    New,
    /// Written before: an OrderItem's `OrderId` and `PricebookEntryId` are create-only, so
    /// an upsert that matches must leave them out.
    Existing,
}

/// A known customer's paid order as one graph: Account, Contact, Opportunity, Order and
/// one OrderItem per line, linked by references and keyed by store ids.
fn order_graph(
    emulator: &Emulator,
    entries: &[String],
    unit_price_of_last: Option<f64>,
    lines: Lines,
) -> Graph {
    let mut graph = Graph::new("order_1001");
    let g = &mut graph.nodes;
    let account = g.upsert(
        "account",
        "Account",
        "Storesync_Customer_Id__c",
        "cus_7",
        json!({ "Name": "Ada Lovelace (store)" }),
    );
    let contact = g.upsert(
        "contact",
        "Contact",
        "Storesync_Customer_Id__c",
        "cus_7",
        json!({ "LastName": "Lovelace", "FirstName": "Ada", "Email": "ada@example.com", "AccountId": account.id() }),
    );
    let _ = contact;
    g.upsert(
        "opportunity",
        "Opportunity",
        "Storesync_Order_Id__c",
        "ord_1001",
        json!({ "Name": "Order 1001", "StageName": "Closed Won", "CloseDate": "2026-11-22", "AccountId": account.id(), "Amount": 60.0 }),
    );
    let order = g.upsert(
        "order",
        "Order",
        "Storesync_Order_Id__c",
        "ord_1001",
        json!({ "AccountId": account.id(), "EffectiveDate": "2026-11-22", "Status": "Draft", "Pricebook2Id": emulator.standard_pricebook_id() }),
    );
    for (i, entry) in entries.iter().enumerate() {
        let mut line = json!({ "OrderId": order.id(), "PricebookEntryId": entry, "Quantity": 1 + i, "UnitPrice": 10.0 });
        if lines == Lines::Existing {
            let fields = line.as_object_mut().unwrap();
            fields.remove("OrderId");
            fields.remove("PricebookEntryId");
        }
        if i == entries.len() - 1 {
            match unit_price_of_last {
                Some(price) => line["UnitPrice"] = json!(price),
                None => {
                    line.as_object_mut().unwrap().remove("UnitPrice");
                }
            }
        }
        g.upsert(
            &format!("line{i}"),
            "OrderItem",
            "Storesync_Line_Id__c",
            &format!("ord_1001-{i}"),
            line,
        );
    }
    graph
}

fn entries(emulator: &Emulator) -> Vec<String> {
    ["SKU-1", "SKU-2", "SKU-3"]
        .iter()
        .map(|sku| seed_product(emulator, sku, 10.0).1)
        .collect()
}

#[tokio::test]
async fn a_composite_graph_creates_a_whole_linked_customer_and_order_in_one_call() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let graph = order_graph(&emulator, &entries(&emulator), Some(10.0), Lines::New);

    let responses = client.composite_graph(&[graph]).await.unwrap();

    assert_eq!(client.api_calls(), 1);
    assert_eq!(emulator.api_calls(), 1);
    assert!(responses[0].is_successful, "{responses:?}");
    let account = &emulator.records("Account")[0];
    let contact = &emulator.records("Contact")[0];
    let opportunity = &emulator.records("Opportunity")[0];
    let order = &emulator.records("Order")[0];
    let items = emulator.records("OrderItem");
    assert_eq!(items.len(), 3);
    assert_eq!(contact["AccountId"], account["Id"]);
    assert_eq!(opportunity["AccountId"], account["Id"]);
    assert_eq!(opportunity["IsWon"], true);
    assert_eq!(order["AccountId"], account["Id"]);
    assert!(items.iter().all(|i| i["OrderId"] == order["Id"]));
    assert_eq!(
        responses[0]
            .responses
            .responses
            .iter()
            .filter(|r| r.http_status_code == 201)
            .count(),
        7
    );
}

#[tokio::test]
async fn replaying_the_same_order_graph_creates_nothing_new() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let entries = entries(&emulator);
    let first = client
        .composite_graph(&[order_graph(&emulator, &entries, Some(10.0), Lines::New)])
        .await
        .unwrap();

    let second = client
        .composite_graph(&[order_graph(
            &emulator,
            &entries,
            Some(12.5),
            Lines::Existing,
        )])
        .await
        .unwrap();

    assert!(second[0].is_successful);
    let ids = |g: &storesync_salesforce::GraphResponse| -> Vec<String> {
        g.responses
            .responses
            .iter()
            .filter_map(|r| r.id().map(str::to_string))
            .collect()
    };
    assert_eq!(ids(&first[0]), ids(&second[0]));
    assert!(
        second[0]
            .responses
            .responses
            .iter()
            .all(|r| r.http_status_code == 200)
    );
    assert_eq!(emulator.records("OrderItem").len(), 3);
    assert_eq!(emulator.records("OrderItem")[2]["UnitPrice"], 12.5);
    assert_eq!(emulator.records("Account").len(), 1);
}

#[tokio::test]
async fn a_graph_with_one_bad_node_commits_nothing() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let graph = order_graph(&emulator, &entries(&emulator), None, Lines::New);

    let responses = client.composite_graph(&[graph]).await.unwrap();

    assert!(!responses[0].is_successful);
    let failed: Vec<_> = responses[0]
        .responses
        .responses
        .iter()
        .filter(|r| {
            r.errors()
                .iter()
                .any(|e| e.error_code == "REQUIRED_FIELD_MISSING")
        })
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].reference_id, "line2");
    for object in ["Account", "Contact", "Opportunity", "Order", "OrderItem"] {
        assert!(
            emulator.records(object).is_empty(),
            "{object} was left behind"
        );
    }
}

#[tokio::test]
async fn a_composite_request_links_records_through_references_including_query_results() {
    let emulator = emulator().await;
    let client: SalesforceClient = client_for(&emulator);
    emulator
        .insert("Account", json!({ "Name": "Existing Co" }))
        .unwrap();
    let mut request = CompositeRequest::new(true);
    let r = &mut request.requests;
    let found = r.query(
        "found",
        &Soql::select(&["Id"])
            .from("Account")
            .where_eq("Name", "existing co")
            .build(),
    );
    let contact = r.create(
        "contact",
        "Contact",
        json!({ "LastName": "Byron", "AccountId": found.field("records[0].Id") }),
    );
    let opportunity = r.create(
        "opp",
        "Opportunity",
        json!({ "Name": "Deal", "StageName": "Prospecting", "CloseDate": "2026-12-31", "AccountId": found.field("records[0].Id") }),
    );
    r.create(
        "role",
        "OpportunityContactRole",
        json!({ "OpportunityId": opportunity.id(), "ContactId": contact.id(), "Role": "Decision Maker", "IsPrimary": true }),
    );

    let response = client.composite(&request).await.unwrap();

    assert_eq!(client.api_calls(), 1);
    assert!(
        response.responses.iter().all(|r| r.is_success()),
        "{response:?}"
    );
    let role = &emulator.records("OpportunityContactRole")[0];
    assert_eq!(
        role["ContactId"].as_str(),
        response.get(&contact).unwrap().id()
    );
    assert_eq!(
        role["OpportunityId"].as_str(),
        response.get(&opportunity).unwrap().id()
    );
}

#[tokio::test]
async fn an_all_or_none_composite_failure_rolls_back_and_halts_the_rest() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let mut request = CompositeRequest::new(true);
    let account = request
        .requests
        .create("acct", "Account", json!({ "Name": "Rolled Back" }));
    request.requests.create(
        "contact",
        "Contact",
        json!({ "FirstName": "No Last Name", "AccountId": account.id() }),
    );

    let response = client.composite(&request).await.unwrap();

    assert_eq!(
        response.responses[0].errors()[0].error_code,
        "PROCESSING_HALTED"
    );
    assert_eq!(
        response.responses[1].errors()[0].error_code,
        "REQUIRED_FIELD_MISSING"
    );
    assert!(emulator.records("Account").is_empty());
}

#[tokio::test]
async fn more_than_25_subrequests_are_refused_before_sending() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let mut request = CompositeRequest::new(false);
    for i in 0..26 {
        request.requests.create(
            &format!("a{i}"),
            "Account",
            json!({ "Name": format!("A{i}") }),
        );
    }
    assert!(client.composite(&request).await.is_err());
    assert_eq!(client.api_calls(), 0);
}
