//! SOQL as the order sync sends it: counts, date and dateTime literals, booleans, and the
//! errors a real org gives for names it does not know.

mod support;

use chrono::{Datelike, Days, Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;
use support::Org;

/// Opportunities closing on these days from today (negative: in the past).
fn opportunities_closing(org: &Org, offsets: &[i64]) {
    let today = Utc::now().date_naive();
    for (i, offset) in offsets.iter().enumerate() {
        let day = today + Duration::days(*offset);
        org.insert(
            "Opportunity",
            json!({ "Name": format!("Deal {i}"), "StageName": "Prospecting", "CloseDate": day.to_string() }),
        );
    }
}

async fn count(org: &Org, soql: &str) -> u64 {
    let (status, _, body) = org.query(soql).await;
    assert_eq!(status, StatusCode::OK, "{soql}: {body}");
    assert_eq!(body["records"], json!([]), "{soql}");
    body["totalSize"].as_u64().unwrap()
}

#[tokio::test]
async fn count_answers_the_number_of_matching_records_and_no_records() {
    let org = Org::start().await;
    for i in 0..3 {
        org.insert(
            "Lead",
            json!({ "LastName": format!("L{i}"), "Company": "Co" }),
        );
    }

    let (_, _, all) = org.query("SELECT COUNT() FROM Lead").await;
    let some = count(&org, "SELECT COUNT() FROM Lead WHERE LastName != 'L0'").await;
    let limited = count(&org, "SELECT COUNT() FROM Lead LIMIT 1").await;

    assert_eq!(all, json!({ "totalSize": 3, "done": true, "records": [] }));
    assert_eq!(some, 2);
    assert_eq!(limited, 1);
}

#[tokio::test]
async fn relative_date_literals_select_days_counted_from_today() {
    let org = Org::start().await;
    opportunities_closing(&org, &[0, -1, -7, -8, -40, 3]);
    let today = Utc::now().date_naive();
    let this_month = [0i64, -1, -7, -8, -40, 3]
        .iter()
        .filter(|o| (today + Duration::days(**o)).month() == today.month())
        .filter(|o| (today + Duration::days(**o)).year() == today.year())
        .count() as u64;

    let q = |cond: &str| format!("SELECT COUNT() FROM Opportunity WHERE CloseDate {cond}");
    assert_eq!(count(&org, &q("= TODAY")).await, 1);
    assert_eq!(count(&org, &q("= YESTERDAY")).await, 1);
    assert_eq!(count(&org, &q("= LAST_N_DAYS:7")).await, 3);
    assert_eq!(count(&org, &q("< LAST_N_DAYS:7")).await, 2);
    assert_eq!(count(&org, &q("> TODAY")).await, 1);
    assert_eq!(count(&org, &q("= THIS_MONTH")).await, this_month);
    let before = (today - Days::new(2)).to_string();
    assert_eq!(count(&org, &q(&format!("< {before}"))).await, 3);
}

#[tokio::test]
async fn datetime_fields_compare_with_datetime_and_relative_literals() {
    let org = Org::start().await;
    org.account("Acme");
    let hour_ago = (Utc::now() - Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ");
    let in_an_hour = (Utc::now() + Duration::hours(1)).format("%Y-%m-%dT%H:%M:%S.000+0000");

    let q = |cond: String| format!("SELECT COUNT() FROM Account WHERE {cond}");
    assert_eq!(
        count(&org, &q(format!("CreatedDate > {hour_ago}"))).await,
        1
    );
    assert_eq!(
        count(&org, &q(format!("CreatedDate > {in_an_hour}"))).await,
        0
    );
    assert_eq!(count(&org, &q("LastModifiedDate = TODAY".into())).await, 1);
    assert_eq!(count(&org, &q("CreatedDate = YESTERDAY".into())).await, 0);
    assert_eq!(
        count(&org, &q("CreatedDate = LAST_N_DAYS:1".into())).await,
        1
    );
}

#[tokio::test]
async fn a_literal_of_the_wrong_type_for_a_date_or_boolean_field_is_refused() {
    let org = Org::start().await;
    let cases = [
        (
            "SELECT Id FROM Account WHERE CreatedDate > 2026-01-01",
            "dateTime",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate = 2026-01-01T00:00:00Z",
            "date",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate = '2026-01-01'",
            "date",
        ),
        ("SELECT Id FROM Lead WHERE IsConverted = 'false'", "boolean"),
    ];
    for (soql, kind) in cases {
        let (status, _, body) = org.query(soql).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{soql}");
        assert_eq!(Org::code(&body), "INVALID_QUERY_FILTER_OPERATOR", "{soql}");
        assert!(
            body[0]["message"].as_str().unwrap().contains(&format!(
                "must be of type {kind} and should not be enclosed in quotes"
            )),
            "{soql}: {body}"
        );
    }
}

#[tokio::test]
async fn the_standard_price_book_is_found_by_its_flag() {
    let org = Org::start().await;
    org.insert(
        "Pricebook2",
        json!({ "Name": "Wholesale", "IsActive": true }),
    );

    let (_, _, body) = org
        .query("SELECT Id, Name FROM Pricebook2 WHERE IsStandard = true")
        .await;
    let others = count(
        &org,
        "SELECT COUNT() FROM Pricebook2 WHERE IsStandard = false",
    )
    .await;

    assert_eq!(body["totalSize"], 1);
    assert_eq!(
        body["records"][0]["Id"],
        org.emulator.standard_pricebook_id().as_str()
    );
    assert_eq!(body["records"][0]["Name"], "Standard Price Book");
    assert_eq!(others, 1);
}

#[tokio::test]
async fn an_unknown_field_anywhere_in_a_query_is_invalid_field_with_the_real_message() {
    let org = Org::start().await;
    let expected = "No such column 'Foo' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.";
    for soql in [
        "SELECT Id, Foo FROM Account",
        "SELECT Id FROM Account WHERE Foo = 'x'",
        "SELECT Id FROM Account ORDER BY Foo",
        "SELECT COUNT() FROM Account WHERE Name = 'a' AND (Foo IN ('x') OR Name LIKE 'b%')",
    ] {
        let (status, _, body) = org.query(soql).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{soql}");
        assert_eq!(Org::code(&body), "INVALID_FIELD", "{soql}");
        let message = body[0]["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("\n{soql}\n")), "{message}");
        assert!(message.ends_with(expected), "{message}");
    }
}

#[tokio::test]
async fn an_unknown_object_or_relationship_is_refused_with_its_code() {
    let org = Org::start().await;

    let (_, _, object) = org.query("SELECT Id FROM Foo").await;
    let (_, _, relationship) = org.query("SELECT Id, Foo.Name FROM Contact").await;
    let (_, _, parent_field) = org.query("SELECT Id, Account.Foo FROM Contact").await;

    assert_eq!(Org::code(&object), "INVALID_TYPE");
    assert!(
        object[0]["message"]
            .as_str()
            .unwrap()
            .contains("sObject type 'Foo' is not supported.")
    );
    assert_eq!(Org::code(&relationship), "INVALID_FIELD");
    assert!(
        relationship[0]["message"]
            .as_str()
            .unwrap()
            .contains("Didn't understand relationship 'Foo' in field path.")
    );
    assert_eq!(Org::code(&parent_field), "INVALID_FIELD");
    assert!(
        parent_field[0]["message"]
            .as_str()
            .unwrap()
            .contains("on entity 'Account'")
    );
}

#[tokio::test]
async fn field_names_come_back_spelt_as_the_schema_spells_them() {
    let org = Org::start().await;
    let account = org.account("Acme");
    org.insert(
        "Contact",
        json!({ "LastName": "Byron", "AccountId": account }),
    );

    let (_, _, body) = org
        .query("SELECT lastname, account.name, account.owner.username FROM contact")
        .await;

    let record = &body["records"][0];
    assert_eq!(record["LastName"], "Byron");
    assert_eq!(record["Account"]["Name"], "Acme");
    assert_eq!(
        record["Account"]["Owner"]["Username"],
        storesync_sf_emulator::INTEGRATION_USERNAME
    );
    assert_eq!(record["attributes"]["type"], "Contact");
    assert!(record.get("lastname").is_none());
}
