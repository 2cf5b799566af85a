mod support;

use proptest::prelude::*;
use serde::Deserialize;
use serde_json::json;
use storesync_salesforce::SalesforceClient;
use storesync_salesforce::soql::{self, Condition, Soql};
use support::*;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContactRow {
    id: String,
    email: Option<String>,
}

/// Two contacts an injected `OR Name != ''` would leak.
async fn seed_two_contacts(client: &SalesforceClient) {
    for (last, email) in [
        ("Hara", "ohara@example.com"),
        ("Lovelace", "ada@example.com"),
    ] {
        client
            .create("Contact", &json!({ "LastName": last, "Email": email }))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_soql_injection_attempt_in_an_email_matches_nothing() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    seed_two_contacts(&client).await;
    let hostile = r"o'hara\\x@example.com' OR Name != '";

    let query = Soql::select(&["Id", "Email"])
        .from("Contact")
        .where_eq("Email", hostile)
        .build();
    let rows: Vec<ContactRow> = client.query_all(&query).await.unwrap();

    assert!(rows.is_empty(), "the injection matched {rows:?}");
}

#[tokio::test]
async fn the_same_injection_pasted_unescaped_would_match_every_contact() {
    // The control for the test above: without escaping, this payload leaks all rows.
    let emulator = emulator().await;
    let client = client_for(&emulator);
    seed_two_contacts(&client).await;
    let hostile = "nobody@example.com' OR Name != '";

    let naive = format!("SELECT Id, Email FROM Contact WHERE Email = '{hostile}'");
    let leaked: Vec<ContactRow> = client.query_all(&naive).await.unwrap();
    let safe: Vec<ContactRow> = client
        .query_all(
            &Soql::select(&["Id", "Email"])
                .from("Contact")
                .where_eq("Email", hostile)
                .build(),
        )
        .await
        .unwrap();

    assert_eq!(leaked.len(), 2);
    assert!(safe.is_empty());
}

#[tokio::test]
async fn an_email_with_quotes_and_backslashes_is_found_exactly() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let odd = r"o'hara\x@example.com";
    let id = client
        .create(
            "Lead",
            &json!({ "LastName": "O'Hara", "Company": "Tara", "Email": odd }),
        )
        .await
        .unwrap();
    client
        .create(
            "Lead",
            &json!({ "LastName": "Other", "Company": "Co", "Email": "ohara@example.com" }),
        )
        .await
        .unwrap();

    let rows: Vec<ContactRow> = client
        .query_all(
            &Soql::select(&["Id", "Email"])
                .from("Lead")
                .where_eq("Email", odd)
                .build(),
        )
        .await
        .unwrap();

    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, id);
}

#[tokio::test]
async fn a_mixed_case_email_matches_a_lowercase_stored_one() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let id = client
        .create(
            "Contact",
            &json!({ "LastName": "Lovelace", "Email": "ada@example.com" }),
        )
        .await
        .unwrap();

    let rows: Vec<ContactRow> = client
        .query_all(
            &Soql::select(&["Id", "Email"])
                .from("Contact")
                .where_eq("Email", "Ada@Example.COM")
                .build(),
        )
        .await
        .unwrap();

    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, id);
    assert_eq!(rows[0].email.as_deref(), Some("ada@example.com"));
}

#[tokio::test]
async fn a_query_follows_next_records_url_to_the_last_page() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    for i in 0..7 {
        emulator
            .insert("Lead", json!({ "LastName": format!("L{i}"), "Company": "Co", "Email": format!("l{i}@example.com") }))
            .unwrap();
    }
    emulator.set_query_batch_size(3);

    let first = client
        .query::<ContactRow>("SELECT Id, Email FROM Lead ORDER BY Email")
        .await
        .unwrap();
    let all: Vec<ContactRow> = client
        .query_all("SELECT Id, Email FROM Lead ORDER BY Email DESC")
        .await
        .unwrap();

    assert_eq!(first.total_size, 7);
    assert!(!first.done);
    assert_eq!(first.records.len(), 3);
    assert!(
        first
            .next_records_url
            .unwrap()
            .starts_with("/services/data/v62.0/query/01g")
    );
    assert_eq!(all.len(), 7);
    assert_eq!(all[0].email.as_deref(), Some("l6@example.com"));
    // 1 page for `first`, then 3 pages (3 + 3 + 1) for `all`
    assert_eq!(client.api_calls(), 4);
}

#[tokio::test]
async fn conditions_with_in_like_and_or_select_the_right_records() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    for (name, industry) in [
        ("Acme", "Retail"),
        ("Acme Labs", "Biotech"),
        ("Zeta", "Retail"),
        ("Omega", "Energy"),
    ] {
        emulator
            .insert("Account", json!({ "Name": name, "Industry": industry }))
            .unwrap();
    }
    #[derive(Deserialize)]
    struct Row {
        #[serde(rename = "Name")]
        name: String,
    }

    let q = Soql::select(&["Name"])
        .from("Account")
        .filter(Condition::starts_with("Name", "acme").or(Condition::is_in("Industry", ["energy"])))
        .filter(Condition::ne("Name", "Acme Labs"))
        .order_by("Name", true)
        .build();
    let rows: Vec<Row> = client.query_all(&q).await.unwrap();

    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Acme", "Omega"]);
}

#[tokio::test]
async fn a_parent_field_is_read_through_its_relationship() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let account = emulator
        .insert("Account", json!({ "Name": "Acme" }))
        .unwrap();
    emulator
        .insert(
            "Contact",
            json!({ "LastName": "Lovelace", "AccountId": account }),
        )
        .unwrap();

    let page = client
        .query::<serde_json::Value>(
            "SELECT Id, Account.Name FROM Contact WHERE Account.Name = 'ACME'",
        )
        .await
        .unwrap();

    assert_eq!(page.records.len(), 1);
    assert_eq!(page.records[0]["Account"]["Name"], "Acme");
}

#[tokio::test]
async fn a_malformed_query_is_a_non_retryable_malformed_query_error() {
    let emulator = emulator().await;
    let client = client_for(&emulator);
    let error = client
        .query::<serde_json::Value>("SELECT FROM Contact")
        .await
        .unwrap_err();
    assert_eq!(error.error_code(), Some("MALFORMED_QUERY"));
    assert_eq!(client.api_calls(), 1);
}

proptest! {
    #[test]
    fn any_string_round_trips_through_escape_and_the_emulator_parser_as_one_literal(value in any::<String>()) {
        let parsed = storesync_sf_emulator::soql::parse_string_literal(&soql::quote(&value));
        prop_assert_eq!(parsed, Ok(value));
    }

    #[test]
    fn any_string_stays_one_literal_inside_a_where_clause(value in "[ -~\\n\\r\\t]{0,40}") {
        let q = Soql::select(&["Id"]).from("Contact").where_eq("Email", value.as_str()).build();
        let parsed = storesync_sf_emulator::soql::parse(&q).expect("parses");
        prop_assert_eq!(
            parsed.filter,
            Some(storesync_sf_emulator::soql::Cond::Cmp {
                field: "Email".into(),
                op: storesync_sf_emulator::soql::Op::Eq,
                value: storesync_sf_emulator::soql::Literal::Str(value.clone()),
            })
        );
    }
}
