//! One REST call inside the org, from HTTP or from a Composite subrequest, routed by method
//! and path to the handlers of its API family.

use serde_json::Value;

use super::{collections, composite, query, sobjects};
use crate::error::SfError;
use crate::org::{Org, Record, WriteOptions};

/// One REST call inside the org, from HTTP or from a Composite subrequest.
#[derive(Debug, Clone)]
pub(crate) struct SubRequest {
    /// Upper case.
    pub method: String,
    /// The path after `/services/data/vXX.X/`.
    pub path: String,
    /// The query string, undecoded.
    pub query: String,
    pub body: Option<Value>,
    /// `vXX.X`, for the URLs the answer names.
    pub version: String,
    pub options: WriteOptions,
    /// `Sforce-Query-Options: batchSize=N`.
    pub batch_size: Option<usize>,
}

/// What a call answers: status, JSON body (none for 204) and `Location`.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub location: Option<String>,
}

impl Reply {
    /// A JSON answer with no `Location`.
    pub(super) fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            location: None,
        }
    }

    fn err(e: SfError) -> Self {
        Self::json(e.status, e.body)
    }

    /// 204, no body.
    pub(super) fn no_content() -> Self {
        Self {
            status: 204,
            body: None,
            location: None,
        }
    }
}

/// Routes a call; every error becomes the reply Salesforce would send.
pub(crate) fn dispatch(org: &mut Org, req: &SubRequest) -> Reply {
    let segments: Vec<String> = req
        .path
        .trim_end_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let result: Result<Reply, SfError> = match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["query"]) => query::first_batch(org, req),
        ("GET", ["query", cursor]) => query::next_batch(org, req, cursor),
        ("GET", ["sobjects"]) => Ok(sobjects::list()),
        ("POST", ["sobjects", ty]) => sobjects::create(org, req, ty),
        ("GET", ["sobjects", ty, id]) => sobjects::get(org, req, ty, id),
        ("PATCH", ["sobjects", ty, id]) => sobjects::update(org, req, ty, id),
        ("DELETE", ["sobjects", ty, id]) => sobjects::delete(org, ty, id),
        ("GET", ["sobjects", ty, ext, value]) => {
            sobjects::get_by_external_id(org, req, ty, ext, value)
        }
        ("PATCH", ["sobjects", ty, ext, value]) => sobjects::upsert(org, req, ty, ext, value),
        ("POST", ["composite"]) => composite::composite(org, req),
        ("POST", ["composite", "graph"]) => composite::graph(org, req),
        ("POST", ["composite", "sobjects"]) => collections::create(org, req),
        ("PATCH", ["composite", "sobjects"]) => collections::update(org, req),
        ("PATCH", ["composite", "sobjects", ty, ext]) => collections::upsert(org, req, ty, ext),
        (_, ["sobjects", ..] | ["query", ..] | ["composite", ..]) => Err(SfError::new(
            405,
            "METHOD_NOT_ALLOWED",
            format!(
                "HTTP Method '{}' not allowed. Allowed are GET,PATCH,POST,DELETE",
                req.method
            ),
            &[],
        )),
        _ => Err(SfError::not_found()),
    };
    result.unwrap_or_else(Reply::err)
}

/// The body of a call that takes one JSON object.
pub(super) fn body_object(body: &Option<Value>) -> Result<Record, SfError> {
    match body {
        Some(Value::Object(m)) => Ok(m.clone()),
        _ => Err(SfError::body_not_an_object()),
    }
}

/// One query string parameter, decoded.
pub(super) fn query_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Decodes `%XX` in a path segment (an external id value may hold any character); a `%`
/// not followed by two hex digits stays as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(
                std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                16,
            )
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
