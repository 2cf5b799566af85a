//! Salesforce Outbound Messages, for orgs without Event Relay: a SOAP `notifications` message
//! with the organisation's id and one or more records' current fields; answered with `Ack`
//! (true once applied, so Salesforce stops retrying).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use storesync_core::from_crm::{ChangeKind, CrmChange, CrmEntity};
use storesync_core::ids::CrmId;
use thiserror::Error;

const OUTBOUND_NS: &str = "http://soap.sforce.com/2005/09/outbound";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

#[derive(Debug, Error, PartialEq, Eq)]
pub enum MessageError {
    #[error("not an Outbound Message: {0}")]
    Malformed(String),
    #[error("changes of {0} are not taken")]
    Entity(String),
}

/// One Outbound Message: who sent it and the changes it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundMessage {
    pub organization_id: String,
    pub changes: Vec<CrmChange>,
}

/// Fields Salesforce sends as text that the store reads as numbers.
fn number_field(name: &str) -> bool {
    name.ends_with("Percent__c")
}

pub fn parse(body: &str) -> Result<OutboundMessage, MessageError> {
    let malformed = |m: &str| MessageError::Malformed(m.to_owned());
    let doc =
        roxmltree::Document::parse(body).map_err(|e| MessageError::Malformed(e.to_string()))?;
    let notifications = doc
        .descendants()
        .find(|n| n.has_tag_name((OUTBOUND_NS, "notifications")))
        .ok_or_else(|| malformed("no notifications element"))?;
    let child_text = |parent: roxmltree::Node<'_, '_>, name: &str| {
        parent
            .children()
            .find(|n| n.is_element() && n.tag_name().name() == name)
            .and_then(|n| n.text())
            .map(str::to_owned)
    };
    let organization_id = child_text(notifications, "OrganizationId")
        .ok_or_else(|| malformed("no OrganizationId"))?;
    let mut changes = Vec::new();
    for notification in notifications
        .children()
        .filter(|n| n.has_tag_name((OUTBOUND_NS, "Notification")))
    {
        let id =
            child_text(notification, "Id").ok_or_else(|| malformed("a Notification without Id"))?;
        let record = notification
            .children()
            .find(|n| n.has_tag_name((OUTBOUND_NS, "sObject")))
            .ok_or_else(|| malformed("a Notification without sObject"))?;
        let kind = record
            .attribute((XSI_NS, "type"))
            .ok_or_else(|| malformed("an sObject without xsi:type"))?;
        let object = kind.rsplit(':').next().unwrap_or(kind);
        let entity = CrmEntity::parse(object).ok_or_else(|| MessageError::Entity(object.into()))?;
        let mut fields = BTreeMap::new();
        let mut record_id = None;
        for field in record.children().filter(roxmltree::Node::is_element) {
            let name = field.tag_name().name();
            let nil = field.attribute((XSI_NS, "nil")) == Some("true");
            let text = field.text().unwrap_or_default();
            if name == "Id" {
                record_id = Some(CrmId::parse(text).map_err(|_| malformed("a bad record id"))?);
                continue;
            }
            let value = if nil {
                Value::Null
            } else if text == "true" || text == "false" {
                Value::Bool(text == "true")
            } else if number_field(name) {
                text.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            } else {
                Value::String(text.to_owned())
            };
            let name = match name {
                "FirstName" | "LastName" => format!("Name.{name}"),
                other => other.to_owned(),
            };
            fields.insert(name, value);
        }
        let record_id = record_id.ok_or_else(|| malformed("an sObject without Id"))?;
        // The message carries the record as it is now, as of its last change.
        let committed_at = fields
            .get("LastModifiedDate")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map_or_else(|| Utc::now().timestamp_millis(), |t| t.timestamp_millis());
        let commit_user = fields
            .get("LastModifiedById")
            .and_then(Value::as_str)
            .map(str::to_owned);
        changes.push(CrmChange {
            event_id: format!("outbound:{id}"),
            entity,
            kind: ChangeKind::Update,
            record_ids: vec![record_id],
            committed_at,
            commit_user,
            fields,
        });
    }
    Ok(OutboundMessage {
        organization_id,
        changes,
    })
}

/// The answer Salesforce waits for: `Ack` true stops its retries.
pub fn ack(applied: bool) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">\
         <soapenv:Body><notificationsResponse xmlns=\"{OUTBOUND_NS}\">\
         <Ack>{applied}</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &str = include_str!("../../../events/crm-inbound-outbound-message.xml");

    #[test]
    fn an_outbound_message_reads_as_one_change_per_notification() {
        let message = parse(MESSAGE).unwrap();
        assert_eq!(message.organization_id, "00DDn00000StoreAAA");
        assert_eq!(message.changes.len(), 1);
        let change = &message.changes[0];
        assert_eq!(change.event_id, "outbound:04lDn00000Notif1AAA");
        assert_eq!(change.entity, CrmEntity::Contact);
        assert_eq!(change.record_ids[0].as_str(), "003Dn00000NitaSAAQ");
        assert_eq!(change.fields["Name.FirstName"], "Nita");
        assert_eq!(change.fields["Phone"], Value::Null);
        assert_eq!(change.commit_user.as_deref(), Some("005Dn00000ManagerA"));
        assert_eq!(change.committed_at, 1_796_115_600_000);
    }

    #[test]
    fn the_answer_acknowledges_or_not() {
        assert!(ack(true).contains("<Ack>true</Ack>"));
        assert!(ack(false).contains("<Ack>false</Ack>"));
        assert!(matches!(parse("<a/>"), Err(MessageError::Malformed(_))));
        assert!(matches!(parse("not xml"), Err(MessageError::Malformed(_))));
    }
}
