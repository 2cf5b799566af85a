//! A method a resource does not have answers 405 with `Allow` naming the ones it has.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::json;
use support::Org;

#[tokio::test]
async fn every_resource_answers_405_with_the_methods_it_allows() {
    let org = Org::start().await;
    let id = org.account("Acme");
    let cases = [
        (Method::PUT, "sobjects".to_string(), "GET,HEAD"),
        (
            Method::DELETE,
            "sobjects/Account".to_string(),
            "GET,HEAD,POST",
        ),
        (
            Method::PUT,
            format!("sobjects/Account/{id}"),
            "GET,HEAD,PATCH,DELETE",
        ),
        (
            Method::POST,
            format!("sobjects/Account/{id}"),
            "GET,HEAD,PATCH,DELETE",
        ),
        (
            Method::PUT,
            "sobjects/Account/Storesync_Customer_Id__c/cus_1".to_string(),
            "GET,HEAD,PATCH,DELETE",
        ),
        (
            Method::POST,
            "sobjects/Account/describe".to_string(),
            "GET,HEAD",
        ),
        (
            Method::POST,
            "query?q=SELECT+Id+FROM+Account".to_string(),
            "GET,HEAD",
        ),
        (Method::GET, "composite".to_string(), "POST"),
        (Method::PATCH, "composite/graph".to_string(), "POST"),
        (
            Method::GET,
            "composite/sobjects".to_string(),
            "POST,PATCH,DELETE",
        ),
        (
            Method::DELETE,
            "composite/sobjects/Account".to_string(),
            "GET,POST",
        ),
        (
            Method::POST,
            "composite/sobjects/Account/Storesync_Customer_Id__c".to_string(),
            "PATCH",
        ),
        (Method::POST, "actions/custom/apex".to_string(), "GET,HEAD"),
        (
            Method::DELETE,
            "actions/custom/apex/Storesync_LeadConvert".to_string(),
            "GET,HEAD,POST",
        ),
        (Method::POST, "limits".to_string(), "GET,HEAD"),
    ];
    for (method, path, allowed) in cases {
        let (status, headers, body) = org.send(method.clone(), &path, None).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_eq!(headers["Allow"], allowed, "{method} {path}");
        assert_eq!(
            body,
            json!([{
                "message": format!("HTTP Method '{method}' not allowed. Allowed are {allowed}"),
                "errorCode": "METHOD_NOT_ALLOWED",
                "fields": [],
            }]),
            "{method} {path}"
        );
    }
    assert_eq!(org.emulator.records("Account").len(), 1);
}

#[tokio::test]
async fn head_answers_where_get_does() {
    let org = Org::start().await;
    let id = org.account("Acme");

    let (status, _, body) = org
        .send(Method::HEAD, &format!("sobjects/Account/{id}"), None)
        .await;

    assert_eq!(status, StatusCode::OK);
    assert!(body.is_null(), "a HEAD answer has no body");
}

#[tokio::test]
async fn a_record_is_deleted_by_its_external_id() {
    let org = Org::start().await;
    org.insert(
        "Account",
        json!({ "Name": "Acme", "Storesync_Customer_Id__c": "cus_1" }),
    );
    let path = "sobjects/Account/Storesync_Customer_Id__c/cus_1";

    let (deleted, _, _) = org.send(Method::DELETE, path, None).await;
    let (again, _, _) = org.send(Method::DELETE, path, None).await;

    assert_eq!(deleted, StatusCode::NO_CONTENT);
    assert_eq!(again, StatusCode::NOT_FOUND);
    assert!(org.emulator.records("Account").is_empty());
}

#[tokio::test]
async fn collections_read_by_id_and_delete_by_id() {
    let org = Org::start().await;
    let a = org.account("Acme");
    let b = org.account("Zeta");
    let gone = storesync_sf_emulator::ids::make_id("001", 999_999);

    let (_, _, read) = org
        .get(&format!(
            "composite/sobjects/Account?ids={a},{gone},{b}&fields=Id,Name"
        ))
        .await;
    let (_, _, posted) = org
        .post(
            "composite/sobjects/Account",
            json!({ "ids": [b], "fields": ["Name"] }),
        )
        .await;
    let (_, _, deleted) = org
        .send(
            Method::DELETE,
            &format!("composite/sobjects?ids={a},{gone}"),
            None,
        )
        .await;

    assert_eq!(read[0]["Name"], "Acme");
    assert_eq!(read[1], serde_json::Value::Null);
    assert_eq!(read[2]["Name"], "Zeta");
    assert_eq!(posted[0]["Name"], "Zeta");
    assert_eq!(
        deleted[0],
        json!({ "id": a, "success": true, "errors": [] })
    );
    assert_eq!(deleted[1]["success"], false);
    assert_eq!(org.emulator.records("Account").len(), 1);
}
