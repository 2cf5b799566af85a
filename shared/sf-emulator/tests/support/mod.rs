//! Shared harness for the wire tests: an emulator on a free loopback port, a token, and a
//! plain HTTP client that speaks to it as any Salesforce client would.
#![allow(dead_code)]

pub mod target;

use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use storesync_sf_emulator::{Emulator, EmulatorConfig};

/// A running org and a session on it.
pub struct Org {
    pub emulator: Emulator,
    pub http: reqwest::Client,
    pub token: String,
}

/// What a call answered: status, headers and the JSON body (null when empty).
pub type Answer = (StatusCode, HeaderMap, Value);

impl Org {
    /// An org with the default settings (multi-currency on).
    pub async fn start() -> Self {
        Self::start_with(EmulatorConfig::default()).await
    }

    /// An org with these settings.
    pub async fn start_with(config: EmulatorConfig) -> Self {
        let emulator = Emulator::start_with(config).await.unwrap();
        let http = reqwest::Client::new();
        let response: Value = http
            .post(format!("{}/services/oauth2/token", emulator.base_url()))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", emulator.client_id()),
                ("client_secret", emulator.client_secret()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = response["access_token"].as_str().unwrap().to_string();
        Self {
            emulator,
            http,
            token,
        }
    }

    /// An Account stored directly (no API call), for records that need one.
    pub fn account(&self, name: &str) -> String {
        self.insert("Account", json!({ "Name": name }))
    }

    /// A record stored directly (no API call), with the API's validation.
    pub fn insert(&self, object: &str, fields: Value) -> String {
        self.emulator
            .insert(object, fields)
            .unwrap_or_else(|e| panic!("seeding {object}: {e:?}"))
    }

    /// `GET query?q=soql`, the text encoded.
    pub async fn query(&self, soql: &str) -> Answer {
        let q: String = url::form_urlencoded::byte_serialize(soql.as_bytes()).collect();
        self.send(Method::GET, &format!("query?q={q}"), None).await
    }

    /// The full URL of a data API path.
    pub fn url(&self, path: &str) -> String {
        format!("{}/services/data/v62.0/{path}", self.emulator.base_url())
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body)).await
    }

    /// `PATCH path` with a JSON body.
    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PATCH, path, Some(body)).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    /// One call with the session's token.
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.send_as(&self.token, method, path, body).await
    }

    /// One call with another session's token.
    pub async fn send_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        (status, headers, body)
    }

    /// The field `name` of a `describe` answer, if it lists one.
    pub fn described_field(describe: &Value, name: &str) -> Option<Value> {
        describe["fields"]
            .as_array()?
            .iter()
            .find(|f| f["name"] == name)
            .cloned()
    }

    /// The access token of another user's session, by the username-password flow.
    pub async fn token_of(&self, username: &str, password: &str) -> String {
        let answer: Value = self
            .http
            .post(format!(
                "{}/services/oauth2/token",
                self.emulator.base_url()
            ))
            .form(&[
                ("grant_type", "password"),
                ("client_id", self.emulator.client_id()),
                ("client_secret", self.emulator.client_secret()),
                ("username", username),
                ("password", password),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["access_token"].as_str().unwrap().to_string()
    }

    /// The first error code of an error body.
    pub fn code(body: &Value) -> &str {
        body[0]["errorCode"].as_str().unwrap_or_default()
    }
}
