//! The emulator's wire format, checked with a plain HTTP client.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use storesync_sf_emulator::{Emulator, Fault, ids};
use support::Org;

#[tokio::test]
async fn the_token_response_has_the_salesforce_shape_and_a_valid_signature() {
    let emulator = Emulator::start().await.unwrap();
    let response: Value = reqwest::Client::new()
        .post(format!("{}/services/oauth2/token", emulator.base_url()))
        .basic_auth(emulator.client_id(), Some(emulator.client_secret()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(response["instance_url"], emulator.base_url());
    assert_eq!(response["token_type"], "Bearer");
    assert!(
        response["access_token"]
            .as_str()
            .unwrap()
            .starts_with("00D")
    );
    assert!(
        response["issued_at"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    use base64::Engine;
    use hmac::Mac;
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(emulator.client_secret().as_bytes()).unwrap();
    mac.update(
        format!(
            "{}{}",
            response["id"].as_str().unwrap(),
            response["issued_at"].as_str().unwrap()
        )
        .as_bytes(),
    );
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(response["signature"], expected);
}

#[tokio::test]
async fn token_errors_use_the_oauth_error_codes() {
    let emulator = Emulator::start().await.unwrap();
    let post = |form: Vec<(&'static str, String)>| {
        let url = format!("{}/services/oauth2/token", emulator.base_url());
        async move {
            let r = reqwest::Client::new()
                .post(url)
                .form(&form)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, wrong_secret) = post(vec![
        ("grant_type", "client_credentials".into()),
        ("client_id", emulator.client_id().into()),
        ("client_secret", "nope".into()),
    ])
    .await;
    let (_, unknown_client) = post(vec![
        ("grant_type", "client_credentials".into()),
        ("client_id", "nobody".into()),
        ("client_secret", "nope".into()),
    ])
    .await;
    let (_, bad_grant) = post(vec![("grant_type", "urn:example:unknown-grant".into())]).await;
    let (_, bad_jwt) = post(vec![
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:jwt-bearer".into(),
        ),
        ("assertion", "not.a.jwt".into()),
    ])
    .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong_secret,
        json!({ "error": "invalid_client", "error_description": "invalid client credentials" })
    );
    assert_eq!(unknown_client["error"], "invalid_client_id");
    assert_eq!(bad_grant["error"], "unsupported_grant_type");
    assert_eq!(bad_jwt["error"], "invalid_grant");
}

#[tokio::test]
async fn a_create_answers_201_with_an_18_character_id_and_the_limit_header() {
    let org = Org::start().await;
    let (status, headers, body) = org
        .send(
            reqwest::Method::POST,
            "sobjects/Lead",
            Some(json!({ "LastName": "Hara", "Company": "Tara" })),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["success"], true);
    assert_eq!(body["errors"], json!([]));
    let id = body["id"].as_str().unwrap();
    assert!(id.starts_with("00Q"));
    assert_eq!(ids::normalise(&id[..15]).as_deref(), Some(id));
    assert_eq!(headers["Sforce-Limit-Info"], "api-usage=1/100000");
    assert_eq!(
        org.emulator.record(id).unwrap()["Status"],
        "Open - Not Contacted"
    );
}

#[tokio::test]
async fn required_fields_are_reported_exactly_as_salesforce_does() {
    let org = Org::start().await;
    let cases = [
        ("Lead", json!({}), vec!["LastName", "Company"]),
        ("Contact", json!({}), vec!["LastName"]),
        ("Account", json!({}), vec!["Name"]),
        (
            "Opportunity",
            json!({ "Name": "X" }),
            vec!["StageName", "CloseDate"],
        ),
        (
            "Order",
            json!({}),
            vec!["AccountId", "EffectiveDate", "Status"],
        ),
        (
            "OrderItem",
            json!({}),
            vec!["OrderId", "PricebookEntryId", "Quantity", "UnitPrice"],
        ),
    ];
    for (object, body, missing) in cases {
        let (status, _, body) = org
            .send(
                reqwest::Method::POST,
                &format!("sobjects/{object}"),
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{object}");
        assert_eq!(
            body,
            json!([{
                "message": format!("Required fields are missing: [{}]", missing.join(", ")),
                "errorCode": "REQUIRED_FIELD_MISSING",
                "fields": missing,
            }]),
            "{object}"
        );
    }
}

#[tokio::test]
async fn an_order_must_be_created_as_draft_and_its_items_need_its_price_book() {
    let org = Org::start().await;
    let account = org.account("Acme");
    let (status, _, body) = org
        .send(reqwest::Method::POST, "sobjects/Order", Some(json!({ "AccountId": account, "EffectiveDate": "2026-11-22", "Status": "Activated" })))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body[0]["errorCode"], "FIELD_INTEGRITY_EXCEPTION");

    let order = org
        .emulator
        .insert(
            "Order",
            json!({ "AccountId": account, "EffectiveDate": "2026-11-22", "Status": "Draft" }),
        )
        .unwrap();
    let product = org
        .emulator
        .insert("Product2", json!({ "Name": "Sock" }))
        .unwrap();
    let entry = org
        .emulator
        .insert("PricebookEntry", json!({ "Pricebook2Id": org.emulator.standard_pricebook_id(), "Product2Id": product, "UnitPrice": 5 }))
        .unwrap();
    let (status, _, body) = org
        .send(reqwest::Method::POST, "sobjects/OrderItem", Some(json!({ "OrderId": order, "PricebookEntryId": entry, "Quantity": 1, "UnitPrice": 5 })))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the order has no price book"
    );
    assert_eq!(body[0]["errorCode"], "FIELD_INTEGRITY_EXCEPTION");
}

#[tokio::test]
async fn a_custom_price_needs_a_standard_price_first() {
    let org = Org::start().await;
    let product = org
        .emulator
        .insert("Product2", json!({ "Name": "Sock" }))
        .unwrap();
    let custom = org
        .emulator
        .insert(
            "Pricebook2",
            json!({ "Name": "Wholesale", "IsActive": true }),
        )
        .unwrap();
    let error = org
        .emulator
        .insert(
            "PricebookEntry",
            json!({ "Pricebook2Id": custom, "Product2Id": product, "UnitPrice": 4 }),
        )
        .unwrap_err();
    assert_eq!(error.code(), "STANDARD_PRICE_NOT_DEFINED");
}

#[tokio::test]
async fn duplicates_answer_the_full_duplicate_result_and_the_header_allows_saving() {
    let org = Org::start().await;
    let first = org
        .emulator
        .insert("Account", json!({ "Name": "Acme", "BillingCity": "Leeds" }))
        .unwrap();
    let (status, _, body) = org
        .send(
            reqwest::Method::POST,
            "sobjects/Account",
            Some(json!({ "Name": " ACME ", "BillingCity": "leeds" })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body[0]["errorCode"], "DUPLICATES_DETECTED");
    assert_eq!(
        body[0]["duplicateResult"]["duplicateRule"],
        "Standard_Account_Duplicate_Rule"
    );
    assert_eq!(
        body[0]["duplicateResult"]["matchResults"][0]["matchRecords"][0]["record"]["Id"],
        first.as_str()
    );

    let response = org
        .http
        .post(org.url("sobjects/Account"))
        .bearer_auth(&org.token)
        .header("Sforce-Duplicate-Rule-Header", "allowSave=true")
        .json(&json!({ "Name": "Acme", "BillingCity": "Leeds" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn upsert_answers_201_then_200_and_an_id_in_the_body_is_refused() {
    let org = Org::start().await;
    let path = "sobjects/Product2/Storesync_Sku__c/SKU%2F1";
    let (created, _, first) = org
        .send(
            reqwest::Method::PATCH,
            path,
            Some(json!({ "Name": "Sock" })),
        )
        .await;
    let (updated, _, second) = org
        .send(
            reqwest::Method::PATCH,
            path,
            Some(json!({ "Name": "Sock 2" })),
        )
        .await;
    let (bad, _, error) = org
        .send(
            reqwest::Method::POST,
            "sobjects/Product2",
            Some(json!({ "Id": first["id"], "Name": "X" })),
        )
        .await;

    assert_eq!(created, StatusCode::CREATED);
    assert_eq!(first["created"], true);
    assert_eq!(updated, StatusCode::OK);
    assert_eq!(second["created"], false);
    assert_eq!(first["id"], second["id"]);
    assert_eq!(
        org.emulator.records("Product2")[0]["Storesync_Sku__c"],
        "SKU/1"
    );
    assert_eq!(bad, StatusCode::BAD_REQUEST);
    assert_eq!(error[0]["errorCode"], "INVALID_FIELD");
}

#[tokio::test]
async fn a_deleted_record_answers_entity_is_deleted() {
    let org = Org::start().await;
    let id = org.account("Gone");
    let (first, _, _) = org
        .send(
            reqwest::Method::DELETE,
            &format!("sobjects/Account/{id}"),
            None,
        )
        .await;
    let (second, _, body) = org
        .send(
            reqwest::Method::DELETE,
            &format!("sobjects/Account/{id}"),
            None,
        )
        .await;
    assert_eq!(first, StatusCode::NO_CONTENT);
    assert_eq!(second, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!([{ "message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": [] }])
    );
}

#[tokio::test]
async fn a_missing_or_stale_token_answers_invalid_session_id() {
    let org = Org::start().await;
    org.emulator.expire_sessions();
    let (status, headers, body) = org.send(reqwest::Method::GET, "limits", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body[0]["errorCode"], "INVALID_SESSION_ID");
    assert!(headers.contains_key("Sforce-Limit-Info"));
}

#[tokio::test]
async fn collections_over_200_records_are_refused() {
    let org = Org::start().await;
    let records: Vec<Value> = (0..201)
        .map(|i| json!({ "attributes": { "type": "Account" }, "Name": format!("A{i}") }))
        .collect();
    let (status, _, body) = org
        .send(
            reqwest::Method::POST,
            "composite/sobjects",
            Some(json!({ "allOrNone": false, "records": records })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body[0]["errorCode"], "EXCEEDED_ID_LIMIT");
    assert!(org.emulator.records("Account").is_empty());
}

#[tokio::test]
async fn queries_reject_unknown_custom_fields_and_objects() {
    let org = Org::start().await;
    let (_, _, field) = org.query("SELECT Nope__c FROM Account").await;
    let (_, _, object) = org.query("SELECT Id FROM Nope").await;
    let (_, _, malformed) = org.query("SELECT Id FROM").await;
    assert_eq!(field[0]["errorCode"], "INVALID_FIELD");
    assert_eq!(object[0]["errorCode"], "INVALID_TYPE");
    assert_eq!(malformed[0]["errorCode"], "MALFORMED_QUERY");
}

#[tokio::test]
async fn a_platform_event_is_published_not_stored() {
    let org = Org::start().await;
    let (status, _, body) = org
        .send(
            reqwest::Method::POST,
            "sobjects/Storesync_Order_Event__e",
            Some(json!({ "Order_Id__c": "ord_1", "Event_Type__c": "high_value_order", "Amount__c": 900.0 })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(body["id"].as_str().unwrap().starts_with("e00"));
    assert_eq!(org.emulator.published_events()[0]["Order_Id__c"], "ord_1");
    assert!(org.emulator.records("Storesync_Order_Event__e").is_empty());
}

#[tokio::test]
async fn injected_faults_hit_the_next_calls_only_and_are_counted() {
    let org = Org::start().await;
    org.emulator.inject(Fault::ServiceUnavailable, 1);
    org.emulator.inject(Fault::RequestLimitExceeded, 1);
    let (first, _, _) = org.send(reqwest::Method::GET, "limits", None).await;
    let (second, _, body) = org.send(reqwest::Method::GET, "limits", None).await;
    let (third, _, _) = org.send(reqwest::Method::GET, "limits", None).await;
    assert_eq!(first, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(second, StatusCode::FORBIDDEN);
    assert_eq!(body[0]["errorCode"], "REQUEST_LIMIT_EXCEEDED");
    assert_eq!(third, StatusCode::OK);
    assert_eq!(org.emulator.api_calls(), 3);
    assert_eq!(
        org.emulator.api_usage(),
        1,
        "faulted calls do not count toward the limit"
    );
}

#[tokio::test]
async fn a_15_character_id_reaches_the_same_record_as_its_18_character_form() {
    let org = Org::start().await;
    let id = org.account("Acme");
    let (status, _, body) = org
        .send(
            reqwest::Method::GET,
            &format!("sobjects/Account/{}", &id[..15]),
            None,
        )
        .await;
    let (_, _, found) = org
        .query(&format!(
            "SELECT Name FROM Account WHERE Id = '{}'",
            &id[..15]
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Id"], id.as_str());
    assert_eq!(found["totalSize"], 1);
}

/// A Composite Graph payload of `graphs` graphs, each of Account upserts named `object`.
fn graph_payload(graphs: usize, nodes: usize, object: impl Fn(usize) -> String) -> Value {
    let graphs: Vec<Value> = (0..graphs)
        .map(|g| {
            let nodes: Vec<Value> = (0..nodes)
                .map(|n| {
                    json!({
                        "method": "PATCH",
                        "url": format!("/services/data/v62.0/sobjects/{}/Storesync_Customer_Id__c/k{g}_{n}", object(g)),
                        "referenceId": format!("n{n}"),
                        "body": { "Name": format!("Acme {g} {n}") },
                    })
                })
                .collect();
            json!({ "graphId": format!("g{g}"), "compositeRequest": nodes })
        })
        .collect();
    json!({ "graphs": graphs })
}

#[tokio::test]
async fn a_graph_payload_is_refused_past_500_nodes_in_all_or_15_node_types() {
    let org = Org::start().await;
    let account = |_| "Account".to_owned();
    let (status, _, _) = org
        .post("composite/graph", graph_payload(10, 50, account))
        .await;
    assert_eq!(status, StatusCode::OK, "500 nodes in all are taken");

    let (status, _, body) = org
        .post("composite/graph", graph_payload(11, 50, account))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body[0]["errorCode"], "INVALID_INPUT", "{body}");
    assert!(body[0]["message"].as_str().unwrap().contains("500 nodes"));

    let sixteen = |g: usize| format!("Type{g}__c");
    let (status, _, body) = org
        .post("composite/graph", graph_payload(16, 1, sixteen))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body[0]["message"].as_str().unwrap().contains("node types"),
        "{body}"
    );
    let (_, _, accounts) = org.query("SELECT Id FROM Account").await;
    assert_eq!(
        accounts["totalSize"], 500,
        "a refused payload writes nothing"
    );
}

#[tokio::test]
async fn a_record_link_opens_the_records_page_and_a_wrong_one_says_not_available() {
    let org = Org::start().await;
    let id = org.account("Acme <Tools>");
    let open = |path: String| {
        let url = format!("{}{path}", org.emulator.base_url());
        async move { reqwest::get(url).await.unwrap() }
    };
    let page = open(format!("/lightning/r/Account/{id}/view")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("Acme &lt;Tools&gt;"), "{html}");
    assert!(html.contains(&id), "{html}");
    let wrong_object = open(format!("/lightning/r/Contact/{id}/view")).await;
    assert_eq!(wrong_object.status(), StatusCode::NOT_FOUND);
    let unknown = open("/lightning/r/Account/001000000000000AAA/view".into()).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}
