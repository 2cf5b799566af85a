//! The recursive-descent parser over the lexer's tokens.

use super::lexer::{Tok, plain_string, unescape};
use chrono::{DateTime, NaiveDate, Utc};

use super::{Cond, Literal, Op, OrderKey, ParseError, Query, RelativeDate};

/// The tokens of one query and the position reached in them.
pub(super) struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    pub(super) fn new(toks: Vec<Tok>) -> Self {
        Self { toks, pos: 0 }
    }

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

    /// The object after `FROM`: `Order` is a keyword elsewhere but an object name here, as a
    /// real org reads `SELECT Id FROM Order ORDER BY CreatedDate`.
    fn object_name(&mut self) -> Result<String, ParseError> {
        match self.next() {
            Some(Tok::Word(w)) if !is_reserved(&w) || w.eq_ignore_ascii_case("Order") => Ok(w),
            _ => {
                self.pos -= 1;
                Err(self.unexpected("expecting an object name"))
            }
        }
    }

    /// The whole query; anything after it is an error.
    pub(super) fn query(&mut self) -> Result<Query, ParseError> {
        self.expect_keyword("SELECT")?;
        let count =
            self.is_keyword("COUNT") && matches!(self.toks.get(self.pos + 1), Some(Tok::Sym("(")));
        let mut fields = Vec::new();
        if count {
            self.pos += 2;
            if !self.eat_sym(")") {
                return Err(self.unexpected("expecting ')' after COUNT("));
            }
        } else {
            fields.push(self.identifier()?);
            while self.eat_sym(",") {
                fields.push(self.identifier()?);
            }
        }
        self.expect_keyword("FROM")?;
        let object = self.object_name()?;
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
            count,
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
        self.chain("OR", Self::and_cond, Cond::Or)
    }

    fn and_cond(&mut self) -> Result<Cond, ParseError> {
        self.chain("AND", Self::not_cond, Cond::And)
    }

    /// `part (keyword part)*`: a single part stands as itself, several are joined by `join`.
    fn chain(
        &mut self,
        keyword: &str,
        part: fn(&mut Self) -> Result<Cond, ParseError>,
        join: fn(Vec<Cond>) -> Cond,
    ) -> Result<Cond, ParseError> {
        let mut parts = vec![part(self)?];
        while self.eat_keyword(keyword) {
            parts.push(part(self)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            join(parts)
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
            Some(Tok::Date(d)) => date_literal(&d),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("null") => Ok(Literal::Null),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("true") => Ok(Literal::Bool(true)),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("false") => Ok(Literal::Bool(false)),
            Some(Tok::Word(w)) if RelativeDate::parse(&w).is_some() => {
                Ok(Literal::Relative(RelativeDate::parse(&w).expect("checked")))
            }
            _ => {
                self.pos -= 1;
                Err(self.unexpected("expecting a value"))
            }
        }
    }
}

/// `2026-11-22` or `2026-11-22T10:00:00Z` (`.000`, `+01:00` and `+0100` allowed).
fn date_literal(text: &str) -> Result<Literal, ParseError> {
    let invalid = || {
        ParseError(format!(
            "line 1:0 no viable alternative at character '{text}'"
        ))
    };
    if text.len() == 10 {
        return NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Literal::Date)
            .map_err(|_| invalid());
    }
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|t| Literal::DateTime(t.with_timezone(&Utc)))
        .map_err(|_| invalid())
}

fn is_reserved(word: &str) -> bool {
    const RESERVED: &[&str] = &[
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "LIMIT",
        "OFFSET", "ASC", "DESC", "NULLS", "NULL", "TRUE", "FALSE",
    ];
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}
