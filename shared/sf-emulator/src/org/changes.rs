//! Transactions as Change Data Capture sees them: every write to a record is remembered
//! with the record before and after it, and a commit closes the transaction, stamping it
//! with its key, commit number, time and user. A rolled-back transaction (`allOrNone`)
//! restores `OrgData` and so forgets its changes. Committing also writes the field history
//! of tracked fields.

use serde_json::json;

use super::dates::now_datetime;
use super::fields::{field, is_blank};
use super::{Org, Record};
use crate::schema::{self, FieldType};

/// One write to a record: created (`before` is `None`), changed, or deleted (`after` is
/// `None`).
#[derive(Debug, Clone)]
pub struct Change {
    /// The record's object.
    pub object: &'static str,
    /// The record's 18-character id.
    pub id: String,
    /// The record before the write.
    pub before: Option<Record>,
    /// The record after the write.
    pub after: Option<Record>,
}

/// A committed transaction: its changes in the order they were made.
#[derive(Debug, Clone)]
pub struct Transaction {
    /// `transactionKey`: unique per transaction.
    pub key: String,
    /// `commitNumber`: increases with every commit of the org.
    pub commit_number: u64,
    /// `commitTimestamp`, epoch milliseconds.
    pub commit_timestamp: i64,
    /// `commitUser`: the user whose session made the changes.
    pub user: String,
    /// `changeOrigin`: the API and client that made them, empty when no API did.
    pub origin: String,
    /// What changed.
    pub changes: Vec<Change>,
}

/// Who is making the current transaction's changes, and through which API.
#[derive(Debug, Clone, Default)]
pub(super) struct Session {
    pub user: String,
    pub origin: String,
}

/// Where each history object's rows point at the parent record.
const HISTORY: &[(&str, &str, &str)] = &[
    ("Account", "AccountHistory", "AccountId"),
    ("Contact", "ContactHistory", "ContactId"),
];

impl Org {
    /// Starts a transaction made by `user` through `origin` (`com/salesforce/api/rest/62.0`,
    /// with `;client=...` when the caller names itself; empty for changes no API made).
    pub fn begin(&mut self, user: &str, origin: &str) {
        self.session = Session {
            user: user.to_string(),
            origin: origin.to_string(),
        };
    }

    /// The user whose session makes the current changes (the integration user outside any).
    pub fn acting_user(&self) -> &str {
        if self.session.user.is_empty() {
            &self.integration_user_id
        } else {
            &self.session.user
        }
    }

    /// Commits the changes made since the last commit as one transaction, writing the
    /// field history of tracked fields. A transaction that changed nothing leaves no trace.
    pub fn commit(&mut self) {
        let changes = std::mem::take(&mut self.data.changes);
        if changes.is_empty() {
            return;
        }
        self.commit_number += 1;
        let now = chrono::Utc::now();
        let transaction = Transaction {
            key: uuid::Uuid::new_v4().to_string(),
            commit_number: self.commit_number,
            commit_timestamp: now.timestamp_millis(),
            user: self.acting_user().to_string(),
            origin: self.session.origin.clone(),
            changes,
        };
        self.write_history(&transaction);
        self.committed.push(transaction);
    }

    /// Ends the session: commits what is left and returns every transaction committed since
    /// the last call, oldest first.
    pub fn end(&mut self) -> Vec<Transaction> {
        self.commit();
        self.session = Session::default();
        std::mem::take(&mut self.committed)
    }

    /// One history row per tracked field an update changed; one `created` row per new record.
    fn write_history(&mut self, transaction: &Transaction) {
        for change in &transaction.changes {
            let Some((_, history, parent)) = HISTORY.iter().find(|h| h.0 == change.object) else {
                continue;
            };
            // History is kept only for objects with tracked fields.
            let Some(def) = schema::object(change.object)
                .filter(|def| def.fields.iter().any(|f| f.track_history))
            else {
                continue;
            };
            let mut rows = Vec::new();
            match (&change.before, &change.after) {
                (None, Some(_)) => rows.push(("created".to_string(), None, None)),
                (Some(before), Some(after)) => {
                    for f in def.fields.iter().filter(|f| f.track_history) {
                        let (old, new) = (field(before, f.name), field(after, f.name));
                        let same = old == new || (is_blank(old) && is_blank(new));
                        if !same {
                            let value =
                                |v: Option<&serde_json::Value>| v.filter(|v| !v.is_null()).cloned();
                            rows.push((f.name.to_string(), value(old), value(new)));
                        }
                    }
                }
                _ => {}
            }
            for (name, old, new) in rows {
                let now = now_datetime();
                let history_def = schema::object(history).expect("history objects are emulated");
                let id = self.data.next_id(history_def);
                let row: Record = [
                    ("Id", json!(id)),
                    (*parent, json!(change.id)),
                    ("Field", json!(name)),
                    ("OldValue", json!(old)),
                    ("NewValue", json!(new)),
                    ("DataType", json!(data_type(def, &name))),
                    ("CreatedById", json!(transaction.user)),
                    ("CreatedDate", json!(now)),
                    ("IsDeleted", json!(false)),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
                self.data.put_untracked(history_def, id, row);
            }
        }
    }
}

/// The history row's `DataType`, as Salesforce names the tracked field's type.
fn data_type(def: &schema::ObjectDef, name: &str) -> &'static str {
    match def.fields.iter().find(|f| f.name == name).map(|f| f.kind) {
        Some(FieldType::Boolean) => "Boolean",
        Some(FieldType::Percent) => "Percent",
        Some(FieldType::Currency) => "Currency",
        Some(FieldType::Double) => "Double",
        Some(FieldType::Picklist) => "DynamicEnum",
        Some(FieldType::Email) => "Email",
        Some(FieldType::Phone) => "Phone",
        Some(FieldType::Date) => "Date",
        Some(FieldType::DateTime) => "DateTime",
        Some(FieldType::Reference(_)) => "EntityId",
        Some(_) => "Text",
        None => "EntityId",
    }
}
