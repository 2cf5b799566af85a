//! SOQL text built safely: every value is escaped, and field and object names are
//! `&'static str` so they can only come from code, never from a customer.

use std::fmt::Write as _;

/// Escapes a value for use inside a quoted SOQL string literal: backslash, quotes and
/// control characters (newline, carriage return, tab, backspace, form feed).
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            other => out.push(other),
        }
    }
    out
}

/// A quoted, escaped SOQL string literal: `o'hara` -> `'o\'hara'`.
pub fn quote(value: &str) -> String {
    format!("'{}'", escape(value))
}

/// Escapes a value for a LIKE pattern: as [`escape`], plus the wildcards `%` and `_`.
pub fn escape_like(value: &str) -> String {
    escape(value).replace('%', "\\%").replace('_', "\\_")
}

/// A value in a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum SoqlValue {
    /// A string, quoted and escaped when rendered.
    Str(String),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Num(f64),
    /// `true` or `false`.
    Bool(bool),
    /// A date literal, `YYYY-MM-DD`.
    Date(chrono::NaiveDate),
    /// A dateTime literal in UTC, `YYYY-MM-DDThh:mm:ssZ`.
    DateTime(chrono::DateTime<chrono::Utc>),
    /// `null`.
    Null,
}

impl SoqlValue {
    fn render(&self, out: &mut String) {
        match self {
            Self::Str(s) => out.push_str(&quote(s)),
            Self::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Self::Num(n) => {
                let _ = write!(out, "{n}");
            }
            Self::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Self::Date(d) => {
                let _ = write!(out, "{}", d.format("%Y-%m-%d"));
            }
            Self::DateTime(t) => {
                let _ = write!(out, "{}", t.format("%Y-%m-%dT%H:%M:%SZ"));
            }
            Self::Null => out.push_str("null"),
        }
    }
}

impl From<&str> for SoqlValue {
    fn from(v: &str) -> Self {
        Self::Str(v.to_string())
    }
}
impl From<String> for SoqlValue {
    fn from(v: String) -> Self {
        Self::Str(v)
    }
}
impl From<&String> for SoqlValue {
    fn from(v: &String) -> Self {
        Self::Str(v.clone())
    }
}
impl From<i64> for SoqlValue {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}
impl From<f64> for SoqlValue {
    fn from(v: f64) -> Self {
        Self::Num(v)
    }
}
impl From<bool> for SoqlValue {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}
impl From<chrono::DateTime<chrono::Utc>> for SoqlValue {
    fn from(v: chrono::DateTime<chrono::Utc>) -> Self {
        Self::DateTime(v)
    }
}
impl From<chrono::NaiveDate> for SoqlValue {
    fn from(v: chrono::NaiveDate) -> Self {
        Self::Date(v)
    }
}

/// A WHERE condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `field = value`.
    Eq(&'static str, SoqlValue),
    /// `field != value`.
    Ne(&'static str, SoqlValue),
    /// `field IN (values)`.
    In(&'static str, Vec<SoqlValue>),
    /// `field >= value`.
    AtLeast(&'static str, SoqlValue),
    /// `field LIKE 'prefix%'` with the prefix escaped (wildcards in it match literally).
    StartsWith(&'static str, String),
    /// Every part holds; nested groups are parenthesised.
    And(Vec<Condition>),
    /// Some part holds; nested groups are parenthesised.
    Or(Vec<Condition>),
}

impl Condition {
    /// `field = value`.
    pub fn eq(field: &'static str, value: impl Into<SoqlValue>) -> Self {
        Self::Eq(field, value.into())
    }

    /// `field >= value`.
    pub fn at_least(field: &'static str, value: impl Into<SoqlValue>) -> Self {
        Self::AtLeast(field, value.into())
    }

    /// `field != value`.
    pub fn ne(field: &'static str, value: impl Into<SoqlValue>) -> Self {
        Self::Ne(field, value.into())
    }

    /// `field IN (values)`.
    pub fn is_in<V: Into<SoqlValue>>(
        field: &'static str,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        Self::In(field, values.into_iter().map(Into::into).collect())
    }

    /// `field LIKE 'prefix%'`, wildcards in `prefix` escaped.
    pub fn starts_with(field: &'static str, prefix: &str) -> Self {
        Self::StartsWith(field, prefix.to_string())
    }

    /// `self AND other`, extending an AND already there rather than nesting it.
    pub fn and(self, other: Condition) -> Self {
        match self {
            Self::And(mut parts) => {
                parts.push(other);
                Self::And(parts)
            }
            first => Self::And(vec![first, other]),
        }
    }

    /// `self OR other`, extending an OR already there rather than nesting it.
    pub fn or(self, other: Condition) -> Self {
        match self {
            Self::Or(mut parts) => {
                parts.push(other);
                Self::Or(parts)
            }
            first => Self::Or(vec![first, other]),
        }
    }

    fn render(&self, out: &mut String) {
        match self {
            Self::Eq(f, v) => {
                let _ = write!(out, "{f} = ");
                v.render(out);
            }
            Self::Ne(f, v) => {
                let _ = write!(out, "{f} != ");
                v.render(out);
            }
            Self::AtLeast(f, v) => {
                let _ = write!(out, "{f} >= ");
                v.render(out);
            }
            Self::In(f, values) => {
                let _ = write!(out, "{f} IN (");
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.render(out);
                }
                out.push(')');
            }
            Self::StartsWith(f, prefix) => {
                let _ = write!(out, "{f} LIKE '{}%'", escape_like(prefix));
            }
            Self::And(parts) | Self::Or(parts) => {
                let joiner = if matches!(self, Self::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        out.push_str(joiner);
                    }
                    let group = matches!(part, Self::And(_) | Self::Or(_));
                    if group {
                        out.push('(');
                    }
                    part.render(out);
                    if group {
                        out.push(')');
                    }
                }
            }
        }
    }
}

/// A typed SELECT builder:
/// `Soql::select(&["Id", "Email"]).from("Contact").where_eq("Email", email).build()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Soql {
    fields: Vec<&'static str>,
    object: &'static str,
    condition: Option<Condition>,
    order_by: Vec<(&'static str, bool)>,
    limit: Option<u32>,
}

impl Soql {
    /// `SELECT fields`; name the object with [`Self::from`].
    pub fn select(fields: &[&'static str]) -> Self {
        Self {
            fields: fields.to_vec(),
            object: "",
            condition: None,
            order_by: Vec::new(),
            limit: None,
        }
    }

    /// `FROM object`.
    pub fn from(mut self, object: &'static str) -> Self {
        self.object = object;
        self
    }

    /// ANDs a condition onto the WHERE clause.
    pub fn filter(mut self, condition: Condition) -> Self {
        self.condition = Some(match self.condition.take() {
            Some(existing) => existing.and(condition),
            None => condition,
        });
        self
    }

    /// ANDs `field = value` onto the WHERE clause.
    pub fn where_eq(self, field: &'static str, value: impl Into<SoqlValue>) -> Self {
        self.filter(Condition::eq(field, value))
    }

    /// ANDs `field IN (values)` onto the WHERE clause.
    pub fn where_in<V: Into<SoqlValue>>(
        self,
        field: &'static str,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.filter(Condition::is_in(field, values))
    }

    /// Adds an ORDER BY key after those already there.
    pub fn order_by(mut self, field: &'static str, ascending: bool) -> Self {
        self.order_by.push((field, ascending));
        self
    }

    /// `LIMIT n`.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    /// The query text.
    pub fn build(&self) -> String {
        let mut out = format!("SELECT {} FROM {}", self.fields.join(", "), self.object);
        if let Some(condition) = &self.condition {
            out.push_str(" WHERE ");
            condition.render(&mut out);
        }
        if !self.order_by.is_empty() {
            out.push_str(" ORDER BY ");
            let keys: Vec<String> = self
                .order_by
                .iter()
                .map(|(f, asc)| format!("{f} {}", if *asc { "ASC" } else { "DESC" }))
                .collect();
            out.push_str(&keys.join(", "));
        }
        if let Some(n) = self.limit {
            let _ = write!(out, " LIMIT {n}");
        }
        out
    }
}

impl std::fmt::Display for Soql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_backslashes_and_newlines_are_escaped() {
        assert_eq!(escape(r"o'hara\x"), r"o\'hara\\x");
        assert_eq!(escape("a\nb\r\tc"), r"a\nb\r\tc");
        assert_eq!(quote(r#"say "hi""#), r#"'say \"hi\"'"#);
    }

    #[test]
    fn like_wildcards_in_a_value_are_escaped() {
        assert_eq!(escape_like("50%_off"), r"50\%\_off");
    }

    #[test]
    fn the_builder_renders_an_escaped_query() {
        let q = Soql::select(&["Id", "Email"])
            .from("Contact")
            .where_eq("Email", "o'hara@example.com")
            .filter(Condition::eq("LastName", "X").or(Condition::is_in("FirstName", ["A", "B"])))
            .order_by("CreatedDate", false)
            .limit(5)
            .build();
        assert_eq!(
            q,
            r"SELECT Id, Email FROM Contact WHERE Email = 'o\'hara@example.com' AND (LastName = 'X' OR FirstName IN ('A', 'B')) ORDER BY CreatedDate DESC LIMIT 5"
        );
    }

    #[test]
    fn non_string_values_render_as_soql_literals() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let q = Soql::select(&["Id"])
            .from("Opportunity")
            .where_eq("IsWon", true)
            .where_eq("Amount", 10_i64)
            .where_eq("CloseDate", date)
            .filter(Condition::ne("Name", SoqlValue::Null))
            .build();
        assert_eq!(
            q,
            "SELECT Id FROM Opportunity WHERE IsWon = true AND Amount = 10 AND CloseDate = 2026-11-22 AND Name != null"
        );
    }
}
