//! A recursive-descent parser for the SOQL subset storesync sends:
//! `SELECT f, g, Parent.h FROM Object [WHERE cond] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...]
//! [LIMIT n] [OFFSET n]`, where conditions use `=`, `!=`, `<>`, `<`, `<=`, `>`, `>=`, `IN`,
//! `NOT IN`, `LIKE`, `AND`, `OR`, `NOT` and parentheses.

use std::fmt;

/// A literal value in a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    /// A date or datetime literal (`2026-11-22`, `2026-11-22T10:00:00Z`), compared as text.
    Date(String),
}

/// One piece of a LIKE pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum LikePart {
    Char(char),
    /// `%`: any run of characters.
    Any,
    /// `_`: exactly one character.
    One,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A WHERE condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Cmp {
        field: String,
        op: Op,
        value: Literal,
    },
    In {
        field: String,
        values: Vec<Literal>,
        negated: bool,
    },
    Like {
        field: String,
        pattern: Vec<LikePart>,
    },
}

/// One ORDER BY key.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderKey {
    pub field: String,
    pub ascending: bool,
    pub nulls_first: bool,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub fields: Vec<String>,
    pub object: String,
    pub filter: Option<Cond>,
    pub order_by: Vec<OrderKey>,
    pub limit: Option<usize>,
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

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    /// A string literal, still escaped (the parser unescapes it for `=` or for `LIKE`).
    Str(String),
    Num(String),
    Date(String),
    Sym(&'static str),
}

fn lex(input: &str) -> Result<Vec<Tok>, ParseError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut raw = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(ParseError("unterminated string literal".into())),
                    Some('\\') => {
                        let next = chars
                            .get(i + 1)
                            .ok_or_else(|| ParseError("unterminated escape".into()))?;
                        raw.push('\\');
                        raw.push(*next);
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(other) => {
                        raw.push(*other);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(raw));
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let is_date = i - start == 4 && chars.get(i) == Some(&'-');
            if is_date {
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric()
                        || matches!(chars[i], '-' | ':' | '.' | '+'))
                {
                    i += 1;
                }
                out.push(Tok::Date(chars[start..i].iter().collect()));
            } else {
                out.push(Tok::Num(chars[start..i].iter().collect()));
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            out.push(Tok::Word(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let sym = match two.as_str() {
                "!=" => Some("!="),
                "<>" => Some("!="),
                "<=" => Some("<="),
                ">=" => Some(">="),
                _ => None,
            };
            if let Some(sym) = sym {
                out.push(Tok::Sym(sym));
                i += 2;
                continue;
            }
            let sym = match c {
                '(' => "(",
                ')' => ")",
                ',' => ",",
                '=' => "=",
                '<' => "<",
                '>' => ">",
                _ => return Err(ParseError(format!("unexpected character '{c}'"))),
            };
            out.push(Tok::Sym(sym));
            i += 1;
        }
    }
    Ok(out)
}

/// Unescapes the body of a SOQL string literal. In a LIKE pattern `\%` and `\_` are literal
/// percent and underscore; elsewhere they are not valid escapes.
fn unescape(raw: &str, like: bool) -> Result<Vec<LikePart>, ParseError> {
    let mut out = Vec::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let e = chars
                    .next()
                    .ok_or_else(|| ParseError("unterminated escape".into()))?;
                let lit = match e {
                    'n' | 'N' => '\n',
                    'r' | 'R' => '\r',
                    't' | 'T' => '\t',
                    'b' | 'B' => '\u{8}',
                    'f' | 'F' => '\u{c}',
                    '"' => '"',
                    '\'' => '\'',
                    '\\' => '\\',
                    '%' | '_' if like => e,
                    other => {
                        return Err(ParseError(format!(
                            "Invalid string literal '{raw}'. Illegal character sequence '\\{other}' in string literal."
                        )));
                    }
                };
                out.push(LikePart::Char(lit));
            }
            '%' if like => out.push(LikePart::Any),
            '_' if like => out.push(LikePart::One),
            other => out.push(LikePart::Char(other)),
        }
    }
    Ok(out)
}

fn plain_string(raw: &str) -> Result<String, ParseError> {
    Ok(unescape(raw, false)?
        .into_iter()
        .map(|p| match p {
            LikePart::Char(c) => c,
            LikePart::Any => '%',
            LikePart::One => '_',
        })
        .collect())
}

/// Parses one complete quoted SOQL string literal (`'o\'hara'`) to its value. Anything
/// before or after the literal is an error: this is how tests prove an escaped value stays
/// one literal.
pub fn parse_string_literal(input: &str) -> Result<String, ParseError> {
    match lex(input)?.as_slice() {
        [Tok::Str(raw)] => plain_string(raw),
        _ => Err(ParseError("expected exactly one string literal".into())),
    }
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn is_keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        if self.is_keyword(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_keyword(&mut self, kw: &str) -> Result<(), ParseError> {
        if self.eat_keyword(kw) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("expecting '{kw}'")))
        }
    }

    fn eat_sym(&mut self, sym: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Sym(s)) if *s == sym) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn unexpected(&self, what: &str) -> ParseError {
        match self.peek() {
            Some(t) => ParseError(format!("unexpected token: {t:?}, {what}")),
            None => ParseError(format!("unexpected end of query, {what}")),
        }
    }

    fn identifier(&mut self) -> Result<String, ParseError> {
        match self.next() {
            Some(Tok::Word(w)) if !is_reserved(&w) => Ok(w),
            _ => {
                self.pos -= 1;
                Err(self.unexpected("expecting a field or object name"))
            }
        }
    }

    fn query(&mut self) -> Result<Query, ParseError> {
        self.expect_keyword("SELECT")?;
        let mut fields = vec![self.identifier()?];
        while self.eat_sym(",") {
            fields.push(self.identifier()?);
        }
        self.expect_keyword("FROM")?;
        let object = self.identifier()?;
        let filter = if self.eat_keyword("WHERE") {
            Some(self.or_cond()?)
        } else {
            None
        };
        let mut order_by = Vec::new();
        if self.eat_keyword("ORDER") {
            self.expect_keyword("BY")?;
            loop {
                let field = self.identifier()?;
                let ascending = if self.eat_keyword("DESC") {
                    false
                } else {
                    self.eat_keyword("ASC");
                    true
                };
                let nulls_first = if self.eat_keyword("NULLS") {
                    if self.eat_keyword("LAST") {
                        false
                    } else {
                        self.expect_keyword("FIRST")?;
                        true
                    }
                } else {
                    ascending
                };
                order_by.push(OrderKey {
                    field,
                    ascending,
                    nulls_first,
                });
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let limit = if self.eat_keyword("LIMIT") {
            Some(self.count()?)
        } else {
            None
        };
        let offset = if self.eat_keyword("OFFSET") {
            Some(self.count()?)
        } else {
            None
        };
        if self.peek().is_some() {
            return Err(self.unexpected("expecting the end of the query"));
        }
        Ok(Query {
            fields,
            object,
            filter,
            order_by,
            limit,
            offset,
        })
    }

    fn count(&mut self) -> Result<usize, ParseError> {
        match self.next() {
            Some(Tok::Num(n)) => n
                .parse()
                .map_err(|_| ParseError(format!("invalid number {n}"))),
            _ => {
                self.pos -= 1;
                Err(self.unexpected("expecting a number"))
            }
        }
    }

    fn or_cond(&mut self) -> Result<Cond, ParseError> {
        let mut parts = vec![self.and_cond()?];
        while self.eat_keyword("OR") {
            parts.push(self.and_cond()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::Or(parts)
        })
    }

    fn and_cond(&mut self) -> Result<Cond, ParseError> {
        let mut parts = vec![self.not_cond()?];
        while self.eat_keyword("AND") {
            parts.push(self.not_cond()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::And(parts)
        })
    }

    fn not_cond(&mut self) -> Result<Cond, ParseError> {
        if self.eat_keyword("NOT") {
            return Ok(Cond::Not(Box::new(self.primary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Cond, ParseError> {
        if self.eat_sym("(") {
            let inner = self.or_cond()?;
            if !self.eat_sym(")") {
                return Err(self.unexpected("expecting ')'"));
            }
            return Ok(inner);
        }
        let field = self.identifier()?;
        if self.eat_keyword("LIKE") {
            return match self.next() {
                Some(Tok::Str(raw)) => Ok(Cond::Like {
                    field,
                    pattern: unescape(&raw, true)?,
                }),
                _ => {
                    self.pos -= 1;
                    Err(self.unexpected("expecting a string pattern after LIKE"))
                }
            };
        }
        let negated = self.eat_keyword("NOT");
        if negated {
            self.expect_keyword("IN")?;
        }
        if negated || self.eat_keyword("IN") {
            if !self.eat_sym("(") {
                return Err(self.unexpected("expecting '(' after IN"));
            }
            let mut values = vec![self.literal()?];
            while self.eat_sym(",") {
                values.push(self.literal()?);
            }
            if !self.eat_sym(")") {
                return Err(self.unexpected("expecting ')'"));
            }
            return Ok(Cond::In {
                field,
                values,
                negated,
            });
        }
        let op = match self.next() {
            Some(Tok::Sym("=")) => Op::Eq,
            Some(Tok::Sym("!=")) => Op::Ne,
            Some(Tok::Sym("<")) => Op::Lt,
            Some(Tok::Sym("<=")) => Op::Le,
            Some(Tok::Sym(">")) => Op::Gt,
            Some(Tok::Sym(">=")) => Op::Ge,
            _ => {
                self.pos -= 1;
                return Err(self.unexpected("expecting a comparison operator"));
            }
        };
        let value = self.literal()?;
        Ok(Cond::Cmp { field, op, value })
    }

    fn literal(&mut self) -> Result<Literal, ParseError> {
        match self.next() {
            Some(Tok::Str(raw)) => Ok(Literal::Str(plain_string(&raw)?)),
            Some(Tok::Num(n)) => n
                .parse()
                .map(Literal::Num)
                .map_err(|_| ParseError(format!("invalid number {n}"))),
            Some(Tok::Date(d)) => Ok(Literal::Date(d)),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("null") => Ok(Literal::Null),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("true") => Ok(Literal::Bool(true)),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("false") => Ok(Literal::Bool(false)),
            _ => {
                self.pos -= 1;
                Err(self.unexpected("expecting a value"))
            }
        }
    }
}

fn is_reserved(word: &str) -> bool {
    const RESERVED: &[&str] = &[
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "LIMIT",
        "OFFSET", "ASC", "DESC", "NULLS", "NULL", "TRUE", "FALSE",
    ];
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

/// Parses a query of the supported subset.
pub fn parse(query: &str) -> Result<Query, ParseError> {
    let toks = lex(query)?;
    Parser { toks, pos: 0 }.query()
}

/// Whether `text` matches a LIKE pattern, case-insensitively as Salesforce does.
pub fn like_matches(pattern: &[LikePart], text: &str) -> bool {
    let text: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let pattern: Vec<LikePart> = pattern
        .iter()
        .flat_map(|p| match p {
            LikePart::Char(c) => c.to_lowercase().map(LikePart::Char).collect::<Vec<_>>(),
            other => vec![other.clone()],
        })
        .collect();
    // Classic wildcard matching with backtracking over the last `%`.
    let (mut t, mut p) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while t < text.len() {
        match pattern.get(p) {
            Some(LikePart::One) => {
                t += 1;
                p += 1;
            }
            Some(LikePart::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            Some(LikePart::Any) => {
                star = Some(p);
                mark = t;
                p += 1;
            }
            _ => match star {
                Some(s) => {
                    p = s + 1;
                    mark += 1;
                    t = mark;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|x| *x == LikePart::Any)
}

#[cfg(test)]
mod tests {
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
    fn a_malformed_query_is_an_error() {
        assert!(parse("SELECT FROM Contact").is_err());
        assert!(parse("SELECT Id FROM Contact WHERE Email = ").is_err());
        assert!(parse("SELECT Id FROM Contact LIMIT").is_err());
        assert!(parse(r"SELECT Id FROM Contact WHERE Email = '\q'").is_err());
    }
}
