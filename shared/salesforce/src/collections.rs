//! sObject Collections: per-record results and options.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::budget::Priority;
use crate::error::ApiError;

/// Most records Salesforce takes in one Collections request.
pub const COLLECTION_CHUNK: usize = 200;

/// One record's outcome in a Collections call, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordResult {
    /// The record's id; `None` when the write failed.
    pub id: Option<String>,
    /// Whether this record was written.
    pub success: bool,
    /// Why it was not.
    #[serde(default)]
    pub errors: Vec<ApiError>,
    /// Upserts only: whether the record was inserted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<bool>,
}

/// How a Collections call behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectionOptions {
    /// Roll back a whole chunk of 200 when one record fails.
    pub all_or_none: bool,
    /// Deferrable calls stop (with [`crate::SalesforceError::BudgetExceeded`]) once API usage
    /// passes the budget share.
    pub priority: Priority,
}

impl Default for CollectionOptions {
    fn default() -> Self {
        Self {
            all_or_none: false,
            priority: Priority::Urgent,
        }
    }
}

/// A record for a Collections body: `{"attributes":{"type":T}, ...fields}`.
pub fn sobject(object: &str, fields: Value) -> Value {
    let mut map = match fields {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    map.insert("attributes".into(), serde_json::json!({ "type": object }));
    Value::Object(map)
}

/// The body without the external id field (any case): Salesforce refuses an upsert whose body
/// repeats the field its URL names.
pub(crate) fn without_field(mut body: Value, field: &str) -> Value {
    if let Value::Object(map) = &mut body {
        map.retain(|key, _| !key.eq_ignore_ascii_case(field));
    }
    body
}

#[cfg(test)]
mod without_field_tests {
    use serde_json::json;

    use super::without_field;

    #[test]
    fn the_external_id_field_is_dropped_whatever_its_case() {
        let body = json!({ "storesync_customer_id__c": "c1", "LastName": "Ng" });
        assert_eq!(
            without_field(body, "Storesync_Customer_Id__c"),
            json!({ "LastName": "Ng" })
        );
        assert_eq!(without_field(json!([1]), "X"), json!([1]));
    }
}
