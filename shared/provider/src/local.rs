//! A fulfilment provider on loopback: it takes fulfilment orders as the real one does (signed,
//! named by their id, the same id again changes nothing) and ships them: after `delay` it sends
//! a signed "shipped" notice for the whole fulfilment order to the store's notice endpoint, and
//! after another `delay` a "delivered" one. Tests may instead ship by hand ([`LocalProvider::notice`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;
use storesync_core::fulfilment::NoticeKind;
use storesync_web::loopback::LoopbackServer;
use storesync_web::signature::Secrets;

use crate::SIGNATURE_HEADER;
use crate::wire::{FulfilmentRequest, NoticeBody, NoticeLine};

/// Where the provider sends its notices, and how it signs them.
#[derive(Debug, Clone)]
pub struct NoticeTarget {
    pub url: String,
    pub secret: String,
    /// How long each step takes; `None` ships only when told to.
    pub delay: Option<Duration>,
}

struct Shared {
    /// Fulfilment orders received, by id.
    received: Mutex<BTreeMap<String, FulfilmentRequest>>,
    secrets: Secrets,
    target: NoticeTarget,
    http: reqwest::Client,
}

pub struct LocalProvider {
    shared: Arc<Shared>,
    server: LoopbackServer,
}

impl LocalProvider {
    /// Starts on a free loopback port, taking fulfilment orders signed with `secret` and
    /// sending notices to `target`.
    pub async fn start(secret: &str, target: NoticeTarget) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            received: Mutex::new(BTreeMap::new()),
            secrets: Secrets::new([secret.to_owned()], 300),
            target,
            http: reqwest::Client::new(),
        });
        let app = Router::new()
            .route("/fulfilment-orders", post(receive))
            .with_state(shared.clone());
        let server =
            LoopbackServer::start(LoopbackServer::any_port(), app, "local fulfilment provider")
                .await?;
        Ok(LocalProvider { shared, server })
    }

    /// Where fulfilment orders are sent.
    pub fn url(&self) -> String {
        format!("http://{}/fulfilment-orders", self.server.addr())
    }

    /// The fulfilment orders received so far.
    pub fn received(&self) -> Vec<FulfilmentRequest> {
        lock(&self.shared.received).values().cloned().collect()
    }

    /// A notice of `kind` for the whole of fulfilment order `id`, in parcel `tracking`, as
    /// this provider would send it (to post by hand, once, twice or out of order).
    pub fn notice(&self, id: &str, kind: NoticeKind, tracking: &str) -> Option<NoticeBody> {
        let received = lock(&self.shared.received);
        received
            .get(id)
            .map(|request| notice(request, kind, tracking))
    }

    /// Signs `body` as this provider signs its notices.
    pub fn sign(&self, body: &[u8]) -> String {
        storesync_web::signature::header(
            &self.shared.target.secret,
            chrono::Utc::now().timestamp(),
            body,
        )
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn notice(request: &FulfilmentRequest, kind: NoticeKind, tracking: &str) -> NoticeBody {
    let step = match kind {
        NoticeKind::Shipped => "shipped",
        NoticeKind::Delivered => "delivered",
    };
    NoticeBody {
        notice_id: format!("asn-{}-{step}-{tracking}", request.fulfilment_order_id),
        fulfilment_order_id: request.fulfilment_order_id.clone(),
        kind,
        carrier: "Local Parcel".into(),
        tracking_number: tracking.to_owned(),
        lines: request
            .lines
            .iter()
            .map(|l| NoticeLine {
                sku: l.sku.clone(),
                quantity: i64::from(l.quantity),
            })
            .collect(),
        occurred_at: chrono::Utc::now(),
    }
}

async fn receive(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Response {
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Err(e) = shared.secrets.check(signature, &body, chrono::Utc::now()) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": e.to_string()})),
        )
            .into_response();
    }
    let request: FulfilmentRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": e.to_string()})),
            )
                .into_response();
        }
    };
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if key != request.fulfilment_order_id {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "the Idempotency-Key must be the fulfilment order's id"})),
        )
            .into_response();
    }
    let first = lock(&shared.received)
        .insert(request.fulfilment_order_id.clone(), request.clone())
        .is_none();
    if first && let Some(delay) = shared.target.delay {
        let shared = shared.clone();
        tokio::spawn(async move {
            let tracking = format!("LP{}", &request.fulfilment_order_id[3..13]);
            for kind in [NoticeKind::Shipped, NoticeKind::Delivered] {
                tokio::time::sleep(delay).await;
                send_notice(&shared, &notice(&request, kind, &tracking)).await;
            }
        });
    }
    (StatusCode::ACCEPTED, Json(json!({"accepted": true}))).into_response()
}

/// Sends a notice until the store takes it (a few tries, as a provider retries).
async fn send_notice(shared: &Shared, notice: &NoticeBody) {
    let body = serde_json::to_vec(notice).expect("a notice serialises");
    for attempt in 1..=5u32 {
        let signature = storesync_web::signature::header(
            &shared.target.secret,
            chrono::Utc::now().timestamp(),
            &body,
        );
        let sent = shared
            .http
            .post(&shared.target.url)
            .header("Content-Type", "application/json")
            .header(SIGNATURE_HEADER, signature)
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => return,
            Ok(r) => {
                tracing::warn!(status = %r.status(), notice = %notice.notice_id, "shipment notice refused")
            }
            Err(error) => {
                tracing::warn!(%error, notice = %notice.notice_id, "shipment notice not sent")
            }
        }
        tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
    }
}
