//! OAuth 2.0 against `/services/oauth2/token`: client credentials and JWT bearer (RS256).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::RsaPrivateKey;
use serde::Deserialize;
use serde_json::json;

use crate::error::SalesforceError;

/// An access token and the instance it is valid for.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub access_token: String,
    pub instance_url: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("access_token", &"<redacted>")
            .field("instance_url", &self.instance_url)
            .finish()
    }
}

#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: String,
    pub instance_url: String,
}

#[derive(Deserialize)]
pub(crate) struct OAuthError {
    pub error: String,
    #[serde(default)]
    pub error_description: String,
}

/// Parses a PKCS#8 or PKCS#1 PEM private key.
pub(crate) fn parse_private_key(pem: &str) -> Result<RsaPrivateKey, SalesforceError> {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
        .map_err(|e| {
            SalesforceError::Config(format!("the JWT private key is not a valid RSA PEM: {e}"))
        })
}

/// Lifetime of an assertion: Salesforce accepts `exp` at most 3 minutes ahead.
const ASSERTION_LIFETIME_SECS: i64 = 150;

/// Builds and signs the RS256 assertion of the JWT bearer flow.
pub(crate) fn jwt_assertion(
    key: &RsaPrivateKey,
    client_id: &str,
    username: &str,
    audience: &str,
) -> Result<String, SalesforceError> {
    use rsa::pkcs1v15::SigningKey;
    use rsa::signature::{SignatureEncoding, Signer};
    let header = json!({ "alg": "RS256", "typ": "JWT" });
    let claims = json!({
        "iss": client_id,
        "sub": username,
        "aud": audience,
        "exp": chrono::Utc::now().timestamp() + ASSERTION_LIFETIME_SECS,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signer = SigningKey::<sha2::Sha256>::new(key.clone());
    let signature = signer
        .try_sign(signing_input.as_bytes())
        .map_err(|e| SalesforceError::Config(format!("could not sign the JWT assertion: {e}")))?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
}
