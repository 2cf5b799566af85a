//! Splits query text into tokens, and unescapes string literals.

use super::{LikePart, ParseError};

/// One token of query text.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Word(String),
    /// A string literal, still escaped (the parser unescapes it for `=` or for `LIKE`).
    Str(String),
    Num(String),
    Date(String),
    Sym(&'static str),
}

/// Splits query text into tokens; keywords and names are both `Word`s.
pub(super) fn lex(input: &str) -> Result<Vec<Tok>, ParseError> {
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
            // A date literal with a parameter, `LAST_N_DAYS:7`, is one word.
            if chars.get(i) == Some(&':') {
                i += 1;
                while i < chars.len() && chars[i].is_alphanumeric() {
                    i += 1;
                }
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
pub(super) fn unescape(raw: &str, like: bool) -> Result<Vec<LikePart>, ParseError> {
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

/// The value of a string literal outside LIKE.
pub(super) fn plain_string(raw: &str) -> Result<String, ParseError> {
    Ok(unescape(raw, false)?
        .into_iter()
        .map(|p| match p {
            LikePart::Char(c) => c,
            LikePart::Any => '%',
            LikePart::One => '_',
        })
        .collect())
}
