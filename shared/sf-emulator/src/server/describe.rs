//! `/sobjects` (the describe global), `/sobjects/{Type}` (basic information) and
//! `/sobjects/{Type}/describe`: the org's objects and their fields as the schema has them
//! (`CurrencyIsoCode` only in a multi-currency org).

use serde_json::{Value, json};

use super::routes::Reply;
use crate::error::SfError;
use crate::org::Org;
use crate::schema::{self, CURRENCY_ISO_CODE, FieldDef, ObjectDef};

/// An object's summary, as the describe global and basic information list it.
fn summary(def: &ObjectDef) -> Value {
    let custom = def.name.ends_with("__c") || def.name.ends_with("__e");
    let urls = json!({
        "sobject": format!("/services/data/v62.0/sobjects/{}", def.name),
        "describe": format!("/services/data/v62.0/sobjects/{}/describe", def.name),
        "rowTemplate": format!("/services/data/v62.0/sobjects/{}/{{ID}}", def.name),
    });
    json!({
        "name": def.name,
        "label": def.label,
        "keyPrefix": def.key_prefix,
        "custom": custom,
        "createable": def.createable,
        "updateable": def.updateable,
        "deletable": !def.platform_event,
        "queryable": !def.platform_event,
        "urls": urls,
    })
}

/// `GET /sobjects`.
pub(super) fn global(_: &Org) -> Reply {
    let list: Vec<Value> = schema::OBJECTS.iter().map(summary).collect();
    Reply::json(
        200,
        json!({ "encoding": "UTF-8", "maxBatchSize": 200, "sobjects": list }),
    )
}

/// `GET /sobjects/{Type}`.
pub(super) fn basic_info(_: &Org, ty: &str) -> Result<Reply, SfError> {
    let def = schema::object(ty).ok_or_else(SfError::not_found)?;
    Ok(Reply::json(
        200,
        json!({ "objectDescribe": summary(def), "recentItems": [] }),
    ))
}

/// `GET /sobjects/{Type}/describe`.
pub(super) fn describe(org: &Org, ty: &str) -> Result<Reply, SfError> {
    let def = schema::object(ty).ok_or_else(SfError::not_found)?;
    let mut out = summary(def);
    let fields: Vec<Value> = org.field_defs(def).map(|f| field(org, f)).collect();
    out["fields"] = Value::Array(fields);
    Ok(Reply::json(200, out))
}

fn field(org: &Org, f: &FieldDef) -> Value {
    let picklist_values: Vec<Value> = if f.name == CURRENCY_ISO_CODE {
        org.currencies
            .active
            .iter()
            .map(|c| {
                json!({
                    "active": true,
                    "defaultValue": *c == org.currencies.corporate,
                    "label": c,
                    "value": c,
                })
            })
            .collect()
    } else {
        f.picklist_values
            .iter()
            .map(|v| json!({ "active": true, "defaultValue": false, "label": v, "value": v }))
            .collect()
    };
    json!({
        "name": f.name,
        "label": f.label(),
        "type": f.kind.wire_name(),
        "length": f.length,
        "nillable": f.nillable,
        "createable": f.createable(),
        "updateable": f.updateable(),
        "defaultedOnCreate": f.defaulted_on_create(),
        "externalId": f.external_id,
        "unique": f.unique,
        "caseSensitive": f.case_sensitive,
        "custom": f.is_custom(),
        "idLookup": f.name == "Id" || f.external_id,
        "referenceTo": f.reference_to(),
        "relationshipName": f.relationship_name(),
        "restrictedPicklist": f.name == CURRENCY_ISO_CODE || f.is_restricted_picklist(),
        "picklistValues": picklist_values,
    })
}
