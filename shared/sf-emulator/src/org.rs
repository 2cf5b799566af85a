//! The in-memory org: records, validation as Salesforce does it, duplicate rules, SOQL
//! evaluation and query cursors. HTTP lives in `server.rs`; this module has no I/O.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value, json};

use crate::ids;
use crate::schema::{self, ObjectDef};
use crate::soql::{self, Cond, Literal, Op};

/// A record's fields by API name.
pub type Record = Map<String, Value>;

/// An error the REST API answers with: an HTTP status and the JSON body Salesforce sends.
#[derive(Debug, Clone, PartialEq)]
pub struct SfError {
    pub status: u16,
    pub body: Value,
}

impl SfError {
    /// The usual `[{"message","errorCode","fields"}]` body.
    pub fn new(status: u16, code: &str, message: impl Into<String>, fields: &[&str]) -> Self {
        Self {
            status,
            body: json!([{ "message": message.into(), "errorCode": code, "fields": fields }]),
        }
    }

    pub fn not_found() -> Self {
        Self::new(
            404,
            "NOT_FOUND",
            "The requested resource does not exist",
            &[],
        )
    }

    /// The error code of the first error in the body.
    pub fn code(&self) -> &str {
        self.body[0]["errorCode"]
            .as_str()
            .unwrap_or("UNKNOWN_EXCEPTION")
    }

    /// This error in the per-record shape of sObject Collections (`statusCode`, not `errorCode`).
    pub fn as_record_errors(&self) -> Value {
        let items = self.body.as_array().cloned().unwrap_or_default();
        Value::Array(
            items
                .into_iter()
                .map(|e| {
                    json!({
                        "statusCode": e["errorCode"],
                        "message": e["message"],
                        "fields": e.get("fields").cloned().unwrap_or_else(|| json!([])),
                    })
                })
                .collect(),
        )
    }
}

/// Options a write carries from its request headers.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// `Sforce-Duplicate-Rule-Header: allowSave=true`.
    pub allow_duplicate_save: bool,
}

/// The part of the org that Composite and Collections roll back with `allOrNone`.
#[derive(Debug, Clone, Default)]
pub struct OrgData {
    records: BTreeMap<&'static str, BTreeMap<String, Record>>,
    deleted: BTreeSet<String>,
    sequence: u64,
    /// Platform events published, oldest first.
    pub published_events: Vec<Record>,
}

/// The emulated org.
#[derive(Debug)]
pub struct Org {
    pub data: OrgData,
    pub org_id: String,
    pub integration_user_id: String,
    pub standard_pricebook_id: String,
    /// Records per query batch (Salesforce's default is 2000).
    pub query_batch_size: usize,
    cursors: HashMap<String, Vec<Value>>,
    cursor_sequence: u64,
}

/// The Salesforce datetime format: `2026-11-22T10:00:00.000+0000`.
pub fn now_datetime() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
        .to_string()
}

/// The value of `name` in `record`, field names compared case-insensitively.
pub fn field<'a>(record: &'a Record, name: &str) -> Option<&'a Value> {
    record.get(name).or_else(|| {
        record
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

fn set_field(record: &mut Record, name: &str, value: Value) {
    let existing = record
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned();
    match existing {
        Some(key) => {
            record.insert(key, value);
        }
        None => {
            record.insert(name.to_string(), value);
        }
    }
}

fn is_blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        _ => false,
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !s.contains(' ')
}

impl Default for Org {
    fn default() -> Self {
        Self::new()
    }
}

impl Org {
    /// Ids of the records of `object` whose external id field `ext` holds `value`, compared
    /// case-insensitively as Salesforce does.
    fn ids_with_external_id<'a>(
        &'a self,
        object: &str,
        ext: &'a str,
        value: &'a str,
    ) -> impl Iterator<Item = &'a String> + 'a {
        self.data
            .records
            .get(object)
            .into_iter()
            .flat_map(|m| m.iter())
            .filter(move |(_, r)| {
                text(field(r, ext)).is_some_and(|v| v.eq_ignore_ascii_case(value))
            })
            .map(|(id, _)| id)
    }

    /// A fresh org with an integration user and the standard price book.
    pub fn new() -> Self {
        let mut org = Self {
            data: OrgData::default(),
            org_id: ids::make_id("00D", 1),
            integration_user_id: String::new(),
            standard_pricebook_id: String::new(),
            query_batch_size: 2000,
            cursors: HashMap::new(),
            cursor_sequence: 0,
        };
        let mut user = Record::new();
        user.insert("LastName".into(), json!("Integration"));
        user.insert("FirstName".into(), json!("Storesync"));
        user.insert(
            "Username".into(),
            json!("storesync.integration@example.com"),
        );
        user.insert("Email".into(), json!("storesync.integration@example.com"));
        user.insert("Alias".into(), json!("ssync"));
        user.insert("IsActive".into(), json!(true));
        org.integration_user_id = org.insert_unchecked("User", user);
        let mut pricebook = Record::new();
        pricebook.insert("Name".into(), json!("Standard Price Book"));
        pricebook.insert("IsStandard".into(), json!(true));
        pricebook.insert("IsActive".into(), json!(true));
        org.standard_pricebook_id = org.insert_unchecked("Pricebook2", pricebook);
        org
    }

    fn next_id(&mut self, def: &ObjectDef) -> String {
        self.data.sequence += 1;
        ids::make_id(def.key_prefix, self.data.sequence)
    }

    fn insert_unchecked(&mut self, type_name: &str, mut record: Record) -> String {
        let def = schema::object(type_name).expect("known object");
        let id = self.next_id(def);
        let now = now_datetime();
        record.insert("Id".into(), json!(id));
        record.insert("CreatedDate".into(), json!(now));
        record.insert("LastModifiedDate".into(), json!(now));
        record.insert("SystemModstamp".into(), json!(now));
        record.insert("IsDeleted".into(), json!(false));
        if !self.integration_user_id.is_empty() {
            record.insert("CreatedById".into(), json!(self.integration_user_id));
            record.insert("LastModifiedById".into(), json!(self.integration_user_id));
        }
        self.data
            .records
            .entry(def.name)
            .or_default()
            .insert(id.clone(), record);
        id
    }

    /// All records of a type, oldest first.
    pub fn records(&self, type_name: &str) -> Vec<Record> {
        schema::object(type_name)
            .and_then(|def| self.data.records.get(def.name))
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// One record by id (15 or 18 characters), whatever its type.
    pub fn record(&self, id: &str) -> Option<&Record> {
        let id = ids::normalise(id)?;
        let def = schema::object_for_id(&id)?;
        self.data.records.get(def.name)?.get(&id)
    }

    fn def(type_name: &str) -> Result<&'static ObjectDef, SfError> {
        schema::object(type_name).ok_or_else(|| {
            SfError::new(
                404,
                "NOT_FOUND",
                "The requested resource does not exist",
                &[],
            )
        })
    }

    /// Checks and canonicalises the fields of a create or update body.
    fn clean_body(&self, def: &ObjectDef, body: Record) -> Result<Record, SfError> {
        let mut out = Record::new();
        for (name, value) in body {
            if name == "attributes" {
                continue;
            }
            if name.eq_ignore_ascii_case("Id") {
                return Err(SfError::new(
                    400,
                    "INVALID_FIELD",
                    format!(
                        "Unable to create/update fields: {name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set."
                    ),
                    &[&name],
                ));
            }
            if schema::SYSTEM_FIELDS
                .iter()
                .any(|f| f.eq_ignore_ascii_case(&name))
            {
                return Err(SfError::new(
                    400,
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    format!(
                        "Unable to create/update fields: {name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set."
                    ),
                    &[&name],
                ));
            }
            let name = if name.ends_with("__c") {
                match def.custom_field(&name) {
                    Some(f) => f.name.to_string(),
                    None => {
                        return Err(SfError::new(
                            400,
                            "INVALID_FIELD",
                            format!("No such column '{name}' on sobject of type {}", def.name),
                            &[],
                        ));
                    }
                }
            } else {
                name
            };
            let value = match (schema::reference_target(def.name, &name), &value) {
                (Some(target), Value::String(raw)) if !raw.is_empty() => {
                    Value::String(self.check_reference(&name, raw, target)?)
                }
                _ => value,
            };
            if name.eq_ignore_ascii_case("Email")
                && let Value::String(email) = &value
                && !email.is_empty()
                && !looks_like_email(email)
            {
                return Err(SfError::new(
                    400,
                    "INVALID_EMAIL_ADDRESS",
                    format!("Email: invalid email address: {email}"),
                    &["Email"],
                ));
            }
            out.insert(name, value);
        }
        Ok(out)
    }

    fn check_reference(
        &self,
        field: &str,
        raw: &str,
        target: Option<&str>,
    ) -> Result<String, SfError> {
        let malformed = || {
            SfError::new(
                400,
                "MALFORMED_ID",
                format!("{field}: id value of incorrect type: {raw}"),
                &[field],
            )
        };
        let id = ids::normalise(raw).ok_or_else(malformed)?;
        let def = schema::object_for_id(&id).ok_or_else(malformed)?;
        if let Some(target) = target
            && def.name != target
        {
            return Err(malformed());
        }
        if self.record(&id).is_none() {
            return Err(SfError::new(
                400,
                "INVALID_CROSS_REFERENCE_KEY",
                "invalid cross reference id",
                &[field],
            ));
        }
        Ok(id)
    }

    fn check_required(def: &ObjectDef, record: &Record) -> Result<(), SfError> {
        let missing: Vec<&str> = def
            .required
            .iter()
            .copied()
            .filter(|f| is_blank(field(record, f)))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(SfError::new(
            400,
            "REQUIRED_FIELD_MISSING",
            format!("Required fields are missing: [{}]", missing.join(", ")),
            &missing,
        ))
    }

    fn check_business_rules(
        &self,
        def: &ObjectDef,
        record: &mut Record,
        existing: Option<&Record>,
    ) -> Result<(), SfError> {
        match def.name {
            "Order" if existing.is_none() => {
                let status = text(field(record, "Status")).unwrap_or_default();
                if !status.eq_ignore_ascii_case("Draft") {
                    return Err(SfError::new(
                        400,
                        "FIELD_INTEGRITY_EXCEPTION",
                        "Status: You can't create an order with an activated status. Create the order as Draft, then activate it.",
                        &["Status"],
                    ));
                }
            }
            "OrderItem" => {
                let order_id = text(field(record, "OrderId")).unwrap_or_default();
                let entry_id = text(field(record, "PricebookEntryId")).unwrap_or_default();
                let order_book = self
                    .record(&order_id)
                    .and_then(|o| text(field(o, "Pricebook2Id")));
                let entry = self.record(&entry_id);
                let entry_book = entry.and_then(|e| text(field(e, "Pricebook2Id")));
                if order_book.is_none() || order_book != entry_book {
                    return Err(SfError::new(
                        400,
                        "FIELD_INTEGRITY_EXCEPTION",
                        "field integrity exception: PricebookEntryId (pricebook entry is in a different pricebook than the one assigned to the order, or Order has no pricebook assigned)",
                        &["PricebookEntryId"],
                    ));
                }
                if let Some(product) = entry.and_then(|e| field(e, "Product2Id")).cloned() {
                    set_field(record, "Product2Id", product);
                }
            }
            "PricebookEntry" if existing.is_none() => {
                let book = text(field(record, "Pricebook2Id")).unwrap_or_default();
                let product = text(field(record, "Product2Id")).unwrap_or_default();
                let entries = self.records("PricebookEntry");
                let same = |e: &Record, b: &str| {
                    text(field(e, "Pricebook2Id")).as_deref() == Some(b)
                        && text(field(e, "Product2Id")).as_deref() == Some(product.as_str())
                };
                if entries.iter().any(|e| same(e, &book)) {
                    return Err(SfError::new(
                        400,
                        "DUPLICATE_VALUE",
                        "This price definition already exists in this price book",
                        &[],
                    ));
                }
                if book != self.standard_pricebook_id
                    && !entries.iter().any(|e| same(e, &self.standard_pricebook_id))
                {
                    return Err(SfError::new(
                        400,
                        "STANDARD_PRICE_NOT_DEFINED",
                        "No standard price defined for this product",
                        &[],
                    ));
                }
                if field(record, "IsActive").is_none() {
                    record.insert("IsActive".into(), json!(true));
                }
            }
            "Opportunity" => {
                let stage = text(field(record, "StageName")).unwrap_or_default();
                let won = stage.eq_ignore_ascii_case("Closed Won");
                let closed = won || stage.eq_ignore_ascii_case("Closed Lost");
                set_field(record, "IsWon", json!(won));
                set_field(record, "IsClosed", json!(closed));
            }
            "Contact" | "Lead" => {
                // Name is the read-only compound of FirstName and LastName.
                let first = text(field(record, "FirstName")).unwrap_or_default();
                let last = text(field(record, "LastName")).unwrap_or_default();
                let name = format!("{first} {last}").trim().to_string();
                set_field(record, "Name", json!(name));
                if def.name == "Lead" && existing.is_none() {
                    if is_blank(field(record, "Status")) {
                        set_field(record, "Status", json!("Open - Not Contacted"));
                    }
                    if field(record, "IsConverted").is_none() {
                        record.insert("IsConverted".into(), json!(false));
                    }
                }
            }
            "Task" if existing.is_none() => {
                if is_blank(field(record, "Status")) {
                    set_field(record, "Status", json!("Not Started"));
                }
                if is_blank(field(record, "Priority")) {
                    set_field(record, "Priority", json!("Normal"));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// External id fields are unique (and, as deployed, case-insensitive).
    fn check_unique(
        &self,
        def: &ObjectDef,
        record: &Record,
        own_id: Option<&str>,
    ) -> Result<(), SfError> {
        for ext in def.external_ids() {
            let Some(value) = text(field(record, ext)).filter(|v| !v.is_empty()) else {
                continue;
            };
            let clash = self
                .ids_with_external_id(def.name, ext, &value)
                .find(|id| Some(id.as_str()) != own_id);
            if let Some(id) = clash {
                return Err(SfError::new(
                    400,
                    "DUPLICATE_VALUE",
                    format!(
                        "duplicate value found: {ext} duplicates value on record with id: {id}"
                    ),
                    &[ext],
                ));
            }
        }
        Ok(())
    }

    fn check_duplicates(
        &self,
        def: &ObjectDef,
        record: &Record,
        own_id: Option<&str>,
        options: WriteOptions,
    ) -> Result<(), SfError> {
        let Some(rule) = def.duplicate_rule else {
            return Ok(());
        };
        if options.allow_duplicate_save {
            return Ok(());
        }
        let Some(value) = text(field(record, rule.field)).map(|v| v.trim().to_lowercase()) else {
            return Ok(());
        };
        if value.is_empty() {
            return Ok(());
        }
        let matches: Vec<String> = self
            .data
            .records
            .get(def.name)
            .into_iter()
            .flat_map(|m| m.iter())
            .filter(|(id, _)| Some(id.as_str()) != own_id)
            .filter(|(_, r)| {
                text(field(r, rule.field)).map(|v| v.trim().to_lowercase()) == Some(value.clone())
            })
            .map(|(id, _)| id.clone())
            .collect();
        if matches.is_empty() {
            return Ok(());
        }
        let match_records: Vec<Value> = matches
            .iter()
            .map(|id| {
                json!({
                    "additionalInformation": [],
                    "fieldDiffs": [],
                    "matchConfidence": 100.0,
                    "record": {
                        "attributes": { "type": def.name, "url": format!("/services/data/v62.0/sobjects/{}/{id}", def.name) },
                        "Id": id,
                    }
                })
            })
            .collect();
        Err(SfError {
            status: 400,
            body: json!([{
                "duplicateResult": {
                    "allowSave": false,
                    "duplicateRule": rule.rule,
                    "duplicateRuleEntityType": def.name,
                    "errorMessage": "Use one of these records?",
                    "matchResults": [{
                        "entityType": def.name,
                        "errors": [],
                        "matchEngine": "FuzzyMatchEngine",
                        "matchRecords": match_records,
                        "rule": rule.match_rule,
                        "size": matches.len(),
                        "success": true,
                    }],
                },
                "errorCode": "DUPLICATES_DETECTED",
                "message": "Use one of these records?",
            }]),
        })
    }

    /// `POST /sobjects/{Type}`: validates like Salesforce and returns the new 18-character id.
    pub fn create(
        &mut self,
        type_name: &str,
        body: Record,
        options: WriteOptions,
    ) -> Result<String, SfError> {
        let def = Self::def(type_name)?;
        let mut record = self.clean_body(def, body)?;
        if def.owned && field(&record, "OwnerId").is_none() {
            record.insert("OwnerId".into(), json!(self.integration_user_id));
        }
        Self::check_required(def, &record)?;
        self.check_business_rules(def, &mut record, None)?;
        self.check_unique(def, &record, None)?;
        self.check_duplicates(def, &record, None, options)?;
        if def.platform_event {
            self.data.sequence += 1;
            let id = ids::make_id(def.key_prefix, self.data.sequence);
            record.insert("Id".into(), json!(id));
            record.insert("CreatedDate".into(), json!(now_datetime()));
            self.data.published_events.push(record);
            return Ok(id);
        }
        Ok(self.insert_unchecked(def.name, record))
    }

    fn existing(&self, def: &ObjectDef, id: &str) -> Result<(String, Record), SfError> {
        let id18 = ids::normalise(id).ok_or_else(SfError::not_found)?;
        if self.data.deleted.contains(&id18) {
            return Err(SfError::new(
                404,
                "ENTITY_IS_DELETED",
                "entity is deleted",
                &[],
            ));
        }
        let record = self
            .data
            .records
            .get(def.name)
            .and_then(|m| m.get(&id18))
            .ok_or_else(SfError::not_found)?;
        Ok((id18, record.clone()))
    }

    /// `PATCH /sobjects/{Type}/{id}`.
    pub fn update(
        &mut self,
        type_name: &str,
        id: &str,
        body: Record,
        options: WriteOptions,
    ) -> Result<(), SfError> {
        let def = Self::def(type_name)?;
        let (id, before) = self.existing(def, id)?;
        let changes = self.clean_body(def, body)?;
        let mut after = before.clone();
        for (name, value) in changes.iter() {
            set_field(&mut after, name, value.clone());
        }
        Self::check_required(def, &after)?;
        self.check_business_rules(def, &mut after, Some(&before))?;
        self.check_unique(def, &after, Some(&id))?;
        if let Some(rule) = def.duplicate_rule
            && changes.keys().any(|k| k.eq_ignore_ascii_case(rule.field))
        {
            self.check_duplicates(def, &after, Some(&id), options)?;
        }
        let now = now_datetime();
        after.insert("LastModifiedDate".into(), json!(now));
        after.insert("SystemModstamp".into(), json!(now));
        self.data
            .records
            .get_mut(def.name)
            .expect("record exists")
            .insert(id, after);
        Ok(())
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
        let def = Self::def(type_name)?;
        if external_field.eq_ignore_ascii_case("Id") {
            self.update(def.name, value, body, options)?;
            let id = ids::normalise(value).ok_or_else(SfError::not_found)?;
            return Ok((id, false));
        }
        let ext = external_id_field(def, external_field)?;
        let matches: Vec<String> = self
            .ids_with_external_id(def.name, ext, value)
            .cloned()
            .collect();
        body.retain(|k, _| !k.eq_ignore_ascii_case(ext));
        match matches.as_slice() {
            [] if update_only => Err(SfError::not_found()),
            [] => {
                body.insert(ext.to_string(), json!(value));
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
                        .map(|id| json!(format!("/services/data/v62.0/sobjects/{}/{id}", def.name)))
                        .collect(),
                ),
            }),
        }
    }

    /// `GET /sobjects/{Type}/{id}[?fields=a,b]`.
    pub fn get(
        &self,
        type_name: &str,
        id: &str,
        fields: Option<&[String]>,
        version: &str,
    ) -> Result<Value, SfError> {
        let def = Self::def(type_name)?;
        let (id, record) = self.existing(def, id)?;
        let mut out = Map::new();
        out.insert(
            "attributes".into(),
            json!({ "type": def.name, "url": format!("/services/data/{version}/sobjects/{}/{id}", def.name) }),
        );
        match fields {
            Some(names) => {
                for name in names {
                    out.insert(
                        name.clone(),
                        field(&record, name).cloned().unwrap_or(Value::Null),
                    );
                }
            }
            None => out.extend(record),
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
        let def = Self::def(type_name)?;
        let ext = external_id_field(def, external_field)?;
        let id = self
            .ids_with_external_id(def.name, ext, value)
            .next()
            .cloned()
            .ok_or_else(SfError::not_found)?;
        self.get(def.name, &id, None, version)
    }

    /// `DELETE /sobjects/{Type}/{id}`.
    pub fn delete(&mut self, type_name: &str, id: &str) -> Result<(), SfError> {
        let def = Self::def(type_name)?;
        let (id, _) = self.existing(def, id)?;
        if let Some(m) = self.data.records.get_mut(def.name) {
            m.remove(&id);
        }
        self.data.deleted.insert(id);
        Ok(())
    }

    /// `GET /query?q=`: the first batch, with `nextRecordsUrl` when more remain.
    pub fn query(
        &mut self,
        q: &str,
        version: &str,
        batch_size: Option<usize>,
    ) -> Result<Value, SfError> {
        let query =
            soql::parse(q).map_err(|e| SfError::new(400, "MALFORMED_QUERY", e.to_string(), &[]))?;
        let def = schema::object(&query.object)
            .filter(|d| !d.platform_event)
            .ok_or_else(|| {
                SfError::new(
                    400,
                    "INVALID_TYPE",
                    format!("sObject type '{}' is not supported.", query.object),
                    &[],
                )
            })?;
        for name in query
            .fields
            .iter()
            .chain(query.order_by.iter().map(|k| &k.field))
        {
            Self::check_queryable_field(def, name)?;
        }
        if let Some(filter) = &query.filter {
            check_filter_fields(def, filter)?;
        }
        let mut rows: Vec<&Record> = self
            .data
            .records
            .get(def.name)
            .into_iter()
            .flat_map(|m| m.values())
            .filter(|r| query.filter.as_ref().is_none_or(|c| self.eval(c, r)))
            .collect();
        if !query.order_by.is_empty() {
            rows.sort_by(|a, b| {
                for key in &query.order_by {
                    let av = self.resolve(a, &key.field);
                    let bv = self.resolve(b, &key.field);
                    let ord = match (is_blank(av.as_ref()), is_blank(bv.as_ref())) {
                        (true, true) => Ordering::Equal,
                        (true, false) => {
                            if key.nulls_first {
                                Ordering::Less
                            } else {
                                Ordering::Greater
                            }
                        }
                        (false, true) => {
                            if key.nulls_first {
                                Ordering::Greater
                            } else {
                                Ordering::Less
                            }
                        }
                        (false, false) => {
                            let o = compare_values(av.as_ref().unwrap(), bv.as_ref().unwrap());
                            if key.ascending { o } else { o.reverse() }
                        }
                    };
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
                Ordering::Equal
            });
        }
        let offset = query.offset.unwrap_or(0);
        let limit = query.limit.unwrap_or(usize::MAX);
        let projected: Vec<Value> = rows
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|r| self.project(def, r, &query.fields, version))
            .collect();
        let batch = batch_size.unwrap_or(self.query_batch_size).max(1);
        self.cursor_sequence += 1;
        let locator = ids::make_id("01g", self.cursor_sequence);
        let total = projected.len();
        self.cursors.insert(locator.clone(), projected);
        self.batch(&locator, 0, batch, total, version)
    }

    /// `GET /query/{locator}-{offset}`: the next batch of an earlier query.
    pub fn query_more(&mut self, cursor: &str, version: &str) -> Result<Value, SfError> {
        let invalid = || SfError::new(400, "INVALID_QUERY_LOCATOR", "invalid query locator", &[]);
        let (locator, offset) = cursor.split_once('-').ok_or_else(invalid)?;
        let offset: usize = offset.parse().map_err(|_| invalid())?;
        let total = self.cursors.get(locator).ok_or_else(invalid)?.len();
        let batch = self.query_batch_size.max(1);
        self.batch(locator, offset, batch, total, version)
    }

    fn batch(
        &mut self,
        locator: &str,
        offset: usize,
        batch: usize,
        total: usize,
        version: &str,
    ) -> Result<Value, SfError> {
        let rows = self.cursors.get(locator).cloned().unwrap_or_default();
        let end = (offset + batch).min(total);
        let records: Vec<Value> = rows
            .get(offset..end)
            .map(<[Value]>::to_vec)
            .unwrap_or_default();
        let done = end >= total;
        let mut out = json!({ "totalSize": total, "done": done, "records": records });
        if done {
            self.cursors.remove(locator);
        } else {
            out["nextRecordsUrl"] =
                json!(format!("/services/data/{version}/query/{locator}-{end}"));
        }
        Ok(out)
    }

    fn check_queryable_field(def: &ObjectDef, name: &str) -> Result<(), SfError> {
        let base = name.split('.').next().unwrap_or(name);
        if base.ends_with("__c") && !name.contains('.') && def.custom_field(base).is_none() {
            return Err(SfError::new(
                400,
                "INVALID_FIELD",
                format!(
                    "No such column '{name}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.",
                    def.name
                ),
                &[],
            ));
        }
        Ok(())
    }

    /// A field's value for a record, following one parent relationship (`Account.Name`).
    fn resolve(&self, record: &Record, path: &str) -> Option<Value> {
        match path.split_once('.') {
            None => field(record, path).cloned(),
            Some((relationship, rest)) => {
                let lookup = relationship_field(relationship);
                let parent_id = text(field(record, &lookup))?;
                let parent = self.record(&parent_id)?;
                self.resolve(parent, rest)
            }
        }
    }

    fn project(&self, def: &ObjectDef, record: &Record, fields: &[String], version: &str) -> Value {
        let id = text(field(record, "Id")).unwrap_or_default();
        let mut out = Map::new();
        out.insert(
            "attributes".into(),
            json!({ "type": def.name, "url": format!("/services/data/{version}/sobjects/{}/{id}", def.name) }),
        );
        for name in fields {
            match name.split_once('.') {
                None => {
                    let key = def
                        .custom_field(name)
                        .map(|f| f.name.to_string())
                        .or_else(|| {
                            record
                                .keys()
                                .find(|k| k.eq_ignore_ascii_case(name))
                                .cloned()
                        })
                        .unwrap_or_else(|| name.clone());
                    out.insert(key, field(record, name).cloned().unwrap_or(Value::Null));
                }
                Some((relationship, rest)) => {
                    let parent = text(field(record, &relationship_field(relationship)))
                        .and_then(|pid| self.record(&pid).cloned());
                    let entry = out.entry(relationship.to_string()).or_insert(Value::Null);
                    if let Some(parent) = parent {
                        let parent_def = text(field(&parent, "Id"))
                            .and_then(|pid| schema::object_for_id(&pid))
                            .unwrap_or(def);
                        if entry.is_null() {
                            *entry = self.project(parent_def, &parent, &[], version);
                        }
                        if let Value::Object(m) = entry {
                            m.insert(
                                rest.to_string(),
                                self.resolve(&parent, rest).unwrap_or(Value::Null),
                            );
                        }
                    }
                }
            }
        }
        Value::Object(out)
    }

    fn eval(&self, cond: &Cond, record: &Record) -> bool {
        match cond {
            Cond::And(parts) => parts.iter().all(|c| self.eval(c, record)),
            Cond::Or(parts) => parts.iter().any(|c| self.eval(c, record)),
            Cond::Not(inner) => !self.eval(inner, record),
            Cond::Cmp { field, op, value } => {
                let actual = self.resolve(record, field);
                compare(actual.as_ref(), *op, value)
            }
            Cond::In {
                field,
                values,
                negated,
            } => {
                let actual = self.resolve(record, field);
                let found = values.iter().any(|v| compare(actual.as_ref(), Op::Eq, v));
                found != *negated
            }
            Cond::Like { field, pattern } => self
                .resolve(record, field)
                .and_then(|v| text(Some(&v)))
                .is_some_and(|t| soql::like_matches(pattern, &t)),
        }
    }
}

fn check_filter_fields(def: &ObjectDef, cond: &Cond) -> Result<(), SfError> {
    match cond {
        Cond::And(parts) | Cond::Or(parts) => {
            parts.iter().try_for_each(|c| check_filter_fields(def, c))
        }
        Cond::Not(inner) => check_filter_fields(def, inner),
        Cond::Cmp { field, .. } | Cond::In { field, .. } | Cond::Like { field, .. } => {
            Org::check_queryable_field(def, field)
        }
    }
}

/// The lookup field behind a relationship name: `Account` -> `AccountId`, `Foo__r` -> `Foo__c`.
fn relationship_field(relationship: &str) -> String {
    match relationship.strip_suffix("__r") {
        Some(base) => format!("{base}__c"),
        None => format!("{relationship}Id"),
    }
}

fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        _ => {
            let x = text(Some(a)).unwrap_or_default().to_lowercase();
            let y = text(Some(b)).unwrap_or_default().to_lowercase();
            x.cmp(&y)
        }
    }
}

fn compare(actual: Option<&Value>, op: Op, literal: &Literal) -> bool {
    let actual = actual.filter(|v| !v.is_null());
    if *literal == Literal::Null {
        return match op {
            Op::Eq => actual.is_none(),
            Op::Ne => actual.is_some(),
            _ => false,
        };
    }
    let Some(actual) = actual else {
        return op == Op::Ne;
    };
    let ordering = match (literal, actual) {
        (Literal::Num(n), Value::Number(v)) => v.as_f64().and_then(|v| v.partial_cmp(n)),
        (Literal::Num(n), Value::String(s)) => s.parse::<f64>().ok().and_then(|v| v.partial_cmp(n)),
        (Literal::Bool(b), Value::Bool(v)) => Some(v.cmp(b)),
        (Literal::Str(s), Value::String(v)) => {
            // Ids compare by their 15 case-sensitive characters; other strings ignore case.
            match (ids::normalise(s), ids::normalise(v)) {
                (Some(a), Some(b)) if schema::object_for_id(&b).is_some() => Some(b.cmp(&a)),
                _ => Some(v.to_lowercase().cmp(&s.to_lowercase())),
            }
        }
        (Literal::Str(s), other) => Some(other.to_string().to_lowercase().cmp(&s.to_lowercase())),
        (Literal::Date(d), Value::String(v)) => {
            let v = if d.len() == 10 {
                v.get(..10).unwrap_or(v)
            } else {
                v.as_str()
            };
            Some(v.cmp(d.as_str()))
        }
        _ => None,
    };
    let Some(ordering) = ordering else {
        return op == Op::Ne;
    };
    match op {
        Op::Eq => ordering == Ordering::Equal,
        Op::Ne => ordering != Ordering::Equal,
        Op::Lt => ordering == Ordering::Less,
        Op::Le => ordering != Ordering::Greater,
        Op::Gt => ordering == Ordering::Greater,
        Op::Ge => ordering != Ordering::Less,
    }
}

/// The external id field of an object by name, compared case-insensitively as Salesforce does.
fn external_id_field(def: &crate::schema::ObjectDef, name: &str) -> Result<&'static str, SfError> {
    def.external_ids()
        .find(|f| f.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            SfError::new(
                404,
                "NOT_FOUND",
                format!("Provided external ID field does not exist or is not accessible: {name}"),
                &[],
            )
        })
}
