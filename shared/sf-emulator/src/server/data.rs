//! `/services/data`: an HTTP request becomes a [`SubRequest`] for the org, its [`Reply`]
//! an HTTP response, with latency, `Sforce-Limit-Info` and an injected connection reset.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::approvals::{self, APPROVALS, APPROVALS_ALLOWED};
use super::gate::{Gate, Proceed, gate};
use super::order_management::{self, ORDER_SUMMARIES, ORDER_SUMMARIES_ALLOWED};
use super::routes::{LIMITS_ALLOWED, Reply, SubRequest, dispatch, method_allowed};
use super::{Shared, json_response, with_limit_info};
use crate::error::SfError;
use crate::org::WriteOptions;

/// Answers one data API call; `rest` is the path after `/services/data`.
pub(super) async fn data_api(
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
    let Proceed {
        limit_info,
        reset,
        user_id,
    } = match gate(shared, headers) {
        Gate::Proceed(proceed) => proceed,
        Gate::Reject(status, body, info) => return json_response(status, &body, Some(&info)),
    };
    let rest = rest.trim_start_matches('/');
    if rest.is_empty() {
        let versions: Vec<Value> = ["60.0", "61.0", "62.0", "63.0"]
            .iter()
            .map(|v| json!({ "label": "Emulator", "url": format!("/services/data/v{v}"), "version": v }))
            .collect();
        return json_response(200, &Value::Array(versions), Some(&limit_info));
    }
    let (version, path) = rest.split_once('/').unwrap_or((rest, ""));
    if !is_version(version) {
        return json_response(404, &SfError::not_found().body, Some(&limit_info));
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
                return json_response(400, &err.body, Some(&limit_info));
            }
        }
    };
    if path == "limits" {
        let method = method.as_str();
        if !method_allowed(method, LIMITS_ALLOWED) {
            let reply = Reply::method_not_allowed(method, LIMITS_ALLOWED);
            return to_response(reply, &limit_info);
        }
        let control = shared.control();
        let limits = json!({
            "DailyApiRequests": { "Max": control.daily_limit, "Remaining": control.daily_limit.saturating_sub(control.usage) },
        });
        return json_response(200, &limits, Some(&limit_info));
    }
    let request = SubRequest {
        method: method.as_str().to_ascii_uppercase(),
        path: path.to_string(),
        query: uri.query().unwrap_or("").to_string(),
        body: body_value,
        version: version.to_string(),
        options: write_options(headers),
        batch_size: headers
            .get("Sforce-Query-Options")
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.trim().strip_prefix("batchSize="))
            .and_then(|n| n.parse().ok()),
    };
    let resource = path.trim_end_matches('/');
    let origin = change_origin(version, headers);
    let reply = shared.in_session(&user_id, &origin, |org| {
        if resource == ORDER_SUMMARIES {
            // A Connect resource: answered for a call of its own, never as a subrequest.
            if method_allowed(&request.method, ORDER_SUMMARIES_ALLOWED) {
                order_management::create(org, request.body.as_ref())
            } else {
                Reply::method_not_allowed(method.as_str(), ORDER_SUMMARIES_ALLOWED)
            }
        } else if resource == APPROVALS {
            // Acts as the session's user: approvers and submitters are checked against it.
            if method_allowed(&request.method, APPROVALS_ALLOWED) {
                approvals::answer(org, &request, &user_id)
            } else {
                Reply::method_not_allowed(method.as_str(), APPROVALS_ALLOWED)
            }
        } else {
            dispatch(org, &request)
        }
    });
    let mut response = to_response(reply, &limit_info);
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

/// `changeOrigin` of what the call changes: `com/salesforce/api/rest/62.0`, with
/// `;client=NAME` when the caller names itself in `Sforce-Call-Options: client=NAME`.
fn change_origin(version: &str, headers: &HeaderMap) -> String {
    let api = format!(
        "com/salesforce/api/rest/{}",
        version.trim_start_matches('v')
    );
    let client = headers
        .get("Sforce-Call-Options")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            h.split(',')
                .find_map(|option| option.trim().strip_prefix("client="))
        })
        .filter(|client| !client.is_empty());
    match client {
        Some(client) => format!("{api};client={client}"),
        None => api,
    }
}

/// `Sforce-Duplicate-Rule-Header: allowSave=true` lets a write past duplicate rules.
fn write_options(headers: &HeaderMap) -> WriteOptions {
    WriteOptions {
        allow_duplicate_save: headers
            .get("Sforce-Duplicate-Rule-Header")
            .and_then(|h| h.to_str().ok())
            .is_some_and(|h| {
                h.replace(' ', "")
                    .to_ascii_lowercase()
                    .contains("allowsave=true")
            }),
    }
}

fn to_response(reply: Reply, limit_info: &str) -> Response {
    let mut response = match &reply.body {
        Some(body) => json_response(reply.status, body, Some(limit_info)),
        None => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::NO_CONTENT);
            with_limit_info(r, limit_info)
        }
    };
    if let Some(location) = reply.location
        && let Ok(v) = HeaderValue::from_str(&location)
    {
        response.headers_mut().insert(header::LOCATION, v);
    }
    if let Some(allow) = reply.allow {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    response
}

/// `vNN.0`, as the data API's version segment.
fn is_version(v: &str) -> bool {
    v.strip_prefix('v')
        .and_then(|n| n.split_once('.'))
        .is_some_and(|(a, b)| !a.is_empty() && a.bytes().all(|c| c.is_ascii_digit()) && b == "0")
}
