//! The storefront API: customers, catalog, carts, checkout, orders, cancellation and returns;
//! and beside it the operators' admin API ([`admin`]).
//!
//! [`router`] is served by `lambda_http` in Lambda and by the dev stack locally, so both run
//! the same code. Identity comes from a middleware the caller adds (JWT authorizer claims in
//! Lambda, a dev token locally).

pub mod admin;
pub mod config;
pub mod console;
pub mod dto;
pub mod wiring;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::json;
use storesync_core::customer::{ProfileChange, Registration};
use storesync_core::ids::{CartId, ClaimToken, OrderId, Sku};
use storesync_core::order::Order;
use storesync_core::storefront::{Caller, CheckoutInput, Storefront};
use storesync_web::identity::VerifiedEmail;
use storesync_web::json::OptionalJson;
use storesync_web::{ApiError, CustomerIdentity, GuestIdentity, StrictJson};

use crate::admin::Admin;
use crate::dto::{
    BeginCheckoutBody, CancelBody, CartView, CheckoutBody, CreateCartBody, DiscountBody, OrderView,
    ProductView, ProfilePatchBody, RegisterBody, ReturnBody, SetLineBody, TrackingView,
};

type Shared = State<Arc<Storefront>>;
type ApiResult<T = Response> = Result<T, ApiError>;

/// The header a client sets so that a repeated checkout never places a second order.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Builds the storefront API over a [`Storefront`], and the admin API over `admin`.
pub fn router(storefront: Arc<Storefront>, admin: Arc<Admin>) -> Router {
    Router::new()
        .route("/v1/customers", post(register))
        .route("/v1/customers/claim", post(claim_invitation))
        .route("/v1/customers/me", get(profile).patch(update_profile))
        .route("/v1/customers/me/history", get(profile_history))
        .route("/v1/products", get(products))
        .route("/v1/products/{sku}", get(product))
        .route("/v1/carts", post(create_customer_cart))
        .route("/v1/guest-carts", post(create_guest_cart))
        .merge(cart_routes::<CustomerIdentity>("/v1/carts"))
        .merge(cart_routes::<GuestIdentity>("/v1/guest-carts"))
        .route("/v1/orders", get(orders))
        .merge(order_routes::<CustomerIdentity>("/v1/orders"))
        .merge(order_routes::<GuestIdentity>("/v1/guest-orders"))
        .with_state(storefront)
        .merge(console::routes(admin.clone()))
        .merge(admin::routes(admin))
        .fallback(|| async { ApiError::RouteNotFound })
        .method_not_allowed_fallback(storesync_web::error::method_not_allowed)
        .layer(storesync_web::catch_panic())
}

/// A way a route family identifies its caller.
trait AsCaller:
    axum::extract::FromRequestParts<Arc<Storefront>, Rejection = ApiError> + Send + 'static
{
    fn caller(self) -> Caller;
    /// Where this family's orders live, for `Location` headers.
    const ORDERS: &'static str;
}

impl AsCaller for CustomerIdentity {
    const ORDERS: &'static str = "/v1/orders";
    fn caller(self) -> Caller {
        Caller::Customer(self.0)
    }
}

impl AsCaller for GuestIdentity {
    const ORDERS: &'static str = "/v1/guest-orders";
    fn caller(self) -> Caller {
        Caller::Guest(self.0)
    }
}

fn cart_routes<C: AsCaller>(base: &str) -> Router<Arc<Storefront>> {
    Router::new()
        .route(&format!("{base}/{{cart_id}}"), get(cart::<C>))
        .route(
            &format!("{base}/{{cart_id}}/lines/{{sku}}"),
            put(set_line::<C>).delete(remove_line::<C>),
        )
        .route(
            &format!("{base}/{{cart_id}}/discount"),
            put(apply_discount::<C>).delete(remove_discount::<C>),
        )
        .route(
            &format!("{base}/{{cart_id}}/begin-checkout"),
            post(begin_checkout::<C>),
        )
        .route(&format!("{base}/{{cart_id}}/checkout"), post(checkout::<C>))
}

fn order_routes<C: AsCaller>(base: &str) -> Router<Arc<Storefront>> {
    Router::new()
        .route(&format!("{base}/{{order_id}}"), get(order::<C>))
        .route(&format!("{base}/{{order_id}}/cancel"), post(cancel::<C>))
        .route(
            &format!("{base}/{{order_id}}/cancel-items"),
            post(cancel_items::<C>),
        )
        .route(&format!("{base}/{{order_id}}/tracking"), get(tracking::<C>))
        .route(
            &format!("{base}/{{order_id}}/returns"),
            post(request_return::<C>),
        )
}

fn ok<T: serde::Serialize>(status: StatusCode, body: T) -> Response {
    (status, axum::Json(body)).into_response()
}

// Unknown or malformed ids in a path are simply not found: no hint about which ids exist.
fn cart_id(raw: &str) -> ApiResult<CartId> {
    CartId::parse(raw).map_err(|_| storesync_core::AppError::NotFound { what: "cart" }.into())
}

fn order_id(raw: &str) -> ApiResult<OrderId> {
    OrderId::parse(raw).map_err(|_| storesync_core::AppError::NotFound { what: "order" }.into())
}

// A malformed sku names no product; it is not echoed back.
fn sku(raw: &str) -> ApiResult<Sku> {
    Sku::parse(raw).map_err(|_| ApiError::MalformedSku)
}

// --- customers ---

async fn register(
    State(s): Shared,
    who: CustomerIdentity,
    email: VerifiedEmail,
    StrictJson(body): StrictJson<RegisterBody>,
) -> ApiResult {
    let registration = Registration::try_from(body)?;
    let customer = s.register(who.0, registration, email.0.as_deref()).await?;
    Ok(ok(StatusCode::CREATED, customer))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimBody {
    token: String,
}

/// The caller claims the profile sales set up for them in Salesforce, with the token of the
/// invitation mailed to them: 404 for a token that claims nothing.
async fn claim_invitation(
    State(s): Shared,
    who: CustomerIdentity,
    StrictJson(body): StrictJson<ClaimBody>,
) -> ApiResult {
    let token = ClaimToken::parse(&body.token)?;
    let customer = s.claim_invitation(who.0, &token).await?;
    Ok(ok(StatusCode::OK, customer))
}

async fn profile(State(s): Shared, who: CustomerIdentity) -> ApiResult {
    Ok(ok(StatusCode::OK, s.profile(&who.0).await?))
}

/// The most changes a history page shows.
const HISTORY_LIMIT: usize = 100;

/// The caller's profile changes, newest first: who, on which side, when, from what to what.
async fn profile_history(State(s): Shared, who: CustomerIdentity) -> ApiResult {
    let changes = s.profile_history(&who.0, HISTORY_LIMIT).await?;
    Ok(ok(StatusCode::OK, json!({ "items": changes })))
}

async fn update_profile(
    State(s): Shared,
    who: CustomerIdentity,
    StrictJson(body): StrictJson<ProfilePatchBody>,
) -> ApiResult {
    let change = ProfileChange::try_from(body)?;
    Ok(ok(StatusCode::OK, s.update_profile(&who.0, change).await?))
}

// --- catalog ---

async fn products(State(s): Shared) -> ApiResult {
    let products: Vec<ProductView> = s
        .products()
        .await?
        .into_iter()
        .filter(|p| p.active)
        .map(ProductView::from)
        .collect();
    Ok(ok(StatusCode::OK, json!({ "products": products })))
}

async fn product(State(s): Shared, Path(raw): Path<String>) -> ApiResult {
    let p = s.product(&sku(&raw)?).await?;
    Ok(ok(StatusCode::OK, ProductView::from(p)))
}

// --- carts ---

/// The cart as its owner sees it: with a customer's account terms and totals under them.
async fn cart_view(s: &Storefront, cart: storesync_core::cart::Cart) -> ApiResult<CartView> {
    let account = s.account_of(&cart.owner).await?;
    CartView::new(cart, s.policy(), account.as_ref())
}

async fn create_customer_cart(
    State(s): Shared,
    who: CustomerIdentity,
    StrictJson(body): StrictJson<CreateCartBody>,
) -> ApiResult {
    let cart = s.create_customer_cart(who.0, body.currency()?).await?;
    Ok(ok(StatusCode::CREATED, cart_view(&s, cart).await?))
}

async fn create_guest_cart(
    State(s): Shared,
    StrictJson(body): StrictJson<CreateCartBody>,
) -> ApiResult {
    let (cart, token) = s.create_guest_cart(body.currency()?).await?;
    let mut view = CartView::new(cart, s.policy(), None)?;
    view.cart_token = Some(token.expose().to_owned());
    Ok(ok(StatusCode::CREATED, view))
}

async fn cart<C: AsCaller>(State(s): Shared, who: C, Path(id): Path<String>) -> ApiResult {
    let cart = s.cart(&who.caller(), &cart_id(&id)?).await?;
    Ok(ok(StatusCode::OK, cart_view(&s, cart).await?))
}

async fn set_line<C: AsCaller>(
    State(s): Shared,
    who: C,
    Path((id, raw_sku)): Path<(String, String)>,
    StrictJson(body): StrictJson<SetLineBody>,
) -> ApiResult {
    let (id, sku, quantity) = (cart_id(&id)?, sku(&raw_sku)?, body.quantity()?);
    let cart = s.set_line(&who.caller(), &id, &sku, quantity).await?;
    Ok(ok(StatusCode::OK, cart_view(&s, cart).await?))
}

async fn remove_line<C: AsCaller>(
    State(s): Shared,
    who: C,
    Path((id, raw_sku)): Path<(String, String)>,
) -> ApiResult {
    let (id, sku) = (cart_id(&id)?, sku(&raw_sku)?);
    let cart = s.remove_line(&who.caller(), &id, &sku).await?;
    Ok(ok(StatusCode::OK, cart_view(&s, cart).await?))
}

async fn apply_discount<C: AsCaller>(
    State(s): Shared,
    who: C,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<DiscountBody>,
) -> ApiResult {
    let cart = s
        .apply_discount(&who.caller(), &cart_id(&id)?, &body.code)
        .await?;
    Ok(ok(StatusCode::OK, cart_view(&s, cart).await?))
}

async fn remove_discount<C: AsCaller>(
    State(s): Shared,
    who: C,
    Path(id): Path<String>,
) -> ApiResult {
    let cart = s.remove_discount(&who.caller(), &cart_id(&id)?).await?;
    Ok(ok(StatusCode::OK, cart_view(&s, cart).await?))
}

async fn begin_checkout<C: AsCaller>(
    State(s): Shared,
    who: C,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<BeginCheckoutBody>,
) -> ApiResult {
    let (id, email) = (cart_id(&id)?, body.email()?);
    let cart = s.begin_checkout(&who.caller(), &id, email).await?;
    Ok(ok(StatusCode::OK, cart_view(&s, cart).await?))
}

/// The longest `Idempotency-Key` accepted.
pub const IDEMPOTENCY_KEY_MAX: usize = 255;

fn idempotency_key(headers: &HeaderMap) -> ApiResult<String> {
    let raw = headers
        .get(IDEMPOTENCY_KEY)
        .ok_or(ApiError::IdempotencyKeyMissing)?
        .as_bytes();
    let valid =
        (1..=IDEMPOTENCY_KEY_MAX).contains(&raw.len()) && raw.iter().all(u8::is_ascii_graphic);
    match std::str::from_utf8(raw) {
        Ok(key) if valid => Ok(key.to_owned()),
        _ => Err(ApiError::IdempotencyKeyInvalid {
            max: IDEMPOTENCY_KEY_MAX,
        }),
    }
}

async fn checkout<C: AsCaller>(
    State(s): Shared,
    who: C,
    Path(id): Path<String>,
    headers: HeaderMap,
    StrictJson(body): StrictJson<CheckoutBody>,
) -> ApiResult {
    let key = idempotency_key(&headers)?;
    let id = cart_id(&id)?;
    let input = CheckoutInput::try_from(body)?;
    let outcome = s.checkout(&who.caller(), &id, &key, input).await?;
    let location = format!("{}/{}", C::ORDERS, outcome.order.id);
    // A new order has no payments yet; a replayed one may have.
    let payments = if outcome.replayed {
        s.payments(&outcome.order).await?
    } else {
        Vec::new()
    };
    let view = OrderView::with_payments(outcome.order, payments);
    let mut response = ok(StatusCode::CREATED, view);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if outcome.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

// --- orders ---

/// One order, shown with its payments.
async fn order_view(s: &Storefront, status: StatusCode, order: Order) -> ApiResult {
    let payments = s.payments(&order).await?;
    Ok(ok(status, OrderView::with_payments(order, payments)))
}

/// The caller's orders, and with a verified e-mail the guest orders placed with it.
async fn orders(State(s): Shared, who: CustomerIdentity, email: VerifiedEmail) -> ApiResult {
    let orders: Vec<OrderView> = s
        .orders(&who.0, email.0.as_deref())
        .await?
        .into_iter()
        .map(OrderView::from)
        .collect();
    Ok(ok(StatusCode::OK, json!({ "orders": orders })))
}

async fn order<C: AsCaller>(State(s): Shared, who: C, Path(id): Path<String>) -> ApiResult {
    let order = s.order(&who.caller(), &order_id(&id)?).await?;
    order_view(&s, StatusCode::OK, order).await
}

async fn cancel<C: AsCaller>(
    State(s): Shared,
    who: C,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<CancelBody>,
) -> ApiResult {
    let id = order_id(&id)?;
    let order = s.cancel(&who.caller(), &id, body.reason()?).await?;
    order_view(&s, StatusCode::OK, order).await
}

/// The order's parcels, per location that ships it.
async fn tracking<C: AsCaller>(State(s): Shared, who: C, Path(id): Path<String>) -> ApiResult {
    let id = order_id(&id)?;
    let items: Vec<TrackingView> = s
        .tracking(&who.caller(), &id)
        .await?
        .into_iter()
        .map(TrackingView::from)
        .collect();
    Ok(ok(StatusCode::OK, serde_json::json!({ "items": items })))
}

/// Cancels units of a paid order before it is handed to fulfilment, with the money back.
async fn cancel_items<C: AsCaller>(
    State(s): Shared,
    who: C,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<ReturnBody>,
) -> ApiResult {
    let id = order_id(&id)?;
    let (lines, reason) = body.parse()?;
    let order = s.cancel_items(&who.caller(), &id, lines, reason).await?;
    order_view(&s, StatusCode::OK, order).await
}

async fn request_return<C: AsCaller>(
    State(s): Shared,
    who: C,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<ReturnBody>,
) -> ApiResult {
    let id = order_id(&id)?;
    let (lines, reason) = body.parse()?;
    let order = s.request_return(&who.caller(), &id, lines, reason).await?;
    order_view(&s, StatusCode::CREATED, order).await
}
