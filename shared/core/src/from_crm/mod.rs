//! Changes from Salesforce: what sales does to Contacts and Accounts comes back to the store.
//! A Contact sales adds to an Account the store knows becomes an invited customer; a changed
//! Contact changes its customer, field by field as the ownership settings say; an Account's
//! terms apply to its customers at checkout. Changes arrive as Change Data Capture events
//! (through Amazon EventBridge) or Outbound Messages, at least once and in no promised order:
//! each is applied once (by its event id), a field only moves forward in Salesforce's commit
//! time, and the store's own changes coming back are recognised and not applied again.
//!
//! - [`CrmChange`]: one change as the edge parsed it;
//! - [`apply::CrmInbound`]: the use case;
//! - the store keeps links, accounts and history through [`crate::ports::CrmInboundStore`].

pub mod apply;

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::accounts::StoreAccount;
use crate::customer::Customer;
use crate::events::OutboxEvent;
use crate::ids::{CrmId, CustomerId, InvalidValue};
use crate::sync::crm::CrmError;

/// The Salesforce objects whose changes the store takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CrmEntity {
    Contact,
    Account,
}

impl CrmEntity {
    pub fn parse(raw: &str) -> Option<CrmEntity> {
        match raw {
            "Contact" => Some(CrmEntity::Contact),
            "Account" => Some(CrmEntity::Account),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CrmEntity::Contact => "Contact",
            CrmEntity::Account => "Account",
        }
    }
}

/// What happened to the records, as Change Data Capture names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Create,
    Update,
    Delete,
    Undelete,
    /// Salesforce could not say what changed (`GAP_*`): the records are read again.
    Gap,
    /// Too many changes at once (`GAP_OVERFLOW`): the entity's recently changed records are
    /// read again.
    Overflow,
}

impl ChangeKind {
    pub fn parse(raw: &str) -> Option<ChangeKind> {
        Some(match raw {
            "CREATE" => ChangeKind::Create,
            "UPDATE" => ChangeKind::Update,
            "DELETE" => ChangeKind::Delete,
            "UNDELETE" => ChangeKind::Undelete,
            "GAP_OVERFLOW" => ChangeKind::Overflow,
            "GAP_CREATE" | "GAP_UPDATE" | "GAP_DELETE" | "GAP_UNDELETE" => ChangeKind::Gap,
            _ => return None,
        })
    }
}

/// One change of one or more records, as the edge parsed it from an event or a message.
#[derive(Debug, Clone, PartialEq)]
pub struct CrmChange {
    /// Names the delivery: the same id is the same change, applied once.
    pub event_id: String,
    pub entity: CrmEntity,
    pub kind: ChangeKind,
    pub record_ids: Vec<CrmId>,
    /// When Salesforce committed it, in milliseconds since the epoch.
    pub committed_at: i64,
    /// The Salesforce user who made it, when the message says.
    pub commit_user: Option<String>,
    /// The fields the change carries, compound ones flattened (`MailingAddress.City`); a
    /// field set to nothing is `null`.
    pub fields: BTreeMap<String, Value>,
}

impl CrmChange {
    pub fn committed_time(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.committed_at).unwrap_or_default()
    }

    /// A text field's value: `Some(None)` when the change nulls it, `None` when it is not in
    /// the change.
    pub fn text(&self, field: &str) -> Option<Option<String>> {
        self.fields.get(field).map(|v| match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
    }
}

/// Who wins when the store and Salesforce both change a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldOwner {
    /// Salesforce's changes to the field are not applied; the store's value is sent back.
    Store,
    /// Salesforce's changes are applied, in commit order.
    Salesforce,
    /// The later change wins: Salesforce's commit time against the store's last change.
    Newest,
}

/// The customer fields a Contact change may set, with who owns each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldOwnership {
    pub first_name: FieldOwner,
    pub last_name: FieldOwner,
    pub email: FieldOwner,
    pub phone: FieldOwner,
}

impl Default for FieldOwnership {
    /// Names and phone: the newest change; the e-mail the customer signs in and is mailed
    /// at: the store.
    fn default() -> Self {
        FieldOwnership {
            first_name: FieldOwner::Newest,
            last_name: FieldOwner::Newest,
            email: FieldOwner::Store,
            phone: FieldOwner::Newest,
        }
    }
}

impl FieldOwnership {
    pub fn owner(&self, field: CustomerField) -> FieldOwner {
        match field {
            CustomerField::FirstName => self.first_name,
            CustomerField::LastName => self.last_name,
            CustomerField::Email => self.email,
            CustomerField::Phone => self.phone,
        }
    }
}

/// A customer field Salesforce may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerField {
    FirstName,
    LastName,
    Email,
    Phone,
}

impl CustomerField {
    pub const ALL: [CustomerField; 4] = [
        CustomerField::FirstName,
        CustomerField::LastName,
        CustomerField::Email,
        CustomerField::Phone,
    ];

    /// The Contact field it comes from.
    pub fn contact_field(self) -> &'static str {
        match self {
            CustomerField::FirstName => "Name.FirstName",
            CustomerField::LastName => "Name.LastName",
            CustomerField::Email => "Email",
            CustomerField::Phone => "Phone",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CustomerField::FirstName => "first_name",
            CustomerField::LastName => "last_name",
            CustomerField::Email => "email",
            CustomerField::Phone => "phone",
        }
    }

    pub fn parse(raw: &str) -> Result<CustomerField, InvalidValue> {
        CustomerField::ALL
            .into_iter()
            .find(|f| f.as_str() == raw)
            .ok_or_else(|| InvalidValue::new(raw, "must be first_name, last_name, email or phone"))
    }
}

/// What ties a Salesforce Contact to a store customer, and when Salesforce last changed each
/// of its fields the store keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactLink {
    pub contact_id: CrmId,
    pub customer_id: CustomerId,
    /// Commit time (ms) of the last applied Salesforce change, by customer field.
    #[serde(default)]
    pub field_times: BTreeMap<CustomerField, i64>,
    /// Removed in Salesforce: its later changes are not applied.
    #[serde(default)]
    pub deleted: bool,
    /// The customer's version after the last change from Salesforce: a later version means
    /// the store changed the customer since.
    #[serde(default)]
    pub seen_version: u64,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

/// Which side changed a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeSide {
    Store,
    Salesforce,
}

/// One field of one customer changed: who, on which side, when, from what to what. Never a
/// secret (no tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerChange {
    pub customer_id: CustomerId,
    pub field: String,
    pub side: ChangeSide,
    /// The customer themself, an operator, or the Salesforce user's id.
    pub by: String,
    pub at: DateTime<Utc>,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl CustomerChange {
    /// Its place in the customer's history: by time, then field.
    pub fn position(&self) -> String {
        crate::listing::position(self.at, &self.field)
    }
}

/// How a customer is written with a change from Salesforce.
#[derive(Debug, Clone, PartialEq, Eq)]
// One per change, moved rather than copied around: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum CustomerWrite {
    /// An invited profile, refused if the id or the e-mail is taken.
    New(Customer),
    /// Over the version it was read at; the e-mail claim moves with it.
    Changed { previous: Customer, next: Customer },
}

/// Everything one change from Salesforce writes, all or nothing, once per event id.
#[derive(Debug, Clone, PartialEq)]
pub struct CrmInboundWrite {
    pub event_id: String,
    pub at: DateTime<Utc>,
    pub customer: Option<CustomerWrite>,
    /// At its version: new at 1.
    pub link: Option<ContactLink>,
    /// At its version: new at 1.
    pub account: Option<StoreAccount>,
    pub history: Vec<CustomerChange>,
    /// A change the store must send back to Salesforce (a store-owned field Salesforce
    /// changed).
    pub event: Option<OutboxEvent>,
}

/// Reads records again when Salesforce could not say what changed.
#[async_trait]
pub trait CrmRecords: Send + Sync {
    /// The records' current fields, flattened as in a change: one query.
    async fn records(
        &self,
        entity: CrmEntity,
        ids: &[CrmId],
    ) -> Result<Vec<(CrmId, BTreeMap<String, Value>)>, CrmError>;
    /// The ids of the entity's records changed since `since`: one query.
    async fn changed_since(
        &self,
        entity: CrmEntity,
        since: DateTime<Utc>,
    ) -> Result<Vec<CrmId>, CrmError>;
}
