//! `GET /lightning/r/{Object}/{Id}/view`: the record page people open from a link (the admin
//! API links synced records there). A real org shows it after a browser login; the emulator
//! shows the record's fields as a plain page, and a "not found" page as Lightning does for an
//! id of another object or none.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::org::Org;

/// The page for `rest` (`{Object}/{Id}/view`), if the path is a record page's.
pub(super) fn page(org: &Org, rest: &str) -> Option<Response> {
    let mut parts = rest.split('/');
    let (object, id, view) = (parts.next()?, parts.next()?, parts.next()?);
    if view != "view" || parts.next().is_some() {
        return None;
    }
    let record = org.get(object, id, None, "v62.0").ok();
    let (status, body) = match record.as_ref().and_then(Value::as_object) {
        Some(record) => {
            let rows: String = record
                .iter()
                .filter(|(name, _)| name.as_str() != "attributes")
                .map(|(name, value)| {
                    let shown = match value {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    format!(
                        "<tr><th>{}</th><td>{}</td></tr>",
                        escape(name),
                        escape(&shown)
                    )
                })
                .collect();
            (
                StatusCode::OK,
                format!(
                    "<h1>{} {}</h1><table>{rows}</table>",
                    escape(object),
                    escape(id)
                ),
            )
        }
        None => (
            StatusCode::NOT_FOUND,
            "<h1>Page not available</h1><p>The record you're trying to open doesn't exist.</p>"
                .to_owned(),
        ),
    };
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head><body>{body}</body></html>",
        escape(object)
    );
    Some(
        (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
