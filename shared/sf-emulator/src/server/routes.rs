//! One REST call inside the org, from HTTP or from a Composite subrequest: its path names a
//! resource, the resource has the methods a real org allows (any other answers 405 with
//! `Allow`), and the call goes to the handler of its API family.

use serde_json::Value;

use super::{actions, collections, composite, describe, query, sobjects};
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

/// What a call answers: status, JSON body (none for 204), `Location` and, for a 405,
/// `Allow`.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub location: Option<String>,
    pub allow: Option<&'static str>,
}

impl Reply {
    /// A JSON answer with no `Location`.
    pub(super) fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            location: None,
            allow: None,
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
            allow: None,
        }
    }

    /// 405 naming the methods the resource has.
    pub(super) fn method_not_allowed(method: &str, allow: &'static str) -> Self {
        let error = SfError::new(
            405,
            "METHOD_NOT_ALLOWED",
            format!("HTTP Method '{method}' not allowed. Allowed are {allow}"),
            &[],
        );
        Self {
            allow: Some(allow),
            ..Self::err(error)
        }
    }
}

/// A resource of the data API, by path.
enum Resource<'a> {
    /// `sobjects`
    Global,
    /// `sobjects/{Type}`
    SObject(&'a str),
    /// `sobjects/{Type}/describe`
    Describe(&'a str),
    /// `sobjects/{Type}/{id}`
    Record(&'a str, &'a str),
    /// `sobjects/{Type}/{ExtField}/{value}`
    ExternalRecord(&'a str, &'a str, &'a str),
    /// `query`
    Query,
    /// `query/{locator}-{offset}`
    QueryMore(&'a str),
    /// `composite`
    Composite,
    /// `composite/graph`
    Graph,
    /// `composite/sobjects`
    Collections,
    /// `composite/sobjects/{Type}`
    CollectionsOf(&'a str),
    /// `composite/sobjects/{Type}/{ExtField}`
    CollectionsUpsert(&'a str, &'a str),
    /// `actions/custom/apex`
    ApexActions,
    /// `actions/custom/apex/{name}`
    ApexAction(&'a str),
}

impl<'a> Resource<'a> {
    fn of(segments: &'a [&'a str]) -> Option<Self> {
        Some(match segments {
            ["sobjects"] => Self::Global,
            ["sobjects", ty] => Self::SObject(ty),
            ["sobjects", ty, "describe"] => Self::Describe(ty),
            ["sobjects", ty, id] => Self::Record(ty, id),
            ["sobjects", ty, ext, value] => Self::ExternalRecord(ty, ext, value),
            ["query"] => Self::Query,
            ["query", cursor] => Self::QueryMore(cursor),
            ["composite"] => Self::Composite,
            ["composite", "graph"] => Self::Graph,
            ["composite", "sobjects"] => Self::Collections,
            ["composite", "sobjects", ty] => Self::CollectionsOf(ty),
            ["composite", "sobjects", ty, ext] => Self::CollectionsUpsert(ty, ext),
            ["actions", "custom", "apex"] => Self::ApexActions,
            ["actions", "custom", "apex", name] => Self::ApexAction(name),
            _ => return None,
        })
    }

    /// The methods a real org allows on the resource, as its 405 names them.
    fn allowed(&self) -> &'static str {
        match self {
            Self::Global | Self::Describe(_) | Self::Query | Self::QueryMore(_) => "GET,HEAD",
            Self::ApexActions => "GET,HEAD",
            Self::SObject(_) | Self::ApexAction(_) => "GET,HEAD,POST",
            Self::Record(..) | Self::ExternalRecord(..) => "GET,HEAD,PATCH,DELETE",
            Self::Composite | Self::Graph => "POST",
            Self::Collections => "POST,PATCH,DELETE",
            Self::CollectionsOf(_) => "GET,POST",
            Self::CollectionsUpsert(..) => "PATCH",
        }
    }
}

/// The resources only `/services/data` itself answers (they read the call counters).
pub(super) const LIMITS_ALLOWED: &str = "GET,HEAD";

/// Whether `method` is one of `allowed` (a comma-separated list).
pub(super) fn method_allowed(method: &str, allowed: &str) -> bool {
    allowed.split(',').any(|m| m == method)
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
    let Some(resource) = Resource::of(&segs) else {
        return Reply::err(SfError::not_found());
    };
    if !method_allowed(&req.method, resource.allowed()) {
        return Reply::method_not_allowed(&req.method, resource.allowed());
    }
    let get = matches!(req.method.as_str(), "GET" | "HEAD");
    let result: Result<Reply, SfError> = match (resource, req.method.as_str()) {
        (Resource::Global, _) => Ok(describe::global(org)),
        (Resource::SObject(ty), _) if get => describe::basic_info(org, ty),
        (Resource::SObject(ty), _) => sobjects::create(org, req, ty),
        (Resource::Describe(ty), _) => describe::describe(org, ty),
        (Resource::Record(ty, id), _) if get => sobjects::get(org, req, ty, id),
        (Resource::Record(ty, id), "PATCH") => sobjects::update(org, req, ty, id),
        (Resource::Record(ty, id), _) => sobjects::delete(org, ty, id),
        (Resource::ExternalRecord(ty, ext, value), _) if get => {
            sobjects::get_by_external_id(org, req, ty, ext, value)
        }
        (Resource::ExternalRecord(ty, ext, value), "PATCH") => {
            sobjects::upsert(org, req, ty, ext, value)
        }
        (Resource::ExternalRecord(ty, ext, value), _) => {
            sobjects::delete_by_external_id(org, ty, ext, value)
        }
        (Resource::Query, _) => query::first_batch(org, req),
        (Resource::QueryMore(cursor), _) => query::next_batch(org, req, cursor),
        (Resource::Composite, _) => composite::composite(org, req),
        (Resource::Graph, _) => composite::graph(org, req),
        (Resource::Collections, "POST") => collections::create(org, req),
        (Resource::Collections, "PATCH") => collections::update(org, req),
        (Resource::Collections, _) => collections::delete(org, req),
        (Resource::CollectionsOf(ty), _) => collections::retrieve(org, req, ty),
        (Resource::CollectionsUpsert(ty, ext), _) => collections::upsert(org, req, ty, ext),
        (Resource::ApexActions, _) => Ok(actions::list()),
        (Resource::ApexAction(name), _) if get => actions::describe(name),
        (Resource::ApexAction(name), _) => actions::invoke(org, req, name),
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
