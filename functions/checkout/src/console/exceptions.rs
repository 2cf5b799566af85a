//! The process exceptions tab: the open exceptions, oldest raised first, each with a "Resolve"
//! form whose note the console's script sends to `POST /v1/admin/exceptions/{id}/resolve`
//! before it reads the list again; or the resolved ones, with who resolved each, how and when.

use chrono::{DateTime, Utc};
use storesync_core::exceptions::{ExceptionStatus, ProcessException, Severity};

use super::html::{Html, escape, markup};
use crate::admin::RESOLUTION_MAX;

/// One page of the exceptions in one status, ready to render.
pub struct ExceptionsPage<'a> {
    pub status: ExceptionStatus,
    /// The cursor this page was read after (none: the first page).
    pub after: Option<&'a str>,
    pub items: &'a [ProcessException],
    pub next: Option<&'a str>,
}

/// The list: its table, or a line saying there is nothing in this status, and its pager.
pub fn list(page: &ExceptionsPage<'_>) -> Html {
    let status = page.status.as_str();
    let mut out = Html::default();
    markup!(
        out,
        r#"<div id="exceptions" data-status="{status}" data-after="{}">"#,
        escape(page.after.unwrap_or(""))
    );
    if page.items.is_empty() {
        markup!(
            out,
            r#"<p class="empty">No {status} process exceptions.</p>"#
        );
    } else {
        markup!(
            out,
            r#"<table class="grid"><caption>{} process exceptions, oldest first: {} on this page</caption><thead><tr><th>Raised</th><th>Category</th><th>Severity</th><th>Order</th><th>Message</th>{}</tr></thead><tbody>"#,
            match page.status {
                ExceptionStatus::Open => "Open",
                ExceptionStatus::Resolved => "Resolved",
            },
            page.items.len(),
            match page.status {
                ExceptionStatus::Open => r#"<th>Resolve</th>"#,
                ExceptionStatus::Resolved => {
                    "<th>Resolved by</th><th>Resolution</th><th>Resolved</th>"
                }
            }
        );
        for exception in page.items {
            out.append(&row(exception));
        }
        markup!(out, "</tbody></table>");
    }
    markup!(out, r#"<nav class="pager" aria-label="Pages">"#);
    if page.after.is_some() {
        markup!(
            out,
            r#"<button type="button" data-action="exceptions-page" data-after="">First page</button>"#
        );
    }
    if let Some(next) = page.next {
        markup!(
            out,
            r#"<button type="button" data-action="exceptions-page" data-after="{}">Next page</button>"#,
            escape(next)
        );
    }
    markup!(out, "</nav></div>");
    out
}

/// An exception: what and when, then its "Resolve" form while open, or who resolved it, how
/// and when once resolved.
pub fn row(e: &ProcessException) -> Html {
    let id = escape(&e.id);
    let severity = severity_name(e.severity);
    let mut out = Html::default();
    markup!(
        out,
        r#"<tr data-id="{id}" data-status="{}"><td>{}</td><td class="category" data-category="{}">{}</td><td><span class="severity severity-{severity}">{severity}</span></td><td>{}</td><td class="message">{}</td>"#,
        e.status.as_str(),
        time(e.raised_at).as_str(),
        e.category.as_str(),
        e.category.as_str().replace('_', " "),
        order(e).as_str(),
        escape(&e.message),
    );
    match e.status {
        ExceptionStatus::Open => markup!(
            out,
            r#"<td><form class="resolve" data-id="{id}"><input type="text" name="resolution" maxlength="{RESOLUTION_MAX}" required placeholder="How it was resolved" aria-label="How exception {id} was resolved"> <button type="submit">Resolve</button></form></td>"#
        ),
        ExceptionStatus::Resolved => markup!(
            out,
            r#"<td class="resolved-by">{}</td><td class="resolution">{}</td><td>{}</td>"#,
            escape(e.resolved_by.as_deref().unwrap_or("")),
            escape(e.resolution.as_deref().unwrap_or("")),
            e.resolved_at.map(time).unwrap_or_default().as_str(),
        ),
    }
    markup!(out, "</tr>");
    out
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
    }
}

fn order(e: &ProcessException) -> Html {
    let mut out = Html::default();
    match &e.order_id {
        Some(id) => markup!(out, r#"<code class="order">{}</code>"#, escape(id.as_str())),
        None => markup!(out, r#"<span class="none">none</span>"#),
    }
    out
}

fn time(at: DateTime<Utc>) -> Html {
    let mut out = Html::default();
    markup!(
        out,
        r#"<time datetime="{}">{}</time>"#,
        at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        at.format("%Y-%m-%d %H:%M UTC")
    );
    out
}

#[cfg(test)]
mod tests {
    use storesync_core::exceptions::ExceptionCategory;
    use storesync_core::ids::OrderId;

    use super::*;

    fn raised(category: ExceptionCategory, message: &str) -> ProcessException {
        ProcessException::raise(
            category,
            Some(OrderId::parse("ord_9f1c2b7a4e6d4c0b8a3e5f1d2c7b9a01").unwrap()),
            "cause",
            message,
            Utc::now(),
        )
    }

    fn open(items: &[ProcessException]) -> Html {
        list(&ExceptionsPage {
            status: ExceptionStatus::Open,
            after: None,
            items,
            next: None,
        })
    }

    #[test]
    fn a_message_with_markup_is_shown_as_text() {
        let e = raised(
            ExceptionCategory::PaymentUnmatched,
            r#"no order for <script>alert("x")</script>"#,
        );
        let page = open(std::slice::from_ref(&e));
        let page = page.as_str();
        assert!(
            page.contains(
                r#"<td class="message">no order for &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td>"#
            ),
            "{page}"
        );
        assert!(!page.contains("<script>"), "{page}");
    }

    #[test]
    fn an_open_exception_is_told_in_full_with_a_resolve_form_and_high_severity_in_red() {
        let e = raised(ExceptionCategory::CaptureFailed, "card declined");
        let page = open(std::slice::from_ref(&e));
        let page = page.as_str();
        assert!(
            page.contains(&format!(r#"<tr data-id="{}" data-status="open">"#, e.id)),
            "{page}"
        );
        assert!(page.contains(
            r#"<td class="category" data-category="capture_failed">capture failed</td>"#
        ));
        assert!(page.contains(r#"<span class="severity severity-high">high</span>"#));
        assert!(
            page.contains(r#"<code class="order">ord_9f1c2b7a4e6d4c0b8a3e5f1d2c7b9a01</code>"#)
        );
        assert!(page.contains(r#"<td class="message">card declined</td>"#));
        assert!(
            page.contains(&format!(
                r#"<form class="resolve" data-id="{}"><input type="text" name="resolution" maxlength="500" required"#,
                e.id
            )),
            "{page}"
        );
        assert!(page.contains("<th>Resolve</th>"));
        assert!(!page.contains("resolved-by"));
    }

    #[test]
    fn a_resolved_exception_tells_who_resolved_it_how_and_when_and_has_no_form() {
        let mut e = raised(ExceptionCategory::AllocationImpossible, "no stock");
        e.order_id = None;
        let at = DateTime::parse_from_rfc3339("2026-12-01T10:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(e.resolve("<ops-1>", "moved stock & retried", at));
        let page = list(&ExceptionsPage {
            status: ExceptionStatus::Resolved,
            after: None,
            items: std::slice::from_ref(&e),
            next: None,
        });
        let page = page.as_str();
        assert!(page.contains(r#"data-status="resolved""#), "{page}");
        assert!(page.contains(r#"<span class="severity severity-medium">medium</span>"#));
        assert!(
            page.contains(r#"<span class="none">none</span>"#),
            "no order"
        );
        assert!(page.contains(r#"<td class="resolved-by">&lt;ops-1&gt;</td>"#));
        assert!(page.contains(r#"<td class="resolution">moved stock &amp; retried</td>"#));
        assert!(page.contains(
            r#"<time datetime="2026-12-01T10:30:00.000Z">2026-12-01 10:30 UTC</time></td></tr>"#
        ));
        assert!(!page.contains("<form"), "{page}");
    }

    #[test]
    fn an_empty_list_says_so_and_the_pager_offers_the_next_and_first_pages() {
        let first = list(&ExceptionsPage {
            status: ExceptionStatus::Resolved,
            after: None,
            items: &[],
            next: Some("2026-12-01T10:00:00.000000000Z~exc_1"),
        });
        assert!(first.as_str().contains("No resolved process exceptions."));
        assert!(first.as_str().contains(
            r#"data-action="exceptions-page" data-after="2026-12-01T10:00:00.000000000Z~exc_1">Next page"#
        ));
        assert!(!first.as_str().contains("First page"));
        let later = list(&ExceptionsPage {
            status: ExceptionStatus::Open,
            after: Some("x\"y"),
            items: &[],
            next: None,
        });
        assert!(later.as_str().contains(r#"data-after="x&quot;y""#));
        assert!(later.as_str().contains("First page"));
        assert!(!later.as_str().contains("Next page"));
    }
}
