//! A local Stripe for tests and the dev stack: PaymentIntents kept in memory, read through
//! `GET /v1/payment_intents/{id}` and `GET /v1/payment_intents/search`, captured with
//! `POST /v1/payment_intents/{id}/capture` and refunded with `POST /v1/refunds`, with a secret
//! key, in Stripe's JSON shapes and error bodies. Posts honour `Idempotency-Key` as Stripe
//! does: the same key answers the first answer; the same key with other parameters is an
//! `idempotency_error`. Its search understands one clause, the one the
//! adapter sends (`metadata['key']:'value'`); any other query is refused as Stripe refuses a
//! query it cannot parse, never answered with a guess.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use storesync_web::loopback::LoopbackServer;

/// The test key the local Stripe accepts, as `sk_test_...` keys look.
const DEV_KEY: &str = "sk_test_storesync_local";

#[derive(Default)]
struct Account {
    intents: BTreeMap<String, Value>,
    refunds: BTreeMap<String, Value>,
    /// Intents whose authorisation has expired: a capture is refused.
    expired: std::collections::BTreeSet<String>,
    /// Idempotency key -> (the request's parameters, the status and body answered).
    answered: BTreeMap<String, (Value, u16, Value)>,
}

#[derive(Default)]
struct Intents(Mutex<Account>);

impl Intents {
    fn lock(&self) -> std::sync::MutexGuard<'_, Account> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running local Stripe; stops when dropped.
pub struct LocalStripe {
    intents: Arc<Intents>,
    server: LoopbackServer,
}

impl LocalStripe {
    /// Starts on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on(LoopbackServer::any_port()).await
    }

    pub async fn start_on(bind: SocketAddr) -> std::io::Result<Self> {
        let intents = Arc::new(Intents::default());
        let app = Router::new()
            .route("/v1/payment_intents/search", get(search))
            .route("/v1/payment_intents/{id}", get(retrieve))
            .route("/v1/payment_intents/{id}/capture", post(capture))
            .route("/v1/refunds", post(refund))
            .fallback(unrecognized)
            .with_state(intents.clone());
        let server = LoopbackServer::start(bind, app, "local stripe").await?;
        Ok(LocalStripe { intents, server })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// The secret key it accepts.
    pub fn secret_key(&self) -> &'static str {
        DEV_KEY
    }

    /// Puts a PaymentIntent for `order_id` of `amount` minor units in `currency` (lowercase,
    /// as Stripe writes it) with `status`, as if the storefront had created it and the shopper
    /// got that far.
    pub fn put_intent(&self, id: &str, order_id: &str, amount: i64, currency: &str, status: &str) {
        let now = chrono::Utc::now().timestamp();
        let succeeded = status == "succeeded";
        let intent = json!({
            "id": id,
            "object": "payment_intent",
            "amount": amount,
            "amount_received": if succeeded { amount } else { 0 },
            "amount_capturable": if status == "requires_capture" { amount } else { 0 },
            "capture_method": if status == "requires_capture" { "manual" } else { "automatic" },
            "currency": currency,
            "status": status,
            "created": now,
            "canceled_at": if status == "canceled" { Some(now) } else { None },
            "livemode": false,
            "metadata": { "order_id": order_id },
        });
        self.intents.lock().intents.insert(id.to_owned(), intent);
    }

    /// The authorisation of intent `id` runs out (Stripe's seven days): a capture is refused
    /// with `charge_expired_for_capture`, as Stripe refuses it.
    pub fn expire_authorization(&self, id: &str) {
        self.intents.lock().expired.insert(id.to_owned());
    }

    /// Intent `id` as this Stripe holds it now.
    pub fn intent(&self, id: &str) -> Option<Value> {
        self.intents.lock().intents.get(id).cloned()
    }

    /// The refunds of intent `id`, oldest first.
    pub fn refunds_of(&self, id: &str) -> Vec<Value> {
        self.intents
            .lock()
            .refunds
            .values()
            .filter(|r| r["payment_intent"] == id)
            .cloned()
            .collect()
    }
}

fn error(status: StatusCode, message: &str, code: Option<&str>) -> Response {
    let mut body = json!({ "error": { "type": "invalid_request_error", "message": message } });
    if let Some(code) = code {
        body["error"]["code"] = json!(code);
    }
    (status, Json(body)).into_response()
}

/// The refusal of a call without the key this Stripe accepts.
fn refused(headers: &HeaderMap) -> Option<Response> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match key {
        Some(DEV_KEY) => None,
        Some(other) => Some(error(
            StatusCode::UNAUTHORIZED,
            &format!(
                "Invalid API Key provided: {}***",
                other.chars().take(8).collect::<String>()
            ),
            None,
        )),
        None => Some(error(
            StatusCode::UNAUTHORIZED,
            "You did not provide an API key.",
            None,
        )),
    }
}

/// `metadata['key']:'value'` (either quote), the value unescaped.
fn metadata_clause(query: &str) -> Option<(String, String)> {
    let rest = query.trim().strip_prefix("metadata[")?;
    let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let rest = &rest[1..];
    let end = rest.find(quote)?;
    let key = &rest[..end];
    let rest = rest[end + 1..].strip_prefix("]:")?;
    let rest = rest.strip_prefix(quote)?;
    let mut value = String::new();
    let mut chars = rest.chars();
    loop {
        match chars.next()? {
            '\\' => value.push(chars.next()?),
            c if c == quote => break,
            c => value.push(c),
        }
    }
    chars
        .as_str()
        .trim()
        .is_empty()
        .then(|| (key.to_owned(), value))
}

async fn search(
    State(intents): State<Arc<Intents>>,
    headers: HeaderMap,
    Query(params): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(refusal) = refused(&headers) {
        return refusal;
    }
    let Some(query) = params.get("query") else {
        return error(
            StatusCode::BAD_REQUEST,
            "Missing required param: query.",
            Some("parameter_missing"),
        );
    };
    let Some((key, value)) = metadata_clause(query) else {
        return error(
            StatusCode::BAD_REQUEST,
            &format!(
                "Invalid query: this local Stripe understands metadata['key']:'value', not {query:?}."
            ),
            None,
        );
    };
    let data: Vec<Value> = intents
        .lock()
        .intents
        .values()
        .filter(|i| i["metadata"][&key].as_str() == Some(value.as_str()))
        .cloned()
        .collect();
    Json(json!({
        "object": "search_result",
        "url": "/v1/payment_intents/search",
        "has_more": false,
        "next_page": null,
        "data": data,
    }))
    .into_response()
}

async fn retrieve(
    State(intents): State<Arc<Intents>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(refusal) = refused(&headers) {
        return refusal;
    }
    match intents.lock().intents.get(&id) {
        Some(intent) => Json(intent.clone()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("No such payment_intent: '{id}'"),
            Some("resource_missing"),
        ),
    }
}

/// Answers a post once per idempotency key: a repeat gets the first answer, a repeat with
/// other parameters Stripe's `idempotency_error`.
fn once(
    account: &mut Account,
    headers: &HeaderMap,
    params: Value,
    act: impl FnOnce(&mut Account) -> (StatusCode, Value),
) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(key) = &key
        && let Some((seen, status, body)) = account.answered.get(key)
    {
        if *seen != params {
            return error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."
                ),
                Some("idempotency_error"),
            );
        }
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
        let mut response = (status, Json(body.clone())).into_response();
        response.headers_mut().insert(
            "idempotent-replayed",
            header::HeaderValue::from_static("true"),
        );
        return response;
    }
    let (status, body) = act(account);
    if let Some(key) = key {
        account
            .answered
            .insert(key, (params, status.as_u16(), body.clone()));
    }
    (status, Json(body)).into_response()
}

fn error_body(message: &str, code: &str) -> Value {
    json!({ "error": { "type": "invalid_request_error", "message": message, "code": code } })
}

/// A form-encoded body's fields, as Stripe's API takes them.
fn form(body: &[u8]) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// A whole number of minor units, as a form field.
fn minor_units(form: &BTreeMap<String, String>, name: &str) -> Option<i64> {
    form.get(name)
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
}

async fn capture(
    State(intents): State<Arc<Intents>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: bytes::Bytes,
) -> Response {
    if let Some(refusal) = refused(&headers) {
        return refusal;
    }
    let form = form(&body);
    let mut account = intents.lock();
    let params = json!({ "intent": id, "form": form });
    once(&mut account, &headers, params, |account| {
        let expired = account.expired.contains(&id);
        let Some(intent) = account.intents.get_mut(&id) else {
            return (
                StatusCode::NOT_FOUND,
                error_body(
                    &format!("No such payment_intent: '{id}'"),
                    "resource_missing",
                ),
            );
        };
        if intent["status"] != "requires_capture" {
            let status = intent["status"].as_str().unwrap_or_default().to_owned();
            return (
                StatusCode::BAD_REQUEST,
                error_body(
                    &format!(
                        "This PaymentIntent could not be captured because it has a status of {status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture."
                    ),
                    "payment_intent_unexpected_state",
                ),
            );
        }
        if expired {
            intent["status"] = json!("canceled");
            intent["canceled_at"] = json!(chrono::Utc::now().timestamp());
            return (
                StatusCode::BAD_REQUEST,
                error_body(
                    "The charge cannot be captured as the authorization has expired.",
                    "charge_expired_for_capture",
                ),
            );
        }
        let capturable = intent["amount_capturable"].as_i64().unwrap_or(0);
        let amount = match form.get("amount_to_capture") {
            None => capturable,
            Some(_) => match minor_units(&form, "amount_to_capture") {
                Some(n) if n <= capturable => n,
                _ => {
                    return (
                        StatusCode::BAD_REQUEST,
                        error_body(
                            "The amount to capture must be a positive integer no greater than the amount capturable.",
                            "parameter_invalid_integer",
                        ),
                    );
                }
            },
        };
        intent["status"] = json!("succeeded");
        intent["amount_received"] = json!(amount);
        intent["amount_capturable"] = json!(0);
        (StatusCode::OK, intent.clone())
    })
}

async fn refund(
    State(intents): State<Arc<Intents>>,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Response {
    if let Some(refusal) = refused(&headers) {
        return refusal;
    }
    let form = form(&body);
    let mut account = intents.lock();
    let params = json!(form);
    once(&mut account, &headers, params, |account| {
        let Some(id) = form.get("payment_intent").cloned() else {
            return (
                StatusCode::BAD_REQUEST,
                error_body(
                    "One of the following params should be provided for this request: payment_intent or charge.",
                    "parameter_missing",
                ),
            );
        };
        let Some(intent) = account.intents.get(&id) else {
            return (
                StatusCode::NOT_FOUND,
                error_body(
                    &format!("No such payment_intent: '{id}'"),
                    "resource_missing",
                ),
            );
        };
        if intent["status"] != "succeeded" {
            return (
                StatusCode::BAD_REQUEST,
                error_body(
                    &format!(
                        "This PaymentIntent ({id}) does not have a successful charge to refund."
                    ),
                    "charge_not_refundable",
                ),
            );
        }
        let received = intent["amount_received"].as_i64().unwrap_or(0);
        let currency = intent["currency"].clone();
        let refunded: i64 = account
            .refunds
            .values()
            .filter(|r| r["payment_intent"] == id.as_str())
            .filter_map(|r| r["amount"].as_i64())
            .sum();
        let left = received - refunded;
        let amount = match form.get("amount") {
            None => left,
            Some(_) => match minor_units(&form, "amount") {
                Some(n) => n,
                None => {
                    return (
                        StatusCode::BAD_REQUEST,
                        error_body("Invalid positive integer", "parameter_invalid_integer"),
                    );
                }
            },
        };
        if amount > left || left == 0 {
            return (
                StatusCode::BAD_REQUEST,
                error_body(
                    &format!(
                        "Refund amount ({amount}) is greater than unrefunded amount on charge ({left})"
                    ),
                    "amount_too_large",
                ),
            );
        }
        let refund_id = format!("re_local{:016x}", account.refunds.len() + 1);
        let body = json!({
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "currency": currency,
            "payment_intent": id,
            "status": "succeeded",
            "created": chrono::Utc::now().timestamp(),
        });
        account.refunds.insert(refund_id, body.clone());
        (StatusCode::OK, body)
    })
}

async fn unrecognized(uri: axum::http::Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("Unrecognized request URL (GET: {}).", uri.path()),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metadata_clause_is_read_with_either_quote_and_escapes() {
        assert_eq!(
            metadata_clause("metadata['order_id']:'ord_1'"),
            Some(("order_id".into(), "ord_1".into()))
        );
        assert_eq!(
            metadata_clause(r#"metadata["order_id"]:"a\"b""#),
            Some(("order_id".into(), "a\"b".into()))
        );
        assert_eq!(metadata_clause("status:'succeeded'"), None);
        assert_eq!(metadata_clause("metadata['a']:'b' AND status:'x'"), None);
    }
}
