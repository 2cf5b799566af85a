//! `POST /v1/salesforce/outbound-messages/{secret}`: Salesforce Outbound Messages, for orgs
//! without Event Relay. Salesforce cannot sign them, so the endpoint's path carries a shared
//! secret (one of several, for rotation) and the message must come from an allowed org. Each
//! notification is applied once; the answer is `Ack` true when all were, else a 503 that makes
//! Salesforce send the message again later.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use crm_inbound::outbound;
use storesync_core::from_crm::apply::CrmInbound;
use storesync_web::json::RawBody;
use storesync_web::{ApiError, Problem};
use subtle::ConstantTimeEq;

use crate::Webhook;

/// What the endpoint accepts, and what it applies messages with.
pub struct OutboundMessages {
    pub inbound: CrmInbound,
    /// The path secrets in force; more than one while a new one is rolled out.
    pub secrets: Vec<String>,
    /// The Salesforce organisation ids (15 or 18 characters) messages may come from.
    pub org_ids: Vec<String>,
}

impl OutboundMessages {
    fn knows_secret(&self, secret: &str) -> bool {
        // Every secret is compared, whatever matched, so timing tells nothing.
        self.secrets.iter().fold(false, |found, s| {
            found | bool::from(s.as_bytes().ct_eq(secret.as_bytes()))
        })
    }

    /// An org id matches by its case-sensitive first 15 characters.
    fn allows(&self, org_id: &str) -> bool {
        let key = |id: &str| id.get(..15).unwrap_or(id).to_owned();
        self.org_ids
            .iter()
            .any(|allowed| key(allowed) == key(org_id))
    }
}

fn soap(status: StatusCode, applied: bool) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        outbound::ack(applied),
    )
        .into_response()
}

pub(crate) async fn receive(
    State(webhook): State<Arc<Webhook>>,
    Path(secret): Path<String>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let Some(endpoint) = &webhook.outbound else {
        return Err(ApiError::RouteNotFound);
    };
    if !endpoint.knows_secret(&secret) {
        // The same answer as a path that does not exist: the secret is not guessable by it.
        return Err(ApiError::RouteNotFound);
    }
    let text = String::from_utf8_lossy(&body);
    let message = match outbound::parse(&text) {
        Ok(message) => message,
        Err(e) => {
            tracing::warn!(error = %e, "Outbound Message refused");
            return Ok(Problem::new(
                StatusCode::BAD_REQUEST,
                "malformed-message",
                "Outbound Message refused",
                e.to_string(),
            )
            .into_response());
        }
    };
    if !endpoint.allows(&message.organization_id) {
        tracing::warn!(org_id = %message.organization_id, "Outbound Message from an org that is not allowed");
        return Ok(Problem::new(
            StatusCode::FORBIDDEN,
            "org-not-allowed",
            "Outbound Message refused",
            "the message comes from a Salesforce org this store does not sync with".to_owned(),
        )
        .into_response());
    }
    for change in &message.changes {
        if let Err(error) = endpoint.inbound.apply(change).await {
            tracing::warn!(%error, event_id = %change.event_id, "Outbound Message not applied; Salesforce sends it again");
            return Ok(soap(StatusCode::SERVICE_UNAVAILABLE, false));
        }
    }
    Ok(soap(StatusCode::OK, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use storesync_core::ports::SystemClock;

    fn endpoint(secrets: &[&str], orgs: &[&str]) -> OutboundMessages {
        let store = Arc::new(storesync_embedded::EmbeddedStore::new());
        OutboundMessages {
            inbound: CrmInbound::new(store, Arc::new(SystemClock)),
            secrets: secrets.iter().map(|s| (*s).to_owned()).collect(),
            org_ids: orgs.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn any_secret_in_force_is_known_and_org_ids_match_by_their_first_15_characters() {
        let e = endpoint(&["old-secret", "new-secret"], &["00DDn00000StoreAAA"]);
        assert!(e.knows_secret("new-secret"));
        assert!(e.knows_secret("old-secret"));
        assert!(!e.knows_secret("new-secre"));
        assert!(e.allows("00DDn00000Store"));
        assert!(e.allows("00DDn00000StoreAAA"));
        assert!(!e.allows("00DDn00000Other"));
    }
}
