//! sObject Collections: many records per call, sent in chunks of 200.

use reqwest::Method;
use serde_json::{Value, json};

use super::SalesforceClient;
use super::call::Call;
use crate::collections::{COLLECTION_CHUNK, CollectionOptions, RecordResult, sobject};
use crate::error::SalesforceError;

impl SalesforceClient {
    /// Sends `records` chunk by chunk. A failure after the first chunk reports the results
    /// already committed ([`SalesforceError::Partial`], or `BudgetExceeded` with `completed`),
    /// so a caller resends only the rest.
    async fn collection(
        &self,
        method: Method,
        path: String,
        records: &[Value],
        options: CollectionOptions,
        idempotent: bool,
    ) -> Result<Vec<RecordResult>, SalesforceError> {
        let mut results = Vec::with_capacity(records.len());
        for chunk in records.chunks(COLLECTION_CHUNK) {
            if let Err(SalesforceError::BudgetExceeded { usage, .. }) =
                self.ensure_budget(options.priority)
            {
                return Err(SalesforceError::BudgetExceeded {
                    usage,
                    completed: results,
                });
            }
            let body = json!({ "allOrNone": options.all_or_none, "records": chunk });
            let answer = self
                .call_json(Call {
                    method: method.clone(),
                    path: path.clone(),
                    body: Some(&body),
                    idempotent,
                })
                .await;
            let mut chunk_results: Vec<RecordResult> = match answer {
                Ok(r) => r,
                Err(e) if results.is_empty() => return Err(e),
                Err(e) => {
                    return Err(SalesforceError::Partial {
                        completed: results,
                        source: Box::new(e),
                    });
                }
            };
            if chunk_results.len() != chunk.len() {
                return Err(SalesforceError::Protocol {
                    status: 200,
                    detail: format!(
                        "{} results for {} records",
                        chunk_results.len(),
                        chunk.len()
                    ),
                });
            }
            results.append(&mut chunk_results);
        }
        Ok(results)
    }

    /// `POST composite/sobjects` in chunks of 200; each record needs `attributes.type`
    /// (see [`crate::sobject`]). Results are per record, in order.
    pub async fn create_collection(
        &self,
        records: &[Value],
        options: CollectionOptions,
    ) -> Result<Vec<RecordResult>, SalesforceError> {
        self.collection(
            Method::POST,
            "composite/sobjects".into(),
            records,
            options,
            false,
        )
        .await
    }

    /// `PATCH composite/sobjects` in chunks of 200; each record needs `attributes.type` and `Id`.
    pub async fn update_collection(
        &self,
        records: &[Value],
        options: CollectionOptions,
    ) -> Result<Vec<RecordResult>, SalesforceError> {
        self.collection(
            Method::PATCH,
            "composite/sobjects".into(),
            records,
            options,
            true,
        )
        .await
    }

    /// `PATCH composite/sobjects/{object}/{external_field}` in chunks of 200; each record
    /// carries its external id value. Results say per record whether it was created.
    pub async fn upsert_collection(
        &self,
        object: &str,
        external_field: &str,
        records: &[Value],
        options: CollectionOptions,
    ) -> Result<Vec<RecordResult>, SalesforceError> {
        let typed: Vec<Value> = records
            .iter()
            .map(|r| {
                if r.get("attributes").is_some() {
                    r.clone()
                } else {
                    sobject(object, r.clone())
                }
            })
            .collect();
        self.collection(
            Method::PATCH,
            format!("composite/sobjects/{object}/{external_field}"),
            &typed,
            options,
            true,
        )
        .await
    }
}
