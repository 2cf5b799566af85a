//! Outbound messages: a workflow rule's outbound message action on an object, fired when a
//! record is created and every time it is edited, sends the chosen fields of the records a
//! transaction wrote as one SOAP `notifications` message (at most 100 notifications each),
//! and resends it until the listener acknowledges it.

use serde_json::Value;

use crate::error::SfError;
use crate::ids;
use crate::org::{Record, Transaction};
use crate::schema;

/// Most notifications one message carries.
const NOTIFICATIONS_PER_MESSAGE: usize = 100;

/// An outbound message action: which object's records, where to, with which fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundMessage {
    /// The object whose records are sent (`Contact`).
    pub object: String,
    /// The listener's URL.
    pub url: String,
    /// The fields sent besides `Id`.
    pub fields: Vec<String>,
}

impl OutboundMessage {
    /// An outbound message of `fields` of `object`'s records to `url`.
    pub fn new(object: &str, url: &str, fields: &[&str]) -> Self {
        Self {
            object: object.to_string(),
            url: url.to_string(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
        }
    }
}

/// An outbound message as the org keeps it: checked against the schema, with its id.
#[derive(Debug, Clone)]
pub(crate) struct Action {
    pub id: String,
    pub object: &'static str,
    pub url: String,
    pub fields: Vec<&'static str>,
}

impl Action {
    /// Refuses an unknown object or field, as Setup does.
    pub(crate) fn new(number: u64, message: &OutboundMessage) -> Result<Self, SfError> {
        let def = schema::object(&message.object).ok_or_else(|| {
            SfError::new(
                400,
                "INVALID_TYPE",
                format!("sObject type '{}' is not supported.", message.object),
                &[],
            )
        })?;
        let fields = message
            .fields
            .iter()
            .filter(|f| !f.eq_ignore_ascii_case("Id"))
            .map(|f| {
                def.field(f, true).map(|f| f.name).ok_or_else(|| {
                    SfError::new(
                        400,
                        "INVALID_FIELD",
                        format!("No such column '{f}' on sobject of type {}", def.name),
                        &[],
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            id: ids::make_id("04k", number),
            object: def.name,
            url: message.url.clone(),
            fields,
        })
    }

    /// The records of this action's object that `tx` created or edited, last version of
    /// each, in the order first written.
    pub(crate) fn records<'a>(&self, tx: &'a Transaction) -> Vec<&'a Record> {
        let mut ids: Vec<&str> = Vec::new();
        for change in tx.changes.iter().filter(|c| c.object == self.object) {
            if change.after.is_some() && !ids.contains(&change.id.as_str()) {
                ids.push(&change.id);
            }
        }
        ids.iter()
            .filter_map(|id| {
                tx.changes
                    .iter()
                    .rev()
                    .find(|c| c.id == *id)
                    .and_then(|c| c.after.as_ref())
            })
            .collect()
    }

    /// The SOAP messages for `records`: one per 100 notifications; `next_id` numbers them.
    pub(crate) fn messages(
        &self,
        records: &[&Record],
        org_id: &str,
        base_url: &str,
        next_id: &mut impl FnMut() -> String,
    ) -> Vec<String> {
        records
            .chunks(NOTIFICATIONS_PER_MESSAGE)
            .map(|chunk| {
                let notifications: String = chunk
                    .iter()
                    .map(|record| self.notification(&next_id(), record))
                    .collect();
                let org15 = &org_id[..15.min(org_id.len())];
                format!(
                    concat!(
                        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#,
                        "<soapenv:Body>",
                        r#"<notifications xmlns="http://soap.sforce.com/2005/09/outbound">"#,
                        "<OrganizationId>{org}</OrganizationId>",
                        "<ActionId>{action}</ActionId>",
                        r#"<SessionId xsi:nil="true"/>"#,
                        "<EnterpriseUrl>{base}/services/Soap/c/62.0/{org15}</EnterpriseUrl>",
                        "<PartnerUrl>{base}/services/Soap/u/62.0/{org15}</PartnerUrl>",
                        "{notifications}",
                        "</notifications>",
                        "</soapenv:Body>",
                        "</soapenv:Envelope>"
                    ),
                    org = org_id,
                    action = self.id,
                    base = escape(base_url),
                    org15 = org15,
                    notifications = notifications,
                )
            })
            .collect()
    }

    fn notification(&self, id: &str, record: &Record) -> String {
        let record_id = record.get("Id").and_then(Value::as_str).unwrap_or_default();
        let fields: String = self
            .fields
            .iter()
            .filter_map(|name| {
                let value = record.get(*name)?;
                let text = match value {
                    Value::Null => return None,
                    Value::String(s) if s.is_empty() => return None,
                    Value::String(s) => s
                        .strip_suffix("+0000")
                        .map_or_else(|| s.clone(), |utc| format!("{utc}Z")),
                    other => other.to_string(),
                };
                Some(format!("<sf:{name}>{}</sf:{name}>", escape(&text)))
            })
            .collect();
        format!(
            r#"<Notification><Id>{id}</Id><sObject xsi:type="sf:{object}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Id>{record_id}</sf:Id>{fields}</sObject></Notification>"#,
            object = self.object,
        )
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}
