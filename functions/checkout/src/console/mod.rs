//! The operators' sync console: a web page served beside the admin API, with the orders,
//! customers and abandoned carts by sync state, "Sync with Salesforce" on a selection, the
//! process exceptions with "Resolve", the jobs' last runs with "Run now", and the sync
//! settings.
//!
//! In AWS the API sits behind a JWT authorizer that reads the token from the `Authorization`
//! header only, so a page a browser navigates to cannot carry it. The console is therefore
//! opened from `/admin/sign-in`, a page with no data (and no authorizer): the operator pastes
//! their token, which the script keeps in the tab's `sessionStorage` and sends as a bearer
//! token when it loads `/admin` and its fragments and calls the admin API, putting the
//! server-rendered markup in place. Every route with data is for the admin group only (401
//! without an identity, 403 outside the group), answered as a page to a browser that asks
//! for HTML and as a problem otherwise.

pub mod exceptions;
pub mod grid;
pub mod html;
pub mod jobs;
pub mod settings_form;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use storesync_core::admin::{ExceptionListing, Listing, MAX_PAGE_SIZE};
use storesync_core::listing::bound;
use storesync_core::ports::PageRequest;
use storesync_core::sync::status::SyncState;
use storesync_web::ApiError;
use storesync_web::identity::AdminIdentity;

use self::exceptions::ExceptionsPage;
use self::grid::{GridPage, Kind};
use self::html::{Html, fill};
use crate::admin::Admin;

const CONSOLE_PAGE: &str = include_str!("../../assets/console.html");
const SIGN_IN_PAGE: &str = include_str!("../../assets/sign-in.html");
const REFUSED_PAGE: &str = include_str!("../../assets/refused.html");
const SCRIPT: &str = include_str!("../../assets/console.js");
const STYLESHEET: &str = include_str!("../../assets/console.css");

/// Where an operator opens the console.
pub const SIGN_IN_PATH: &str = "/admin/sign-in";

/// Scripts, styles and calls from this origin only; no inline script or style, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

type Shared = State<Arc<Admin>>;
type PageResult = Result<Response, ApiError>;

/// The console's routes: the sign-in page and the script and stylesheet for anyone (they hold
/// no data), the rest for the admin group only.
pub fn routes(admin: Arc<Admin>) -> Router {
    let operators = Router::new()
        .route("/admin", get(console))
        .route("/admin/grid", get(grid_fragment))
        .route("/admin/grid/changes", get(changes_fragment))
        .route("/admin/settings", get(settings_fragment))
        .route("/admin/jobs", get(jobs_fragment))
        .route("/admin/exceptions", get(exceptions_fragment))
        .route_layer(axum::middleware::from_extractor::<Operator>())
        .with_state(admin);
    Router::new()
        .route(SIGN_IN_PATH, get(sign_in))
        .route("/admin/console.js", get(script))
        .route("/admin/console.css", get(stylesheet))
        .merge(operators)
        .layer(axum::middleware::map_response(protect))
}

/// Headers on every console answer, refusals included: the policy above, no framing, no
/// sniffing, no referrer to the Salesforce links, and nothing stored unless a route says so.
async fn protect(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
    ] {
        headers.insert(name, value);
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

fn page(status: StatusCode, body: Html) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        body.into_string(),
    )
        .into_response()
}

/// A file of the console's own, the same for everyone: cached, and checked again after.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

async fn sign_in() -> Response {
    asset("text/html; charset=utf-8", SIGN_IN_PAGE)
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", STYLESHEET)
}

// --- who may look ---

/// An operator, as the admin API has them ([`AdminIdentity`]); a refusal is a page for a
/// browser asking for HTML.
struct Operator(AdminIdentity);

struct Refused {
    error: ApiError,
    as_page: bool,
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/html"))
}

impl<S: Send + Sync> FromRequestParts<S> for Operator {
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        AdminIdentity::from_request_parts(parts, state)
            .await
            .map(Operator)
            .map_err(|error| Refused {
                as_page: accepts_html(&parts.headers),
                error,
            })
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        if !self.as_page {
            return self.error.into_response();
        }
        let (status, title, detail) = match self.error {
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Not an operator",
                "This identity is not in the store's admin group. Sign in with an operator's token.",
            ),
            _ => (
                StatusCode::UNAUTHORIZED,
                "Sign in first",
                "The sync console needs an operator's token.",
            ),
        };
        let body = fill(
            REFUSED_PAGE,
            &[
                ("title", &Html::text(title)),
                ("detail", &Html::text(detail)),
                ("sign_in", &Html::text(SIGN_IN_PATH)),
            ],
        );
        page(status, body)
    }
}

// --- the console ---

/// The whole console: the grid of orders whose sync failed, the job runs, the settings.
async fn console(State(admin): Shared, Operator(operator): Operator) -> PageResult {
    let listing = listing(Kind::Orders, Some("failed"), None, None)?;
    let grid = grid_page(&admin, Kind::Orders, &listing, None).await?;
    let jobs = jobs::panel(&admin.sync().job_runs(jobs::RUNS_SHOWN).await?);
    let settings = settings_form::settings_form(&admin.sync().settings().await?);
    let body = fill(
        CONSOLE_PAGE,
        &[
            ("operator", &Html::text(&operator.subject)),
            ("grid", &grid),
            ("jobs", &jobs),
            ("settings", &settings),
        ],
    );
    Ok(page(StatusCode::OK, body))
}

/// The grid's query: `kind` (orders, customers or carts; orders when left out), `state`
/// (failed when left out), `limit` and `after` as the admin API's lists take them.
#[derive(Debug, Deserialize)]
struct GridQuery {
    kind: Option<String>,
    state: Option<String>,
    limit: Option<String>,
    after: Option<String>,
}

fn query<T: serde::de::DeserializeOwned>(uri: &Uri) -> Result<T, ApiError> {
    Query::<T>::try_from_uri(uri)
        .map(|Query(q)| q)
        .map_err(|rejection| ApiError::InvalidParameter {
            name: "query".into(),
            message: rejection.body_text(),
        })
}

fn kind(raw: Option<&str>) -> Result<Kind, ApiError> {
    Kind::parse(raw).ok_or_else(|| ApiError::InvalidParameter {
        name: "kind".into(),
        message: "must be orders, customers or carts".into(),
    })
}

fn invalid_parameter(v: storesync_core::ids::InvalidValue) -> ApiError {
    ApiError::InvalidParameter {
        name: v.field,
        message: v.message,
    }
}

/// The page of `kind` the operator asked for, its cursor read as that kind's.
fn listing(
    kind: Kind,
    state: Option<&str>,
    limit: Option<&str>,
    after: Option<&str>,
) -> Result<Listing, ApiError> {
    let parse = match kind {
        Kind::Orders => Listing::orders,
        Kind::Customers => Listing::customers,
        Kind::Carts => Listing::carts,
    };
    parse(state, limit, after).map_err(invalid_parameter)
}

/// One page of `kind` in `listing.state`, a row each, and the cursor of the page after.
async fn rows(
    admin: &Admin,
    kind: Kind,
    listing: &Listing,
) -> Result<(Vec<Html>, Option<String>), ApiError> {
    let (sync, salesforce) = (admin.sync(), admin.salesforce());
    Ok(match kind {
        Kind::Orders => {
            let page = sync.orders(listing).await?;
            let rows = page.items.iter().map(|o| grid::order_row(o, salesforce));
            (rows.collect(), page.next)
        }
        Kind::Customers => {
            let page = sync.customers(listing).await?;
            let rows = page.items.iter().map(|c| grid::customer_row(c, salesforce));
            (rows.collect(), page.next)
        }
        Kind::Carts => {
            let page = sync.carts(listing).await?;
            let rows = page.items.iter().map(|c| grid::cart_row(c, salesforce));
            (rows.collect(), page.next)
        }
    })
}

async fn grid_page(
    admin: &Admin,
    kind: Kind,
    listing: &Listing,
    after: Option<&str>,
) -> Result<Html, ApiError> {
    let (rows, next) = rows(admin, kind, listing).await?;
    Ok(grid::grid(&GridPage {
        kind,
        state: listing.state,
        after,
        rows,
        next: next.as_deref(),
    }))
}

async fn grid_fragment(State(admin): Shared, uri: Uri) -> PageResult {
    let q: GridQuery = query(&uri)?;
    let kind = kind(q.kind.as_deref())?;
    let after = q.after.as_deref();
    let state = Some(q.state.as_deref().unwrap_or("failed"));
    let listing = listing(kind, state, q.limit.as_deref(), after)?;
    Ok(page(
        StatusCode::OK,
        grid_page(&admin, kind, &listing, after).await?,
    ))
}

#[derive(Debug, Deserialize)]
struct ChangesQuery {
    kind: Option<String>,
    since: Option<String>,
}

/// The rows of the orders, customers or carts whose sync changed at or after `since`, in
/// every state: after "Sync with Salesforce" the console puts them in place of the rows it
/// shows, so a row turns green where it stands instead of leaving the list it was found in.
async fn changes_fragment(State(admin): Shared, uri: Uri) -> PageResult {
    let q: ChangesQuery = query(&uri)?;
    let kind = kind(q.kind.as_deref())?;
    let since = q
        .since
        .as_deref()
        .and_then(|raw| DateTime::parse_from_rfc3339(raw).ok())
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| ApiError::InvalidParameter {
            name: "since".into(),
            message: "must be an RFC 3339 time, e.g. 2026-12-01T10:00:00Z".into(),
        })?;
    let mut changed = Vec::new();
    for state in [SyncState::Synced, SyncState::Failed, SyncState::Pending] {
        let listing = Listing {
            state,
            page: PageRequest {
                limit: MAX_PAGE_SIZE,
                after: Some(bound(since)),
            },
        };
        changed.extend(rows(&admin, kind, &listing).await?.0);
    }
    Ok(page(StatusCode::OK, grid::changes(&changed)))
}

/// The last job runs, for the console to show again after "Run now".
async fn jobs_fragment(State(admin): Shared) -> PageResult {
    let runs = admin.sync().job_runs(jobs::RUNS_SHOWN).await?;
    Ok(page(StatusCode::OK, jobs::runs(&runs)))
}

/// The exceptions tab's query: `status` (open when left out), `limit` and `after` as the admin
/// API's list of exceptions takes them.
#[derive(Debug, Deserialize)]
struct ExceptionsQuery {
    status: Option<String>,
    limit: Option<String>,
    after: Option<String>,
}

/// One page of the process exceptions in a status, oldest raised first.
async fn exceptions_fragment(State(admin): Shared, uri: Uri) -> PageResult {
    let q: ExceptionsQuery = query(&uri)?;
    let after = q.after.as_deref();
    let listing = ExceptionListing::parse(q.status.as_deref(), q.limit.as_deref(), after)
        .map_err(invalid_parameter)?;
    let found = admin.sync().exceptions(&listing).await?;
    Ok(page(
        StatusCode::OK,
        exceptions::list(&ExceptionsPage {
            status: listing.status,
            after,
            items: &found.items,
            next: found.next.as_deref(),
        }),
    ))
}

async fn settings_fragment(State(admin): Shared) -> PageResult {
    let settings = admin.sync().settings().await?;
    Ok(page(
        StatusCode::OK,
        settings_form::settings_form(&settings),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slot_of_the_pages_is_filled() {
        let x = Html::text("x");
        for (template, slots) in [
            (
                CONSOLE_PAGE,
                ["operator", "grid", "jobs", "settings"].as_slice(),
            ),
            (REFUSED_PAGE, ["title", "detail", "sign_in"].as_slice()),
        ] {
            let slots: Vec<(&str, &Html)> = slots.iter().map(|s| (*s, &x)).collect();
            assert!(!fill(template, &slots).as_str().contains("{{"));
        }
        assert!(!SIGN_IN_PAGE.contains("{{"), "the sign-in page is static");
    }

    /// An attribute such as ` onclick=`: a space, `on`, letters, `=`.
    fn has_event_handler(markup: &str) -> bool {
        markup.match_indices(" on").any(|(at, _)| {
            let rest = &markup[at + 3..];
            let name = rest.len()
                - rest
                    .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                    .len();
            name > 0 && rest[name..].starts_with('=')
        })
    }

    #[test]
    fn an_inline_handler_is_told_from_text() {
        assert!(has_event_handler(r#"<img src=x onerror="alert(1)">"#));
        assert!(!has_event_handler("<p>stays on one line, online</p>"));
    }

    #[test]
    fn the_pages_load_script_and_style_from_the_console_only() {
        for template in [CONSOLE_PAGE, SIGN_IN_PAGE, REFUSED_PAGE] {
            assert!(!template.contains("<script>"), "no inline script");
            assert!(!template.contains("style="), "no inline style");
            assert!(!has_event_handler(template), "no inline handlers");
        }
        assert!(CONSOLE_PAGE.contains(r#"<script src="/admin/console.js" defer></script>"#));
        assert!(SIGN_IN_PAGE.contains(r#"<script src="/admin/console.js" defer></script>"#));
    }
}
