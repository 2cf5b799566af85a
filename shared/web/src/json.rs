//! Strict JSON request bodies: size-limited, typed, unknown fields refused, and every failure
//! a problem report that names the field.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::MAX_BODY_BYTES;
use crate::error::ApiError;
use crate::problem::FieldError;

/// A JSON body of type `T`.
#[derive(Debug, Clone)]
pub struct StrictJson<T>(pub T);

/// A JSON body of type `T`, or `T::default()` when the body is empty.
#[derive(Debug, Clone)]
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for StrictJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_json_body(req).await?;
        parse(&bytes).map(StrictJson)
    }
}

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_json_body(req).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
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

async fn read_json_body(req: Request) -> Result<axum::body::Bytes, ApiError> {
    if let Some(content_type) = req.headers().get(header::CONTENT_TYPE) {
        let json = content_type
            .to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .map(|m| m.trim().eq_ignore_ascii_case("application/json"))
            .unwrap_or(false);
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
    }
    read_body(req).await
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

/// Parses a JSON document into `T`, telling syntax errors from type and field errors.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
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
