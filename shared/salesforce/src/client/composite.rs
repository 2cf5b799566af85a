//! Composite and Composite Graph: several subrequests in one API call.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::SalesforceClient;
use super::call::Call;
use crate::composite::{
    COMPOSITE_LIMIT, CompositeRequest, CompositeResponse, GRAPH_NODE_LIMIT, Graph, GraphResponse,
    RawGraph, Subrequests,
};
use crate::error::SalesforceError;

/// A request of these subrequests may be resent only if none of them creates a record.
fn idempotent<'a>(lists: impl IntoIterator<Item = &'a Subrequests>) -> bool {
    lists
        .into_iter()
        .all(|list| list.items.iter().all(|s| s.method != "POST"))
}

impl SalesforceClient {
    /// `POST composite`: up to 25 subrequests in one API call.
    pub async fn composite(
        &self,
        request: &CompositeRequest,
    ) -> Result<CompositeResponse, SalesforceError> {
        if request.requests.is_empty() || request.requests.len() > COMPOSITE_LIMIT {
            return Err(SalesforceError::InvalidRequest(format!(
                "a composite request holds 1 to {COMPOSITE_LIMIT} subrequests, not {}",
                request.requests.len()
            )));
        }
        let version = &self.inner.config.api_version;
        let body = json!({
            "allOrNone": request.all_or_none,
            "compositeRequest": request.requests.to_json(version),
        });
        self.call_json(Call {
            method: Method::POST,
            path: "composite".into(),
            body: Some(&body),
            idempotent: idempotent([&request.requests]),
        })
        .await
    }

    /// `POST composite/graph`: each graph commits all its nodes or none, in one API call.
    pub async fn composite_graph(
        &self,
        graphs: &[Graph],
    ) -> Result<Vec<GraphResponse>, SalesforceError> {
        if let Some(g) = graphs
            .iter()
            .find(|g| g.nodes.is_empty() || g.nodes.len() > GRAPH_NODE_LIMIT)
        {
            return Err(SalesforceError::InvalidRequest(format!(
                "graph {} holds {} nodes (1 to {GRAPH_NODE_LIMIT} allowed)",
                g.graph_id,
                g.nodes.len()
            )));
        }
        let version = &self.inner.config.api_version;
        let body = json!({
            "graphs": graphs
                .iter()
                .map(|g| json!({ "graphId": g.graph_id, "compositeRequest": g.nodes.to_json(version) }))
                .collect::<Vec<_>>(),
        });
        #[derive(Deserialize)]
        struct Raw {
            graphs: Vec<RawGraph>,
        }
        let raw: Raw = self
            .call_json(Call {
                method: Method::POST,
                path: "composite/graph".into(),
                body: Some(&body),
                idempotent: idempotent(graphs.iter().map(|g| &g.nodes)),
            })
            .await?;
        Ok(raw
            .graphs
            .into_iter()
            .map(|g| GraphResponse {
                graph_id: g.graph_id,
                is_successful: g.is_successful,
                responses: g.graph_response,
            })
            .collect())
    }
}
