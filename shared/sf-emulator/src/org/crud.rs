//! The sObject REST operations on one record: create, read, update, upsert and delete, by
//! id or by external id. Each write runs the checks in Salesforce's order (see `org`).

use serde_json::{Map, Value, json};

use super::dates::now_datetime;
use super::fields::{check_required, field, set_field, text};
use super::query_check::unknown_column;
use super::rules::Write;
use super::{Org, Record, WriteOptions, attributes, record_url};
use crate::error::SfError;
use crate::ids;
use crate::schema::{self, FieldDef, ObjectDef};

impl Org {
    /// `POST /sobjects/{Type}`: validates like Salesforce and returns the new 18-character id.
    pub fn create(
        &mut self,
        type_name: &str,
        body: Record,
        options: WriteOptions,
    ) -> Result<String, SfError> {
        let def = object(type_name)?;
        if !def.createable {
            return Err(SfError::new(
                400,
                "INVALID_TYPE_FOR_OPERATION",
                format!("entity type {} does not support create", def.name),
                &[],
            ));
        }
        let mut record = self.clean_body(def, body, Write::Create)?;
        // A new product of an Order locked by an approval request is an edit of the Order.
        self.check_lock(def, None, text(field(&record, "OrderId")).as_deref())?;
        self.apply_defaults(def, &mut record);
        check_required(def, &record, Write::Create)?;
        self.apply_rules(def, &mut record, None)?;
        self.check_unique(def, &record, None)?;
        self.check_duplicates(def, &record, None, options)?;
        if def.platform_event {
            let id = self.data.next_id(def);
            record.insert("Id".into(), json!(id));
            record.insert("CreatedDate".into(), json!(now_datetime()));
            record.insert("CreatedById".into(), json!(self.integration_user_id));
            self.data.published_events.push(record);
            return Ok(id);
        }
        let id = self.insert_unchecked(def.name, record);
        let saved = self.data.get(def, &id).cloned().unwrap_or_default();
        self.after_save(def, &saved);
        Ok(id)
    }

    /// `PATCH /sobjects/{Type}/{id}`.
    pub fn update(
        &mut self,
        type_name: &str,
        id: &str,
        body: Record,
        options: WriteOptions,
    ) -> Result<(), SfError> {
        let def = object(type_name)?;
        let (id, before) = self.existing(def, id)?;
        if !def.updateable {
            return Err(SfError::new(
                400,
                "INVALID_TYPE_FOR_OPERATION",
                format!("entity type {} does not support update", def.name),
                &[],
            ));
        }
        self.check_lock(def, Some(&id), text(field(&before, "OrderId")).as_deref())?;
        let changes = self.clean_body(def, body, Write::Update)?;
        let mut after = before.clone();
        for (name, value) in changes.iter() {
            set_field(&mut after, name, value.clone());
        }
        check_required(def, &after, Write::Update)?;
        self.apply_rules(def, &mut after, Some(&before))?;
        self.check_unique(def, &after, Some(&id))?;
        // Salesforce runs a duplicate rule on update only when a field it reads changes.
        if let Some(rule) = def.duplicate_rule
            && rule
                .fields()
                .any(|f| changes.keys().any(|k| k.eq_ignore_ascii_case(f)))
        {
            self.check_duplicates(def, &after, Some(&id), options)?;
        }
        self.save_update(def, id, after);
        Ok(())
    }

    /// Stores a changed record with a new modification stamp, then runs its roll-ups.
    pub(super) fn save_update(&mut self, def: &'static ObjectDef, id: String, mut after: Record) {
        let now = now_datetime();
        after.insert("LastModifiedDate".into(), json!(now));
        after.insert("SystemModstamp".into(), json!(now));
        after.insert("LastModifiedById".into(), json!(self.acting_user()));
        self.data.put(def, id, after.clone());
        self.after_save(def, &after);
    }

    /// `PATCH /sobjects/{Type}/{ExtField}/{value}`: `Ok((id, created))`; several matches answer
    /// 300 with the matching record URLs.
    pub fn upsert(
        &mut self,
        type_name: &str,
        external_field: &str,
        value: &str,
        mut body: Record,
        update_only: bool,
        options: WriteOptions,
    ) -> Result<(String, bool), SfError> {
        let def = object(type_name)?;
        if external_field.eq_ignore_ascii_case("Id") {
            self.update(def.name, value, body, options)?;
            let id = ids::normalise(value).ok_or_else(SfError::not_found)?;
            return Ok((id, false));
        }
        let ext = external_id_field(def, external_field)?;
        let matches: Vec<String> = self
            .ids_with_external_id(def, ext, value)
            .cloned()
            .collect();
        body.retain(|k, _| !k.eq_ignore_ascii_case(ext.name));
        match matches.as_slice() {
            [] if update_only => Err(SfError::not_found()),
            [] => {
                body.insert(ext.name.to_string(), json!(value));
                let id = self.create(def.name, body, options)?;
                Ok((id, true))
            }
            [id] => {
                let id = id.clone();
                self.update(def.name, &id, body, options)?;
                Ok((id, false))
            }
            many => Err(SfError {
                status: 300,
                body: Value::Array(
                    many.iter()
                        .map(|id| json!(record_url(def, id, "v62.0")))
                        .collect(),
                ),
            }),
        }
    }

    /// `GET /sobjects/{Type}/{id}[?fields=a,b]`: every field of the object (null when
    /// blank), or the ones asked for.
    pub fn get(
        &self,
        type_name: &str,
        id: &str,
        fields: Option<&[String]>,
        version: &str,
    ) -> Result<Value, SfError> {
        let def = object(type_name)?;
        let (id, record) = self.existing(def, id)?;
        let wanted: Vec<&'static FieldDef> = match fields {
            Some(names) => names
                .iter()
                .map(|n| self.field_def(def, n).ok_or_else(|| unknown_column(def, n)))
                .collect::<Result<_, _>>()?,
            None => self.field_defs(def).collect(),
        };
        let mut out = Map::new();
        out.insert("attributes".into(), attributes(def, &id, version));
        for f in wanted {
            out.insert(
                f.name.to_string(),
                field(&record, f.name).cloned().unwrap_or(Value::Null),
            );
        }
        Ok(Value::Object(out))
    }

    /// `GET /sobjects/{Type}/{ExtField}/{value}`: the one record with that external id.
    pub fn get_by_external_id(
        &self,
        type_name: &str,
        external_field: &str,
        value: &str,
        version: &str,
    ) -> Result<Value, SfError> {
        let def = object(type_name)?;
        let id = self.id_by_external_id(def, external_field, value)?;
        self.get(def.name, &id, None, version)
    }

    /// `DELETE /sobjects/{Type}/{id}`.
    pub fn delete(&mut self, type_name: &str, id: &str) -> Result<(), SfError> {
        let def = object(type_name)?;
        let (id, record) = self.existing(def, id)?;
        self.check_lock(def, Some(&id), text(field(&record, "OrderId")).as_deref())?;
        self.data.remove(def, id);
        self.after_save(def, &record);
        Ok(())
    }

    /// `DELETE /sobjects/{Type}/{ExtField}/{value}`.
    pub fn delete_by_external_id(
        &mut self,
        type_name: &str,
        external_field: &str,
        value: &str,
    ) -> Result<(), SfError> {
        let def = object(type_name)?;
        let id = self.id_by_external_id(def, external_field, value)?;
        self.delete(def.name, &id)
    }

    fn id_by_external_id(
        &self,
        def: &ObjectDef,
        external_field: &str,
        value: &str,
    ) -> Result<String, SfError> {
        let ext = external_id_field(def, external_field)?;
        self.ids_with_external_id(def, ext, value)
            .next()
            .cloned()
            .ok_or_else(SfError::not_found)
    }
}

/// The object named in a URL; an unknown one is `NOT_FOUND`, as for any unknown resource.
pub(super) fn object(type_name: &str) -> Result<&'static ObjectDef, SfError> {
    schema::object(type_name).ok_or_else(SfError::not_found)
}

/// The external id field of an object by name, compared case-insensitively as Salesforce does.
fn external_id_field(def: &ObjectDef, name: &str) -> Result<&'static FieldDef, SfError> {
    def.external_ids()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            SfError::new(
                404,
                "NOT_FOUND",
                format!("Provided external ID field does not exist or is not accessible: {name}"),
                &[],
            )
        })
}
