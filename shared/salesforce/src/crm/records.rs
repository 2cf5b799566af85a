//! Contacts and Accounts read again, for the changes Salesforce could not describe (gaps and
//! overflows) and for a change that left out what the store needs: one query per 200 ids,
//! the fields named as a change event names them (`Name.FirstName`).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use storesync_core::from_crm::{CrmEntity, CrmRecords};
use storesync_core::ids::CrmId;
use storesync_core::sync::crm::CrmError;

use super::{SalesforceCrm, crm_error, crm_id};
use crate::soql::{Condition, Soql};

/// Ids per `IN` list: keeps each query's URL well inside the limits.
const IDS_PER_QUERY: usize = 200;
/// At most this many records are read again for an overflow.
const OVERFLOW_LIMIT: u32 = 2000;

const CONTACT_FIELDS: [&str; 6] = ["Id", "FirstName", "LastName", "Email", "Phone", "AccountId"];
const ACCOUNT_FIELDS: [&str; 7] = [
    "Id",
    "Name",
    "Storesync_Discount_Percent__c",
    "Storesync_Payment_Terms__c",
    "Storesync_Ship_On_Account__c",
    "Storesync_Shipping_Account__c",
    "Storesync_Tax_Exempt__c",
];

fn object(entity: CrmEntity) -> (&'static str, &'static [&'static str]) {
    match entity {
        CrmEntity::Contact => ("Contact", &CONTACT_FIELDS),
        CrmEntity::Account => ("Account", &ACCOUNT_FIELDS),
    }
}

/// A row's fields as a change event carries them: the Contact's name parts under `Name`.
fn as_change_fields(row: Map<String, Value>) -> BTreeMap<String, Value> {
    row.into_iter()
        .filter(|(name, _)| name != "attributes" && name != "Id")
        .map(|(name, value)| match name.as_str() {
            "FirstName" | "LastName" => (format!("Name.{name}"), value),
            _ => (name, value),
        })
        .collect()
}

#[async_trait]
impl CrmRecords for SalesforceCrm {
    async fn records(
        &self,
        entity: CrmEntity,
        ids: &[CrmId],
    ) -> Result<Vec<(CrmId, BTreeMap<String, Value>)>, CrmError> {
        let (name, fields) = object(entity);
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let soql = Soql::select(fields)
                .from(name)
                .where_in("Id", chunk.iter().map(CrmId::as_str));
            let rows: Vec<Map<String, Value>> = self
                .client
                .query_all(&soql.build())
                .await
                .map_err(crm_error)?;
            for row in rows {
                let id = crm_id(row.get("Id").and_then(Value::as_str).unwrap_or_default())?;
                found.push((id, as_change_fields(row)));
            }
        }
        Ok(found)
    }

    async fn changed_since(
        &self,
        entity: CrmEntity,
        since: DateTime<Utc>,
    ) -> Result<Vec<CrmId>, CrmError> {
        let (name, _) = object(entity);
        let soql = Soql::select(&["Id"])
            .from(name)
            .filter(Condition::at_least("LastModifiedDate", since))
            .order_by("LastModifiedDate", false)
            .limit(OVERFLOW_LIMIT);
        let rows: Vec<Map<String, Value>> = self
            .client
            .query_all(&soql.build())
            .await
            .map_err(crm_error)?;
        rows.iter()
            .map(|row| crm_id(row.get("Id").and_then(Value::as_str).unwrap_or_default()))
            .collect()
    }
}
