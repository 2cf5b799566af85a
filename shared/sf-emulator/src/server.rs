//! The HTTP face of the emulator: the OAuth token endpoint and the REST data API, with
//! call counting, the daily API limit, `Sforce-Limit-Info` and fault injection.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::Rng;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::config::EmulatorConfig;
use crate::error::SfError;
use crate::org::{Org, Record, WriteOptions};

/// A fault the next calls of the data API answer with instead of doing their work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 503 `SERVER_UNAVAILABLE`.
    ServiceUnavailable,
    /// 403 `REQUEST_LIMIT_EXCEEDED` for too many concurrent long requests
    /// ("ConcurrentPerOrgLongTxn Limit exceeded."). The daily limit itself answers
    /// "TotalRequests Limit exceeded." once usage reaches it (see `set_daily_limit`).
    RequestLimitExceeded,
    /// 400 `UNABLE_TO_LOCK_ROW`.
    UnableToLockRow,
    /// 500 `UNKNOWN_EXCEPTION`.
    InternalError,
    /// The call is carried out, then the connection drops before the response body
    /// arrives: the client cannot know whether a create landed.
    ConnectionReset,
    /// 401 `INVALID_SESSION_ID` "Session expired or invalid", whatever the token.
    /// (To expire the issued tokens themselves, use `Emulator::expire_sessions`.)
    ExpiredSession,
}

#[derive(Debug)]
pub(crate) struct Control {
    pub api_calls: u64,
    pub token_requests: u64,
    pub usage: u64,
    pub daily_limit: u64,
    pub latency: Duration,
    pub faults: VecDeque<Fault>,
    pub tokens: HashSet<String>,
}

/// State shared by the server and the test handle.
#[derive(Debug)]
pub struct Shared {
    pub(crate) org: Mutex<Org>,
    pub(crate) control: Mutex<Control>,
    pub(crate) config: EmulatorConfig,
}

impl Shared {
    pub(crate) fn new(config: EmulatorConfig) -> Self {
        let mut org = Org::new();
        org.query_batch_size = config.query_batch_size;
        Self {
            org: Mutex::new(org),
            control: Mutex::new(Control {
                api_calls: 0,
                token_requests: 0,
                usage: 0,
                daily_limit: config.daily_api_limit,
                latency: Duration::ZERO,
                faults: VecDeque::new(),
                tokens: HashSet::new(),
            }),
            config,
        }
    }

    pub(crate) fn org(&self) -> MutexGuard<'_, Org> {
        self.org.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn control(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The emulator's router: every path goes through one dispatcher, as in a real org.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    if path == "/services/oauth2/token" {
        return token(&shared, &method, &headers, &body);
    }
    if let Some(rest) = path.strip_prefix("/services/data") {
        return data_api(&shared, &method, &uri, rest, &headers, &body).await;
    }
    json_response(404, &SfError::not_found().body, None)
}

fn json_response(status: u16, body: &Value, limit_info: Option<String>) -> Response {
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        body.to_string(),
    )
        .into_response();
    if let Some(info) = limit_info
        && let Ok(v) = HeaderValue::from_str(&info)
    {
        response.headers_mut().insert("Sforce-Limit-Info", v);
    }
    response
}

fn oauth_error(error: &str, description: &str) -> Response {
    json_response(
        400,
        &json!({ "error": error, "error_description": description }),
        None,
    )
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

fn token(shared: &Shared, method: &Method, headers: &HeaderMap, body: &[u8]) -> Response {
    shared.control().token_requests += 1;
    if method != Method::POST {
        return oauth_error("invalid_request", "must use HTTP POST");
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let config = &shared.config;
    let base = base_url(headers);
    let grant = form.get("grant_type").map(String::as_str).unwrap_or("");
    let (signature_secret, scope) = match grant {
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
            (Some(secret), None)
        }
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => {
            let assertion = form.get("assertion").map(String::as_str).unwrap_or("");
            if let Err((error, description)) = check_assertion(config, assertion, &base) {
                return oauth_error(error, description);
            }
            (None, Some("api"))
        }
        _ => return oauth_error("unsupported_grant_type", "grant type not supported"),
    };
    let (org_id, user_id) = {
        let org = shared.org();
        (org.org_id.clone(), org.integration_user_id.clone())
    };
    let session: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(96)
        .map(char::from)
        .collect();
    let access_token = format!("{}!AR{session}", &org_id[..15]);
    shared.control().tokens.insert(access_token.clone());
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
fn check_assertion(
    config: &EmulatorConfig,
    assertion: &str,
    base: &str,
) -> Result<(), (&'static str, &'static str)> {
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
    Ok(())
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

enum Gate {
    /// Go ahead; `true` when the response must be cut off (`Fault::ConnectionReset`).
    Proceed(String, bool),
    Reject(u16, Value, String),
}

fn gate(shared: &Shared, headers: &HeaderMap) -> Gate {
    let mut control = shared.control();
    let info = |c: &Control| format!("api-usage={}/{}", c.usage, c.daily_limit);
    let mut reset = false;
    if control.faults.front() == Some(&Fault::ConnectionReset) {
        control.faults.pop_front();
        reset = true;
    } else if let Some(fault) = control.faults.pop_front() {
        let (status, code, message) = match fault {
            Fault::ConnectionReset => unreachable!("handled above"),
            Fault::ServiceUnavailable => (503, "SERVER_UNAVAILABLE", "Service Unavailable"),
            Fault::RequestLimitExceeded => (
                403,
                "REQUEST_LIMIT_EXCEEDED",
                "ConcurrentPerOrgLongTxn Limit exceeded.",
            ),
            Fault::UnableToLockRow => (
                400,
                "UNABLE_TO_LOCK_ROW",
                "unable to obtain exclusive access to this record or 1 records",
            ),
            Fault::InternalError => (500, "UNKNOWN_EXCEPTION", "An unexpected error occurred."),
            Fault::ExpiredSession => {
                return Gate::Reject(
                    401,
                    json!([{ "message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID" }]),
                    info(&control),
                );
            }
        };
        return Gate::Reject(
            status,
            SfError::new(status, code, message, &[]).body,
            info(&control),
        );
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("OAuth "))
        });
    if !bearer.is_some_and(|t| control.tokens.contains(t)) {
        return Gate::Reject(
            401,
            json!([{ "message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID" }]),
            info(&control),
        );
    }
    if control.usage >= control.daily_limit {
        return Gate::Reject(
            403,
            SfError::new(
                403,
                "REQUEST_LIMIT_EXCEEDED",
                "TotalRequests Limit exceeded.",
                &[],
            )
            .body,
            info(&control),
        );
    }
    control.usage += 1;
    Gate::Proceed(info(&control), reset)
}

async fn data_api(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    rest: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let latency = {
        let mut control = shared.control();
        control.api_calls += 1;
        control.latency
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (limit_info, reset) = match gate(shared, headers) {
        Gate::Proceed(info, reset) => (info, reset),
        Gate::Reject(status, body, info) => return json_response(status, &body, Some(info)),
    };
    let rest = rest.trim_start_matches('/');
    if rest.is_empty() {
        let versions: Vec<Value> = ["60.0", "61.0", "62.0", "63.0"]
            .iter()
            .map(|v| json!({ "label": "Emulator", "url": format!("/services/data/v{v}"), "version": v }))
            .collect();
        return json_response(200, &Value::Array(versions), Some(limit_info));
    }
    let (version, path) = rest.split_once('/').unwrap_or((rest, ""));
    if !is_version(version) {
        return json_response(404, &SfError::not_found().body, Some(limit_info));
    }
    let body_value = if body.is_empty() {
        None
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => Some(v),
            Err(e) => {
                let err = SfError::new(
                    400,
                    "JSON_PARSER_ERROR",
                    format!("Unexpected character: {e}"),
                    &[],
                );
                return json_response(400, &err.body, Some(limit_info));
            }
        }
    };
    if path == "limits" {
        let control = shared.control();
        let limits = json!({
            "DailyApiRequests": { "Max": control.daily_limit, "Remaining": control.daily_limit.saturating_sub(control.usage) },
        });
        return json_response(200, &limits, Some(limit_info));
    }
    let request = SubRequest {
        method: method.as_str().to_ascii_uppercase(),
        path: path.to_string(),
        query: uri.query().unwrap_or("").to_string(),
        body: body_value,
        version: version.to_string(),
        options: WriteOptions {
            allow_duplicate_save: headers
                .get("Sforce-Duplicate-Rule-Header")
                .and_then(|h| h.to_str().ok())
                .is_some_and(|h| {
                    h.replace(' ', "")
                        .to_ascii_lowercase()
                        .contains("allowsave=true")
                }),
        },
        batch_size: headers
            .get("Sforce-Query-Options")
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.trim().strip_prefix("batchSize="))
            .and_then(|n| n.parse().ok()),
    };
    let reply = {
        let mut org = shared.org();
        dispatch(&mut org, &request)
    };
    let mut response = match &reply.body {
        Some(body) => json_response(reply.status, body, Some(limit_info)),
        None => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::NO_CONTENT);
            if let Ok(v) = HeaderValue::from_str(&limit_info) {
                r.headers_mut().insert("Sforce-Limit-Info", v);
            }
            r
        }
    };
    if let Some(location) = reply.location
        && let Ok(v) = HeaderValue::from_str(&location)
    {
        response.headers_mut().insert(header::LOCATION, v);
    }
    if reset {
        // The work is done; the body fails, so the server aborts the connection mid-response.
        response.headers_mut().remove(header::CONTENT_LENGTH);
        let failing = futures::stream::once(async {
            Err::<Bytes, _>(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "injected connection reset",
            ))
        });
        *response.body_mut() = Body::from_stream(failing);
    }
    response
}

fn is_version(v: &str) -> bool {
    v.strip_prefix('v')
        .and_then(|n| n.split_once('.'))
        .is_some_and(|(a, b)| !a.is_empty() && a.bytes().all(|c| c.is_ascii_digit()) && b == "0")
}

/// One REST call inside the org, from HTTP or from a Composite subrequest.
#[derive(Debug, Clone)]
pub(crate) struct SubRequest {
    pub method: String,
    /// The path after `/services/data/vXX.X/`.
    pub path: String,
    pub query: String,
    pub body: Option<Value>,
    pub version: String,
    pub options: WriteOptions,
    pub batch_size: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub location: Option<String>,
}

impl Reply {
    fn ok(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            location: None,
        }
    }

    fn err(e: SfError) -> Self {
        Self::ok(e.status, e.body)
    }

    fn no_content() -> Self {
        Self {
            status: 204,
            body: None,
            location: None,
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(
                std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                16,
            )
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn body_object(body: &Option<Value>) -> Result<Record, SfError> {
    match body {
        Some(Value::Object(m)) => Ok(m.clone()),
        _ => Err(SfError::body_not_an_object()),
    }
}

fn query_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub(crate) fn dispatch(org: &mut Org, req: &SubRequest) -> Reply {
    let segments: Vec<String> = req
        .path
        .trim_end_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let v = req.version.as_str();
    let result: Result<Reply, SfError> = match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["query"]) => {
            let q = query_param(&req.query, "q").unwrap_or_default();
            org.query(&q, v, req.batch_size).map(|b| Reply::ok(200, b))
        }
        ("GET", ["query", cursor]) => org.query_more(cursor, v).map(|b| Reply::ok(200, b)),
        ("GET", ["sobjects"]) => {
            let list: Vec<Value> = crate::schema::OBJECTS
                .iter()
                .map(|o| json!({ "name": o.name, "keyPrefix": o.key_prefix, "custom": o.name.ends_with("__c") || o.name.ends_with("__e") }))
                .collect();
            Ok(Reply::ok(
                200,
                json!({ "encoding": "UTF-8", "maxBatchSize": 200, "sobjects": list }),
            ))
        }
        ("POST", ["sobjects", ty]) => body_object(&req.body)
            .and_then(|b| org.create(ty, b, req.options))
            .map(|id| Reply {
                status: 201,
                location: Some(format!("/services/data/{v}/sobjects/{ty}/{id}")),
                body: Some(json!({ "id": id, "success": true, "errors": [] })),
            }),
        ("GET", ["sobjects", ty, id]) => {
            let fields: Option<Vec<String>> = query_param(&req.query, "fields")
                .map(|f| f.split(',').map(|s| s.trim().to_string()).collect());
            org.get(ty, id, fields.as_deref(), v)
                .map(|b| Reply::ok(200, b))
        }
        ("PATCH", ["sobjects", ty, id]) => body_object(&req.body)
            .and_then(|b| org.update(ty, id, b, req.options))
            .map(|()| Reply::no_content()),
        ("DELETE", ["sobjects", ty, id]) => org.delete(ty, id).map(|()| Reply::no_content()),
        ("GET", ["sobjects", ty, ext, value]) => org
            .get_by_external_id(ty, ext, value, v)
            .map(|b| Reply::ok(200, b)),
        ("PATCH", ["sobjects", ty, ext, value]) => {
            let update_only = query_param(&req.query, "updateOnly").is_some_and(|x| x == "true");
            body_object(&req.body)
                .and_then(|b| org.upsert(ty, ext, value, b, update_only, req.options))
                .map(|(id, created)| Reply {
                    status: if created { 201 } else { 200 },
                    location: Some(format!("/services/data/{v}/sobjects/{ty}/{id}")),
                    body: Some(
                        json!({ "id": id, "success": true, "errors": [], "created": created }),
                    ),
                })
        }
        ("POST", ["composite"]) => crate::composite::composite(org, req),
        ("POST", ["composite", "graph"]) => crate::composite::graph(org, req),
        ("POST", ["composite", "sobjects"]) => crate::composite::collection_create(org, req),
        ("PATCH", ["composite", "sobjects"]) => crate::composite::collection_update(org, req),
        ("PATCH", ["composite", "sobjects", ty, ext]) => {
            crate::composite::collection_upsert(org, req, ty, ext)
        }
        (_, ["sobjects", ..] | ["query", ..] | ["composite", ..]) => Err(SfError::new(
            405,
            "METHOD_NOT_ALLOWED",
            format!(
                "HTTP Method '{}' not allowed. Allowed are GET,PATCH,POST,DELETE",
                req.method
            ),
            &[],
        )),
        _ => Err(SfError::not_found()),
    };
    result.unwrap_or_else(Reply::err)
}
