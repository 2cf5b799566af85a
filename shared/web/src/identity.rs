//! Who is calling: a customer known to the identity provider, a guest holding a cart token,
//! or an operator in the admin group.
//!
//! In Lambda the API Gateway JWT authorizer has already verified the token; its claims are
//! trusted. Locally the dev stack accepts
//! `Authorization: Bearer dev:<customer-id>[:groups[:verified e-mail]]`.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;
use storesync_core::ids::{CustomerId, GuestToken};

use crate::error::ApiError;

/// The verified caller, put in the request's extensions by an identity middleware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub subject: String,
    pub groups: Vec<String>,
    /// The e-mail address the identity provider verified the caller holds (Cognito's
    /// `email` claim with `email_verified` true), if the token says.
    pub verified_email: Option<String>,
}

/// The prefix of the local development bearer token.
pub const DEV_TOKEN_PREFIX: &str = "dev:";

/// Lambda: takes the identity from the JWT authorizer's claims in the request context.
pub async fn identity_from_authorizer(mut req: Request, next: Next) -> Response {
    let identity = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .and_then(|jwt| {
                let subject = jwt.claims.get("sub")?.clone();
                let groups = jwt
                    .claims
                    .get("cognito:groups")
                    .map(|g| parse_groups(g))
                    .unwrap_or_default();
                let verified_email = jwt
                    .claims
                    .get("email")
                    .filter(|_| {
                        jwt.claims
                            .get("email_verified")
                            .is_some_and(|v| v == "true")
                    })
                    .cloned();
                Some(Identity {
                    subject,
                    groups,
                    verified_email,
                })
            }),
        _ => None,
    };
    if let Some(identity) = identity {
        req.extensions_mut().insert(identity);
    }
    next.run(req).await
}

/// Local development: `Authorization: Bearer dev:<customer-id>[:group,group[:e-mail]]`, the
/// e-mail taken as verified.
pub async fn identity_from_dev_token(mut req: Request, next: Next) -> Response {
    let identity = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| t.strip_prefix(DEV_TOKEN_PREFIX))
        .map(|rest| {
            let mut parts = rest.splitn(3, ':');
            let subject = parts.next().unwrap_or_default();
            let groups = parts.next().unwrap_or_default();
            Identity {
                subject: subject.to_owned(),
                groups: parse_groups(groups),
                verified_email: parts.next().filter(|e| !e.is_empty()).map(str::to_owned),
            }
        });
    if let Some(identity) = identity {
        req.extensions_mut().insert(identity);
    }
    next.run(req).await
}

/// Cognito sends groups as `[a b]` in a string claim; accept that and plain lists.
fn parse_groups(raw: &str) -> Vec<String> {
    raw.trim_matches(|c| c == '[' || c == ']')
        .split([' ', ','])
        .map(|g| g.trim_matches('"'))
        .filter(|g| !g.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A registered customer's id; 401 without a verified identity.
#[derive(Debug, Clone)]
pub struct CustomerIdentity(pub CustomerId);

impl<S: Send + Sync> FromRequestParts<S> for CustomerIdentity {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let identity = parts
            .extensions
            .get::<Identity>()
            .ok_or(ApiError::Unauthorized)?;
        let id = CustomerId::parse(&identity.subject).map_err(|_| ApiError::Unauthorized)?;
        Ok(CustomerIdentity(id))
    }
}

/// The e-mail the identity provider verified the caller holds, if any; never a rejection.
#[derive(Debug, Clone, Default)]
pub struct VerifiedEmail(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for VerifiedEmail {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(VerifiedEmail(
            parts
                .extensions
                .get::<Identity>()
                .and_then(|i| i.verified_email.clone()),
        ))
    }
}

/// The identity provider's group (a Cognito group) whose members operate the store.
pub const ADMIN_GROUP: &str = "admin";

/// An operator: a verified identity in the [`ADMIN_GROUP`]. 401 without a verified identity,
/// 403 for anyone else, whatever route or method asks.
#[derive(Debug, Clone)]
pub struct AdminIdentity {
    /// The operator's subject, for the record of what they changed.
    pub subject: String,
}

impl<S: Send + Sync> FromRequestParts<S> for AdminIdentity {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let identity = parts
            .extensions
            .get::<Identity>()
            .ok_or(ApiError::Unauthorized)?;
        if identity.groups.iter().any(|g| g == ADMIN_GROUP) {
            Ok(AdminIdentity {
                subject: identity.subject.clone(),
            })
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// The group whose members decide approval requests (discounts over the limit, refunds of
/// returns): managers, within the admin group.
pub const MANAGER_GROUP: &str = "managers";

/// A manager: an operator (see [`AdminIdentity`]) who is also in the [`MANAGER_GROUP`]. 401
/// without a verified identity, 403 for anyone else.
#[derive(Debug, Clone)]
pub struct ManagerIdentity {
    /// The manager's subject, recorded on the decisions they make.
    pub subject: String,
}

impl<S: Send + Sync> FromRequestParts<S> for ManagerIdentity {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let operator = AdminIdentity::from_request_parts(parts, state).await?;
        let identity = parts
            .extensions
            .get::<Identity>()
            .ok_or(ApiError::Unauthorized)?;
        if identity.groups.iter().any(|g| g == MANAGER_GROUP) {
            Ok(ManagerIdentity {
                subject: operator.subject,
            })
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// The header that carries a guest's cart token.
pub const CART_TOKEN_HEADER: &str = "x-cart-token";

/// A guest's cart token from `X-Cart-Token`; 401 when absent or malformed.
#[derive(Debug, Clone)]
pub struct GuestIdentity(pub GuestToken);

impl<S: Send + Sync> FromRequestParts<S> for GuestIdentity {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let raw = parts
            .headers
            .get(CART_TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized)?;
        let token = GuestToken::parse(raw).map_err(|_| ApiError::Unauthorized)?;
        Ok(GuestIdentity(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn admin(identity: Option<Identity>) -> Result<AdminIdentity, ApiError> {
        let mut request = axum::http::Request::new(());
        if let Some(identity) = identity {
            request.extensions_mut().insert(identity);
        }
        let (mut parts, ()) = request.into_parts();
        AdminIdentity::from_request_parts(&mut parts, &()).await
    }

    #[tokio::test]
    async fn only_the_admin_group_operates_and_the_others_are_told_apart() {
        let member = |groups: &[&str]| Identity {
            subject: "ops-1".into(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            verified_email: None,
        };
        let operator = admin(Some(member(&["support", "admin"]))).await.unwrap();
        assert_eq!(operator.subject, "ops-1");
        assert!(matches!(
            admin(Some(member(&["administrators"]))).await,
            Err(ApiError::Forbidden)
        ));
        assert!(matches!(
            admin(Some(member(&[]))).await,
            Err(ApiError::Forbidden)
        ));
        assert!(matches!(admin(None).await, Err(ApiError::Unauthorized)));
    }

    #[test]
    fn cognito_group_claims_are_split() {
        assert_eq!(parse_groups("[admin support]"), vec!["admin", "support"]);
        assert_eq!(parse_groups("admin,ops"), vec!["admin", "ops"]);
        assert!(parse_groups("").is_empty());
    }
}
