//! SOQL semantics on stored values: WHERE conditions and ORDER BY, with Salesforce's
//! comparisons (text ignores case, ids compare by their case-sensitive 15 characters, dates
//! and instants compare in time, a relative date literal stands for a range of days, null
//! only equals null).

use std::cmp::Ordering;

use chrono::NaiveDate;
use serde_json::Value;

use super::dates::{self, day_of, parse_datetime};
use super::fields::{is_blank, text};
use super::{Org, Record};
use crate::ids;
use crate::schema;
use crate::soql::{self, Cond, Literal, Op, OrderKey};

impl Org {
    /// Whether `record` meets `cond`.
    pub(super) fn eval(&self, cond: &Cond, record: &Record) -> bool {
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

/// The order of two records under ORDER BY `keys`: the first key that tells them apart
/// decides; blanks go first or last as the key says.
pub(super) fn order_by(org: &Org, keys: &[OrderKey], a: &Record, b: &Record) -> Ordering {
    for key in keys {
        let av = org.resolve(a, &key.field);
        let bv = org.resolve(b, &key.field);
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
        (Literal::Date(d), Value::String(v)) => day_of(v).map(|v| v.cmp(d)),
        (Literal::DateTime(t), Value::String(v)) => parse_datetime(v).map(|v| v.cmp(t)),
        (Literal::Relative(r), Value::String(v)) => {
            let (first, last) = dates::range(*r, dates::today());
            return day_of(v).is_some_and(|day| in_range(op, day, first, last));
        }
        _ => None,
    };
    // Values of different kinds never compare: only `!=` holds.
    let Some(ordering) = ordering else {
        return op == Op::Ne;
    };
    holds(op, ordering)
}

/// Whether `op` holds between a value and a literal that compare as `ordering`.
fn holds(op: Op, ordering: Ordering) -> bool {
    match op {
        Op::Eq => ordering == Ordering::Equal,
        Op::Ne => ordering != Ordering::Equal,
        Op::Lt => ordering == Ordering::Less,
        Op::Le => ordering != Ordering::Greater,
        Op::Gt => ordering == Ordering::Greater,
        Op::Ge => ordering != Ordering::Less,
    }
}

/// A day against a range literal: `=` inside it, `<` before its first day, `>` after its
/// last.
fn in_range(op: Op, day: NaiveDate, first: NaiveDate, last: NaiveDate) -> bool {
    match op {
        Op::Eq => first <= day && day <= last,
        Op::Ne => day < first || last < day,
        Op::Lt => day < first,
        Op::Le => day <= last,
        Op::Gt => last < day,
        Op::Ge => first <= day,
    }
}
