//! The one place where failures become HTTP responses.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use storesync_core::ids::InvalidValue;
use storesync_core::{AppError, DomainError};

use crate::problem::{FieldError, Problem};

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the request is invalid")]
    Invalid(Vec<FieldError>),
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the body must be application/json")]
    UnsupportedMediaType,
    #[error("the Idempotency-Key header is required")]
    IdempotencyKeyMissing,
    #[error("the Idempotency-Key header must be 1 to {max} visible ASCII characters")]
    IdempotencyKeyInvalid { max: usize },
    /// A sku in a path that no product can have; it is not echoed back.
    #[error("no product has this sku")]
    MalformedSku,
    #[error("authentication is required")]
    Unauthorized,
    /// A verified caller outside the group a route is for.
    #[error("this route is for the store's operators (the admin group)")]
    Forbidden,
    /// A query parameter that is missing, repeated or not what the route takes.
    #[error("query parameter {name}: {message}")]
    InvalidParameter { name: String, message: String },
    #[error("no such route")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("the request body could not be read")]
    BodyUnreadable(#[source] axum::Error),
}

impl From<InvalidValue> for ApiError {
    fn from(v: InvalidValue) -> Self {
        ApiError::Invalid(vec![field(v)])
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        ApiError::App(e.into())
    }
}

fn field(v: InvalidValue) -> FieldError {
    FieldError {
        field: v.field,
        message: v.message,
    }
}

impl ApiError {
    pub fn problem(&self) -> Problem {
        use StatusCode as S;
        match self {
            ApiError::MalformedJson(detail) => {
                Problem::new(S::BAD_REQUEST, "malformed-json", "Malformed JSON", detail)
            }
            ApiError::Invalid(errors) => Problem::new(
                S::UNPROCESSABLE_ENTITY,
                "invalid-request",
                "Invalid request",
                "one or more fields are invalid",
            )
            .with_errors(errors.clone()),
            ApiError::PayloadTooLarge { .. } => Problem::new(
                S::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
                self.to_string(),
            ),
            ApiError::UnsupportedMediaType => Problem::new(
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                self.to_string(),
            ),
            ApiError::IdempotencyKeyMissing => Problem::new(
                S::BAD_REQUEST,
                "idempotency-key-missing",
                "Idempotency-Key missing",
                "send an Idempotency-Key header (1 to 255 visible ASCII characters) so the request can be retried safely",
            ),
            ApiError::IdempotencyKeyInvalid { .. } => Problem::new(
                S::BAD_REQUEST,
                "idempotency-key-invalid",
                "Idempotency-Key invalid",
                format!("{}, from '!' to '~' (no spaces)", self),
            ),
            ApiError::MalformedSku => Problem::new(
                S::NOT_FOUND,
                "unknown-product",
                "Unknown product",
                self.to_string(),
            ),
            ApiError::Unauthorized => Problem::new(
                S::UNAUTHORIZED,
                "unauthorized",
                "Unauthorized",
                self.to_string(),
            ),
            ApiError::Forbidden => {
                Problem::new(S::FORBIDDEN, "forbidden", "Forbidden", self.to_string())
            }
            ApiError::InvalidParameter { name, .. } => Problem::new(
                S::BAD_REQUEST,
                "invalid-parameter",
                "Invalid parameter",
                self.to_string(),
            )
            .with("parameter", name.as_str()),
            ApiError::RouteNotFound => {
                Problem::new(S::NOT_FOUND, "not-found", "Not found", self.to_string())
            }
            ApiError::MethodNotAllowed => Problem::new(
                S::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                self.to_string(),
            ),
            ApiError::BodyUnreadable(_) => Problem::new(
                S::BAD_REQUEST,
                "malformed-body",
                "Unreadable body",
                self.to_string(),
            ),
            ApiError::App(e) => app_problem(e),
        }
    }
}

fn app_problem(e: &AppError) -> Problem {
    use StatusCode as S;
    let detail = e.to_string();
    match e {
        AppError::NotFound { .. } => Problem::new(S::NOT_FOUND, "not-found", "Not found", detail),
        AppError::UnknownProduct { sku } => {
            Problem::new(S::NOT_FOUND, "unknown-product", "Unknown product", detail)
                .with("sku", sku.as_str())
        }
        AppError::AlreadyRegistered => Problem::new(
            S::CONFLICT,
            "already-registered",
            "Already registered",
            detail,
        ),
        AppError::EmailTaken => Problem::new(S::CONFLICT, "email-taken", "E-mail taken", detail),
        AppError::OutOfStock { sku, available } => {
            Problem::new(S::CONFLICT, "out-of-stock", "Out of stock", detail)
                .with("sku", sku.as_str())
                .with("available", *available)
        }
        AppError::PriceChanged { sku } => {
            Problem::new(S::CONFLICT, "price-changed", "Price changed", detail)
                .with("sku", sku.as_str())
        }
        // The key is already bound to another request: a conflict with what is stored.
        AppError::IdempotencyKeyReused => Problem::new(
            S::CONFLICT,
            "idempotency-key-reused",
            "Idempotency-Key reused",
            detail,
        ),
        AppError::Conflict => Problem::new(S::CONFLICT, "conflict", "Conflict", detail),
        AppError::QueueUnavailable => Problem::new(
            S::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            detail,
        ),
        AppError::Store(source) => {
            // The cause stays in the logs; the caller learns only that it may retry.
            tracing::error!(error = ?source, "store failure");
            Problem::new(
                S::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "the store is unavailable; retry the request",
            )
        }
        AppError::Domain(d) => domain_problem(d),
    }
}

fn domain_problem(e: &DomainError) -> Problem {
    use StatusCode as S;
    let detail = e.to_string();
    match e {
        DomainError::Invalid(values) => {
            ApiError::Invalid(values.iter().cloned().map(field).collect()).problem()
        }
        DomainError::ProductUnavailable { sku } => Problem::new(
            S::CONFLICT,
            "product-unavailable",
            "Product unavailable",
            detail,
        )
        .with("sku", sku.as_str()),
        // Refusals that come from the state of the cart, the catalog or the discounts on offer
        // rather than from the request itself are conflicts.
        DomainError::NotSoldInCurrency { sku, currency } => Problem::new(
            S::CONFLICT,
            "currency-mismatch",
            "Currency mismatch",
            detail,
        )
        .with("sku", sku.as_str())
        .with("currency", currency.code()),
        DomainError::Money(m) => match m {
            storesync_core::money::MoneyError::CurrencyMismatch(..) => Problem::new(
                S::CONFLICT,
                "currency-mismatch",
                "Currency mismatch",
                detail,
            ),
            _ => Problem::new(
                S::UNPROCESSABLE_ENTITY,
                "invalid-amount",
                "Invalid amount",
                detail,
            ),
        },
        DomainError::TooManyLines { max } => Problem::new(
            S::UNPROCESSABLE_ENTITY,
            "too-many-lines",
            "Too many lines",
            detail,
        )
        .with("max_lines", *max),
        DomainError::CartClosed { .. } => {
            Problem::new(S::CONFLICT, "cart-closed", "Cart closed", detail)
        }
        DomainError::EmptyCart => Problem::new(S::CONFLICT, "empty-cart", "Empty cart", detail),
        DomainError::GuestEmailRequired => ApiError::Invalid(vec![FieldError {
            field: "email".into(),
            message: detail,
        }])
        .problem(),
        DomainError::InvalidTransition { current, .. } => Problem::new(
            S::CONFLICT,
            "invalid-transition",
            "Invalid transition",
            detail,
        )
        .with("current_state", current.as_str()),
        DomainError::ApprovalRequired { .. } => Problem::new(
            S::CONFLICT,
            "approval-required",
            "Approval required",
            detail,
        ),
        DomainError::AlreadyDecided { status } => {
            Problem::new(S::CONFLICT, "already-decided", "Already decided", detail)
                .with("current_state", *status)
        }
        DomainError::PaymentNotCaptured { .. } => Problem::new(
            S::CONFLICT,
            "payment-not-captured",
            "Payment not captured",
            detail,
        ),
        DomainError::ReturnExceedsOrder { sku, returnable } => Problem::new(
            S::UNPROCESSABLE_ENTITY,
            "return-exceeds-order",
            "Return exceeds order",
            detail,
        )
        .with("sku", sku.as_str())
        .with("returnable", *returnable),
        DomainError::CancelExceedsOrder { sku, cancellable } => Problem::new(
            S::UNPROCESSABLE_ENTITY,
            "cancel-exceeds-order",
            "Cancel exceeds order",
            detail,
        )
        .with("sku", sku.as_str())
        .with("cancellable", *cancellable),
        // The stored order disagrees with itself; the request cannot fix that.
        DomainError::TaxRateUnknown { .. } => {
            Problem::new(S::CONFLICT, "tax-rate-unknown", "Tax rate unknown", detail)
        }
        DomainError::UnknownDiscountCode { .. } => Problem::new(
            S::CONFLICT,
            "unknown-discount-code",
            "Unknown discount code",
            detail,
        ),
        // The account's terms, not the request, decide: a conflict with the state of the store.
        DomainError::PaymentMethodNotAllowed { method } => Problem::new(
            S::CONFLICT,
            "payment-method-not-allowed",
            "Payment method not allowed",
            detail,
        )
        .with("payment_method", *method),
    }
}

/// Answers a method a route does not have: 405 with the problem (axum adds `Allow`). Browser
/// preflights (`OPTIONS`) get an empty 204: API Gateway adds the CORS headers.
pub async fn method_not_allowed(method: axum::http::Method) -> Response {
    if method == axum::http::Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        ApiError::MethodNotAllowed.into_response()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::BodyUnreadable(source) = &self {
            tracing::warn!(error = %source, "request body unreadable");
        }
        let body_left_unread = matches!(
            self,
            ApiError::PayloadTooLarge { .. }
                | ApiError::UnsupportedMediaType
                | ApiError::BodyUnreadable(_)
        );
        let mut response = self.problem().into_response();
        if body_left_unread {
            // The rest of the body is still on the wire: the connection cannot carry another
            // request, so say so rather than let a client reuse it.
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        response
    }
}
