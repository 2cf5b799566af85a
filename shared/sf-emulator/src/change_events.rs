//! Change Data Capture: the change events a committed transaction produces for the objects
//! selected for CDC (Account and Contact), as Salesforce builds them. A create carries the
//! record's non-null fields, an update only what changed (with `LastModifiedDate`), a delete
//! only its header; compound fields are nested (`Name` of a contact, `MailingAddress`,
//! `BillingAddress`) and named `Compound.Component` in `changedFields` and `nulledFields`.
//! Gap events stand in for changes the org cannot describe, overflow events for the
//! changes of a transaction beyond the overflow threshold.

use serde_json::{Map, Value, json};

use crate::org::{Change, Record, Transaction};
use crate::schema::{self, FieldType};

/// The objects selected for Change Data Capture.
pub const CDC_ENTITIES: &[&str] = &["Account", "Contact"];

/// Salesforce's overflow threshold: changes of one transaction beyond it become overflow
/// events.
pub const DEFAULT_OVERFLOW_THRESHOLD: usize = 100_000;

/// A compound field: its name in events and its components with the record fields behind
/// them.
struct Compound {
    object: &'static str,
    name: &'static str,
    components: &'static [(&'static str, &'static str)],
}

const ADDRESS: [&str; 5] = ["Street", "City", "State", "PostalCode", "Country"];

const COMPOUNDS: &[Compound] = &[
    Compound {
        object: "Contact",
        name: "Name",
        components: &[
            ("Salutation", "Salutation"),
            ("FirstName", "FirstName"),
            ("LastName", "LastName"),
        ],
    },
    Compound {
        object: "Contact",
        name: "MailingAddress",
        components: &[
            (ADDRESS[0], "MailingStreet"),
            (ADDRESS[1], "MailingCity"),
            (ADDRESS[2], "MailingState"),
            (ADDRESS[3], "MailingPostalCode"),
            (ADDRESS[4], "MailingCountry"),
        ],
    },
    Compound {
        object: "Account",
        name: "BillingAddress",
        components: &[
            (ADDRESS[0], "BillingStreet"),
            (ADDRESS[1], "BillingCity"),
            (ADDRESS[2], "BillingState"),
            (ADDRESS[3], "BillingPostalCode"),
            (ADDRESS[4], "BillingCountry"),
        ],
    },
];

/// Record fields no change event carries (the id is in `recordIds`).
const NOT_IN_EVENTS: &[&str] = &["Id", "IsDeleted", "SystemModstamp"];

/// How the org is to fail at producing change events, as a test sets it.
#[derive(Debug, Clone)]
pub(crate) struct Switches {
    /// The next this many change events come as gap events.
    pub gaps: usize,
    /// Changes of one transaction counted beyond this become overflow events.
    pub overflow_threshold: usize,
}

impl Default for Switches {
    fn default() -> Self {
        Self {
            gaps: 0,
            overflow_threshold: DEFAULT_OVERFLOW_THRESHOLD,
        }
    }
}

/// One change event: the entity (for `<Entity>ChangeEvent`) and its payload.
#[derive(Debug, Clone)]
pub(crate) struct ChangeEvent {
    pub entity: &'static str,
    pub payload: Value,
}

/// The change events of one transaction, in the order its changes were made.
pub(crate) fn change_events(tx: &Transaction, switches: &mut Switches) -> Vec<ChangeEvent> {
    let mut events = Vec::new();
    let mut counted = 0;
    let mut overflowed: Vec<&'static str> = Vec::new();
    let captured = tx
        .changes
        .iter()
        .filter(|c| CDC_ENTITIES.contains(&c.object));
    for change in captured {
        let Some(body) = Body::of(change) else {
            continue;
        };
        // A create or delete counts once, an update once per changed field.
        let weight = if body.change_type == "UPDATE" {
            body.changed.len().max(1)
        } else {
            1
        };
        if counted + weight > switches.overflow_threshold {
            if !overflowed.contains(&change.object) {
                overflowed.push(change.object);
            }
            continue;
        }
        counted += weight;
        let sequence = events.len() + 1;
        let payload = if switches.gaps > 0 {
            switches.gaps -= 1;
            let gap = format!("GAP_{}", body.change_type);
            header_only(change.object, &[change.id.as_str()], &gap, tx, 1)
        } else {
            body.payload(change.object, &change.id, tx, sequence)
        };
        events.push(ChangeEvent {
            entity: change.object,
            payload,
        });
    }
    for entity in overflowed {
        let sequence = events.len() + 1;
        events.push(ChangeEvent {
            entity,
            payload: header_only(entity, &[], "GAP_OVERFLOW", tx, sequence),
        });
    }
    events
}

/// What one change puts in its event.
struct Body {
    change_type: &'static str,
    fields: Map<String, Value>,
    changed: Vec<String>,
    nulled: Vec<String>,
}

impl Body {
    fn of(change: &Change) -> Option<Self> {
        let (change_type, fields, changed, nulled) = match (&change.before, &change.after) {
            (None, Some(after)) => ("CREATE", created(change.object, after), vec![], vec![]),
            (Some(before), Some(after)) => {
                let (fields, changed, nulled) = updated(change.object, before, after);
                ("UPDATE", fields, changed, nulled)
            }
            (Some(_), None) => ("DELETE", Map::new(), vec![], vec![]),
            (None, None) => return None,
        };
        Some(Self {
            change_type,
            fields,
            changed,
            nulled,
        })
    }

    fn payload(self, entity: &str, id: &str, tx: &Transaction, sequence: usize) -> Value {
        let mut payload = Map::new();
        payload.insert(
            "ChangeEventHeader".into(),
            header(
                entity,
                &[id],
                self.change_type,
                tx,
                sequence,
                &self.changed,
                &self.nulled,
            ),
        );
        payload.extend(self.fields);
        Value::Object(payload)
    }
}

fn header_only(
    entity: &str,
    ids: &[&str],
    change_type: &str,
    tx: &Transaction,
    seq: usize,
) -> Value {
    json!({ "ChangeEventHeader": header(entity, ids, change_type, tx, seq, &[], &[]) })
}

fn header(
    entity: &str,
    ids: &[&str],
    change_type: &str,
    tx: &Transaction,
    sequence: usize,
    changed: &[String],
    nulled: &[String],
) -> Value {
    json!({
        "entityName": entity,
        "recordIds": ids,
        "changeType": change_type,
        "changeOrigin": tx.origin,
        "transactionKey": tx.key,
        "sequenceNumber": sequence,
        "commitTimestamp": tx.commit_timestamp,
        "commitNumber": tx.commit_number,
        "commitUser": tx.user,
        "nulledFields": nulled,
        "diffFields": [],
        "changedFields": changed,
    })
}

/// Where a record field goes in an event: at the top, or as a component of a compound.
enum Slot {
    Top,
    Component(&'static str, &'static str),
    /// Not carried (system fields, and a contact's derived full name).
    Skipped,
}

fn slot(object: &str, name: &str) -> Slot {
    if NOT_IN_EVENTS.contains(&name) {
        return Slot::Skipped;
    }
    for compound in COMPOUNDS.iter().filter(|c| c.object == object) {
        if compound.name == name {
            return Slot::Skipped;
        }
        if let Some((component, _)) = compound.components.iter().find(|(_, f)| *f == name) {
            return Slot::Component(compound.name, component);
        }
    }
    Slot::Top
}

/// A value as change events carry it: instants in UTC with a `Z`.
fn event_value(object: &str, name: &str, value: &Value) -> Value {
    let is_instant = schema::object(object)
        .and_then(|def| def.field(name, true))
        .is_some_and(|f| f.kind == FieldType::DateTime);
    match value.as_str() {
        Some(text) if is_instant => json!(
            text.strip_suffix("+0000")
                .map_or_else(|| text.to_string(), |utc| format!("{utc}Z"))
        ),
        _ => value.clone(),
    }
}

fn place(
    fields: &mut Map<String, Value>,
    object: &str,
    name: &str,
    value: &Value,
) -> Option<String> {
    let value = event_value(object, name, value);
    match slot(object, name) {
        Slot::Skipped => None,
        Slot::Top => {
            fields.insert(name.to_string(), value);
            Some(name.to_string())
        }
        Slot::Component(compound, component) => {
            let nested = fields
                .entry(compound.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(nested) = nested.as_object_mut() {
                nested.insert(component.to_string(), value);
            }
            Some(format!("{compound}.{component}"))
        }
    }
}

fn blank(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        _ => false,
    }
}

/// Every non-null field of a new record.
fn created(object: &str, after: &Record) -> Map<String, Value> {
    let mut fields = Map::new();
    for (name, value) in after.iter().filter(|(_, v)| !blank(Some(v))) {
        place(&mut fields, object, name, value);
    }
    fields
}

/// The fields an update changed, the names `changedFields` lists and those it nulled.
fn updated(
    object: &str,
    before: &Record,
    after: &Record,
) -> (Map<String, Value>, Vec<String>, Vec<String>) {
    let mut fields = Map::new();
    let mut changed = Vec::new();
    let mut nulled = Vec::new();
    let names: Vec<&String> = after
        .keys()
        .chain(before.keys().filter(|k| !after.contains_key(*k)))
        .collect();
    for name in names {
        let (old, new) = (before.get(name), after.get(name));
        if old == new || (blank(old) && blank(new)) {
            continue;
        }
        let value = if blank(new) {
            Value::Null
        } else {
            new.cloned().unwrap_or(Value::Null)
        };
        if let Some(listed) = place(&mut fields, object, name, &value) {
            if value.is_null() {
                nulled.push(listed.clone());
            }
            changed.push(listed);
        }
    }
    // Salesforce lists the modification time among the changed fields of every update.
    if !changed.iter().any(|c| c == "LastModifiedDate")
        && let Some(at) = after.get("LastModifiedDate")
    {
        place(&mut fields, object, "LastModifiedDate", at);
        changed.push("LastModifiedDate".into());
    }
    (fields, changed, nulled)
}
