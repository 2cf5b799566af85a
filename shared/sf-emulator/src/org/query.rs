//! `GET /query`: runs a checked query (see `query_check`): selects, orders, counts or
//! pages and projects records, and keeps the rest behind a query locator for
//! `nextRecordsUrl`.

use serde_json::{Value, json};

use super::filter::order_by;
use super::{Org, Record};
use crate::error::SfError;
use crate::ids;
use crate::soql;

impl Org {
    /// `GET /query?q=`: the first batch, with `nextRecordsUrl` when more remain.
    pub fn query(
        &mut self,
        q: &str,
        version: &str,
        batch_size: Option<usize>,
    ) -> Result<Value, SfError> {
        let parsed =
            soql::parse(q).map_err(|e| SfError::new(400, "MALFORMED_QUERY", e.to_string(), &[]))?;
        let (def, query) = self.check_query(q, parsed)?;
        let mut rows: Vec<&Record> = self
            .data
            .of(def)
            .map(|(_, r)| r)
            .filter(|r| query.filter.as_ref().is_none_or(|c| self.eval(c, r)))
            .collect();
        if !query.order_by.is_empty() {
            rows.sort_by(|a, b| order_by(self, &query.order_by, a, b));
        }
        let offset = query.offset.unwrap_or(0);
        let limit = query.limit.unwrap_or(usize::MAX);
        let rows = rows.into_iter().skip(offset).take(limit);
        if query.count {
            return Ok(json!({ "totalSize": rows.count(), "done": true, "records": [] }));
        }
        let projected: Vec<Value> = rows
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

    /// One batch of a cursor's rows; the cursor is dropped once its last row is sent.
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
}
