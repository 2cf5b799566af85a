//! What keeps a second copy of a record out: unique external ids (`DUPLICATE_VALUE`) and the
//! standard duplicate rules (`DUPLICATES_DETECTED`, unless the write allows saving anyway).

use serde_json::{Value, json};

use super::fields::{field, text};
use super::{Org, Record, WriteOptions, attributes};
use crate::error::SfError;
use crate::schema::ObjectDef;

impl Org {
    /// External id fields are unique (and, as deployed, case-insensitive).
    pub(super) fn check_unique(
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
                .ids_with_external_id(def, ext, &value)
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

    /// The object's duplicate rule: another record with the same value in the rule's field
    /// (trimmed, any case) blocks the write.
    pub(super) fn check_duplicates(
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
        let comparable = |r: &Record| text(field(r, rule.field)).map(|v| v.trim().to_lowercase());
        let Some(value) = comparable(record) else {
            return Ok(());
        };
        if value.is_empty() {
            return Ok(());
        }
        let matches: Vec<&String> = self
            .data
            .of(def)
            .filter(|(id, _)| Some(id.as_str()) != own_id)
            .filter(|(_, r)| comparable(r).as_ref() == Some(&value))
            .map(|(id, _)| id)
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
                        "attributes": attributes(def, id, "v62.0"),
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
}
