//! SOQL queries, page by page or to the end.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::SalesforceClient;
use super::call::Call;
use crate::error::SalesforceError;

/// A page of SOQL results.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryPage<T> {
    /// Records the whole query matched, across all pages.
    pub total_size: u64,
    /// Whether this is the last page.
    pub done: bool,
    /// Where the next page is, while `done` is false.
    #[serde(default)]
    pub next_records_url: Option<String>,
    /// This page's records.
    pub records: Vec<T>,
}

impl SalesforceClient {
    /// The first page of a query (build the text with [`crate::soql::Soql`]).
    pub async fn query<T: DeserializeOwned>(
        &self,
        soql: &str,
    ) -> Result<QueryPage<T>, SalesforceError> {
        let q: String = url::form_urlencoded::byte_serialize(soql.as_bytes()).collect();
        self.call_json(Call::read(format!("query?q={q}"))).await
    }

    /// The page behind a `nextRecordsUrl`.
    pub async fn query_more<T: DeserializeOwned>(
        &self,
        next_records_url: &str,
    ) -> Result<QueryPage<T>, SalesforceError> {
        // Anything else would send the session token to a path of the caller's choosing.
        if !next_records_url.starts_with("/services/data/") {
            return Err(SalesforceError::InvalidRequest(format!(
                "not a nextRecordsUrl: {next_records_url}"
            )));
        }
        self.call_json(Call::read(next_records_url.to_string()))
            .await
    }

    /// Every record of a query, following `nextRecordsUrl` to the end.
    pub async fn query_all<T: DeserializeOwned>(
        &self,
        soql: &str,
    ) -> Result<Vec<T>, SalesforceError> {
        let mut page = self.query::<T>(soql).await?;
        let mut records = std::mem::take(&mut page.records);
        while let (false, Some(next)) = (page.done, page.next_records_url.clone()) {
            page = self.query_more(&next).await?;
            records.append(&mut page.records);
        }
        Ok(records)
    }
}
