//! Strict JSON request bodies: `application/json`, size-limited, a JSON object, typed, unknown
//! fields refused, and every failure a problem report that names the field.

mod objects_only;

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::MAX_BODY_BYTES;
use crate::error::ApiError;
use crate::problem::FieldError;

/// A JSON object body of type `T`, sent as `application/json`.
#[derive(Debug, Clone)]
pub struct StrictJson<T>(pub T);

/// A JSON object body of type `T`, or `T::default()` when the body is empty (then it may come
/// without a `Content-Type`).
#[derive(Debug, Clone)]
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for StrictJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        require_json(content_type(&req))?;
        let bytes = read_body(req).await?;
        parse(&bytes).map(StrictJson)
    }
}

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let declared = content_type(&req);
        if declared.is_some() {
            require_json(declared)?;
        }
        let bytes = read_body(req).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        require_json(declared)?;
        parse(&bytes).map(OptionalJson)
    }
}

/// The raw bytes of a body of any type, size-limited: for signed payloads that must be
/// verified exactly as sent.
#[derive(Debug, Clone)]
pub struct RawBody(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        read_body(req).await.map(RawBody)
    }
}

/// What the `Content-Type` header says: `None` when absent, `Some(false)` for anything but JSON.
fn content_type(req: &Request) -> Option<bool> {
    req.headers().get(header::CONTENT_TYPE).map(|value| {
        value
            .to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    })
}

fn require_json(content_type: Option<bool>) -> Result<(), ApiError> {
    match content_type {
        Some(true) => Ok(()),
        _ => Err(ApiError::UnsupportedMediaType),
    }
}

async fn read_body(req: Request) -> Result<axum::body::Bytes, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES) {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    let body: Body = req.into_body();
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|e| {
            if is_length_limit(&e) {
                ApiError::PayloadTooLarge {
                    limit: MAX_BODY_BYTES,
                }
            } else {
                ApiError::BodyUnreadable(e)
            }
        })
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// Parses a JSON object into `T`, telling syntax errors (and anything but an object) from type
/// and field errors. Nested structs too are read only from objects.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::MalformedJson(
            "the body must be a JSON object".to_owned(),
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value =
        serde_path_to_error::deserialize(objects_only::ObjectsOnly(&mut de)).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() || inner.is_io() {
                ApiError::MalformedJson(inner.to_string())
            } else {
                ApiError::Invalid(vec![FieldError {
                    field: if path == "." { "body".into() } else { path },
                    message: without_position(&inner.to_string()),
                }])
            }
        })?;
    de.end()
        .map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    Ok(value)
}

/// A JSON number read as a whole number. JSON has one kind of number, and JSON Schema's
/// `integer` takes `2.0` as 2; fractions and numbers beyond `i64` are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WholeNumber(pub i64);

impl<'de> serde::Deserialize<'de> for WholeNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = serde_json::Number::deserialize(d)?;
        if let Some(i) = n.as_i64() {
            return Ok(WholeNumber(i));
        }
        // i64::MIN and i64::MAX + 1 are both exact as f64; integers in range came as i64 above.
        const LIMIT: f64 = 9_223_372_036_854_775_808.0;
        match n.as_f64() {
            // Open at both ends: a number just past i64 reads as the limit itself.
            Some(f) if f.fract() == 0.0 && f > -LIMIT && f < LIMIT => Ok(WholeNumber(f as i64)),
            _ => Err(serde::de::Error::custom(format!(
                "{n} is not a whole number of at most 64 bits"
            ))),
        }
    }
}

/// For `#[serde(deserialize_with)]`: a [`WholeNumber`].
pub fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    WholeNumber::deserialize(d).map(|w| w.0)
}

/// For `#[serde(default, deserialize_with)]`: a [`WholeNumber`] or `null`.
pub fn optional_whole_number<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<i64>, D::Error> {
    Option::<WholeNumber>::deserialize(d).map(|o| o.map(|w| w.0))
}

fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Line {
        quantity: i64,
        note: Option<String>,
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        assert!(matches!(
            parse::<Line>(b"{\"quantity\": "),
            Err(ApiError::MalformedJson(_))
        ));
        assert!(matches!(
            parse::<Line>(b"{\"quantity\": 1} x"),
            Err(ApiError::MalformedJson(_))
        ));
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        line: Line,
        lines: Vec<Line>,
        maybe: Option<Line>,
    }

    #[test]
    fn only_an_object_fills_a_struct_at_any_depth() {
        for body in [&b"[3, null]"[..], b" 3", b"null", b"\"x\"", b""] {
            assert!(
                matches!(parse::<Line>(body), Err(ApiError::MalformedJson(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        for (body, field) in [
            (
                &br#"{"line": [1, null], "lines": [], "maybe": null}"#[..],
                "line",
            ),
            (
                br#"{"line": {"quantity": 1}, "lines": [[2, null]], "maybe": null}"#,
                "lines[0]",
            ),
            (
                br#"{"line": {"quantity": 1}, "lines": [], "maybe": [3, null]}"#,
                "maybe",
            ),
        ] {
            let Err(ApiError::Invalid(errors)) = parse::<Outer>(body) else {
                panic!(
                    "expected a field error for {}",
                    String::from_utf8_lossy(body)
                );
            };
            assert_eq!(errors[0].field, field);
        }
        let parsed = parse::<Outer>(
            br#"{"line": {"quantity": 1}, "lines": [{"quantity": 2}], "maybe": {"quantity": 3}}"#,
        )
        .expect("objects parse");
        assert_eq!(
            (
                parsed.line.quantity,
                parsed.lines[0].quantity,
                parsed.maybe.map(|l| l.quantity)
            ),
            (1, 2, Some(3))
        );
    }

    #[test]
    fn whole_numbers_may_be_written_with_a_zero_fraction() {
        let read = |s: &str| serde_json::from_str::<WholeNumber>(s).map(|w| w.0).ok();
        assert_eq!(read("7"), Some(7));
        assert_eq!(read("7.0"), Some(7));
        assert_eq!(read("-3e2"), Some(-300));
        assert_eq!(read("9223372036854775807"), Some(i64::MAX));
        assert_eq!(read("7.5"), None);
        assert_eq!(read("1e19"), None);
        assert_eq!(read("-9223372036854775809"), None);
        assert_eq!(read("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(read("18446744073709551615"), None);
        assert_eq!(read("\"7\""), None);
    }

    #[test]
    fn wrong_types_and_unknown_fields_name_the_field() {
        let Err(ApiError::Invalid(errors)) = parse::<Line>(br#"{"quantity": "two"}"#) else {
            panic!("expected a field error");
        };
        assert_eq!(errors[0].field, "quantity");
        assert!(!errors[0].message.contains("line 1"));
        let Err(ApiError::Invalid(errors)) = parse::<Line>(br#"{"quantity": 1, "colour": "red"}"#)
        else {
            panic!("expected a field error");
        };
        assert!(
            errors[0].message.contains("colour"),
            "{}",
            errors[0].message
        );
    }
}
