//! The HTTP edge shared by the storesync functions: every error as `application/problem+json`
//! from one place, strict size-limited JSON bodies, and who the caller is.

pub mod config;
pub mod error;
pub mod identity;
pub mod json;
pub mod logging;
pub mod problem;

pub use error::ApiError;
pub use identity::{CustomerIdentity, GuestIdentity, Identity};
pub use json::StrictJson;
pub use problem::{FieldError, Problem};

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
