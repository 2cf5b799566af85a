//! `/services/oauth2/token`: the client credentials, JWT bearer and username-password
//! flows, with OAuth error codes as Salesforce sends them. A token is a session of one user:
//! the connected app's run-as user (the integration user) for client credentials, the
//! assertion's `sub` for JWT bearer, the named user for username-password.

use std::collections::HashMap;

use axum::http::{HeaderMap, Method, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::Rng;
use serde_json::{Value, json};
use sha2::Sha256;

use super::{Shared, json_response};
use crate::config::EmulatorConfig;

fn oauth_error(error: &str, description: &str) -> Response {
    json_response(
        400,
        &json!({ "error": error, "error_description": description }),
        None,
    )
}

/// Where the client reached us: tokens name it as their `instance_url`.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// Issues an access token for either flow, or answers with the OAuth error.
pub(super) fn token(
    shared: &Shared,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    shared.control().token_requests += 1;
    if method != Method::POST {
        return oauth_error("invalid_request", "must use HTTP POST");
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let config = &shared.config;
    let base = base_url(headers);
    let grant = form.get("grant_type").map(String::as_str).unwrap_or("");
    let (signature_secret, scope, username) = match grant {
        "client_credentials" => {
            let (id, secret) = basic_credentials(headers).unwrap_or_else(|| {
                (
                    form.get("client_id").cloned().unwrap_or_default(),
                    form.get("client_secret").cloned().unwrap_or_default(),
                )
            });
            if id != config.client_id {
                return oauth_error("invalid_client_id", "client identifier invalid");
            }
            if secret != config.client_secret {
                return oauth_error("invalid_client", "invalid client credentials");
            }
            (Some(secret), None, None)
        }
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => {
            let assertion = form.get("assertion").map(String::as_str).unwrap_or("");
            match check_assertion(config, assertion, &base) {
                Ok(sub) => (None, Some("api"), Some(sub)),
                Err((error, description)) => return oauth_error(error, description),
            }
        }
        "password" => {
            let field = |name: &str| form.get(name).cloned().unwrap_or_default();
            if field("client_id") != config.client_id {
                return oauth_error("invalid_client_id", "client identifier invalid");
            }
            if field("client_secret") != config.client_secret {
                return oauth_error("invalid_client", "invalid client credentials");
            }
            let (username, password) = (field("username"), field("password"));
            let known = config.password_logins.iter().any(|login| {
                login.username.eq_ignore_ascii_case(&username) && login.password == password
            });
            if !known {
                return oauth_error("invalid_grant", "authentication failure");
            }
            let secret = field("client_secret");
            (Some(secret), None, Some(username))
        }
        _ => return oauth_error("unsupported_grant_type", "grant type not supported"),
    };
    let (org_id, user_id) = {
        let org = shared.org();
        let user = match username {
            Some(name) => match org.user_id(&name) {
                Some(id) => id,
                None => return oauth_error("invalid_grant", "authentication failure"),
            },
            None => org.integration_user_id.clone(),
        };
        (org.org_id.clone(), user)
    };
    let session: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(96)
        .map(char::from)
        .collect();
    let access_token = format!("{}!AR{session}", &org_id[..15]);
    shared
        .control()
        .tokens
        .insert(access_token.clone(), user_id.clone());
    let issued_at = chrono::Utc::now().timestamp_millis().to_string();
    let id = format!("{base}/id/{org_id}/{user_id}");
    let mut out = json!({
        "access_token": access_token,
        "instance_url": base,
        "id": id,
        "token_type": "Bearer",
        "issued_at": issued_at,
    });
    match (signature_secret, scope) {
        (Some(secret), _) => {
            let mut mac =
                Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
            mac.update(format!("{id}{issued_at}").as_bytes());
            out["signature"] = json!(STANDARD.encode(mac.finalize().into_bytes()));
            out["token_format"] = json!("opaque");
        }
        (None, Some(scope)) => out["scope"] = json!(scope),
        (None, None) => {}
    }
    json_response(200, &out, None)
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// Checks a JWT bearer assertion: RS256 header, `iss` = the connected app's client id, `sub`
/// = a known user, `aud` = a login host (or the emulator itself), `exp` in the future and at
/// most 3 minutes ahead (plus skew), and, when a public key is configured, the signature.
/// Answers the user the assertion names.
fn check_assertion(
    config: &EmulatorConfig,
    assertion: &str,
    base: &str,
) -> Result<String, (&'static str, &'static str)> {
    let invalid = |d: &'static str| ("invalid_grant", d);
    let parts: Vec<&str> = assertion.split('.').collect();
    let [header_b64, claims_b64, signature_b64] = parts.as_slice() else {
        return Err(invalid("invalid assertion"));
    };
    let decode = |s: &str| -> Option<Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).ok()?).ok()
    };
    let (Some(jwt_header), Some(claims)) = (decode(header_b64), decode(claims_b64)) else {
        return Err(invalid("invalid assertion"));
    };
    if jwt_header["alg"] != "RS256" {
        return Err(invalid("invalid assertion"));
    }
    if claims["iss"].as_str() != Some(config.client_id.as_str()) {
        return Err(("invalid_client_id", "client identifier invalid"));
    }
    let aud_ok = claims["aud"].as_str().is_some_and(|aud| {
        let aud = aud.trim_end_matches('/');
        aud == "https://login.salesforce.com" || aud == "https://test.salesforce.com" || aud == base
    });
    if !aud_ok {
        return Err(invalid("audience is invalid"));
    }
    let now = chrono::Utc::now().timestamp();
    match claims["exp"].as_i64() {
        Some(exp) if exp > now && exp <= now + 180 + 60 => {}
        _ => return Err(invalid("expired authorization code")),
    }
    let sub = claims["sub"].as_str().unwrap_or("");
    if !config
        .jwt_usernames
        .iter()
        .any(|u| u.eq_ignore_ascii_case(sub))
    {
        return Err(invalid("user hasn't approved this consumer"));
    }
    if let Some(key) = &config.jwt_public_key
        && !verify_rs256(key, &format!("{header_b64}.{claims_b64}"), signature_b64)
    {
        return Err(invalid("invalid assertion"));
    }
    Ok(sub.to_string())
}

fn verify_rs256(key: &rsa::RsaPublicKey, signed: &str, signature_b64: &str) -> bool {
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    let Ok(raw) = URL_SAFE_NO_PAD.decode(signature_b64) else {
        return false;
    };
    let Ok(signature) = Signature::try_from(raw.as_slice()) else {
        return false;
    };
    VerifyingKey::<Sha256>::new(key.clone())
        .verify(signed.as_bytes(), &signature)
        .is_ok()
}
