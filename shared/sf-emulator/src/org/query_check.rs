//! A query checked against the schema before it runs, as a real org does: the object must
//! exist, every field path (select list, WHERE, ORDER BY) must name a field or follow a
//! relationship to one, and a literal compared with a boolean, date or dateTime field must
//! be of that type. Field paths come back spelt as the schema spells them.

use super::Org;
use crate::error::SfError;
use crate::schema::{self, FieldDef, FieldType, ObjectDef};
use crate::soql::{Cond, Literal, Query};

/// `INVALID_FIELD` for a field the object does not have, with Salesforce's text.
pub(super) fn unknown_column(def: &ObjectDef, name: &str) -> SfError {
    SfError::new(
        400,
        "INVALID_FIELD",
        format!(
            "No such column '{name}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
            def.name
        ),
        &[],
    )
}

/// The error with the query echoed and the offending token pointed at, as Salesforce
/// prefixes query errors.
fn at_token(soql: &str, token: &str, error: SfError) -> SfError {
    let lower = soql.to_lowercase();
    let Some(at) = lower.find(&token.to_lowercase()) else {
        return error;
    };
    let column = soql[..at].chars().count();
    let text = error.body[0]["message"].as_str().unwrap_or_default();
    SfError::new(
        error.status,
        error.code(),
        format!(
            "\n{soql}\n{}^\nERROR at Row:1:Column:{}\n{text}",
            " ".repeat(column),
            column + 1
        ),
        &[],
    )
}

impl Org {
    /// The object a query reads and the query with its field paths spelt as the schema
    /// spells them, or the error a real org answers.
    pub(super) fn check_query(
        &self,
        soql: &str,
        mut query: Query,
    ) -> Result<(&'static ObjectDef, Query), SfError> {
        let def = schema::object(&query.object)
            .filter(|d| !d.platform_event)
            .ok_or_else(|| {
                at_token(soql, &query.object, SfError::new(
                    400,
                    "INVALID_TYPE",
                    format!("sObject type '{}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", query.object),
                    &[],
                ))
            })?;
        let canonical = |path: &mut String| -> Result<&'static FieldDef, SfError> {
            let (spelt, f) = self
                .field_path(def, path)
                .map_err(|e| at_token(soql, path, e))?;
            *path = spelt;
            Ok(f)
        };
        for path in query.fields.iter_mut() {
            canonical(path)?;
        }
        for key in query.order_by.iter_mut() {
            canonical(&mut key.field)?;
        }
        if let Some(filter) = query.filter.as_mut() {
            check_condition(filter, &mut |path, literals| {
                let f = canonical(path)?;
                literals
                    .iter()
                    .try_for_each(|l| check_literal(f, l).map_err(|e| at_token(soql, path, e)))
            })?;
        }
        Ok((def, query))
    }

    /// The schema's spelling of a field path of `def` (`account.name` -> `Account.Name`)
    /// and the field it ends at.
    pub(super) fn field_path(
        &self,
        def: &ObjectDef,
        path: &str,
    ) -> Result<(String, &'static FieldDef), SfError> {
        let Some((relationship, rest)) = path.split_once('.') else {
            let f = self
                .field_def(def, path)
                .ok_or_else(|| unknown_column(def, path))?;
            return Ok((f.name.to_string(), f));
        };
        let lookup = def.relationship(relationship).ok_or_else(|| {
            SfError::new(
                400,
                "INVALID_FIELD",
                format!("Didn't understand relationship '{relationship}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."),
                &[],
            )
        })?;
        let name = lookup.relationship_name().unwrap_or_default();
        let mut last_error = None;
        for target in lookup
            .reference_to()
            .iter()
            .filter_map(|t| schema::object(t))
        {
            match self.field_path(target, rest) {
                Ok((spelt, f)) => return Ok((format!("{name}.{spelt}"), f)),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| unknown_column(def, path)))
    }
}

/// A check of one field path of a condition and the literals compared with it.
type PathCheck<'a> = dyn FnMut(&mut String, &[Literal]) -> Result<(), SfError> + 'a;

/// Calls `check` with every field path of the condition and the literals compared with it.
fn check_condition(cond: &mut Cond, check: &mut PathCheck<'_>) -> Result<(), SfError> {
    match cond {
        Cond::And(parts) | Cond::Or(parts) => {
            parts.iter_mut().try_for_each(|c| check_condition(c, check))
        }
        Cond::Not(inner) => check_condition(inner, check),
        Cond::Cmp { field, value, .. } => check(field, std::slice::from_ref(value)),
        Cond::In { field, values, .. } => check(field, values),
        Cond::Like { field, .. } => check(field, &[]),
    }
}

/// A boolean, date or dateTime field compares only with a literal of its type (or null).
fn check_literal(f: &FieldDef, literal: &Literal) -> Result<(), SfError> {
    let fits = match (f.kind, literal) {
        (_, Literal::Null) => true,
        (FieldType::Boolean, l) => matches!(l, Literal::Bool(_)),
        (FieldType::Date, l) => matches!(l, Literal::Date(_) | Literal::Relative(_)),
        (FieldType::DateTime, l) => matches!(l, Literal::DateTime(_) | Literal::Relative(_)),
        _ => true,
    };
    if fits {
        return Ok(());
    }
    let kind = match f.kind {
        FieldType::DateTime => "dateTime",
        other => other.wire_name(),
    };
    Err(SfError::new(
        400,
        "INVALID_QUERY_FILTER_OPERATOR",
        format!(
            "value of filter criterion for field '{}' must be of type {kind} and should not be enclosed in quotes",
            f.name
        ),
        &[],
    ))
}
