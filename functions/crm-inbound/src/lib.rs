//! Changes from Salesforce. The Lambda takes Change Data Capture events for Contact and
//! Account from the EventBridge bus Salesforce Event Relay puts them on, and applies each to
//! the store ([`CrmInbound`]); Outbound Messages (orgs without Event Relay) are parsed by
//! [`outbound`] and answered by the payment-webhook function's endpoint.
//!
//! A failure is the invocation's error: EventBridge's asynchronous invocation tries it again,
//! then parks the event in the function's dead-letter queue.

pub mod config;
pub mod event_relay;
pub mod outbound;
pub mod wiring;

use lambda_runtime::LambdaEvent;
use serde_json::Value;
use storesync_core::from_crm::apply::{Applied, CrmInbound, InboundError};
use thiserror::Error;

/// Why an event was not taken; the event comes again, then waits in the dead-letter queue.
#[derive(Debug, Error)]
pub enum InboundFailure {
    #[error(transparent)]
    Event(#[from] event_relay::EventError),
    #[error(transparent)]
    Apply(#[from] InboundError),
}

/// One EventBridge event: parsed, then applied once.
pub async fn function_handler(
    inbound: &CrmInbound,
    event: LambdaEvent<Value>,
) -> Result<String, InboundFailure> {
    let applied = take_event(inbound, event.payload).await?;
    Ok(format!("{applied:?}"))
}

/// Applies the change an EventBridge event carries.
pub async fn take_event(inbound: &CrmInbound, event: Value) -> Result<Applied, InboundFailure> {
    let change = event_relay::parse(event).inspect_err(|error| {
        tracing::warn!(%error, "an event that is not a change the store takes");
    })?;
    Ok(inbound.apply(&change).await?)
}

impl From<InboundFailure> for lambda_runtime::Diagnostic {
    fn from(e: InboundFailure) -> Self {
        let error_type = match &e {
            InboundFailure::Event(_) => "NotAChangeEvent",
            InboundFailure::Apply(InboundError::Store(_)) => "StoreUnavailable",
            InboundFailure::Apply(InboundError::Crm(_)) => "SalesforceUnavailable",
            InboundFailure::Apply(InboundError::Conflict) => "Conflict",
            InboundFailure::Apply(InboundError::Mail) => "MailUnavailable",
        };
        tracing::error!(error = ?e, "change from Salesforce not applied");
        lambda_runtime::Diagnostic {
            error_type: error_type.to_owned(),
            error_message: e.to_string(),
        }
    }
}
