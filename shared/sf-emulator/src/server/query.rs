//! `/query`: the first batch of a SOQL query, then the batches behind `nextRecordsUrl`.

use super::routes::{Reply, SubRequest, query_param};
use crate::error::SfError;
use crate::org::Org;

/// `GET /query?q=`.
pub(super) fn first_batch(org: &mut Org, req: &SubRequest) -> Result<Reply, SfError> {
    let q = query_param(&req.query, "q").unwrap_or_default();
    org.query(&q, &req.version, req.batch_size)
        .map(|b| Reply::json(200, b))
}

/// `GET /query/{locator}-{offset}`.
pub(super) fn next_batch(org: &mut Org, req: &SubRequest, cursor: &str) -> Result<Reply, SfError> {
    org.query_more(cursor, &req.version)
        .map(|b| Reply::json(200, b))
}
