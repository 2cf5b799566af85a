//! Composite (`/composite`) and Composite Graph (`/composite/graph`): subrequests run in
//! order in one call, later ones naming earlier results with `@{ref.field}`; with
//! `allOrNone` (always, for a graph) one failure rolls them all back.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::routes::{Reply, SubRequest, dispatch};
use crate::error::SfError;
use crate::org::Org;

/// Most subrequests a Composite request takes.
const COMPOSITE_LIMIT: usize = 25;
/// Most nodes in one Composite Graph.
const GRAPH_NODE_LIMIT: usize = 500;
/// Most graphs in one Composite Graph payload.
const GRAPH_LIMIT: usize = 75;
/// Most nodes in one Composite Graph payload, all graphs together.
const PAYLOAD_NODE_LIMIT: usize = 500;
/// Most distinct node types (method, object) in one Composite Graph payload.
const PAYLOAD_NODE_TYPE_LIMIT: usize = 15;

/// A node's type as the payload limit counts it: its method and the object its URL names.
fn node_type(node: &Value) -> (String, String) {
    let method = node
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let url = node.get("url").and_then(Value::as_str).unwrap_or_default();
    let object = match url.split_once("/sobjects/") {
        Some((_, rest)) => rest.split('/').next().unwrap_or_default(),
        None => url
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .split('?')
            .next()
            .unwrap_or_default(),
    };
    (method.to_ascii_uppercase(), object.to_owned())
}

fn processing_halted() -> Value {
    json!([{
        "errorCode": "PROCESSING_HALTED",
        "message": "The transaction was rolled back since another operation in the same transaction failed.",
    }])
}

/// Replaces every `@{ref.path}` in `text` with the value at `path` in the body `ref` returned.
fn substitute(text: &str, results: &HashMap<String, Value>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("@{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("Invalid reference specified: {after}"))?;
        let reference = &after[..end];
        out.push_str(&resolve(reference, results)?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn resolve(reference: &str, results: &HashMap<String, Value>) -> Result<String, String> {
    let missing = || {
        format!(
            "Invalid reference specified. No value for {reference} found. Provided referenceId ({reference}) must be a previous subrequest's referenceId and its response must have that field."
        )
    };
    let mut parts = reference.split('.');
    let name = parts.next().unwrap_or("");
    let mut value = results.get(name).ok_or_else(missing)?;
    for part in parts {
        let (key, index) = match part.split_once('[') {
            Some((k, i)) => (k, i.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        value = value.get(key).ok_or_else(missing)?;
        if let Some(i) = index {
            value = value.get(i).ok_or_else(missing)?;
        }
    }
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Err(missing()),
        other => Ok(other.to_string()),
    }
}

fn substitute_value(value: &Value, results: &HashMap<String, Value>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => Value::String(substitute(s, results)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute_value(v, results))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(k.clone(), substitute_value(v, results)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

fn halted_response(reference_id: &Value) -> Value {
    json!({
        "body": processing_halted(),
        "httpHeaders": {},
        "httpStatusCode": 400,
        "referenceId": reference_id,
    })
}

/// Runs subrequests in order; returns the responses and whether all succeeded.
fn run_subrequests(
    org: &mut Org,
    parent: &SubRequest,
    subrequests: &[Value],
    all_or_none: bool,
) -> (Vec<Value>, bool) {
    let snapshot = all_or_none.then(|| org.data.clone());
    let mut results: HashMap<String, Value> = HashMap::new();
    let mut responses = Vec::with_capacity(subrequests.len());
    let mut failed_at = None;
    for (index, sub) in subrequests.iter().enumerate() {
        let reference_id = sub.get("referenceId").cloned().unwrap_or(Value::Null);
        let reply = match build_subrequest(parent, sub, &results) {
            Ok(request) => {
                let reply = dispatch(org, &request);
                // Without allOrNone each subrequest is a transaction of its own.
                if !all_or_none {
                    org.commit();
                }
                reply
            }
            Err(message) => Reply::json(
                400,
                json!([{ "errorCode": "PROCESSING_HALTED", "message": message }]),
            ),
        };
        let mut headers = Map::new();
        if let Some(location) = &reply.location {
            headers.insert("Location".into(), json!(location));
        }
        let body = reply.body.clone().unwrap_or(Value::Null);
        if reply.status < 300
            && let Some(name) = reference_id.as_str()
        {
            results.insert(name.to_string(), body.clone());
        }
        responses.push(json!({
            "body": body,
            "httpHeaders": headers,
            "httpStatusCode": reply.status,
            "referenceId": reference_id,
        }));
        if reply.status >= 300 && failed_at.is_none() {
            failed_at = Some(index);
            if all_or_none {
                break;
            }
        }
    }
    let Some(failed_index) = failed_at else {
        return (responses, true);
    };
    if let Some(snapshot) = snapshot {
        org.data = snapshot;
        let mut halted: Vec<Value> = subrequests
            .iter()
            .map(|s| halted_response(&s.get("referenceId").cloned().unwrap_or(Value::Null)))
            .collect();
        halted[failed_index] = responses[failed_index].clone();
        return (halted, false);
    }
    (responses, false)
}

fn build_subrequest(
    parent: &SubRequest,
    sub: &Value,
    results: &HashMap<String, Value>,
) -> Result<SubRequest, String> {
    let method = sub
        .get("method")
        .and_then(Value::as_str)
        .ok_or("A subrequest needs a method")?
        .to_ascii_uppercase();
    let url = substitute(
        sub.get("url")
            .and_then(Value::as_str)
            .ok_or("A subrequest needs a url")?,
        results,
    )?;
    let body = sub
        .get("body")
        .map(|b| substitute_value(b, results))
        .transpose()?;
    let url = url.trim_start_matches("/services/data/");
    let (version, rest) = url
        .split_once('/')
        .ok_or("The url must be /services/data/vXX.X/...")?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    Ok(SubRequest {
        method,
        path: path.to_string(),
        query: query.to_string(),
        body,
        version: version.to_string(),
        options: parent.options,
        batch_size: parent.batch_size,
    })
}

/// The array at `key` of `body` (missing counts as empty), refused with `code` and `message`
/// unless it holds `min` to `max` entries.
fn bounded_list(
    body: Option<&Value>,
    key: &str,
    min: usize,
    max: usize,
    code: &str,
    message: String,
) -> Result<Vec<Value>, SfError> {
    let list = body
        .and_then(|b| b.get(key))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if (min..=max).contains(&list.len()) {
        Ok(list)
    } else {
        Err(SfError::new(400, code, message, &[]))
    }
}

/// `POST /composite`.
pub(super) fn composite(org: &mut Org, req: &SubRequest) -> Result<Reply, SfError> {
    let body = req.body.as_ref().ok_or_else(SfError::body_not_an_object)?;
    let subrequests = bounded_list(
        Some(body),
        "compositeRequest",
        1,
        COMPOSITE_LIMIT,
        "INVALID_BATCH_REQUEST",
        format!("The number of subrequests must be between 1 and {COMPOSITE_LIMIT}"),
    )?;
    let all_or_none = body
        .get("allOrNone")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let (responses, _) = run_subrequests(org, req, &subrequests, all_or_none);
    Ok(Reply::json(200, json!({ "compositeResponse": responses })))
}

/// `POST /composite/graph`: each graph is all-or-nothing.
pub(super) fn graph(org: &mut Org, req: &SubRequest) -> Result<Reply, SfError> {
    let graphs = bounded_list(
        req.body.as_ref(),
        "graphs",
        1,
        GRAPH_LIMIT,
        "INVALID_INPUT",
        format!("A payload holds between 1 and {GRAPH_LIMIT} graphs"),
    )?;
    let all_nodes: Vec<&Value> = graphs
        .iter()
        .filter_map(|g| g.get("compositeRequest").and_then(Value::as_array))
        .flatten()
        .collect();
    if all_nodes.len() > PAYLOAD_NODE_LIMIT {
        return Err(SfError::new(
            400,
            "INVALID_INPUT",
            format!("A payload holds at most {PAYLOAD_NODE_LIMIT} nodes in all its graphs"),
            &[],
        ));
    }
    let types: std::collections::BTreeSet<_> = all_nodes.iter().map(|n| node_type(n)).collect();
    if types.len() > PAYLOAD_NODE_TYPE_LIMIT {
        return Err(SfError::new(
            400,
            "INVALID_INPUT",
            format!(
                "A payload holds at most {PAYLOAD_NODE_TYPE_LIMIT} node types, not {}",
                types.len()
            ),
            &[],
        ));
    }
    let mut out = Vec::with_capacity(graphs.len());
    for graph in &graphs {
        let nodes = bounded_list(
            Some(graph),
            "compositeRequest",
            0,
            GRAPH_NODE_LIMIT,
            "INVALID_INPUT",
            format!("A graph holds at most {GRAPH_NODE_LIMIT} nodes"),
        )?;
        let (responses, ok) = run_subrequests(org, req, &nodes, true);
        // Each graph is a transaction of its own.
        org.commit();
        out.push(json!({
            "graphId": graph.get("graphId").cloned().unwrap_or(Value::Null),
            "graphResponse": { "compositeResponse": responses },
            "isSuccessful": ok,
        }));
    }
    Ok(Reply::json(200, json!({ "graphs": out })))
}
