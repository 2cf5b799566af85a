//! sObject calls on one record: by id, or by external id for upserts.

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use super::SalesforceClient;
use super::call::Call;
use crate::collections::without_field;
use crate::composite::encode_segment;
use crate::error::SalesforceError;

/// The outcome of an upsert by external id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UpsertResult {
    /// The record's 18-character id.
    pub id: String,
    /// `true` for 201 Created, `false` for 200 updated.
    pub created: bool,
}

#[derive(Deserialize)]
struct CreateResult {
    id: String,
}

impl SalesforceClient {
    /// `GET sobjects/{object}/{id}`, all fields or the listed ones.
    pub async fn get(
        &self,
        object: &str,
        id: &str,
        fields: Option<&[&str]>,
    ) -> Result<Value, SalesforceError> {
        let mut path = format!("sobjects/{object}/{}", encode_segment(id));
        if let Some(fields) = fields {
            path.push_str("?fields=");
            path.push_str(&fields.join(","));
        }
        self.call_json(Call::read(path)).await
    }

    /// `GET sobjects/{object}/{external_field}/{value}`: the record with that external id.
    pub async fn get_by_external_id(
        &self,
        object: &str,
        external_field: &str,
        value: &str,
    ) -> Result<Value, SalesforceError> {
        self.call_json(Call::read(format!(
            "sobjects/{object}/{external_field}/{}",
            encode_segment(value)
        )))
        .await
    }

    /// `POST sobjects/{object}`: the new record's id. Not resent after a timeout, since the
    /// first try may have created the record (prefer [`Self::upsert`] for store data).
    pub async fn create(&self, object: &str, fields: &Value) -> Result<String, SalesforceError> {
        let created: CreateResult = self
            .call_json(Call {
                method: Method::POST,
                path: format!("sobjects/{object}"),
                body: Some(fields),
                idempotent: false,
            })
            .await?;
        Ok(created.id)
    }

    /// `PATCH sobjects/{object}/{id}`.
    pub async fn update(
        &self,
        object: &str,
        id: &str,
        fields: &Value,
    ) -> Result<(), SalesforceError> {
        self.call(Call {
            method: Method::PATCH,
            path: format!("sobjects/{object}/{}", encode_segment(id)),
            body: Some(fields),
            idempotent: true,
        })
        .await
        .map(|_| ())
    }

    /// `PATCH sobjects/{object}/{external_field}/{value}`: insert or update by external id.
    pub async fn upsert(
        &self,
        object: &str,
        external_field: &str,
        value: &str,
        fields: &Value,
    ) -> Result<UpsertResult, SalesforceError> {
        let body = without_field(fields.clone(), external_field);
        self.call_json(Call {
            method: Method::PATCH,
            path: format!(
                "sobjects/{object}/{external_field}/{}",
                encode_segment(value)
            ),
            body: Some(&body),
            idempotent: true,
        })
        .await
    }

    /// `DELETE sobjects/{object}/{id}`.
    pub async fn delete(&self, object: &str, id: &str) -> Result<(), SalesforceError> {
        self.call(Call {
            method: Method::DELETE,
            path: format!("sobjects/{object}/{}", encode_segment(id)),
            body: None,
            idempotent: true,
        })
        .await
        .map(|_| ())
    }
}
