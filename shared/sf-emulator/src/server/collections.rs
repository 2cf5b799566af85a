//! sObject Collections (`/composite/sobjects`): up to 200 records written or deleted one
//! by one in one call, each with its own result, or all rolled back with `allOrNone`; and
//! up to 200 records of one type read by id.

use serde_json::{Value, json};

use super::routes::{Reply, SubRequest, query_param};
use crate::error::SfError;
use crate::ids;
use crate::org::{Org, Record};
use crate::schema;

/// Most records an sObject Collections request takes.
const COLLECTION_LIMIT: usize = 200;

fn too_many() -> SfError {
    SfError::new(
        400,
        "EXCEEDED_ID_LIMIT",
        "record limit reached. cannot submit more than 200 records into this call",
        &[],
    )
}

fn rolled_back() -> Value {
    json!([{
        "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "message": "Record rolled back because not all records were valid and the request was using AllOrNone header",
        "fields": [],
    }])
}

/// A Collections body: `{"allOrNone": bool, "records": [...]}`.
struct CollectionBody {
    all_or_none: bool,
    records: Vec<Record>,
}

fn collection_body(req: &SubRequest) -> Result<CollectionBody, SfError> {
    let body = req
        .body
        .as_ref()
        .and_then(Value::as_object)
        .ok_or_else(SfError::body_not_an_object)?;
    let records: Vec<Record> = body
        .get("records")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|r| r.as_object().cloned()).collect())
        .unwrap_or_default();
    if records.len() > COLLECTION_LIMIT {
        return Err(too_many());
    }
    Ok(CollectionBody {
        all_or_none: body
            .get("allOrNone")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        records,
    })
}

/// Each record names its own type in `attributes`.
fn record_type(record: &Record) -> Result<String, SfError> {
    record
        .get("attributes")
        .and_then(|a| a.get("type"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            SfError::new(
                400,
                "INVALID_TYPE",
                "Must specify a type in the attributes of each record",
                &[],
            )
        })
}

/// What one record's write returns: its id, and for an upsert whether it was created.
type Written = (String, Option<bool>);

/// Runs one write per record of the request's body; with `allOrNone`, any failure rolls
/// every record back.
fn run_collection(
    org: &mut Org,
    req: &SubRequest,
    write: impl FnMut(&mut Org, Record) -> Result<Written, SfError>,
) -> Result<Reply, SfError> {
    let CollectionBody {
        all_or_none,
        records,
    } = collection_body(req)?;
    Ok(run_each(org, all_or_none, records, write))
}

/// Runs one write per item; with `allOrNone`, any failure rolls every item back.
fn run_each<T>(
    org: &mut Org,
    all_or_none: bool,
    items: Vec<T>,
    mut write: impl FnMut(&mut Org, T) -> Result<Written, SfError>,
) -> Reply {
    let snapshot = all_or_none.then(|| org.data.clone());
    let outcomes: Vec<Result<Written, SfError>> =
        items.into_iter().map(|r| write(org, r)).collect();
    let failed = outcomes.iter().any(Result::is_err);
    if let (true, Some(snapshot)) = (failed, snapshot) {
        org.data = snapshot;
    }
    let results: Vec<Value> = outcomes
        .into_iter()
        .map(|outcome| match outcome {
            Ok((id, created)) if !(failed && all_or_none) => {
                let mut v = json!({ "id": id, "success": true, "errors": [] });
                if let Some(created) = created {
                    v["created"] = json!(created);
                }
                v
            }
            Ok((_, created)) => {
                let mut v = json!({ "id": null, "success": false, "errors": rolled_back() });
                if created.is_some() {
                    v["created"] = json!(false);
                }
                v
            }
            Err(e) => json!({ "id": null, "success": false, "errors": e.as_record_errors() }),
        })
        .collect();
    Reply::json(200, Value::Array(results))
}

/// Up to 200 ids, from a comma-separated list.
fn id_list(ids: &str) -> Result<Vec<String>, SfError> {
    let ids: Vec<String> = ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if ids.len() > COLLECTION_LIMIT {
        return Err(too_many());
    }
    Ok(ids)
}

/// `DELETE /composite/sobjects?ids=a,b[&allOrNone=true]`.
pub(super) fn delete(org: &mut Org, req: &SubRequest) -> Result<Reply, SfError> {
    let ids = id_list(&query_param(&req.query, "ids").unwrap_or_default())?;
    let all_or_none = query_param(&req.query, "allOrNone").is_some_and(|v| v == "true");
    Ok(run_each(org, all_or_none, ids, |org, id| {
        let def = schema::object_for_id(&id)
            .ok_or_else(|| SfError::new(400, "MALFORMED_ID", format!("malformed id {id}"), &[]))?;
        org.delete(def.name, &id)
            .map(|()| (ids::normalise(&id).unwrap_or(id), None))
    }))
}

/// `GET /composite/sobjects/{Type}?ids=&fields=`, or `POST` with `{"ids": [], "fields": []}`:
/// the records in the order asked, null for an id with no record.
pub(super) fn retrieve(org: &mut Org, req: &SubRequest, ty: &str) -> Result<Reply, SfError> {
    let listed = |key: &str| -> Option<String> {
        match req.body.as_ref().and_then(|b| b.get(key)) {
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            _ => query_param(&req.query, key),
        }
    };
    let ids = id_list(&listed("ids").unwrap_or_default())?;
    let fields: Vec<String> = listed("fields")
        .ok_or_else(|| SfError::new(400, "MISSING_ARGUMENT", "fields not specified", &[]))?
        .split(',')
        .map(|f| f.trim().to_string())
        .collect();
    let mut records = Vec::with_capacity(ids.len());
    for id in ids {
        match org.get(ty, &id, Some(&fields), &req.version) {
            Ok(record) => records.push(record),
            Err(e) if e.status == 404 => records.push(Value::Null),
            Err(e) => return Err(e),
        }
    }
    Ok(Reply::json(200, Value::Array(records)))
}

/// `POST /composite/sobjects`.
pub(super) fn create(org: &mut Org, req: &SubRequest) -> Result<Reply, SfError> {
    run_collection(org, req, |org, record| {
        let ty = record_type(&record)?;
        org.create(&ty, record, req.options).map(|id| (id, None))
    })
}

/// `PATCH /composite/sobjects`.
pub(super) fn update(org: &mut Org, req: &SubRequest) -> Result<Reply, SfError> {
    run_collection(org, req, |org, mut record| {
        let ty = record_type(&record)?;
        let id = record
            .remove("Id")
            .or_else(|| record.remove("id"))
            .and_then(|v| v.as_str().map(str::to_string))
            .ok_or_else(|| {
                SfError::new(
                    400,
                    "MISSING_ARGUMENT",
                    "Id not specified in an update call",
                    &["Id"],
                )
            })?;
        org.update(&ty, &id, record, req.options)
            .map(|()| (ids::normalise(&id).unwrap_or(id), None))
    })
}

/// `PATCH /composite/sobjects/{Type}/{ExtField}`.
pub(super) fn upsert(
    org: &mut Org,
    req: &SubRequest,
    ty: &str,
    ext: &str,
) -> Result<Reply, SfError> {
    run_collection(org, req, |org, mut record| {
        let record_ty = record_type(&record)?;
        if !record_ty.eq_ignore_ascii_case(ty) {
            return Err(SfError::new(
                400,
                "INVALID_FIELD",
                format!("Record type {record_ty} does not match the URL type {ty}"),
                &[],
            ));
        }
        let key = record.keys().find(|k| k.eq_ignore_ascii_case(ext)).cloned();
        let value = key
            .and_then(|k| record.remove(&k))
            .and_then(|v| match v {
                Value::String(s) => Some(s),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                SfError::new(
                    400,
                    "MISSING_ARGUMENT",
                    format!("{ext} not specified"),
                    &[ext],
                )
            })?;
        org.upsert(ty, ext, &value, record, false, req.options)
            .map(|(id, created)| (id, Some(created)))
    })
}
