//! Change Data Capture events as Salesforce Event Relay puts them on an EventBridge bus: the
//! event's `detail.payload` holds the `ChangeEventHeader` and the changed fields, compound
//! fields (a Contact's `Name`, addresses) nested one level.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use storesync_core::from_crm::{ChangeKind, CrmChange, CrmEntity};
use storesync_core::ids::CrmId;
use thiserror::Error;

/// Why an event is not a change the store can take.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EventError {
    #[error("not a change event: {0}")]
    Malformed(String),
    #[error("changes of {0} are not taken")]
    Entity(String),
    #[error("unknown change type {0}")]
    ChangeType(String),
}

#[derive(Deserialize)]
struct Envelope {
    detail: Detail,
}

#[derive(Deserialize)]
struct Detail {
    payload: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    entity_name: String,
    #[serde(default)]
    record_ids: Vec<String>,
    change_type: String,
    commit_timestamp: i64,
    #[serde(default)]
    commit_user: Option<String>,
    transaction_key: String,
    sequence_number: i64,
    #[serde(default)]
    nulled_fields: Vec<String>,
}

/// The change an EventBridge event carries. Its id is the transaction key and sequence
/// number, which name one change event however often and by whichever way it comes.
pub fn parse(event: Value) -> Result<CrmChange, EventError> {
    let envelope: Envelope =
        serde_json::from_value(event).map_err(|e| EventError::Malformed(e.to_string()))?;
    let mut payload = envelope.detail.payload;
    let header = payload
        .remove("ChangeEventHeader")
        .ok_or_else(|| EventError::Malformed("no ChangeEventHeader".into()))?;
    let header: Header =
        serde_json::from_value(header).map_err(|e| EventError::Malformed(e.to_string()))?;
    let entity =
        CrmEntity::parse(&header.entity_name).ok_or(EventError::Entity(header.entity_name))?;
    let kind =
        ChangeKind::parse(&header.change_type).ok_or(EventError::ChangeType(header.change_type))?;
    let record_ids = header
        .record_ids
        .iter()
        .map(|id| CrmId::parse(id).map_err(|_| EventError::Malformed(format!("record id {id:?}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let mut fields = BTreeMap::new();
    for (name, value) in payload {
        match value {
            Value::Object(parts) => {
                for (part, value) in parts {
                    fields.insert(format!("{name}.{part}"), value);
                }
            }
            value => {
                fields.insert(name, value);
            }
        }
    }
    for nulled in header.nulled_fields {
        fields.insert(nulled, Value::Null);
    }
    Ok(CrmChange {
        event_id: format!("{}:{}", header.transaction_key, header.sequence_number),
        entity,
        kind,
        record_ids,
        committed_at: header.commit_timestamp,
        commit_user: header.commit_user,
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTACT_CREATED: &str = include_str!("../../../events/crm-inbound-contact-created.json");

    #[test]
    fn a_contact_created_in_salesforce_reads_with_its_name_parts_and_account() {
        let change = parse(serde_json::from_str(CONTACT_CREATED).unwrap()).unwrap();
        assert_eq!(change.entity, CrmEntity::Contact);
        assert_eq!(change.kind, ChangeKind::Create);
        assert_eq!(change.record_ids[0].as_str(), "003Dn00000NitaSAAQ");
        assert_eq!(change.fields["Name.FirstName"], "Nita");
        assert_eq!(change.fields["Email"], "nita@sefton.example");
        assert_eq!(change.fields["AccountId"], "001Dn00000SeftonAA");
        assert_eq!(change.commit_user.as_deref(), Some("005Dn00000ManagerA"));
        assert!(!change.fields.contains_key("ChangeEventHeader"));
        assert_eq!(change.event_id, "0001a2b3-c4d5-e6f7-0000-000000000001:1");
    }

    #[test]
    fn other_objects_and_malformed_events_are_refused_with_the_reason() {
        let mut event: Value = serde_json::from_str(CONTACT_CREATED).unwrap();
        event["detail"]["payload"]["ChangeEventHeader"]["entityName"] = "Lead".into();
        assert_eq!(parse(event).unwrap_err(), EventError::Entity("Lead".into()));
        assert!(matches!(
            parse(serde_json::json!({"detail": {"payload": {}}})),
            Err(EventError::Malformed(_))
        ));
        let mut event: Value = serde_json::from_str(CONTACT_CREATED).unwrap();
        event["detail"]["payload"]["ChangeEventHeader"]["changeType"] = "MERGE".into();
        assert_eq!(
            parse(event).unwrap_err(),
            EventError::ChangeType("MERGE".into())
        );
    }

    #[test]
    fn a_nulled_field_reads_as_null() {
        let mut event: Value = serde_json::from_str(CONTACT_CREATED).unwrap();
        event["detail"]["payload"]["ChangeEventHeader"]["changeType"] = "UPDATE".into();
        event["detail"]["payload"]["ChangeEventHeader"]["nulledFields"] =
            serde_json::json!(["Phone"]);
        let change = parse(event).unwrap();
        assert_eq!(change.fields["Phone"], Value::Null);
    }
}
