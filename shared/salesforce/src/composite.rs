//! Composite and Composite Graph request builders with typed references.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;

/// Most subrequests in one Composite request.
pub const COMPOSITE_LIMIT: usize = 25;
/// Most nodes in one graph.
pub const GRAPH_NODE_LIMIT: usize = 500;
/// Most graphs in one Composite Graph payload.
pub const PAYLOAD_GRAPH_LIMIT: usize = 75;
/// Most nodes in one payload, all graphs together.
pub const PAYLOAD_NODE_LIMIT: usize = 500;
/// Most distinct node types (method and object) in one payload.
pub const PAYLOAD_NODE_TYPE_LIMIT: usize = 15;

/// A handle on an earlier subrequest, rendering `@{ref.field}` references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference(String);

impl Reference {
    /// The id of the record a create or upsert returned: `@{ref.id}`.
    pub fn id(&self) -> String {
        format!("@{{{}.id}}", self.0)
    }

    /// Any field of the subrequest's response body, e.g. `Id` of a GET or `records[0].Id`.
    pub fn field(&self, path: &str) -> String {
        format!("@{{{}.{path}}}", self.0)
    }

    /// The `referenceId`.
    pub fn name(&self) -> &str {
        &self.0
    }
}

/// Percent-encodes one URL path segment (external id values may hold any character).
pub(crate) fn encode_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Subrequest {
    pub method: &'static str,
    /// Relative to `/services/data/vXX.X/`.
    pub path: String,
    pub reference_id: String,
    pub body: Option<Value>,
}

/// An ordered list of subrequests; shared by [`CompositeRequest`] and [`Graph`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subrequests {
    pub(crate) items: Vec<Subrequest>,
}

impl Subrequests {
    fn push(
        &mut self,
        method: &'static str,
        path: String,
        reference_id: &str,
        body: Option<Value>,
    ) -> Reference {
        self.items.push(Subrequest {
            method,
            path,
            reference_id: reference_id.to_string(),
            body,
        });
        Reference(reference_id.to_string())
    }

    /// `POST sobjects/{object}`; the reference's [`Reference::id`] is the new id.
    pub fn create(&mut self, reference_id: &str, object: &str, body: Value) -> Reference {
        self.push(
            "POST",
            format!("sobjects/{object}"),
            reference_id,
            Some(body),
        )
    }

    /// `PATCH sobjects/{object}/{external_field}/{value}`; [`Reference::id`] is the record's id.
    pub fn upsert(
        &mut self,
        reference_id: &str,
        object: &str,
        external_field: &str,
        value: &str,
        body: Value,
    ) -> Reference {
        self.push(
            "PATCH",
            format!(
                "sobjects/{object}/{external_field}/{}",
                encode_segment(value)
            ),
            reference_id,
            Some(crate::collections::without_field(body, external_field)),
        )
    }

    /// `PATCH sobjects/{object}/{id}` (the id may be a reference).
    pub fn update(&mut self, reference_id: &str, object: &str, id: &str, body: Value) -> Reference {
        self.push(
            "PATCH",
            format!("sobjects/{object}/{id}"),
            reference_id,
            Some(body),
        )
    }

    /// `GET sobjects/{object}/{id}`; use `reference.field("Id")` and others.
    pub fn get(&mut self, reference_id: &str, object: &str, id: &str) -> Reference {
        self.push("GET", format!("sobjects/{object}/{id}"), reference_id, None)
    }

    /// `GET query?q=...`; use `reference.field("records[0].Id")`.
    pub fn query(&mut self, reference_id: &str, soql: &str) -> Reference {
        let q: String = url::form_urlencoded::byte_serialize(soql.as_bytes()).collect();
        self.push("GET", format!("query?q={q}"), reference_id, None)
    }

    /// How many subrequests there are.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(crate) fn to_json(&self, version: &str) -> Vec<Value> {
        self.items
            .iter()
            .map(|s| {
                let mut v = json!({
                    "method": s.method,
                    "url": format!("/services/data/{version}/{}", s.path),
                    "referenceId": s.reference_id,
                });
                if let Some(body) = &s.body {
                    v["body"] = body.clone();
                }
                v
            })
            .collect()
    }
}

/// A Composite request (`POST /composite`): up to 25 subrequests in one API call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompositeRequest {
    /// Roll every subrequest back when one fails.
    pub all_or_none: bool,
    /// The subrequests, in order.
    pub requests: Subrequests,
}

impl CompositeRequest {
    /// An empty request; add subrequests through `requests`.
    pub fn new(all_or_none: bool) -> Self {
        Self {
            all_or_none,
            requests: Subrequests::default(),
        }
    }
}

/// One graph of a Composite Graph request: all nodes commit together or not at all.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    /// The caller's name for the graph, echoed in its response.
    pub graph_id: String,
    /// The graph's subrequests, in order.
    pub nodes: Subrequests,
}

/// A node's type as the payload limit counts them: its method and object (`PATCH Account`).
fn node_type(node: &Subrequest) -> (&'static str, &str) {
    let object = node
        .path
        .strip_prefix("sobjects/")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| node.path.split(['/', '?']).next().unwrap_or_default());
    (node.method, object)
}

/// Splits graphs, in their order, into as few Composite Graph payloads as the limits on
/// graphs, nodes and node types of one payload allow (each graph must fit a payload alone).
pub fn payloads(graphs: Vec<Graph>) -> Vec<Vec<Graph>> {
    let mut out: Vec<Vec<Graph>> = Vec::new();
    let mut nodes = 0;
    let mut types: std::collections::BTreeSet<(&'static str, String)> = Default::default();
    for graph in graphs {
        let graph_types: std::collections::BTreeSet<(&'static str, String)> = graph
            .nodes
            .items
            .iter()
            .map(|n| {
                let (method, object) = node_type(n);
                (method, object.to_owned())
            })
            .collect();
        let fits = out.last().is_some_and(|current| {
            current.len() < PAYLOAD_GRAPH_LIMIT
                && nodes + graph.nodes.len() <= PAYLOAD_NODE_LIMIT
                && types.union(&graph_types).count() <= PAYLOAD_NODE_TYPE_LIMIT
        });
        if !fits {
            out.push(Vec::new());
            nodes = 0;
            types.clear();
        }
        nodes += graph.nodes.len();
        types.extend(graph_types);
        out.last_mut().expect("a payload is open").push(graph);
    }
    out
}

impl Graph {
    /// An empty graph; add nodes through `nodes`.
    pub fn new(graph_id: impl Into<String>) -> Self {
        Self {
            graph_id: graph_id.into(),
            nodes: Subrequests::default(),
        }
    }
}

/// One subrequest's answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubResponse {
    /// The subrequest's `referenceId`.
    pub reference_id: String,
    /// Its HTTP status.
    pub http_status_code: u16,
    /// Its body, as it would have come alone.
    #[serde(default)]
    pub body: Value,
    /// Its headers, e.g. `Location`.
    #[serde(default)]
    pub http_headers: Value,
}

impl SubResponse {
    /// Status below 300.
    pub fn is_success(&self) -> bool {
        self.http_status_code < 300
    }

    /// The record id a create or upsert returned (or the `Id` of a GET).
    pub fn id(&self) -> Option<&str> {
        self.body
            .get("id")
            .or_else(|| self.body.get("Id"))
            .and_then(Value::as_str)
    }

    /// The errors of a failed subrequest.
    pub fn errors(&self) -> Vec<ApiError> {
        serde_json::from_value(self.body.clone()).unwrap_or_default()
    }
}

/// The answers of a Composite request, in request order.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CompositeResponse {
    /// One answer per subrequest.
    #[serde(rename = "compositeResponse")]
    pub responses: Vec<SubResponse>,
}

impl CompositeResponse {
    /// The answer to the subrequest a reference names.
    pub fn get(&self, reference: &Reference) -> Option<&SubResponse> {
        self.responses
            .iter()
            .find(|r| r.reference_id == reference.name())
    }
}

/// One graph's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphResponse {
    /// The graph's `graphId`.
    pub graph_id: String,
    /// Whether every node was committed (otherwise none was).
    pub is_successful: bool,
    /// The nodes' answers.
    pub responses: CompositeResponse,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawGraph {
    pub graph_id: String,
    pub is_successful: bool,
    pub graph_response: CompositeResponse,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph_of(id: usize, nodes: &[(&str, &str)]) -> Graph {
        let mut g = Graph::new(format!("g{id}"));
        for (i, (object, ext)) in nodes.iter().enumerate() {
            g.nodes
                .upsert(&format!("n{i}"), object, ext, &format!("k{id}"), json!({}));
        }
        g
    }

    #[test]
    fn payloads_hold_at_most_75_graphs_and_500_nodes() {
        let graphs: Vec<Graph> = (0..200)
            .map(|i| graph_of(i, &[("Opportunity", "X__c"), ("Order", "Y__c")]))
            .collect();
        let sizes: Vec<usize> = payloads(graphs).iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![75, 75, 50], "75 graphs a payload");

        let graphs: Vec<Graph> = (0..30)
            .map(|i| graph_of(i, &[("Opportunity", "X__c"); 40]))
            .collect();
        let payloads = payloads(graphs);
        assert!(
            payloads
                .iter()
                .all(|p| p.iter().map(|g| g.nodes.len()).sum::<usize>() <= 500)
        );
        assert_eq!(payloads.len(), 3, "12 graphs of 40 nodes a payload");
        let ids: Vec<String> = payloads.concat().into_iter().map(|g| g.graph_id).collect();
        assert_eq!(
            ids,
            (0..30).map(|i| format!("g{i}")).collect::<Vec<_>>(),
            "in order"
        );
    }

    #[test]
    fn payloads_hold_at_most_15_node_types() {
        let objects = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"];
        let graphs: Vec<Graph> = objects
            .iter()
            .enumerate()
            .map(|(i, o)| graph_of(i, &[(o, "X__c"), ("Order", "Y__c")]))
            .collect();
        let payloads = payloads(graphs);
        for payload in &payloads {
            let types: std::collections::BTreeSet<_> = payload
                .iter()
                .flat_map(|g| g.nodes.items.iter().map(node_type))
                .collect();
            assert!(types.len() <= 15, "{} types", types.len());
        }
        assert_eq!(payloads.iter().map(Vec::len).collect::<Vec<_>>(), vec![12]);
        let more: Vec<Graph> = (0..20)
            .map(|i| graph_of(i, &[(objects[i % 12], "X__c"), ("Order", "Y__c")]))
            .chain((0..5).map(|i| graph_of(20 + i, &[(["M", "N", "O", "P", "Q"][i], "X__c")])))
            .collect();
        assert_eq!(
            super::payloads(more).len(),
            2,
            "the 15th type and on start a new payload"
        );
    }

    #[test]
    fn references_render_as_salesforce_expects() {
        let mut graph = Graph::new("g1");
        let account = graph
            .nodes
            .create("acct", "Account", json!({ "Name": "Acme" }));
        assert_eq!(account.id(), "@{acct.id}");
        assert_eq!(account.field("records[0].Id"), "@{acct.records[0].Id}");
    }

    #[test]
    fn upsert_urls_encode_the_external_id_value() {
        let mut request = CompositeRequest::new(true);
        request.requests.upsert(
            "c",
            "Contact",
            "Storesync_Customer_Id__c",
            "cus 1/2",
            json!({}),
        );
        let json = request.requests.to_json("v62.0");
        assert_eq!(
            json[0]["url"],
            "/services/data/v62.0/sobjects/Contact/Storesync_Customer_Id__c/cus%201%2F2"
        );
    }
}
