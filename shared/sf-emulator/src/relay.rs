//! Event Relay: each change event as the partner event source puts it on an Amazon
//! EventBridge bus, POSTed as JSON to the relay's target (in the dev stack, the store's
//! endpoint standing in for the bus and its rule).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::change_events::ChangeEvent;
use crate::ids;

/// Where and as what the org relays its change events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRelay {
    /// The URL each event is POSTed to.
    pub url: String,
    /// The org id in the partner event source; the org's own when `None`.
    pub org_id: Option<String>,
    /// The relayed channel's id (`0YL...`) in the partner event source; the org's channel
    /// when `None`.
    pub relay_id: Option<String>,
    /// The AWS account of the event bus.
    pub account: String,
    /// The AWS region of the event bus.
    pub region: String,
}

impl EventRelay {
    /// A relay of the org's change events channel to `url`, in `us-east-1`.
    pub fn to(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            org_id: None,
            relay_id: None,
            account: "000000000000".into(),
            region: "us-east-1".into(),
        }
    }
}

/// The id of the org's channel of Account and Contact change events.
pub(crate) fn default_channel_id() -> String {
    ids::make_id("0YL", 1)
}

/// The Avro schema id Salesforce names for an entity's change event (stable per entity).
fn schema_id(entity: &str) -> String {
    let digest = Sha256::digest(format!("{entity}ChangeEvent").as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// The EventBridge event carrying one change event.
pub(crate) fn envelope(
    event: &ChangeEvent,
    replay_id: u64,
    org_id: &str,
    relay: Option<&EventRelay>,
) -> Value {
    let org = relay
        .and_then(|r| r.org_id.clone())
        .unwrap_or_else(|| org_id.to_string());
    let channel = relay
        .and_then(|r| r.relay_id.clone())
        .unwrap_or_else(default_channel_id);
    let commit = event.payload["ChangeEventHeader"]["commitTimestamp"]
        .as_i64()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .unwrap_or_else(chrono::Utc::now);
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": format!("{}ChangeEvent", event.entity),
        "source": format!("aws.partner/salesforce.com/{org}/{channel}"),
        "account": relay.map_or("000000000000", |r| r.account.as_str()),
        "time": commit.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "region": relay.map_or("us-east-1", |r| r.region.as_str()),
        "resources": [],
        "detail": {
            "payload": event.payload,
            "schemaId": schema_id(event.entity),
            "id": uuid::Uuid::new_v4().to_string(),
            "replayId": replay_id.to_string(),
        },
    })
}
