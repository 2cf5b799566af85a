//! Salesforce Order Management through the Connect REST API: the OrderSummary of an
//! activated Order is made by the order-summaries action, never by an sObject insert.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::SalesforceClient;
use super::call::Call;
use crate::error::{ApiError, SalesforceError};

/// Who manages an order after its summary is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderLifeCycle {
    /// Salesforce Order Management runs the order's life cycle (Salesforce's default).
    Managed,
    /// An external system (here the store) runs it; the summary records it.
    Unmanaged,
}

/// What the order-summaries action answers (`OrderSummaryOutputRepresentation`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderSummaryCreated {
    /// The new OrderSummary's id.
    pub order_summary_id: Option<String>,
    /// Whether the summary was made; an answer of 2xx may still report errors.
    #[serde(default)]
    pub success: bool,
    /// Why it was not.
    #[serde(default)]
    pub errors: Vec<ApiError>,
}

impl SalesforceClient {
    /// `POST commerce/order-management/order-summaries` with `{"orderId", "orderLifeCycleType"}`:
    /// the OrderSummary of an activated Order, in one API call. Never resent after a
    /// timeout: the summary may have been made (a second one is refused with
    /// `DUPLICATE_VALUE`).
    pub async fn create_order_summary(
        &self,
        order_id: &str,
        life_cycle: OrderLifeCycle,
    ) -> Result<OrderSummaryCreated, SalesforceError> {
        let body = json!({ "orderId": order_id, "orderLifeCycleType": life_cycle });
        self.call_json(Call {
            method: Method::POST,
            path: "commerce/order-management/order-summaries".into(),
            body: Some(&body),
            idempotent: false,
        })
        .await
    }
}
