//! The HTTP edge shared by the storesync functions: every error as `application/problem+json`
//! from one place, strict size-limited JSON bodies, and who the caller is.

pub mod error;
pub mod identity;
pub mod json;
pub mod loopback;
pub mod problem;
pub mod signature;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub use error::ApiError;
pub use identity::{CustomerIdentity, GuestIdentity, Identity};
pub use json::StrictJson;
pub use problem::{FieldError, Problem};

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Answers a panic in a handler with an opaque 500 problem, logged, instead of a dropped
/// connection.
pub fn catch_panic()
-> tower_http::catch_panic::CatchPanicLayer<fn(Box<dyn std::any::Any + Send>) -> Response> {
    fn answer(_: Box<dyn std::any::Any + Send>) -> Response {
        tracing::error!("handler panicked");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the request failed; it is safe to retry",
        )
        .into_response()
    }
    tower_http::catch_panic::CatchPanicLayer::custom(
        answer as fn(Box<dyn std::any::Any + Send>) -> Response,
    )
}
