//! `GET /dev/mailbox`: the local stack's mailbox (customers' mails and the managers' report),
//! newest first, as an HTML page or, with `Accept: application/json`, as JSON. The local stack
//! only: the Lambda functions and `openapi.yaml` have no such route.

use std::fmt::Write;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use storesync_core::notifications::templates::escape_html;
use storesync_core::ports::{Mail, Mailbox};

/// Mails shown.
const SHOWN: usize = 200;

pub fn routes(mailbox: Arc<dyn Mailbox>) -> Router {
    Router::new()
        .route("/dev/mailbox", get(show))
        .with_state(mailbox)
}

async fn show(State(mailbox): State<Arc<dyn Mailbox>>, headers: HeaderMap) -> Response {
    let mails = match mailbox.mails(SHOWN).await {
        Ok(mails) => mails,
        Err(error) => {
            tracing::error!(%error, "the mailbox could not be read");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        axum::Json(json!({ "mails": mails })).into_response()
    } else {
        Html(page(&mails)).into_response()
    }
}

fn page(mails: &[Mail]) -> String {
    let mut html = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Local mailbox</title>\
         <style>body{font-family:sans-serif;margin:2em}article{border-top:1px solid #ccc;padding:1em 0}\
         pre{white-space:pre-wrap}</style></head><body><h1>Local mailbox</h1>",
    );
    if mails.is_empty() {
        html.push_str("<p>No mail yet.</p>");
    }
    for mail in mails {
        let to: Vec<&str> = mail.to.iter().map(|t| t.as_str()).collect();
        let _ = write!(
            html,
            "<article id=\"{id}\"><h2>{subject}</h2><p>To {to}, {sent}</p><pre>{text}</pre></article>",
            id = escape_html(&mail.id),
            subject = escape_html(&mail.subject),
            to = escape_html(&to.join(", ")),
            sent = mail.sent_at.to_rfc3339(),
            text = escape_html(&mail.text),
        );
    }
    html.push_str("</body></html>");
    html
}
