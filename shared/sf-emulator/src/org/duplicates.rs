//! What keeps a second copy of a record out: unique fields (`DUPLICATE_VALUE`) and the
//! standard duplicate rules (`DUPLICATES_DETECTED`, unless the write allows saving anyway).

use serde_json::{Value, json};

use super::fields::{field, text};
use super::{Org, Record, WriteOptions, attributes};
use crate::error::SfError;
use crate::schema::{DuplicateRule, ObjectDef};

impl Org {
    /// Unique fields (the external ids) hold each value once, compared with or without
    /// case as the field is defined.
    pub(super) fn check_unique(
        &self,
        def: &ObjectDef,
        record: &Record,
        own_id: Option<&str>,
    ) -> Result<(), SfError> {
        for ext in def.fields.iter().filter(|f| f.unique) {
            let Some(value) = text(field(record, ext.name)).filter(|v| !v.is_empty()) else {
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
                        "duplicate value found: {} duplicates value on record with id: {id}",
                        ext.name
                    ),
                    &[ext.name],
                ));
            }
        }
        Ok(())
    }

    /// The object's duplicate rule: another record of the object that matches (see
    /// [`DuplicateRule`]) blocks the write.
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
        let matches: Vec<&String> = self
            .data
            .of(def)
            .filter(|(id, _)| Some(id.as_str()) != own_id)
            .filter(|(_, other)| is_match(&rule, record, other))
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

/// Every field of `all_of`, and one of `any_of` if it lists any, hold the same non-blank
/// value in both records (trimmed, any case).
fn is_match(rule: &DuplicateRule, record: &Record, other: &Record) -> bool {
    let same = |name: &&str| {
        let value = |r: &Record| {
            text(field(r, name))
                .map(|v| v.trim().to_lowercase())
                .filter(|v| !v.is_empty())
        };
        value(record).is_some_and(|v| value(other) == Some(v))
    };
    rule.all_of.iter().all(same) && (rule.any_of.is_empty() || rule.any_of.iter().any(same))
}
