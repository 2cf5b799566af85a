//! A local Stripe for tests and the dev stack: PaymentIntents kept in memory, read through
//! `GET /v1/payment_intents/{id}` and `GET /v1/payment_intents/search` with a secret key, in
//! Stripe's JSON shapes and error bodies. Its search understands one clause, the one the
//! adapter sends (`metadata['key']:'value'`); any other query is refused as Stripe refuses a
//! query it cannot parse, never answered with a guess.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The test key the local Stripe accepts, as `sk_test_...` keys look.
const DEV_KEY: &str = "sk_test_storesync_local";

#[derive(Default)]
struct Intents(Mutex<BTreeMap<String, Value>>);

impl Intents {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Value>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running local Stripe; stops when dropped.
pub struct LocalStripe {
    intents: Arc<Intents>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl LocalStripe {
    /// Starts on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    pub async fn start_on(bind: SocketAddr) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let intents = Arc::new(Intents::default());
        let app = Router::new()
            .route("/v1/payment_intents/search", get(search))
            .route("/v1/payment_intents/{id}", get(retrieve))
            .fallback(unrecognized)
            .with_state(intents.clone());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(error) = served {
                tracing::error!(%error, "local stripe stopped");
            }
        });
        Ok(LocalStripe {
            intents,
            addr,
            shutdown: Some(tx),
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
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
            "currency": currency,
            "status": status,
            "created": now,
            "canceled_at": if status == "canceled" { Some(now) } else { None },
            "livemode": false,
            "metadata": { "order_id": order_id },
        });
        self.intents.lock().insert(id.to_owned(), intent);
    }
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
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
    match intents.lock().get(&id) {
        Some(intent) => Json(intent.clone()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("No such payment_intent: '{id}'"),
            Some("resource_missing"),
        ),
    }
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
