//! The webhooks: gateways post signed payment events; each verified event becomes a payment
//! record and, where the life cycle allows, an order transition, exactly once. The fulfilment
//! provider posts signed shipment notices the same way (`POST /v1/fulfilment/asn`), and
//! Salesforce its Outbound Messages (`POST /v1/salesforce/outbound-messages/{secret}`).
//!
//! [`router`] is served by `lambda_http` in Lambda and by the dev stack locally.

pub mod config;
pub mod gateway;
pub mod salesforce;
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

use storesync_core::fulfilment::process::Fulfilment;
use storesync_provider::SIGNATURE_HEADER;
use storesync_provider::wire::NoticeBody;
use storesync_web::signature::Secrets;

use crate::gateway::{GatewayReport, PaymentGateway, WebhookError};

/// What the webhook needs: the gateways it accepts, the processor and a clock.
pub struct Webhook {
    gateways: HashMap<GatewayName, Arc<dyn PaymentGateway>>,
    processor: PaymentProcessor,
    clock: Arc<dyn Clock>,
    /// Shipment notices, and the secrets the provider signs them with.
    notices: Option<(Fulfilment, Secrets)>,
    /// Salesforce Outbound Messages.
    outbound: Option<salesforce::OutboundMessages>,
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
            notices: None,
            outbound: None,
        }
    }

    /// Takes Salesforce Outbound Messages (orgs without Event Relay).
    pub fn with_outbound_messages(mut self, outbound: salesforce::OutboundMessages) -> Self {
        self.outbound = Some(outbound);
        self
    }

    /// Takes the fulfilment provider's shipment notices signed with one of `secrets`.
    pub fn with_notices(mut self, fulfilment: Fulfilment, secrets: Secrets) -> Self {
        self.notices = Some((fulfilment, secrets));
        self
    }
}

/// `POST /v1/webhooks/{gateway}`, e.g. `/v1/webhooks/stripe`.
pub fn router(webhook: Arc<Webhook>) -> Router {
    Router::new()
        .route("/v1/webhooks/{gateway}", post(receive))
        .route("/v1/fulfilment/asn", post(shipment_notice))
        .route(
            "/v1/salesforce/outbound-messages/{secret}",
            post(salesforce::receive),
        )
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

/// `POST /v1/fulfilment/asn`: a shipment notice, signed in `X-Storesync-Signature`. Answered
/// 200 once applied, replayed, or kept for an operator; 400 when the signature or the JSON is
/// wrong, 422 naming each wrong field: nothing changes then.
async fn shipment_notice(
    State(webhook): State<Arc<Webhook>>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let Some((fulfilment, secrets)) = &webhook.notices else {
        return Err(ApiError::RouteNotFound);
    };
    let header = match headers.get(SIGNATURE_HEADER).map(|v| v.to_str()) {
        Some(Ok(header)) => header,
        Some(Err(_)) => {
            return Ok(problem(&WebhookError::SignatureMalformed(
                "not visible ASCII",
            )));
        }
        None => {
            return Ok(problem(&WebhookError::SignatureMissing(
                "X-Storesync-Signature",
            )));
        }
    };
    if let Err(e) = secrets.check(header, &body, webhook.clock.now()) {
        tracing::warn!(error = %e, "shipment notice refused");
        return Ok(problem(&e.into()));
    }
    let notice: NoticeBody = match serde_json::from_slice(&body) {
        Ok(notice) => notice,
        Err(e) => return Ok(problem(&WebhookError::MalformedEvent(e.to_string()))),
    };
    let parsed = notice.notice().map_err(|errors| {
        ApiError::Invalid(
            errors
                .into_iter()
                .map(|e| storesync_web::FieldError {
                    field: e.field,
                    message: e.message,
                })
                .collect(),
        )
    })?;
    let outcome = fulfilment
        .receive(&notice.fulfilment_order_id, &parsed)
        .await?;
    let body = json!({ "received": true, "outcome": outcome });
    Ok((StatusCode::OK, axum::Json(body)).into_response())
}
