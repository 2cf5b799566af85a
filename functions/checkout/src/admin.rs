//! The operators' admin API: where each order and customer stands in Salesforce, listed by
//! sync state, and the sync settings, read and changed at run time. Every route is for the
//! admin group, checked once for all of them in [`routes`].

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use storesync_core::admin::{
    ApprovalListing, ExceptionListing, Listing, MAX_JOB_RUNS, MAX_SALES_CYCLE_DAYS,
    NotificationListing, SalesforceInstance, SyncAdmin,
};
use storesync_core::after_sales::AfterSales;
use storesync_core::approvals::desk::ApprovalDesk;
use storesync_core::approvals::{ApprovalRequest, Decision, DecisionSource};
use storesync_core::fulfilment::FulfilmentOrder;
use storesync_core::ids::{CartId, CrmId, CustomerId, CustomerKey, EventId, InvalidValue, OrderId};
use storesync_core::jobs::{Job, JobRun};
use storesync_core::money::{Currency, Money};
use storesync_core::notifications::{Notification, NotificationStatus, Template};
use storesync_core::order::OrderStatus;
use storesync_core::ports::Page;
use storesync_core::ports::{CrmInboundStore, FulfilmentStore};
use storesync_core::sync::settings::{
    MAX_FOLLOW_UP_DAYS, OpportunityPolicy, SalesforceOrderPolicy, SyncSettings,
};
use storesync_core::sync::status::{
    CartSync, CrmObject, CustomerSync, ObjectSync, OrderSync, SyncState,
};
use storesync_web::identity::{AdminIdentity, ManagerIdentity};
use storesync_web::json::{WholeNumber, whole_number};
use storesync_web::{ApiError, StrictJson};

use crate::dto::{Errors, text};

/// What the admin routes answer from.
pub struct Admin {
    sync: SyncAdmin,
    /// Where links to Salesforce records open; without it, no links.
    salesforce: Option<SalesforceInstance>,
    /// Returns received, items cancelled.
    after_sales: Option<AfterSales>,
    /// An order's fulfilment orders and parcels.
    fulfilment: Option<Arc<dyn FulfilmentStore>>,
    /// Discounts and refunds waiting for a manager.
    approvals: Option<ApprovalDesk>,
    /// Customers' change histories.
    customers: Option<Arc<dyn CrmInboundStore>>,
}

impl Admin {
    pub fn new(sync: SyncAdmin, salesforce: Option<SalesforceInstance>) -> Self {
        Admin {
            sync,
            salesforce,
            after_sales: None,
            fulfilment: None,
            approvals: None,
            customers: None,
        }
    }

    /// Shows customers' change histories.
    pub fn with_customers(mut self, customers: Arc<dyn CrmInboundStore>) -> Self {
        self.customers = Some(customers);
        self
    }

    /// Lets managers decide approval requests.
    pub fn with_approvals(mut self, approvals: ApprovalDesk) -> Self {
        self.approvals = Some(approvals);
        self
    }

    fn approval_desk(&self) -> Result<&ApprovalDesk, ApiError> {
        Ok(self
            .approvals
            .as_ref()
            .ok_or(storesync_core::AppError::NotFound {
                what: "approval request",
            })?)
    }

    /// Lets operators receive returns.
    pub fn with_after_sales(mut self, after_sales: AfterSales) -> Self {
        self.after_sales = Some(after_sales);
        self
    }

    /// Shows orders' fulfilment orders and parcels.
    pub fn with_fulfilment(mut self, fulfilment: Arc<dyn FulfilmentStore>) -> Self {
        self.fulfilment = Some(fulfilment);
        self
    }

    /// The use case, for the console that shows the same lists and settings.
    pub(crate) fn sync(&self) -> &SyncAdmin {
        &self.sync
    }

    /// Where records' links open, if the org's address is known.
    pub(crate) fn salesforce(&self) -> Option<&SalesforceInstance> {
        self.salesforce.as_ref()
    }
}

type Shared = State<Arc<Admin>>;
type ApiResult = Result<Response, ApiError>;

/// The admin routes. Each answers 401 to a caller without a verified identity and 403 to one
/// outside the admin group before it reads anything.
pub fn routes(admin: Arc<Admin>) -> Router {
    Router::new()
        .route("/v1/admin/sync/orders", get(orders))
        .route("/v1/admin/sync/customers", get(customers))
        .route("/v1/admin/sync/carts", get(carts))
        .route("/v1/admin/sync/settings", get(settings).put(save_settings))
        .route("/v1/admin/sync/requests", post(request_sync))
        .route("/v1/admin/orders/{order_id}/fulfilment", get(fulfilment))
        .route(
            "/v1/admin/orders/{order_id}/returns/{return_id}/receive",
            post(receive_return),
        )
        .route("/v1/admin/approvals", get(approvals))
        .route("/v1/admin/approvals/{id}", get(approval))
        .route("/v1/admin/approvals/{id}/decision", post(decide_approval))
        .route(
            "/v1/admin/customers/{customer_id}/history",
            get(customer_history),
        )
        .route("/v1/admin/exceptions", get(exceptions))
        .route("/v1/admin/notifications", get(notifications))
        .route("/v1/admin/exceptions/{id}/resolve", post(resolve_exception))
        .route("/v1/admin/jobs/runs", get(job_runs))
        .route("/v1/admin/jobs/{job}", post(run_job))
        .route_layer(axum::middleware::from_extractor::<AdminIdentity>())
        .with_state(admin)
}

fn ok<T: Serialize>(body: T) -> Response {
    (StatusCode::OK, axum::Json(body)).into_response()
}

// --- lists by sync state ---

/// A list's query: `state` (or `status`), `limit` and `after`, each at most once; other
/// parameters are ignored.
#[derive(Debug, Default)]
struct ListParams {
    state: Option<String>,
    status: Option<String>,
    limit: Option<String>,
    after: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for ListParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Query(pairs) =
            Query::<Vec<(String, String)>>::try_from_uri(&parts.uri).map_err(|rejection| {
                ApiError::InvalidParameter {
                    name: "query".into(),
                    message: rejection.body_text(),
                }
            })?;
        let mut params = ListParams::default();
        for (name, value) in pairs {
            let slot = match name.as_str() {
                "state" => &mut params.state,
                "status" => &mut params.status,
                "limit" => &mut params.limit,
                "after" => &mut params.after,
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(ApiError::InvalidParameter {
                    name,
                    message: "must be given at most once".into(),
                });
            }
        }
        Ok(params)
    }
}

/// The query said something the list does not take: 400, naming the parameter.
fn invalid_parameter(v: InvalidValue) -> ApiError {
    ApiError::InvalidParameter {
        name: v.field,
        message: v.message,
    }
}

#[derive(Debug, Serialize)]
struct PageView<T> {
    items: Vec<T>,
    /// The `after` of the next page; `null` on the last.
    next: Option<String>,
}

/// One Salesforce record of an order or a customer.
#[derive(Debug, Serialize)]
struct RecordView {
    object: CrmObject,
    id: Option<CrmId>,
    state: SyncState,
    attempts: u32,
    last_error: Option<String>,
    last_synced_at: Option<DateTime<Utc>>,
    /// Opens the record in Salesforce, once its id and the org's address are known.
    link: Option<String>,
}

#[derive(Debug, Serialize)]
struct OrderSyncView {
    order_id: OrderId,
    number: String,
    customer_key: CustomerKey,
    status: OrderStatus,
    total: Money,
    state: SyncState,
    updated_at: DateTime<Utc>,
    records: Vec<RecordView>,
}

#[derive(Debug, Serialize)]
struct CustomerSyncView {
    customer_key: CustomerKey,
    has_orders: bool,
    state: SyncState,
    updated_at: DateTime<Utc>,
    records: Vec<RecordView>,
}

#[derive(Debug, Serialize)]
struct CartSyncView {
    cart_id: CartId,
    customer_key: CustomerKey,
    /// The goods after the discount, as last sent.
    total: Money,
    state: SyncState,
    updated_at: DateTime<Utc>,
    records: Vec<RecordView>,
}

impl Admin {
    fn records(&self, objects: BTreeMap<CrmObject, ObjectSync>) -> Vec<RecordView> {
        objects
            .into_iter()
            .map(|(object, record)| RecordView {
                link: self
                    .salesforce
                    .as_ref()
                    .zip(record.id.as_ref())
                    .map(|(instance, id)| instance.record_link(object, id)),
                object,
                id: record.id,
                state: record.state,
                attempts: record.attempts,
                last_error: record.last_error,
                last_synced_at: record.last_synced_at,
            })
            .collect()
    }

    fn order(&self, o: OrderSync) -> OrderSyncView {
        OrderSyncView {
            state: o.state(),
            order_id: o.order_id,
            number: o.number,
            customer_key: o.customer_key,
            status: o.status,
            total: o.total,
            updated_at: o.updated_at,
            records: self.records(o.objects),
        }
    }

    fn cart(&self, c: CartSync) -> CartSyncView {
        CartSyncView {
            state: c.state(),
            cart_id: c.cart_id,
            customer_key: c.customer_key,
            total: c.total,
            updated_at: c.updated_at,
            records: self.records(c.objects),
        }
    }

    fn customer(&self, c: CustomerSync) -> CustomerSyncView {
        CustomerSyncView {
            state: c.state(),
            customer_key: c.customer_key,
            has_orders: c.has_orders,
            updated_at: c.updated_at,
            records: self.records(c.objects),
        }
    }
}

fn page_view<T, V>(page: Page<T>, view: impl Fn(T) -> V) -> PageView<V> {
    PageView {
        items: page.items.into_iter().map(view).collect(),
        next: page.next,
    }
}

async fn orders(State(admin): Shared, params: ListParams) -> ApiResult {
    let listing = Listing::orders(
        params.state.as_deref(),
        params.limit.as_deref(),
        params.after.as_deref(),
    )
    .map_err(invalid_parameter)?;
    let page = admin.sync.orders(&listing).await?;
    Ok(ok(page_view(page, |o| admin.order(o))))
}

async fn customers(State(admin): Shared, params: ListParams) -> ApiResult {
    let listing = Listing::customers(
        params.state.as_deref(),
        params.limit.as_deref(),
        params.after.as_deref(),
    )
    .map_err(invalid_parameter)?;
    let page = admin.sync.customers(&listing).await?;
    Ok(ok(page_view(page, |c| admin.customer(c))))
}

async fn carts(State(admin): Shared, params: ListParams) -> ApiResult {
    let listing = Listing::carts(
        params.state.as_deref(),
        params.limit.as_deref(),
        params.after.as_deref(),
    )
    .map_err(invalid_parameter)?;
    let page = admin.sync.carts(&listing).await?;
    Ok(ok(page_view(page, |c| admin.cart(c))))
}

// --- settings ---

async fn settings(State(admin): Shared) -> ApiResult {
    Ok(ok(admin.sync.settings().await?))
}

async fn save_settings(
    State(admin): Shared,
    operator: AdminIdentity,
    StrictJson(body): StrictJson<SettingsBody>,
) -> ApiResult {
    let saved = admin.sync.save_settings(body.try_into()?).await?;
    tracing::info!(
        operator = %operator.subject,
        version = saved.version,
        "sync settings saved"
    );
    Ok(ok(saved))
}

// --- sync now ---

/// Most orders, and most customers, one "sync now" names.
const SYNC_REQUEST_MAX: usize = 100;

/// A selection to sync now.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncRequestBody {
    #[serde(default)]
    orders: Vec<String>,
    #[serde(default)]
    customers: Vec<String>,
    #[serde(default)]
    carts: Vec<String>,
}

#[derive(Debug, Serialize)]
struct SyncRequestView {
    request_id: String,
    orders: usize,
    customers: usize,
    carts: usize,
    requested_at: DateTime<Utc>,
}

/// 202: the selection is on its way to Salesforce; the lists show each record's outcome.
async fn request_sync(
    State(admin): Shared,
    operator: AdminIdentity,
    StrictJson(body): StrictJson<SyncRequestBody>,
) -> ApiResult {
    let mut e = Errors::default();
    if body.orders.is_empty() && body.customers.is_empty() && body.carts.is_empty() {
        e.check::<()>(
            "",
            Err(InvalidValue::new(
                "orders",
                "name at least one order, customer or cart",
            )),
        );
    }
    for (field, len) in [
        ("orders", body.orders.len()),
        ("customers", body.customers.len()),
        ("carts", body.carts.len()),
    ] {
        if len > SYNC_REQUEST_MAX {
            e.check::<()>(
                "",
                Err(InvalidValue::new(
                    field,
                    format!("at most {SYNC_REQUEST_MAX}, not {len}"),
                )),
            );
        }
    }
    let orders: Vec<Option<OrderId>> = body
        .orders
        .iter()
        .enumerate()
        .map(|(i, id)| e.check(&format!("orders[{i}]"), OrderId::parse(id)))
        .collect();
    let customers: Vec<Option<CustomerKey>> = body
        .customers
        .iter()
        .enumerate()
        .map(|(i, key)| e.check(&format!("customers[{i}]"), CustomerKey::parse(key)))
        .collect();
    let carts: Vec<Option<CartId>> = body
        .carts
        .iter()
        .enumerate()
        .map(|(i, id)| e.check(&format!("carts[{i}]"), CartId::parse(id)))
        .collect();
    let (orders, customers, carts) = e.finish(|| {
        (
            orders.into_iter().flatten().collect::<Vec<_>>(),
            customers.into_iter().flatten().collect::<Vec<_>>(),
            carts.into_iter().flatten().collect::<Vec<_>>(),
        )
    })?;
    let request = admin
        .sync
        .request_sync(orders, customers, carts, Utc::now())
        .await?;
    tracing::info!(operator = %operator.subject, request_id = %request.request_id, "sync requested");
    let view = SyncRequestView {
        request_id: request.request_id,
        orders: request.orders.len(),
        customers: request.customers.len(),
        carts: request.carts.len(),
        requested_at: request.requested_at,
    };
    Ok((StatusCode::ACCEPTED, axum::Json(view)).into_response())
}

// --- fulfilment and returns ---

fn admin_order_id(raw: &str) -> Result<OrderId, ApiError> {
    OrderId::parse(raw).map_err(|_| storesync_core::AppError::NotFound { what: "order" }.into())
}

#[derive(Debug, Serialize)]
struct FulfilmentView {
    items: Vec<FulfilmentOrder>,
}

/// The order's fulfilment orders, each with its parcels (carrier, tracking number, shipped
/// and delivered times).
async fn fulfilment(State(admin): Shared, Path(raw): Path<String>) -> ApiResult {
    let id = admin_order_id(&raw)?;
    let store = admin
        .fulfilment
        .as_ref()
        .ok_or(storesync_core::AppError::NotFound { what: "order" })?;
    let mut items = store
        .fulfilment_orders(&id)
        .await
        .map_err(storesync_core::AppError::from)?;
    items.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    Ok(ok(FulfilmentView { items }))
}

/// The parcel of a requested return arrived: its units go back on the shelf and a credit
/// memo owes the money back (refunded by the fulfilment job through the gateway).
async fn receive_return(
    State(admin): Shared,
    operator: AdminIdentity,
    Path((raw, return_id)): Path<(String, String)>,
) -> ApiResult {
    let id = admin_order_id(&raw)?;
    let after_sales = admin
        .after_sales
        .as_ref()
        .ok_or(storesync_core::AppError::NotFound { what: "order" })?;
    let order = after_sales.receive_return(&id, &return_id).await?;
    tracing::info!(operator = %operator.subject, order_id = %id, return_id, "return received");
    Ok(ok(crate::dto::OrderView::from(order)))
}

// --- approvals ---

/// Approval requests in `status` (`pending` by default, `approved`, `rejected`), by last
/// change.
async fn approvals(State(admin): Shared, params: ListParams) -> ApiResult {
    if params.state.is_some() {
        return Err(ApiError::InvalidParameter {
            name: "state".into(),
            message: "not a parameter of this list; use status".into(),
        });
    }
    let listing = ApprovalListing::parse(
        params.status.as_deref(),
        params.limit.as_deref(),
        params.after.as_deref(),
    )
    .map_err(invalid_parameter)?;
    let page = admin
        .approval_desk()?
        .approvals(listing.status, &listing.page)
        .await?;
    Ok(ok(page_view(page, |a| a)))
}

async fn approval(State(admin): Shared, Path(id): Path<String>) -> ApiResult {
    let desk = admin.approval_desk()?;
    if !ApprovalRequest::is_id(&id) {
        return Err(storesync_core::AppError::NotFound {
            what: "approval request",
        }
        .into());
    }
    Ok(ok(desk.approval(&id).await?))
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum DecisionChoice {
    Approve,
    Reject,
}

/// A manager's decision on a request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    decision: DecisionChoice,
    #[serde(default)]
    comment: Option<String>,
}

/// The longest comment on a decision, as Salesforce keeps on an approval step.
pub(crate) const DECISION_COMMENT_MAX: usize = 500;

/// A manager approves or rejects a request: 403 for an operator who is not a manager; the
/// same decision again answers the request as it is; the other one is refused (409).
async fn decide_approval(
    State(admin): Shared,
    manager: ManagerIdentity,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<DecisionBody>,
) -> ApiResult {
    let desk = admin.approval_desk()?;
    let mut e = Errors::default();
    let comment = match &body.comment {
        Some(raw) => e.check("", text("comment", raw, DECISION_COMMENT_MAX)),
        None => None,
    };
    e.finish(|| ())?;
    if !ApprovalRequest::is_id(&id) {
        return Err(storesync_core::AppError::NotFound {
            what: "approval request",
        }
        .into());
    }
    let decision = Decision {
        approved: matches!(body.decision, DecisionChoice::Approve),
        by: manager.subject.clone(),
        via: DecisionSource::Store,
        at: Utc::now(),
        comment,
    };
    let decided = desk.decide(&id, decision).await?;
    tracing::info!(manager = %manager.subject, approval_id = %decided.id, status = decided.status.as_str(), "approval request decided");
    Ok(ok(decided))
}

// --- customers ---

/// The most changes a customer's history page shows.
const HISTORY_LIMIT: usize = 100;

/// A customer's profile changes, newest first: who, on which side (the store or Salesforce),
/// when, from what to what. 404 for a customer the store does not have.
async fn customer_history(State(admin): Shared, Path(raw): Path<String>) -> ApiResult {
    let not_found = || storesync_core::AppError::NotFound { what: "customer" };
    let store = admin.customers.as_ref().ok_or_else(not_found)?;
    let id = CustomerId::parse(&raw).map_err(|_| not_found())?;
    store
        .customer(&id)
        .await
        .map_err(storesync_core::AppError::from)?
        .ok_or_else(not_found)?;
    let items = store
        .customer_history(&id, HISTORY_LIMIT)
        .await
        .map_err(storesync_core::AppError::from)?;
    Ok(ok(serde_json::json!({ "items": items })))
}

// --- process exceptions ---

async fn exceptions(State(admin): Shared, params: ListParams) -> ApiResult {
    let listing = ExceptionListing::parse(
        params.status.as_deref(),
        params.limit.as_deref(),
        params.after.as_deref(),
    )
    .map_err(invalid_parameter)?;
    let page = admin.sync.exceptions(&listing).await?;
    Ok(ok(page_view(page, |e| e)))
}

// --- customers' mails ---

/// A customer's mail as operators see it: what and where it stands, never the address or
/// the body.
#[derive(Debug, Serialize)]
struct NotificationView {
    id: String,
    template: Template,
    order_id: OrderId,
    event_id: EventId,
    status: NotificationStatus,
    subject: String,
    attempts: u32,
    last_error: Option<String>,
    next_attempt_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        NotificationView {
            id: n.id,
            template: n.template,
            order_id: n.order_id,
            event_id: n.event_id,
            status: n.status,
            subject: n.message.subject,
            attempts: n.attempts,
            last_error: n.last_error,
            next_attempt_at: n.next_attempt_at,
            created_at: n.created_at,
            updated_at: n.updated_at,
        }
    }
}

/// Customers' mails left `pending` (the default) or parked as `failed`, by last change.
async fn notifications(State(admin): Shared, params: ListParams) -> ApiResult {
    if params.state.is_some() {
        return Err(ApiError::InvalidParameter {
            name: "state".into(),
            message: "not a parameter of this list; use status".into(),
        });
    }
    let listing = NotificationListing::parse(
        params.status.as_deref(),
        params.limit.as_deref(),
        params.after.as_deref(),
    )
    .map_err(invalid_parameter)?;
    let page = admin.sync.notifications(&listing).await?;
    Ok(ok(page_view(page, NotificationView::from)))
}

/// How an operator dealt with an exception.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveBody {
    resolution: String,
}

/// The longest resolution note; the console's form says so too.
pub(crate) const RESOLUTION_MAX: usize = 500;

async fn resolve_exception(
    State(admin): Shared,
    operator: AdminIdentity,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<ResolveBody>,
) -> ApiResult {
    let mut e = Errors::default();
    let resolution = e.check("", text("resolution", &body.resolution, RESOLUTION_MAX));
    let resolution = e.finish(|| resolution.expect("checked"))?;
    let resolved = admin
        .sync
        .resolve_exception(&id, &operator.subject, &resolution, Utc::now())
        .await?;
    tracing::info!(operator = %operator.subject, exception = %resolved.id, "process exception resolved");
    Ok(ok(resolved))
}

// --- jobs ---

#[derive(Debug, Serialize)]
struct JobRunsView {
    items: Vec<JobRun>,
}

/// The jobs' latest runs, newest first: `limit` (1 to 50, default 20).
async fn job_runs(State(admin): Shared, params: ListParams) -> ApiResult {
    if params.state.is_some() || params.after.is_some() {
        return Err(ApiError::InvalidParameter {
            name: if params.state.is_some() {
                "state"
            } else {
                "after"
            }
            .into(),
            message: "the job runs are listed newest first, by limit only".into(),
        });
    }
    let limit = match params.limit.as_deref() {
        None => DEFAULT_JOB_RUNS,
        Some(raw) => raw
            .parse()
            .ok()
            .filter(|n| (1..=MAX_JOB_RUNS).contains(n))
            .ok_or_else(|| ApiError::InvalidParameter {
                name: "limit".into(),
                message: format!("must be a whole number from 1 to {MAX_JOB_RUNS}"),
            })?,
    };
    let items = admin.sync.job_runs(limit).await?;
    Ok(ok(JobRunsView { items }))
}

/// Runs shown when the operator does not say how many.
const DEFAULT_JOB_RUNS: usize = 20;

#[derive(Debug, Serialize)]
struct JobRequestView {
    request_id: String,
    job: Job,
    requested_at: DateTime<Utc>,
}

/// 202: the job runs shortly, as its schedule would; its run shows in the job runs.
async fn run_job(
    State(admin): Shared,
    operator: AdminIdentity,
    Path(raw): Path<String>,
) -> ApiResult {
    let job = Job::parse(&raw).map_err(|_| storesync_core::AppError::NotFound { what: "job" })?;
    let request = admin
        .sync
        .request_job(job, &operator.subject, Utc::now())
        .await?;
    tracing::info!(operator = %operator.subject, %job, request_id = %request.request_id, "job run requested");
    let view = JobRequestView {
        request_id: request.request_id,
        job,
        requested_at: request.requested_at,
    };
    Ok((StatusCode::ACCEPTED, axum::Json(view)).into_response())
}

/// The longest stage, role or lead source name.
const NAME_MAX: usize = 120;

/// The whole settings as an operator sends them back: every field, ids `null` when unset,
/// and the `version` they were read at.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsBody {
    auto_sync_customers: bool,
    auto_sync_orders: bool,
    auto_sync_carts: bool,
    salesforce_order: SalesforceOrderPolicy,
    opportunity: OpportunityPolicy,
    #[serde(deserialize_with = "nullable")]
    opportunity_record_type_id: Option<String>,
    #[serde(deserialize_with = "whole_number")]
    sales_cycle_days: i64,
    contact_roles: bool,
    contact_role: String,
    draft_stage: String,
    /// By order status; read as text so that an unknown status is named.
    stage_mapping: BTreeMap<String, String>,
    convert_on_payment: bool,
    converted_stage: String,
    invoice_date_as_close_date: bool,
    abandoned_cart_stage: String,
    overwrite_account_name: bool,
    #[serde(deserialize_with = "nullable")]
    default_owner_id: Option<String>,
    #[serde(deserialize_with = "nullable")]
    default_lead_owner_id: Option<String>,
    lead_source_web: String,
    lead_source_social: String,
    multi_currency: bool,
    order_management: bool,
    #[serde(deserialize_with = "nullable")]
    standard_pricebook_id: Option<String>,
    /// Minor units by currency code; read as text so that an unknown currency is named.
    follow_up_over: BTreeMap<String, WholeNumber>,
    #[serde(deserialize_with = "whole_number")]
    follow_up_days: i64,
    /// Minor units by currency code, as `follow_up_over`.
    big_cart_over: BTreeMap<String, WholeNumber>,
    big_cart_stage: String,
    #[serde(deserialize_with = "whole_number")]
    version: i64,
}

/// A field that must be sent, though it may be `null` (a plain `Option` may be left out).
fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

/// Names are free text under the storefront's rules; the use case checks the rest.
impl TryFrom<SettingsBody> for SyncSettings {
    type Error = ApiError;

    fn try_from(b: SettingsBody) -> Result<Self, ApiError> {
        let mut e = Errors::default();
        let sales_cycle_days = e.check(
            "",
            u32::try_from(b.sales_cycle_days)
                .ok()
                .filter(|days| *days <= MAX_SALES_CYCLE_DAYS)
                .ok_or_else(|| {
                    InvalidValue::new(
                        "sales_cycle_days",
                        format!("must be a whole number of days from 0 to {MAX_SALES_CYCLE_DAYS}"),
                    )
                }),
        );
        let version = e.check(
            "",
            u64::try_from(b.version).map_err(|_| {
                InvalidValue::new("version", "must be the version the settings were read at")
            }),
        );
        let stage_mapping = b
            .stage_mapping
            .iter()
            .filter_map(|(status, stage)| {
                let field = format!("stage_mapping.{status}");
                let status = e.check("", order_status(&field, status));
                let stage = e.check("", text(&field, stage, NAME_MAX));
                status.zip(stage)
            })
            .collect();
        let follow_up_days = e.check(
            "",
            u32::try_from(b.follow_up_days)
                .ok()
                .filter(|days| *days <= MAX_FOLLOW_UP_DAYS)
                .ok_or_else(|| {
                    InvalidValue::new(
                        "follow_up_days",
                        format!("must be a whole number of days from 0 to {MAX_FOLLOW_UP_DAYS}"),
                    )
                }),
        );
        let follow_up_over = thresholds(&mut e, "follow_up_over", &b.follow_up_over);
        let big_cart_over = thresholds(&mut e, "big_cart_over", &b.big_cart_over);
        let mut name =
            |field: &str, raw: &str| e.check("", text(field, raw, NAME_MAX)).unwrap_or_default();
        let settings = SyncSettings {
            auto_sync_customers: b.auto_sync_customers,
            auto_sync_orders: b.auto_sync_orders,
            auto_sync_carts: b.auto_sync_carts,
            salesforce_order: b.salesforce_order,
            opportunity: b.opportunity,
            opportunity_record_type_id: b.opportunity_record_type_id,
            sales_cycle_days: sales_cycle_days.unwrap_or_default(),
            contact_roles: b.contact_roles,
            contact_role: name("contact_role", &b.contact_role),
            draft_stage: name("draft_stage", &b.draft_stage),
            stage_mapping,
            convert_on_payment: b.convert_on_payment,
            converted_stage: name("converted_stage", &b.converted_stage),
            invoice_date_as_close_date: b.invoice_date_as_close_date,
            abandoned_cart_stage: name("abandoned_cart_stage", &b.abandoned_cart_stage),
            overwrite_account_name: b.overwrite_account_name,
            default_owner_id: b.default_owner_id,
            default_lead_owner_id: b.default_lead_owner_id,
            lead_source_web: name("lead_source_web", &b.lead_source_web),
            lead_source_social: name("lead_source_social", &b.lead_source_social),
            multi_currency: b.multi_currency,
            order_management: b.order_management,
            standard_pricebook_id: b.standard_pricebook_id,
            follow_up_over,
            follow_up_days: follow_up_days.unwrap_or_default(),
            big_cart_over,
            big_cart_stage: name("big_cart_stage", &b.big_cart_stage),
            version: version.unwrap_or_default(),
        };
        e.finish(|| settings)
    }
}

/// Amounts in minor units by currency code, each named by `field` and its code when wrong.
fn thresholds(
    e: &mut Errors,
    field: &str,
    raw: &BTreeMap<String, WholeNumber>,
) -> BTreeMap<Currency, i64> {
    raw.iter()
        .filter_map(|(code, minor)| {
            let field = format!("{field}.{code}");
            let currency = e.check(
                "",
                code.parse::<Currency>()
                    .map_err(|_| InvalidValue::new(&field, "not a currency the store sells in")),
            );
            let minor = e.check(
                "",
                Some(minor.0).filter(|m| *m > 0).ok_or_else(|| {
                    InvalidValue::new(&field, "must be a positive whole amount in minor units")
                }),
            );
            currency.zip(minor)
        })
        .collect()
}

fn order_status(field: &str, raw: &str) -> Result<OrderStatus, InvalidValue> {
    OrderStatus::ALL
        .into_iter()
        .find(|status| status.as_str() == raw)
        .ok_or_else(|| InvalidValue::new(field, "not an order status"))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn body(change: impl FnOnce(&mut Value)) -> Result<SyncSettings, ApiError> {
        let mut value = serde_json::to_value(SyncSettings::default()).unwrap();
        change(&mut value);
        let body: SettingsBody = storesync_web::json::parse(value.to_string().as_bytes())?;
        SyncSettings::try_from(body)
    }

    fn fields(result: Result<SyncSettings, ApiError>) -> Vec<String> {
        match result {
            Err(ApiError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn the_settings_as_read_go_back_unchanged() {
        assert_eq!(body(|_| {}).unwrap(), SyncSettings::default());
        let trimmed = body(|v| v["draft_stage"] = json!("  Qualification ")).unwrap();
        assert_eq!(trimmed.draft_stage, "Qualification");
    }

    #[test]
    fn every_field_must_be_sent_even_an_unset_id() {
        for field in ["standard_pricebook_id", "version", "stage_mapping"] {
            let sent = body(|v| {
                v.as_object_mut().unwrap().remove(field);
            });
            assert_eq!(fields(sent), ["body"], "{field}");
        }
        assert_eq!(fields(body(|v| v["colour"] = json!("red"))), ["colour"]);
    }

    #[test]
    fn names_and_numbers_out_of_bounds_are_named() {
        let sent = body(|v| {
            v["converted_stage"] = json!(" ");
            v["stage_mapping"]["paid"] = json!("Closed\u{202E}Won");
            v["lead_source_web"] = json!("x".repeat(121));
            v["sales_cycle_days"] = json!(3651);
            v["version"] = json!(-1);
        });
        assert_eq!(
            fields(sent),
            [
                "sales_cycle_days",
                "version",
                "stage_mapping.paid",
                "converted_stage",
                "lead_source_web"
            ]
        );
        assert_eq!(
            fields(body(|v| v["stage_mapping"]["lost"] = json!("x"))),
            ["stage_mapping.lost"]
        );
    }
}
