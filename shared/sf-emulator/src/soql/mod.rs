//! The SOQL subset storesync sends, parsed to a [`Query`]:
//! `SELECT f, g, Parent.h FROM Object [WHERE cond] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...]
//! [LIMIT n] [OFFSET n]` or `SELECT COUNT() FROM Object [WHERE cond]`, where conditions use
//! `=`, `!=`, `<>`, `<`, `<=`, `>`, `>=`, `IN`, `NOT IN`, `LIKE`, `AND`, `OR`, `NOT` and
//! parentheses over string, number, boolean, `null`, date, dateTime and relative date
//! (`TODAY`, `YESTERDAY`, `LAST_N_DAYS:n`, `THIS_MONTH`) literals.
//!
//! `lexer` splits the text into tokens, `parser` builds the query by recursive descent, and
//! `like` matches LIKE patterns when the org evaluates one.

mod lexer;
mod like;
mod parser;

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

pub use like::like_matches;

/// A literal value in a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A quoted string, unescaped.
    Str(String),
    /// A number, integer or decimal.
    Num(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A date literal, `2026-11-22`.
    Date(NaiveDate),
    /// A dateTime literal, `2026-11-22T10:00:00Z` (or with an offset).
    DateTime(DateTime<Utc>),
    /// A relative date literal: a range of days counted from today.
    Relative(RelativeDate),
}

/// A date literal that names a range of days relative to today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelativeDate {
    /// `TODAY`.
    Today,
    /// `YESTERDAY`.
    Yesterday,
    /// `LAST_N_DAYS:n`: today and the `n` days before it.
    LastNDays(u32),
    /// `THIS_MONTH`: the calendar month of today.
    ThisMonth,
}

impl RelativeDate {
    /// The literal as a query writes it (any case), e.g. `LAST_N_DAYS:7`.
    pub fn parse(word: &str) -> Option<Self> {
        let upper = word.to_ascii_uppercase();
        match upper.as_str() {
            "TODAY" => Some(Self::Today),
            "YESTERDAY" => Some(Self::Yesterday),
            "THIS_MONTH" => Some(Self::ThisMonth),
            _ => upper
                .strip_prefix("LAST_N_DAYS:")
                .and_then(|n| n.parse().ok())
                .map(Self::LastNDays),
        }
    }
}

/// One piece of a LIKE pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum LikePart {
    /// A character that matches itself (in any case).
    Char(char),
    /// `%`: any run of characters.
    Any,
    /// `_`: exactly one character.
    One,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=` or `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A WHERE condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// Every part holds.
    And(Vec<Cond>),
    /// Some part holds.
    Or(Vec<Cond>),
    /// `NOT (...)`.
    Not(Box<Cond>),
    /// `field op value`.
    Cmp {
        /// A field of the object, or a path through a relationship (`Account.Name`).
        field: String,
        /// The comparison.
        op: Op,
        /// The value compared with.
        value: Literal,
    },
    /// `field [NOT] IN (values)`.
    In {
        /// A field or relationship path.
        field: String,
        /// The listed values.
        values: Vec<Literal>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `field LIKE 'pattern'`.
    Like {
        /// A field or relationship path.
        field: String,
        /// The pattern, wildcards and escaped characters told apart.
        pattern: Vec<LikePart>,
    },
}

/// One ORDER BY key.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderKey {
    /// A field or relationship path.
    pub field: String,
    /// `ASC` (the default) rather than `DESC`.
    pub ascending: bool,
    /// `NULLS FIRST`; without a NULLS clause, nulls come first in ascending order.
    pub nulls_first: bool,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The SELECT list: fields and relationship paths, as written (empty for `COUNT()`).
    pub fields: Vec<String>,
    /// `SELECT COUNT()`: the answer is the number of matching records, no records.
    pub count: bool,
    /// The FROM object, as written.
    pub object: String,
    /// The WHERE condition.
    pub filter: Option<Cond>,
    /// The ORDER BY keys, most significant first.
    pub order_by: Vec<OrderKey>,
    /// `LIMIT n`.
    pub limit: Option<usize>,
    /// `OFFSET n`.
    pub offset: Option<usize>,
}

/// Why a query could not be parsed; the server answers `MALFORMED_QUERY` with this text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// Parses one complete quoted SOQL string literal (`'o\'hara'`) to its value. Anything
/// before or after the literal is an error: this is how tests prove an escaped value stays
/// one literal.
pub fn parse_string_literal(input: &str) -> Result<String, ParseError> {
    match lexer::lex(input)?.as_slice() {
        [lexer::Tok::Str(raw)] => lexer::plain_string(raw),
        _ => Err(ParseError("expected exactly one string literal".into())),
    }
}

/// Parses a query of the supported subset.
pub fn parse(query: &str) -> Result<Query, ParseError> {
    let toks = lexer::lex(query)?;
    parser::Parser::new(toks).query()
}

#[cfg(test)]
mod tests {
    use super::lexer::unescape;
    use super::*;

    #[test]
    fn a_full_query_parses_into_fields_object_filter_order_and_limit() {
        let q = parse(
            "SELECT Id, Email FROM Contact WHERE (Email = 'a@b.c' OR LastName LIKE 'Sm%') AND Id NOT IN ('003') ORDER BY LastName DESC NULLS LAST LIMIT 10",
        )
        .unwrap();
        assert_eq!(q.fields, ["Id", "Email"]);
        assert_eq!(q.object, "Contact");
        assert_eq!(q.limit, Some(10));
        assert!(!q.order_by[0].ascending);
        assert!(matches!(q.filter, Some(Cond::And(ref parts)) if parts.len() == 2));
    }

    #[test]
    fn order_is_an_object_after_from_and_a_keyword_after_it() {
        let q =
            parse("SELECT Id FROM Order WHERE Status = 'Activated' ORDER BY CreatedDate").unwrap();
        assert_eq!(q.object, "Order");
        assert_eq!(q.order_by[0].field, "CreatedDate");
        assert!(parse("SELECT Id FROM Contact ORDER").is_err());
        assert!(parse("SELECT Order FROM Contact").is_err());
    }

    #[test]
    fn an_escaped_quote_stays_inside_the_literal() {
        let q =
            parse(r"SELECT Id FROM Contact WHERE Email = 'o\'hara\\x@example.com\' OR Name != \''")
                .unwrap();
        assert_eq!(
            q.filter,
            Some(Cond::Cmp {
                field: "Email".into(),
                op: Op::Eq,
                value: Literal::Str(r"o'hara\x@example.com' OR Name != '".into()),
            })
        );
    }

    #[test]
    fn an_unescaped_quote_breaks_out_and_the_rest_is_rejected_or_parsed_as_sql() {
        assert!(parse("SELECT Id FROM Contact WHERE Email = 'a' OR Name != ''").is_ok());
        assert!(parse("SELECT Id FROM Contact WHERE Email = 'a'' OR").is_err());
    }

    #[test]
    fn like_is_case_insensitive_and_honours_escaped_wildcards() {
        let p = unescape(r"50\%_off%", true).unwrap();
        assert!(like_matches(&p, "50%XOFF sale"));
        assert!(!like_matches(&p, "50xXoff"));
        assert!(like_matches(&unescape("sm%", true).unwrap(), "SMITH"));
    }

    #[test]
    fn dates_numbers_booleans_and_null_are_literals() {
        let q = parse("SELECT Id FROM Opportunity WHERE CloseDate >= 2026-01-01 AND Amount > 10.5 AND IsWon = false AND Name != null").unwrap();
        let Some(Cond::And(parts)) = q.filter else {
            panic!("expected AND")
        };
        assert_eq!(parts.len(), 4);
    }

    #[test]
    fn count_and_relative_and_datetime_literals_parse() {
        let q = parse("SELECT COUNT() FROM Lead WHERE CreatedDate = LAST_N_DAYS:30 AND ConvertedDate < today AND LastModifiedDate > 2026-01-01T00:00:00Z").unwrap();
        assert!(q.count);
        assert!(q.fields.is_empty());
        let Some(Cond::And(parts)) = q.filter else {
            panic!("expected AND")
        };
        let values: Vec<&Literal> = parts
            .iter()
            .map(|p| match p {
                Cond::Cmp { value, .. } => value,
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(values[0], &Literal::Relative(RelativeDate::LastNDays(30)));
        assert_eq!(values[1], &Literal::Relative(RelativeDate::Today));
        assert!(matches!(values[2], Literal::DateTime(_)));
    }

    #[test]
    fn count_cannot_be_mixed_with_fields_and_dates_must_be_real() {
        assert!(parse("SELECT COUNT(), Id FROM Lead").is_err());
        assert!(parse("SELECT Id FROM Lead WHERE CloseDate = 2026-02-30").is_err());
        assert!(parse("SELECT Id FROM Lead WHERE CreatedDate = LAST_N_DAYS:x").is_err());
    }

    #[test]
    fn a_malformed_query_is_an_error() {
        assert!(parse("SELECT FROM Contact").is_err());
        assert!(parse("SELECT Id FROM Contact WHERE Email = ").is_err());
        assert!(parse("SELECT Id FROM Contact LIMIT").is_err());
        assert!(parse(r"SELECT Id FROM Contact WHERE Email = '\q'").is_err());
    }
}
