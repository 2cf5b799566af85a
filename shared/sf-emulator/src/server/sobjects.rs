//! `/sobjects/{Type}/...`: one record by id or by external id.

use serde_json::json;

use super::routes::{Reply, SubRequest, body_object, query_param};
use crate::error::SfError;
use crate::org::Org;

/// `POST /sobjects/{Type}`.
pub(super) fn create(org: &mut Org, req: &SubRequest, ty: &str) -> Result<Reply, SfError> {
    let id = org.create(ty, body_object(&req.body)?, req.options)?;
    Ok(Reply {
        location: Some(location(req, ty, &id)),
        ..Reply::json(201, json!({ "id": id, "success": true, "errors": [] }))
    })
}

/// `GET /sobjects/{Type}/{id}[?fields=a,b]`.
pub(super) fn get(org: &Org, req: &SubRequest, ty: &str, id: &str) -> Result<Reply, SfError> {
    let fields: Option<Vec<String>> = query_param(&req.query, "fields")
        .map(|f| f.split(',').map(|s| s.trim().to_string()).collect());
    org.get(ty, id, fields.as_deref(), &req.version)
        .map(|b| Reply::json(200, b))
}

/// `PATCH /sobjects/{Type}/{id}`.
pub(super) fn update(
    org: &mut Org,
    req: &SubRequest,
    ty: &str,
    id: &str,
) -> Result<Reply, SfError> {
    org.update(ty, id, body_object(&req.body)?, req.options)?;
    Ok(Reply::no_content())
}

/// `DELETE /sobjects/{Type}/{id}`.
pub(super) fn delete(org: &mut Org, ty: &str, id: &str) -> Result<Reply, SfError> {
    org.delete(ty, id)?;
    Ok(Reply::no_content())
}

/// `DELETE /sobjects/{Type}/{ExtField}/{value}`.
pub(super) fn delete_by_external_id(
    org: &mut Org,
    ty: &str,
    ext: &str,
    value: &str,
) -> Result<Reply, SfError> {
    org.delete_by_external_id(ty, ext, value)?;
    Ok(Reply::no_content())
}

/// `GET /sobjects/{Type}/{ExtField}/{value}`.
pub(super) fn get_by_external_id(
    org: &Org,
    req: &SubRequest,
    ty: &str,
    ext: &str,
    value: &str,
) -> Result<Reply, SfError> {
    org.get_by_external_id(ty, ext, value, &req.version)
        .map(|b| Reply::json(200, b))
}

/// `PATCH /sobjects/{Type}/{ExtField}/{value}[?updateOnly=true]`: 201 when created, 200 when
/// updated.
pub(super) fn upsert(
    org: &mut Org,
    req: &SubRequest,
    ty: &str,
    ext: &str,
    value: &str,
) -> Result<Reply, SfError> {
    let update_only = query_param(&req.query, "updateOnly").is_some_and(|x| x == "true");
    let body = body_object(&req.body)?;
    let (id, created) = org.upsert(ty, ext, value, body, update_only, req.options)?;
    let body = json!({ "id": id, "success": true, "errors": [], "created": created });
    Ok(Reply {
        location: Some(location(req, ty, &id)),
        ..Reply::json(if created { 201 } else { 200 }, body)
    })
}

/// The `Location` of a written record, with the type as the URL spelt it.
fn location(req: &SubRequest, ty: &str, id: &str) -> String {
    format!("/services/data/{}/sobjects/{ty}/{id}", req.version)
}
