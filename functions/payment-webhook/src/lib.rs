//! The payment webhook: gateways post signed events; each verified event becomes a payment
//! record and, where the life cycle allows, an order transition, exactly once.
//!
//! [`router`] is served by `lambda_http` in Lambda and by the dev stack locally.

pub mod config;
pub mod gateway;
pub mod stripe;
pub mod wiring;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;
use storesync_core::ids::GatewayName;
use storesync_core::payments::PaymentProcessor;
use storesync_core::ports::Clock;
use storesync_web::json::RawBody;
use storesync_web::{ApiError, Problem};

use crate::gateway::{GatewayReport, PaymentGateway, WebhookError};

/// What the webhook needs: the gateways it accepts, the processor and a clock.
pub struct Webhook {
    gateways: HashMap<GatewayName, Arc<dyn PaymentGateway>>,
    processor: PaymentProcessor,
    clock: Arc<dyn Clock>,
}

impl Webhook {
    pub fn new(
        gateways: Vec<Arc<dyn PaymentGateway>>,
        processor: PaymentProcessor,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Webhook {
            gateways: gateways.into_iter().map(|g| (g.name(), g)).collect(),
            processor,
            clock,
        }
    }
}

/// `POST /v1/webhooks/{gateway}`, e.g. `/v1/webhooks/stripe`.
pub fn router(webhook: Arc<Webhook>) -> Router {
    Router::new()
        .route("/v1/webhooks/{gateway}", post(receive))
        .method_not_allowed_fallback(storesync_web::error::method_not_allowed)
        .with_state(webhook)
        .layer(storesync_web::catch_panic())
}

fn problem(e: &WebhookError) -> Response {
    let slug = match e {
        WebhookError::SignatureMissing(_) => "signature-missing",
        WebhookError::SignatureMalformed(_) => "signature-malformed",
        WebhookError::SignatureExpired { .. } => "signature-expired",
        WebhookError::SignatureMismatch => "signature-mismatch",
        WebhookError::MalformedEvent(_) => "malformed-event",
    };
    Problem::new(
        StatusCode::BAD_REQUEST,
        slug,
        "Webhook refused",
        e.to_string(),
    )
    .into_response()
}

async fn receive(
    State(webhook): State<Arc<Webhook>>,
    Path(gateway): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let Some(gateway) = GatewayName::parse(&gateway)
        .ok()
        .and_then(|name| webhook.gateways.get(&name))
    else {
        return Err(ApiError::RouteNotFound);
    };
    let report = match gateway.verify(&headers, &body, webhook.clock.now()) {
        Ok(report) => report,
        Err(e) => {
            tracing::warn!(gateway = %gateway.name(), error = %e, "webhook refused");
            return Ok(problem(&e));
        }
    };
    let body = match report {
        GatewayReport::Ignored {
            event_id,
            event_type,
        } => {
            tracing::info!(%event_id, %event_type, "webhook event type ignored");
            json!({ "received": true, "outcome": "ignored" })
        }
        GatewayReport::Payment(event) => {
            let outcome = webhook.processor.handle(&event).await?;
            json!({ "received": true, "outcome": outcome })
        }
    };
    Ok((StatusCode::OK, axum::Json(body)).into_response())
}
