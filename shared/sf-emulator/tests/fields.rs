//! Every object's fields are known: a write naming another field, or one it may not set,
//! is refused as a real org refuses it, and `describe` lists the fields.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::Org;

fn invalid_field(name: &str, object: &str) -> Value {
    json!([{
        "message": format!("No such column '{name}' on sobject of type {object}"),
        "errorCode": "INVALID_FIELD",
        "fields": [name],
    }])
}

#[tokio::test]
async fn an_unknown_standard_field_is_refused_by_create_update_and_upsert() {
    let org = Org::start().await;
    let id = org.account("Acme");

    let (created, _, create) = org
        .post("sobjects/Account", json!({ "Name": "X", "Foo": 1 }))
        .await;
    let (_, _, update) = org
        .patch(&format!("sobjects/Account/{id}"), json!({ "Foo": 1 }))
        .await;
    let (_, _, upsert) = org
        .patch(
            "sobjects/Account/Storesync_Customer_Id__c/cus_1",
            json!({ "Name": "X", "Foo": 1 }),
        )
        .await;

    assert_eq!(created, StatusCode::BAD_REQUEST);
    assert_eq!(create, invalid_field("Foo", "Account"));
    assert_eq!(update, invalid_field("Foo", "Account"));
    assert_eq!(upsert, invalid_field("Foo", "Account"));
    assert_eq!(org.emulator.records("Account").len(), 1);
}

#[tokio::test]
async fn an_unknown_field_is_refused_inside_collections_composite_and_graph() {
    let org = Org::start().await;

    let (_, _, collections) = org
        .post(
            "composite/sobjects",
            json!({ "allOrNone": false, "records": [{ "attributes": { "type": "Contact" }, "LastName": "X", "Foo": 1 }] }),
        )
        .await;
    let sub = json!({ "method": "POST", "url": "/services/data/v62.0/sobjects/Contact", "referenceId": "c", "body": { "LastName": "X", "Foo": 1 } });
    let (_, _, composite) = org
        .post(
            "composite",
            json!({ "allOrNone": true, "compositeRequest": [sub] }),
        )
        .await;
    let (_, _, graph) = org
        .post(
            "composite/graph",
            json!({ "graphs": [{ "graphId": "g", "compositeRequest": [sub] }] }),
        )
        .await;

    assert_eq!(
        collections[0]["errors"][0],
        json!({ "statusCode": "INVALID_FIELD", "message": "No such column 'Foo' on sobject of type Contact", "fields": ["Foo"] })
    );
    assert_eq!(
        composite["compositeResponse"][0]["body"],
        invalid_field("Foo", "Contact")
    );
    assert_eq!(
        graph["graphs"][0]["graphResponse"]["compositeResponse"][0]["body"],
        invalid_field("Foo", "Contact")
    );
    assert!(org.emulator.records("Contact").is_empty());
}

#[tokio::test]
async fn read_only_fields_are_refused_in_any_body() {
    let org = Org::start().await;
    let cases = [
        (
            "Opportunity",
            json!({ "Name": "X", "StageName": "Prospecting", "CloseDate": "2026-01-01", "IsWon": true }),
            "IsWon",
        ),
        (
            "Pricebook2",
            json!({ "Name": "X", "IsStandard": true }),
            "IsStandard",
        ),
        ("Contact", json!({ "LastName": "X", "Name": "Y" }), "Name"),
        (
            "Account",
            json!({ "Name": "X", "CreatedDate": "2026-01-01T00:00:00Z" }),
            "CreatedDate",
        ),
    ];
    for (object, body, field) in cases {
        let (status, _, answer) = org.post(&format!("sobjects/{object}"), body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{object}");
        assert_eq!(
            answer,
            json!([{
                "message": format!("Unable to create/update fields: {field}. Please check the security settings of this field and verify that it is read/write for your profile or permission set."),
                "errorCode": "INVALID_FIELD_FOR_INSERT_UPDATE",
                "fields": [field],
            }]),
            "{object}"
        );
    }
}

#[tokio::test]
async fn a_create_only_field_is_refused_by_an_update_and_by_an_upsert_that_matches() {
    let org = Org::start().await;
    let opportunity = org.insert(
        "Opportunity",
        json!({ "Name": "Deal", "StageName": "Prospecting", "CloseDate": "2026-12-31" }),
    );
    let contact = org.insert("Contact", json!({ "LastName": "Byron" }));
    let role =
        json!({ "OpportunityId": opportunity, "ContactId": contact, "Role": "Economic Buyer" });
    let path = "sobjects/OpportunityContactRole/Storesync_Role_Key__c/ord_1";

    let (created, _, _) = org.patch(path, role.clone()).await;
    let (again, _, refused) = org.patch(path, role).await;
    let (updated, _, _) = org.patch(path, json!({ "Role": "Decision Maker" })).await;

    assert_eq!(created, StatusCode::CREATED);
    assert_eq!(again, StatusCode::BAD_REQUEST);
    assert_eq!(Org::code(&refused), "INVALID_FIELD_FOR_INSERT_UPDATE");
    assert_eq!(refused[0]["fields"], json!(["OpportunityId"]));
    assert_eq!(updated, StatusCode::OK);
    let roles = org.emulator.records("OpportunityContactRole");
    assert_eq!(roles[0]["Role"], "Decision Maker");
}

#[tokio::test]
async fn values_must_fit_the_field_type_and_length() {
    let org = Org::start().await;

    let (_, _, long) = org
        .post("sobjects/Contact", json!({ "LastName": "x".repeat(81) }))
        .await;
    let (_, _, date) = org
        .post(
            "sobjects/Opportunity",
            json!({ "Name": "X", "StageName": "Prospecting", "CloseDate": "22/11/2026" }),
        )
        .await;
    let (_, _, boolean) = org
        .post(
            "sobjects/Product2",
            json!({ "Name": "X", "IsActive": "yes" }),
        )
        .await;
    let (_, _, key) = org
        .patch(
            &format!("sobjects/Contact/Storesync_Email_Key__c/{}", "a".repeat(65)),
            json!({ "LastName": "X" }),
        )
        .await;

    assert_eq!(Org::code(&long), "STRING_TOO_LONG");
    assert_eq!(long[0]["fields"], json!(["LastName"]));
    assert!(
        long[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Last Name: data value too large")
    );
    assert_eq!(Org::code(&date), "JSON_PARSER_ERROR");
    assert_eq!(Org::code(&boolean), "JSON_PARSER_ERROR");
    assert_eq!(Org::code(&key), "STRING_TOO_LONG");
}

#[tokio::test]
async fn a_record_reads_back_with_every_field_of_its_object() {
    let org = Org::start().await;
    let id = org.account("Acme");

    let (_, _, all) = org.get(&format!("sobjects/Account/{id}")).await;
    let (_, _, some) = org
        .get(&format!("sobjects/Account/{id}?fields=Name,BillingCity"))
        .await;
    let (status, _, unknown) = org.get(&format!("sobjects/Account/{id}?fields=Foo")).await;

    assert_eq!(
        all["BillingCity"],
        Value::Null,
        "a blank field is present as null"
    );
    assert_eq!(all["CurrencyIsoCode"], "USD");
    assert_eq!(all["IsDeleted"], false);
    let keys: Vec<&String> = some.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["BillingCity", "Name", "attributes"]);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(Org::code(&unknown), "INVALID_FIELD");
}

#[tokio::test]
async fn a_parent_can_be_named_by_its_external_id_in_the_body() {
    let org = Org::start().await;
    let account = org.insert(
        "Account",
        json!({ "Name": "Acme", "Storesync_Customer_Id__c": "cus_7" }),
    );

    let (status, _, created) = org
        .post(
            "sobjects/Contact",
            json!({ "LastName": "Byron", "Account": { "Storesync_Customer_Id__c": "cus_7" } }),
        )
        .await;
    let (_, _, missing) = org
        .post(
            "sobjects/Contact",
            json!({ "LastName": "Byron", "Account": { "Storesync_Customer_Id__c": "cus_8" } }),
        )
        .await;
    let (_, _, both) = org
        .post(
            "sobjects/Contact",
            json!({ "LastName": "Byron", "AccountId": account, "Account": { "Storesync_Customer_Id__c": "cus_7" } }),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED);
    let contact = org
        .emulator
        .record(created["id"].as_str().unwrap())
        .unwrap();
    assert_eq!(contact["AccountId"], account.as_str());
    assert_eq!(
        missing[0]["message"],
        "Foreign key external ID: cus_8 not found for field Storesync_Customer_Id__c in entity Account"
    );
    assert_eq!(Org::code(&both), "INVALID_FIELD");
}

#[tokio::test]
async fn describe_lists_the_fields_with_their_properties() {
    let org = Org::start().await;

    let (status, _, lead) = org.get("sobjects/Lead/describe").await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(lead["name"], "Lead");
    assert_eq!(lead["keyPrefix"], "00Q");
    assert_eq!(lead["createable"], true);
    let field = |name: &str| -> Value {
        Org::described_field(&lead, name).unwrap_or_else(|| panic!("no {name}"))
    };
    let company = field("Company");
    assert_eq!(
        (
            &company["type"],
            &company["nillable"],
            &company["createable"],
            &company["length"]
        ),
        (&json!("string"), &json!(false), &json!(true), &json!(255))
    );
    let converted = field("ConvertedAccountId");
    assert_eq!(converted["createable"], false);
    assert_eq!(converted["updateable"], false);
    assert_eq!(converted["referenceTo"], json!(["Account"]));
    let key = field("Storesync_Email_Key__c");
    assert_eq!(
        (
            &key["externalId"],
            &key["unique"],
            &key["caseSensitive"],
            &key["length"]
        ),
        (&json!(true), &json!(true), &json!(true), &json!(64))
    );
    assert_eq!(field("Email")["type"], "email");
    assert_eq!(field("IsConverted")["type"], "boolean");
    assert_eq!(field("Id")["type"], "id");
}

#[tokio::test]
async fn the_describe_global_lists_every_object_with_its_key_prefix() {
    let org = Org::start().await;

    let (_, _, global) = org.get("sobjects").await;
    let (_, _, basic) = org.get("sobjects/Order").await;
    let (missing, _, _) = org.get("sobjects/Nope/describe").await;

    assert_eq!(global["encoding"], "UTF-8");
    assert_eq!(global["maxBatchSize"], 200);
    let prefixes: Vec<(&str, &str)> = global["sobjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap(),
                o["keyPrefix"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(prefixes.contains(&("Lead", "00Q")));
    assert!(prefixes.contains(&("RecordType", "012")));
    assert!(prefixes.contains(&("OpportunityContactRole", "00K")));
    assert_eq!(basic["objectDescribe"]["keyPrefix"], "801");
    assert_eq!(missing, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_update_cannot_blank_a_field_that_may_not_be_blank() {
    let org = Org::start().await;
    let lead = org.insert("Lead", json!({ "LastName": "Byron", "Company": "Co" }));
    let path = format!("sobjects/Lead/{lead}");

    let (_, _, status) = org.patch(&path, json!({ "Status": null })).await;
    let (_, _, last_name) = org.patch(&path, json!({ "LastName": " " })).await;

    assert_eq!(
        status,
        json!([{ "message": "Required fields are missing: [Status]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Status"] }])
    );
    assert_eq!(last_name[0]["fields"], json!(["LastName"]));
    assert_eq!(
        org.emulator.record(&lead).unwrap()["Status"],
        "Open - Not Contacted"
    );
}
